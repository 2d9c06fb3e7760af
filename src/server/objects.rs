//! Cluster mode: one watch per kind, shared by the inventory and the audit. Every kind the
//! table gives the inventory role (other than the metadata-only Namespaces and Nodes) or,
//! with the audit on, the audited role is watched here, read as JSON and taken through
//! the same conversion files go through ([`Inventory::add`], [`Subject::from_value`]).
//!
//! A kind is watched only when the API server serves it (custom resources may be absent);
//! an unserved kind is looked for again every few minutes, `/readyz` does not wait for it,
//! and the audit counts it as listed and empty.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use super::discovery::{served, to_value};
use crate::audit::subject::SubjectError;
use crate::audit::{Change, Key, Notifier, Subject, Touched};
use crate::inventory::Inventory;
use crate::kinds::{self, Kind, Reading};
use crate::state::State;

/// How often a kind the API server does not serve is looked for again (its CRD may be
/// installed after sovereign starts).
const REDISCOVER: Duration = Duration::from_secs(300);

/// The kinds watched here: in the inventory (beyond labels), or audited when the audit runs.
pub fn kinds(audit: bool) -> impl Iterator<Item = &'static Kind> {
    kinds::KINDS
        .iter()
        .filter(move |k| (k.roles.inventory && k.reading != Reading::Metadata) || (audit && k.roles.audited))
}

/// Starts one watcher per kind.
pub fn start(client: &Client, state: &Arc<State>, audit: &Option<Notifier>) {
    for kind in kinds(audit.is_some()) {
        tokio::spawn(watch(client.clone(), state.clone(), audit.clone(), kind));
    }
}

async fn watch(client: Client, state: Arc<State>, audit: Option<Notifier>, kind: &'static Kind) {
    let taker = Taker { state: &state, audit: audit.as_ref(), kind };
    let resource = loop {
        match served(&client, kind).await {
            Some(resource) => break resource,
            None => {
                tracing::info!(kind = kind.kind, group = kind.group, "not served by this API server; not watched");
                taker.relisted(Vec::new());
                tokio::time::sleep(REDISCOVER).await;
            }
        }
    };
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut config = watcher::Config::default();
    if kind.reading == Reading::Pod && audit.is_none() {
        // Without the audit, only pods not yet scheduled matter (bindings).
        config = config.fields("spec.nodeName=");
    }
    let mut stream = std::pin::pin!(watcher(api, config).default_backoff());
    let mut listing: Option<Vec<Value>> = None;
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                state.readiness.failing(kind.cache_name());
                state.metrics.error("watch");
                tracing::warn!(kind = kind.cache_name(), error = %e, "watch failed; retrying");
                continue;
            }
        };
        state.readiness.healthy(kind.cache_name());
        let value = |object| to_value(&resource, kind.kind, object);
        match event {
            watcher::Event::Init => listing = Some(Vec::new()),
            watcher::Event::InitApply(object) => listing.get_or_insert_with(Vec::new).extend(value(object)),
            watcher::Event::InitDone => taker.relisted(listing.take().unwrap_or_default()),
            watcher::Event::Apply(object) => taker.applied(value(object)),
            watcher::Event::Delete(object) => taker.deleted(value(object)),
        }
    }
}

/// Takes one kind's watch events into the inventory, then tells the audit.
pub struct Taker<'a> {
    pub state: &'a State,
    pub audit: Option<&'a Notifier>,
    pub kind: &'static Kind,
}

impl Taker<'_> {
    fn inventory(&self) -> bool {
        self.kind.roles.inventory
    }

    fn audited(&self) -> Option<&Notifier> {
        self.audit.filter(|_| self.kind.roles.audited)
    }

    /// A complete (re)list replaces the kind's objects in one step.
    pub fn relisted(&self, objects: Vec<Value>) {
        if self.inventory() {
            let mut inventory = self.state.write_inventory();
            inventory.clear(self.kind);
            for object in objects.iter().filter(|o| self.kept(o)) {
                add(&mut inventory, self.kind, object);
            }
        }
        self.state.readiness.synced(self.kind.cache_name());
        tracing::info!(kind = self.kind.cache_name(), "cache synced");
        if let Some(audit) = self.audit {
            if self.inventory() {
                audit.send(Change::InventoryRelisted(self.kind.cache_name()));
            }
            if self.audited().is_some() {
                let subjects = objects.into_iter().filter_map(|o| subject(self.kind, o)).collect();
                audit.send(Change::Relisted { kind: self.kind.cache_name(), subjects });
            }
        }
    }

    pub fn applied(&self, object: Option<Value>) {
        let Some(object) = object else { return };
        let Some((namespace, name)) = identity(self.kind, &object) else { return };
        let touched = self.inventory().then(|| (touched(self.kind, &namespace, &name), fingerprint(&object)));
        if self.inventory() {
            let mut inventory = self.state.write_inventory();
            match self.kept(&object) {
                true => add(&mut inventory, self.kind, &object),
                false => inventory.remove(self.kind, &namespace, &name),
            }
        }
        if let (Some(audit), Some((Some(touched), fingerprint))) = (self.audit, touched) {
            audit.send(Change::Touched { touched, fingerprint: Some(fingerprint) });
        }
        if let Some(audit) = self.audited() {
            match subject(self.kind, object) {
                Some(subject) => audit.send(Change::Upsert(Box::new(subject))),
                // Now owned by a controller, or no longer readable: no longer audited itself.
                None => audit.send(Change::Remove(Key::new(self.kind.cache_name(), &namespace, &name))),
            }
        }
    }

    pub fn deleted(&self, object: Option<Value>) {
        let Some((namespace, name)) = object.as_ref().and_then(|o| identity(self.kind, o)) else { return };
        if self.inventory() {
            self.state.write_inventory().remove(self.kind, &namespace, &name);
        }
        if let (Some(audit), true, Some(touched)) =
            (self.audit, self.inventory(), touched(self.kind, &namespace, &name))
        {
            audit.send(Change::Touched { touched, fingerprint: None });
        }
        if let Some(audit) = self.audited() {
            audit.send(Change::Remove(Key::new(self.kind.cache_name(), &namespace, &name)));
        }
    }

    /// Whether the inventory keeps this object: pods only until they are scheduled (the
    /// inventory holds them for bindings), everything else always.
    fn kept(&self, object: &Value) -> bool {
        self.kind.reading != Reading::Pod
            || object.pointer("/spec/nodeName").and_then(Value::as_str).is_none_or(str::is_empty)
    }
}

fn add(inventory: &mut Inventory, kind: &'static Kind, object: &Value) {
    if let Err(e) = inventory.add(object) {
        tracing::warn!(kind = kind.cache_name(), error = %e, "not kept in the inventory");
    }
}

/// An object's namespace ("" for cluster-scoped kinds, `default` when unset) and name.
fn identity(kind: &Kind, object: &Value) -> Option<(String, String)> {
    let meta = object.get("metadata")?;
    let name = meta.get("name").and_then(Value::as_str).filter(|n| !n.is_empty())?;
    let namespace = match kind.namespaced() {
        true => meta
            .get("namespace")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .unwrap_or(crate::object::DEFAULT_NAMESPACE),
        false => "",
    };
    Some((namespace.to_string(), name.to_string()))
}

/// What the audit hears about an inventory object: typed kinds by name, kept ones whole.
fn touched(kind: &'static Kind, namespace: &str, name: &str) -> Option<Touched> {
    match kind.reading.typed_inventory() {
        true => Touched::of(kind.kind, namespace, name),
        false => Some(Touched::Kept { kind, namespace: namespace.to_string(), name: name.to_string() }),
    }
}

/// The audit's view of an object: what it reads, without status or annotations (but a
/// store's, which may name its region). Objects a controller owns (left to their owner) and
/// unreadable ones are not audited themselves.
fn subject(kind: &'static Kind, mut object: Value) -> Option<Subject> {
    let store = matches!(kind.reading, Reading::Store(_));
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut).filter(|_| !store) {
            meta.remove("annotations");
        }
    }
    match Subject::from_value(&object) {
        Ok(subject) => Some(subject),
        Err(SubjectError::Owned(_)) => None,
        Err(e) => {
            tracing::debug!(kind = kind.cache_name(), error = %e, "not audited");
            None
        }
    }
}

/// A hash of what evaluation can read of an object: its labels, annotations and
/// everything but status and bookkeeping, so status updates and heartbeats hash the same.
pub fn fingerprint(object: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        let meta = map.get("metadata").cloned().unwrap_or_default();
        let kept = serde_json::json!({ "labels": meta.get("labels"), "annotations": meta.get("annotations") });
        map.insert("metadata".into(), kept);
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    object.to_string().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::policy::PolicySet;
    use crate::state::Readiness;

    fn state() -> State {
        let readiness = Readiness::new(Duration::from_secs(30));
        for kind in kinds(true) {
            readiness.register(kind.cache_name());
        }
        State::new(PolicySet::default(), Inventory::default(), readiness)
    }

    fn pod(name: &str, node: Option<&str>) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": "gov", "labels": { "app": "x" }, "annotations": { "a": "b" } },
            "spec": { "nodeName": node, "containers": [{ "name": "c", "image": "i" }],
                      "volumes": [{ "name": "d", "persistentVolumeClaim": { "claimName": "data" } }] },
            "status": { "phase": "Pending" }
        })
    }

    fn drain(changes: &mut tokio::sync::mpsc::UnboundedReceiver<Change>) -> Vec<Change> {
        std::iter::from_fn(|| changes.try_recv().ok()).collect()
    }

    #[test]
    fn the_inventory_and_the_audit_share_one_watch_of_pods() {
        let (state, (notifier, mut changes)) = (state(), Notifier::channel());
        let taker = Taker { state: &state, audit: Some(&notifier), kind: kinds::find("", "Pod").unwrap() };
        taker.relisted(vec![pod("waiting", None), pod("running", Some("n1"))]);
        let inventory = state.read_inventory();
        assert!(inventory.pod("gov", "waiting").is_some(), "a pod not yet scheduled is kept for its binding");
        assert!(inventory.pod("gov", "running").is_none(), "a scheduled pod is not");
        drop(inventory);
        let seen = drain(&mut changes);
        assert!(matches!(seen[0], Change::InventoryRelisted("Pod")));
        let Change::Relisted { kind: "Pod", subjects } = &seen[1] else { panic!("{seen:?}") };
        assert_eq!(subjects.len(), 2, "the audit judges every pod, scheduled or not");

        // Scheduled: out of the inventory, still audited.
        taker.applied(Some(pod("waiting", Some("n2"))));
        assert!(state.read_inventory().pod("gov", "waiting").is_none());
        let seen = drain(&mut changes);
        let Some(Change::Upsert(subject)) = seen.last() else { panic!("{seen:?}") };
        assert_eq!(subject.node.as_deref(), Some("n2"));

        taker.deleted(Some(pod("running", Some("n1"))));
        let seen = drain(&mut changes);
        assert!(matches!(seen.last(), Some(Change::Remove(key)) if key.name == "running"));
        assert!(state.readiness.check().unwrap_err().iter().all(|p| !p.contains("Pod ")));
    }

    #[test]
    fn a_relist_replaces_a_kind_and_tells_the_audit_what_it_touched() {
        let (state, (notifier, mut changes)) = (state(), Notifier::channel());
        let kind = kinds::find("", "PersistentVolume").unwrap();
        let taker = Taker { state: &state, audit: Some(&notifier), kind };
        let pv = |name: &str, class: &str| {
            json!({ "apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": { "name": name, "annotations": { "big": "x".repeat(1000) }, "managedFields": [{}] },
                    "spec": { "storageClassName": class, "claimRef": { "namespace": "a", "name": "b" },
                              "nfs": { "server": "s", "path": "/p" } },
                    "status": { "phase": "Bound" } })
        };
        taker.applied(Some(pv("stale", "x")));
        taker.relisted(vec![pv("pv", "fast")]);
        let inventory = state.read_inventory();
        assert!(inventory.volume("stale").is_none(), "a relist forgets objects deleted meanwhile");
        // The compact form, as files give it: name, class, claim; no annotations or status.
        let kept = inventory.volume("pv").unwrap();
        assert_eq!((kept.meta.name.as_deref(), kept.storage_class_name.as_deref()), (Some("pv"), Some("fast")));
        let claim = kept.claim_ref.as_ref().unwrap();
        assert_eq!((claim.namespace.as_deref(), claim.name.as_deref()), (Some("a"), Some("b")));
        drop(inventory);

        drain(&mut changes);
        taker.applied(Some(pv("pv", "slow")));
        let seen = drain(&mut changes);
        assert!(
            seen.iter().any(|c| matches!(c, Change::Touched { touched: Touched::PersistentVolume(n), fingerprint: Some(_) } if n == "pv")),
            "{seen:?}"
        );
        assert!(seen.iter().any(|c| matches!(c, Change::Upsert(_))), "a volume is audited too");
        taker.deleted(Some(pv("pv", "slow")));
        assert!(state.read_inventory().volumes().next().is_none());
        let seen = drain(&mut changes);
        assert!(seen.iter().any(|c| matches!(c, Change::Touched { fingerprint: None, .. })));
    }

    #[test]
    fn without_the_audit_workloads_are_not_watched() {
        assert!(kinds(false).all(|k| k.roles.inventory));
        assert!(kinds(true).any(|k| k.kind == "Deployment"));
        assert!(!kinds(true).any(|k| k.kind == "Namespace"), "labels only: watched metadata-only");
    }

    #[test]
    fn status_and_bookkeeping_do_not_change_the_fingerprint() {
        let a = json!({
            "metadata": { "name": "a", "resourceVersion": "1", "labels": { "x": "1" } },
            "spec": { "region": "eu-central-1" }, "status": { "phase": "Ready" }
        });
        let mut b = a.clone();
        b["metadata"]["resourceVersion"] = "2".into();
        b["status"]["phase"] = "Syncing".into();
        assert_eq!(fingerprint(&a), fingerprint(&b));
        b["spec"]["region"] = "us-east-1".into();
        assert_ne!(fingerprint(&a), fingerprint(&b), "a moved location is a change");
        let mut c = a.clone();
        c["metadata"]["labels"]["x"] = "2".into();
        assert_ne!(fingerprint(&a), fingerprint(&c), "a relabel is a change");
    }
}
