//! Watches the objects the audit judges (every Pod, workload, claim and volume) and hands
//! them to the controller. Kinds the API server does not serve are skipped.

use futures::StreamExt;
use kube::Client;
use kube::api::{Api, DynamicObject};
use kube::core::GroupVersionKind;
use kube::discovery::{self, ApiResource};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;

use super::subject::{Subject, SubjectError};
use super::{Change, Notifier};
use crate::kinds::{self, Kind};

/// Finds which audited kinds the server serves and starts a watcher for each. Returns
/// the kinds watched.
pub async fn start(client: Client, notifier: Notifier) -> Vec<&'static str> {
    let mut watched = Vec::new();
    for known in kinds::with(|roles| roles.audited) {
        match served(&client, known).await {
            Some(resource) => {
                watched.push(known.cache_name());
                tokio::spawn(watch(client.clone(), resource, known, notifier.clone()));
            }
            None => {
                tracing::info!(kind = known.kind, group = known.group, "not served by this API server; not audited")
            }
        }
    }
    watched
}

/// The resource of the first of a kind's versions the API server serves.
pub(crate) async fn served(client: &Client, known: &Kind) -> Option<ApiResource> {
    for version in known.versions {
        let gvk = GroupVersionKind::gvk(known.group, version, known.kind);
        if let Ok((resource, _)) = discovery::pinned_kind(client, &gvk).await {
            return Some(resource);
        }
    }
    None
}

async fn watch(client: Client, resource: ApiResource, known: &'static Kind, notifier: Notifier) {
    let kind = known.kind;
    let api: Api<DynamicObject> = Api::all_with(client, &resource);
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    let mut stream = std::pin::pin!(stream);
    let mut listing: Option<Vec<Subject>> = None;
    while let Some(event) = stream.next().await {
        match event {
            Ok(watcher::Event::Init) => listing = Some(Vec::new()),
            Ok(watcher::Event::InitApply(object)) => {
                if let Some(subject) = read(&resource, kind, object) {
                    listing.get_or_insert_with(Vec::new).push(subject);
                }
            }
            Ok(watcher::Event::InitDone) => {
                let kind = known.cache_name();
                notifier.send(Change::Relisted { kind, subjects: listing.take().unwrap_or_default() });
            }
            Ok(watcher::Event::Apply(object)) => {
                if let Some(subject) = read(&resource, kind, object) {
                    notifier.send(Change::Upsert(Box::new(subject)));
                }
            }
            Ok(watcher::Event::Delete(object)) => {
                let namespace = match known.namespaced() {
                    true => object.metadata.namespace.as_deref().unwrap_or(crate::object::DEFAULT_NAMESPACE),
                    false => "",
                };
                let name = object.metadata.name.as_deref().unwrap_or_default();
                notifier.send(Change::Remove(super::Key::new(known.cache_name(), namespace, name)));
            }
            Err(e) => tracing::warn!(kind, error = %e, "audit watch failed; retrying"),
        }
    }
}

/// Trims what the audit never reads (status, managed fields, annotations but a store's, which
/// may name its region) and parses the rest.
fn read(resource: &ApiResource, kind: &str, mut object: DynamicObject) -> Option<Subject> {
    let store = kinds::find(&resource.group, kind).is_some_and(|k| matches!(k.reading, kinds::Reading::Store(_)));
    if !store {
        object.metadata.annotations = None;
    }
    if let Some(data) = object.data.as_object_mut() {
        data.remove("status");
    }
    let name = object.metadata.name.clone();
    let value = to_value(resource, kind, object)?;
    match Subject::from_value(&value) {
        Ok(subject) => Some(subject),
        Err(SubjectError::Owned(_)) => None,
        Err(e) => {
            tracing::debug!(kind, ?name, error = %e, "not audited");
            None
        }
    }
}

/// An object as JSON, without managed fields, with the apiVersion and kind that list
/// items come without.
pub(crate) fn to_value(resource: &ApiResource, kind: &str, mut object: DynamicObject) -> Option<Value> {
    object.metadata.managed_fields = None;
    let mut value = serde_json::to_value(&object).ok()?;
    value["apiVersion"] = Value::String(resource.api_version.clone());
    value["kind"] = Value::String(kind.to_string());
    Some(value)
}
