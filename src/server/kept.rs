//! Cluster mode: watchers for the kinds the inventory keeps whole (custom resources such as
//! VolumeSnapshotClasses or cloud stores). A kind is watched only when the API server
//! serves it; until then it is looked for again every few minutes, and `/readyz` does not
//! wait for it.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use crate::audit::{Change, Notifier, Touched};
use crate::kinds::{self, Kind};
use crate::state::State;

/// How often a kind the API server does not serve is looked for again (its CRD may be
/// installed after sovereign starts).
const REDISCOVER: Duration = Duration::from_secs(300);

/// Starts one watcher per kind kept whole.
pub fn start(client: &Client, state: &Arc<State>, audit: &Option<Notifier>) {
    for kind in kinds::kept_whole() {
        tokio::spawn(watch(client.clone(), state.clone(), audit.clone(), kind));
    }
}

async fn watch(client: Client, state: Arc<State>, audit: Option<Notifier>, kind: &'static Kind) {
    let resource = loop {
        match crate::audit::served(&client, kind).await {
            Some(resource) => break resource,
            None => {
                tracing::info!(kind = kind.kind, group = kind.group, "not served by this API server; not watched");
                // Nothing to wait for: an unserved kind has no objects.
                state.readiness.synced(kind.cache_name());
                tokio::time::sleep(REDISCOVER).await;
            }
        }
    };
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let mut stream = std::pin::pin!(watcher(api, watcher::Config::default()).default_backoff());
    let mut listing: Option<Vec<Value>> = None;
    let mut taker = Taker { state: &state, audit: audit.as_ref(), kind };
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
        let value = |object| crate::audit::to_value(&resource, kind.kind, object);
        match event {
            watcher::Event::Init => listing = Some(Vec::new()),
            watcher::Event::InitApply(object) => listing.get_or_insert_with(Vec::new).extend(value(object)),
            watcher::Event::InitDone => taker.relisted(listing.take().unwrap_or_default()),
            watcher::Event::Apply(object) => taker.applied(value(object)),
            watcher::Event::Delete(object) => taker.deleted(value(object)),
        }
    }
}

/// Takes watch events into the inventory, then tells the audit.
struct Taker<'a> {
    state: &'a State,
    audit: Option<&'a Notifier>,
    kind: &'static Kind,
}

impl Taker<'_> {
    fn relisted(&mut self, objects: Vec<Value>) {
        {
            let mut inventory = self.state.write_inventory();
            inventory.forget_all(self.kind);
            for object in objects {
                inventory.keep(self.kind, object);
            }
        }
        self.state.readiness.synced(self.kind.cache_name());
        tracing::info!(kind = self.kind.cache_name(), "cache synced");
        if let Some(audit) = self.audit {
            audit.send(Change::InventoryRelisted(self.kind.kind));
        }
    }

    fn applied(&mut self, object: Option<Value>) {
        let Some(object) = object else { return };
        let (touched, fingerprint) = (self.touched(&object), fingerprint(&object));
        self.state.write_inventory().keep(self.kind, object);
        self.tell(touched, Some(fingerprint));
    }

    fn deleted(&mut self, object: Option<Value>) {
        let Some(object) = object else { return };
        let touched = self.touched(&object);
        if let Some(Touched::Kept { namespace, name, .. }) = &touched {
            self.state.write_inventory().forget(self.kind, namespace, name);
        }
        self.tell(touched, None);
    }

    fn touched(&self, object: &Value) -> Option<Touched> {
        let meta = object.get("metadata")?;
        let name = meta.get("name").and_then(Value::as_str)?.to_string();
        let namespace = meta.get("namespace").and_then(Value::as_str).unwrap_or_default().to_string();
        Some(Touched::Kept { kind: self.kind, namespace, name })
    }

    fn tell(&self, touched: Option<Touched>, fingerprint: Option<u64>) {
        if let (Some(audit), Some(touched)) = (self.audit, touched) {
            audit.send(Change::Touched { touched, fingerprint });
        }
    }
}

/// A hash of what evaluation can read of a kept object: its labels, annotations and
/// everything but status and bookkeeping, so status updates hash the same.
pub(super) fn fingerprint(object: &Value) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        let meta = map.get("metadata").cloned().unwrap_or_default();
        map.insert(
            "metadata".into(),
            serde_json::json!({ "labels": meta.get("labels"), "annotations": meta.get("annotations") }),
        );
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    object.to_string().hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_bookkeeping_do_not_change_the_fingerprint() {
        let a = serde_json::json!({
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
