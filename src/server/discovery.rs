//! What the API server serves, and its objects as JSON: for the watchers and the live
//! `report`, which read kinds that may not be installed.

use kube::Client;
use kube::api::DynamicObject;
use kube::core::GroupVersionKind;
use kube::discovery::{self, ApiResource};
use serde_json::Value;

use crate::kinds::Kind;

/// The resource of the first of a kind's versions the API server serves.
pub async fn served(client: &Client, kind: &Kind) -> Option<ApiResource> {
    for version in kind.versions {
        let gvk = GroupVersionKind::gvk(kind.group, version, kind.kind);
        if let Ok((resource, _)) = discovery::pinned_kind(client, &gvk).await {
            return Some(resource);
        }
    }
    None
}

/// An object as JSON, without managed fields, with the apiVersion and kind that list
/// items come without.
pub fn to_value(resource: &ApiResource, kind: &str, mut object: DynamicObject) -> Option<Value> {
    object.metadata.managed_fields = None;
    let mut value = serde_json::to_value(&object).ok()?;
    value["apiVersion"] = Value::String(resource.api_version.clone());
    value["kind"] = Value::String(kind.to_string());
    Some(value)
}
