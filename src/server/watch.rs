//! Cluster mode: kube-rs watchers feed the inventory, the policy index and the audit.
//! Requests never wait on them; a relist replaces a kind's objects in one step. Namespaces
//! and Nodes are watched metadata-only; every other kind through `objects.rs`, one watch
//! per kind shared by the inventory and the audit.

use std::sync::Arc;

use futures::{Stream, StreamExt};
use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::core::PartialObjectMeta;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use serde::Serialize;

use super::policy_watch::{EXCEPTIONS, ExceptionStore, POLICIES, PolicyStore};
use crate::audit::{Change, Notifier, Touched};
use crate::inventory::Tracked;
use crate::policy::{SovereigntyException, SovereigntyPolicy};
use crate::state::State;

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
        let mut store = ExceptionStore::new(exceptions_audit);
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
        let mut store = PolicyStore::new(audit);
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
