//! Cluster mode: kube-rs watchers feed the inventory, the policy index and the audit.
//! Requests never wait on them; a relist replaces a kind's objects in one step. Namespaces
//! and Nodes are watched metadata-only; every other kind through `objects.rs`, one watch
//! per kind shared by the inventory and the audit.

use std::collections::BTreeMap;
use std::sync::Arc;

use futures::{Stream, StreamExt, future::BoxFuture};
use k8s_openapi::api::core::v1::{Namespace, Node, Pod};
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use serde::Serialize;
use serde_json::Value;

use crate::audit::{Change, Notifier, Touched};
use crate::evaluate::Held;
use crate::inventory::Tracked;
use crate::policy::{SovereigntyException, SovereigntyPolicy};
use crate::state::{PodSource, State};

pub const POLICIES: &str = "SovereigntyPolicy";
pub const EXCEPTIONS: &str = "SovereigntyException";

/// Every cache `/readyz` waits for in cluster mode: the kinds the table marks watched
/// (those the API server does not serve are marked synced once discovery says so).
pub fn sources() -> impl Iterator<Item = &'static str> {
    crate::kinds::with(|roles| roles.watched).map(|k| k.cache_name())
}

/// Starts every watcher; each runs until the process ends, retrying with backoff. With
/// `audit`, each also tells the audit what changed once the inventory has taken it, and
/// the audited kinds are watched too.
pub fn start(client: Client, state: Arc<State>, audit: Option<Notifier>) {
    let config = watcher::Config::default;
    let to = |state: &Arc<State>| (state.clone(), audit.clone());
    spawn_inventory(to(&state), watcher(Api::<PartialObjectMeta<Namespace>>::all(client.clone()), config()));
    spawn_inventory(to(&state), watcher(Api::<PartialObjectMeta<Node>>::all(client.clone()), config()));
    super::objects::start(&client, &state, &audit);
    let exceptions_client = client.clone();
    let exceptions_state = state.clone();
    let exceptions_audit = audit.clone();
    tokio::spawn(async move {
        let (client, state) = (exceptions_client, exceptions_state);
        // A cluster upgraded from a chart without the exception CRD (Helm does not add CRDs
        // on upgrade) has no exceptions: never hold readiness, and so admission, on it.
        let kind = crate::kinds::find("sovereignty.io", EXCEPTIONS).expect("the table has SovereigntyException");
        while super::discovery::served(&client, kind).await.is_none() {
            tracing::info!("SovereigntyException is not served (its CRD is not installed): no exception applies");
            state.readiness.synced(EXCEPTIONS);
            tokio::time::sleep(std::time::Duration::from_secs(300)).await;
        }
        let exceptions = watcher(Api::<SovereigntyException>::all(client), config()).default_backoff();
        let mut stream = std::pin::pin!(exceptions);
        let mut store = ExceptionStore { audit: exceptions_audit, ..ExceptionStore::default() };
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    state.readiness.healthy(EXCEPTIONS);
                    store.apply(&state, event);
                }
                Err(e) => watch_failed(&state, EXCEPTIONS, &e),
            }
        }
    });
    let policies = watcher(Api::<SovereigntyPolicy>::all(client), config()).default_backoff();
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(policies);
        let mut store = PolicyStore { audit, ..PolicyStore::default() };
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    state.readiness.healthy(POLICIES);
                    store.apply(&state, event);
                }
                Err(e) => watch_failed(&state, POLICIES, &e),
            }
        }
    });
}

fn spawn_inventory<K, S>((state, audit): (Arc<State>, Option<Notifier>), stream: S)
where
    K: Tracked + Serialize + Send + 'static,
    S: Stream<Item = Result<watcher::Event<K>, watcher::Error>> + Send + 'static,
{
    tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream.default_backoff());
        let mut buffer = None;
        while let Some(item) = stream.next().await {
            match item {
                Ok(event) => {
                    state.readiness.healthy(K::KIND);
                    let change = audit.as_ref().and_then(|_| audit_change(&event));
                    apply(&state, &mut buffer, event);
                    if let (Some(audit), Some(change)) = (&audit, change) {
                        audit.send(change);
                    }
                }
                Err(e) => watch_failed(&state, K::KIND, &e),
            }
        }
    });
}

fn watch_failed(state: &State, kind: &'static str, error: &dyn std::fmt::Display) {
    state.readiness.failing(kind);
    state.metrics.error("watch");
    tracing::warn!(kind, error = %error, "watch failed; retrying");
}

/// Applies one watch event to the inventory. During a (re)list, objects are buffered and
/// replace the kind's previous objects at once when the list is complete.
pub fn apply<K: Tracked>(state: &State, buffer: &mut Option<Vec<K>>, event: watcher::Event<K>) {
    match event {
        watcher::Event::Init => *buffer = Some(Vec::new()),
        watcher::Event::InitApply(object) => buffer.get_or_insert_with(Vec::new).push(object),
        watcher::Event::InitDone => {
            {
                let mut inventory = state.write_inventory();
                K::clear(&mut inventory);
                for object in buffer.take().unwrap_or_default() {
                    object.insert_into(&mut inventory);
                }
            }
            state.readiness.synced(K::KIND);
            tracing::info!(kind = K::KIND, "cache synced");
        }
        watcher::Event::Apply(object) => object.insert_into(&mut state.write_inventory()),
        watcher::Event::Delete(object) => object.remove_from(&mut state.write_inventory()),
    }
}

/// What the audit needs to hear about an inventory event (sent after the inventory took it).
fn audit_change<K: Tracked + Serialize>(event: &watcher::Event<K>) -> Option<Change> {
    let (object, deleted) = match event {
        watcher::Event::InitDone => return Some(Change::InventoryRelisted(K::KIND)),
        watcher::Event::Apply(object) => (object, false),
        watcher::Event::Delete(object) => (object, true),
        watcher::Event::Init | watcher::Event::InitApply(_) => return None,
    };
    let touched = Touched::of(K::KIND, object.namespace(), object.name()?)?;
    Some(Change::Touched { touched, fingerprint: (!deleted).then(|| fingerprint(object)) })
}

/// A hash of what evaluation can read: labels, annotations and spec, not status or
/// bookkeeping (resourceVersion, managedFields), so heartbeats hash the same.
fn fingerprint<K: Tracked + Serialize>(object: &K) -> u64 {
    super::objects::fingerprint(&serde_json::to_value(object).unwrap_or_default())
}

/// The policies seen so far; every change recompiles the index and swaps it in.
#[derive(Default)]
pub struct PolicyStore {
    policies: BTreeMap<String, SovereigntyPolicy>,
    listing: Option<BTreeMap<String, SovereigntyPolicy>>,
    synced: bool,
    /// Where to tell the audit about policy changes, when it runs.
    audit: Option<Notifier>,
}

impl PolicyStore {
    pub fn apply(&mut self, state: &State, event: watcher::Event<SovereigntyPolicy>) {
        let name = |p: &SovereigntyPolicy| p.metadata.name.clone().unwrap_or_default();
        match event {
            watcher::Event::Init => self.listing = Some(BTreeMap::new()),
            watcher::Event::InitApply(p) => {
                self.listing.get_or_insert_with(BTreeMap::new).insert(name(&p), p);
            }
            watcher::Event::InitDone => {
                self.policies = self.listing.take().unwrap_or_default();
                self.synced = true;
                self.publish(state);
                state.readiness.synced(POLICIES);
                if let Some(audit) = &self.audit {
                    audit.send(Change::PoliciesRelisted(self.policies.values().cloned().collect()));
                }
            }
            watcher::Event::Apply(p) => {
                let old = self.policies.insert(name(&p), p.clone());
                // The audit writing a status changes nothing the index holds.
                let same =
                    old.as_ref().is_some_and(|o| o.spec == p.spec && o.metadata.generation == p.metadata.generation);
                if !same {
                    self.publish(state);
                }
                self.tell_audit(old, Some(p));
            }
            watcher::Event::Delete(p) => {
                let old = self.policies.remove(&name(&p));
                self.publish(state);
                self.tell_audit(old, None);
            }
        }
    }

    fn tell_audit(&self, old: Option<SovereigntyPolicy>, new: Option<SovereigntyPolicy>) {
        if let (Some(audit), true) = (&self.audit, self.synced) {
            audit.send(Change::Policy { old: old.map(Box::new), new: new.map(Box::new) });
        }
    }

    fn publish(&self, state: &State) {
        if self.synced {
            state.set_policies(self.policies.values().cloned().collect());
        }
    }
}

/// The SovereigntyExceptions seen so far; every change that can alter what they allow
/// (spec, or the requester recorded in status) recompiles the index.
#[derive(Default)]
pub struct ExceptionStore {
    exceptions: BTreeMap<(String, String), SovereigntyException>,
    listing: Option<BTreeMap<(String, String), SovereigntyException>>,
    synced: bool,
    /// Where to tell the audit that exceptions changed or expired, when it runs.
    audit: Option<Notifier>,
    /// Wakes the audit at each coming expiry (replaced on every change).
    expiries: Option<tokio::task::JoinHandle<()>>,
}

impl ExceptionStore {
    pub fn apply(&mut self, state: &State, event: watcher::Event<SovereigntyException>) {
        let key = |e: &SovereigntyException| {
            (e.metadata.namespace.clone().unwrap_or_default(), e.metadata.name.clone().unwrap_or_default())
        };
        match event {
            watcher::Event::Init => self.listing = Some(BTreeMap::new()),
            watcher::Event::InitApply(e) => {
                self.listing.get_or_insert_with(BTreeMap::new).insert(key(&e), e);
            }
            watcher::Event::InitDone => {
                self.exceptions = self.listing.take().unwrap_or_default();
                self.synced = true;
                self.publish(state);
                state.readiness.synced(EXCEPTIONS);
            }
            watcher::Event::Apply(e) => {
                let requester = |e: &SovereigntyException| e.requester().map(str::to_string);
                let old = self.exceptions.insert(key(&e), e.clone());
                let same = old.as_ref().is_some_and(|o| {
                    o.spec == e.spec && requester(o) == requester(&e) && o.metadata.namespace == e.metadata.namespace
                });
                if !same {
                    self.publish(state);
                }
            }
            watcher::Event::Delete(e) => {
                self.exceptions.remove(&key(&e));
                self.publish(state);
            }
        }
    }

    fn publish(&mut self, state: &State) {
        if !self.synced {
            return;
        }
        state.set_exceptions(self.exceptions.values().cloned().collect());
        let Some(audit) = &self.audit else { return };
        audit.send(Change::Exceptions);
        // Expiry is enforced at the instant (SPEC §14): admission reads the clock on every
        // request; the audit is woken at each expiry instead of waiting for its period.
        let now = std::time::SystemTime::now();
        let mut coming: Vec<std::time::SystemTime> = self
            .exceptions
            .values()
            .map(|e| std::time::SystemTime::from(e.spec.expires.0))
            .filter(|at| *at > now)
            .collect();
        coming.sort();
        coming.dedup();
        if let Some(previous) = self.expiries.take() {
            previous.abort();
        }
        if coming.is_empty() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let audit = audit.clone();
        self.expiries = Some(tokio::spawn(async move {
            for at in coming {
                let wait = at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                tokio::time::sleep(wait).await;
                tracing::info!("a SovereigntyException expired; re-judging what it covered");
                audit.send(Change::Exceptions);
            }
        }));
    }
}

/// Reads a pod from the API server, for bindings that beat the watch.
pub struct LivePods(pub Client);

impl PodSource for LivePods {
    fn fetch<'a>(&'a self, namespace: &'a str, name: &'a str) -> BoxFuture<'a, Result<Option<Value>, String>> {
        Box::pin(async move {
            let pod =
                Api::<Pod>::namespaced(self.0.clone(), namespace).get_opt(name).await.map_err(|e| e.to_string())?;
            pod.map(|pod| serde_json::to_value(pod).map_err(|e| e.to_string())).transpose()
        })
    }

    fn list<'a>(&'a self, namespace: Option<&'a str>) -> BoxFuture<'a, Result<Vec<Held>, String>> {
        Box::pin(async move {
            let api = match namespace {
                Some(ns) => Api::<Pod>::namespaced(self.0.clone(), ns),
                None => Api::<Pod>::all(self.0.clone()),
            };
            let mut held = Vec::new();
            let mut params = kube::api::ListParams::default().limit(500);
            loop {
                let page = api.list_metadata(&params).await.map_err(|e| e.to_string())?;
                held.extend(page.items.into_iter().map(|pod| Held {
                    kind: "Pod".into(),
                    namespace: pod.metadata.namespace,
                    name: pod.metadata.name.unwrap_or_default(),
                    labels: pod.metadata.labels.unwrap_or_default(),
                }));
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(token) => params = params.continue_token(&token),
                    None => return Ok(held),
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use watcher::Event;

    use super::*;
    use crate::inventory::Inventory;
    use crate::policy::PolicySet;
    use crate::state::Readiness;

    fn state() -> State {
        let readiness = Readiness::new(Duration::from_secs(30));
        for source in sources() {
            readiness.register(source);
        }
        State::new(PolicySet::default(), Inventory::default(), readiness)
    }

    fn node(name: &str, region: &str) -> PartialObjectMeta<Node> {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "PartialObjectMetadata",
            "metadata": { "name": name, "labels": { "topology.kubernetes.io/region": region } }
        }))
        .unwrap()
    }

    fn policy(name: &str, class: &str) -> SovereigntyPolicy {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sovereignty.io/v1alpha1",
            "kind": "SovereigntyPolicy",
            "metadata": { "name": name },
            "spec": {
                "jurisdictions": [{ "name": "ID", "countries": ["ID"] }],
                "dataClasses": [{ "name": class, "allowedJurisdictions": ["ID"] }]
            }
        }))
        .unwrap()
    }

    #[test]
    fn the_watchers_started_are_the_kinds_the_table_marks_watched() {
        let started = [
            POLICIES,
            EXCEPTIONS,
            <PartialObjectMeta<Namespace> as Tracked>::KIND,
            <PartialObjectMeta<Node> as Tracked>::KIND,
        ];
        let inventory = super::super::objects::kinds(false).map(|k| k.cache_name());
        let mut started: Vec<&str> = started.into_iter().chain(inventory).collect();
        started.sort();
        let mut watched: Vec<&str> = sources().collect();
        watched.sort();
        assert_eq!(started, watched);
    }

    #[test]
    fn a_list_replaces_the_kind_only_when_complete() {
        let state = state();
        let mut buffer = None;
        apply(&state, &mut buffer, Event::Apply(node("stale", "us-east-1")));
        apply(&state, &mut buffer, Event::Init);
        apply(&state, &mut buffer, Event::InitApply(node("jkt-1", "ap-southeast-3")));
        assert!(state.read_inventory().node("stale").is_some(), "old objects serve until the list is done");
        assert!(state.readiness.check().unwrap_err().iter().any(|p| p.contains("Node cache not synced")));
        apply(&state, &mut buffer, Event::InitDone);
        let inventory = state.read_inventory();
        assert!(inventory.node("stale").is_none(), "a relist forgets objects deleted meanwhile");
        assert_eq!(inventory.node("jkt-1").unwrap()["topology.kubernetes.io/region"], "ap-southeast-3");
        drop(inventory);
        assert!(!state.readiness.check().unwrap_err().iter().any(|p| p.contains("Node")));
    }

    #[test]
    fn applies_and_deletes_update_in_place() {
        let state = state();
        let mut buffer = None;
        apply(&state, &mut buffer, Event::Apply(node("n", "ap-southeast-3")));
        apply(&state, &mut buffer, Event::Apply(node("n", "us-east-1")));
        assert_eq!(state.read_inventory().node("n").unwrap()["topology.kubernetes.io/region"], "us-east-1");
        apply(&state, &mut buffer, Event::Delete(node("n", "us-east-1")));
        assert!(state.read_inventory().nodes().next().is_none());
    }

    #[test]
    fn policies_compile_after_the_first_list_and_on_every_change() {
        let state = state();
        let mut store = PolicyStore::default();
        store.apply(&state, Event::Init);
        store.apply(&state, Event::InitApply(policy("a", "pii")));
        assert!(state.policies.load().is_empty(), "nothing is published before the list completes");
        store.apply(&state, Event::InitDone);
        assert!(state.policies.load().classes.contains_key("pii"));

        store.apply(&state, Event::Apply(policy("b", "pii")));
        let set = state.policies.load();
        assert_eq!(set.rejected.len(), 1, "a clashing policy is rejected, the first keeps working");
        assert_eq!(set.policies[0].name, "a");

        store.apply(&state, Event::Delete(policy("a", "pii")));
        let set = state.policies.load();
        assert_eq!(set.policies.len(), 1);
        assert_eq!(set.policies[0].name, "b", "once a is gone, b's class is no longer a clash");
    }

    fn exception(name: &str, policy: &str) -> SovereigntyException {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "sovereignty.io/v1alpha1",
            "kind": "SovereigntyException",
            "metadata": { "name": name, "namespace": "compliance" },
            "spec": {
                "policy": policy, "dataClasses": ["pii"], "match": { "namespaces": ["analytics"] },
                "allowedRegions": ["us-east-1"],
                "legalBasis": { "type": "Adequacy", "reference": "C(2023) 4745" },
                "justification": "EU-US Data Privacy Framework adequacy decision.",
                "approvedBy": "dpo@example.eu", "expires": "2030-01-01T00:00:00Z"
            }
        }))
        .unwrap()
    }

    #[test]
    fn exceptions_are_compiled_against_the_policies_whichever_arrives_first() {
        let state = state();
        let mut exceptions = ExceptionStore::default();
        exceptions.apply(&state, Event::Init);
        exceptions.apply(&state, Event::InitApply(exception("scc", "a")));
        assert!(state.policies.load().exceptions.is_empty(), "nothing is published before the list completes");
        exceptions.apply(&state, Event::InitDone);
        let set = state.policies.load();
        assert_eq!(set.exceptions[0].name, "scc");
        assert_eq!(set.exceptions[0].policy_index, None, "its policy has not arrived yet");

        let mut policies = PolicyStore::default();
        policies.apply(&state, Event::Init);
        policies.apply(&state, Event::InitApply(policy("a", "pii")));
        policies.apply(&state, Event::InitDone);
        let set = state.policies.load();
        assert_eq!(set.exceptions[0].policy_index, Some(0), "recompiled with the policy");

        exceptions.apply(&state, Event::Delete(exception("scc", "a")));
        assert!(state.policies.load().exceptions.is_empty());
        assert!(state.policies.load().classes.contains_key("pii"), "the policies stay");
    }
}
