//! Objects the inventory keeps whole: custom resources (VolumeSnapshotClasses, backup
//! locations, cloud stores, ...) that evaluation reads where it uses them. Kept as served,
//! without `metadata.managedFields`, by kind, namespace ("" for cluster-scoped kinds) and
//! name.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::Inventory;
use crate::kinds::Kind;

/// (group, kind) → (namespace, name) → object.
pub(super) type KeptObjects = HashMap<(&'static str, &'static str), BTreeMap<(String, String), Value>>;

impl Inventory {
    /// Keeps an object of a kind kept whole, replacing any previous version. Objects
    /// without a name are not kept. A namespaced object without a namespace is in `default`.
    pub fn keep(&mut self, kind: &'static Kind, mut object: Value) {
        let meta = object.get_mut("metadata").and_then(Value::as_object_mut);
        let Some(meta) = meta else { return };
        meta.remove("managedFields");
        let Some(name) = meta.get("name").and_then(Value::as_str).filter(|n| !n.is_empty()) else { return };
        let key = (namespace_of(kind, meta.get("namespace").and_then(Value::as_str)), name.to_string());
        self.kept.entry((kind.group, kind.kind)).or_default().insert(key, object);
    }

    /// Forgets one object of a kind kept whole.
    pub fn forget(&mut self, kind: &Kind, namespace: &str, name: &str) {
        let key = (namespace_of(kind, Some(namespace)), name.to_string());
        if let Some(objects) = self.kept.get_mut(&(kind.group, kind.kind)) {
            objects.remove(&key);
        }
    }

    /// Forgets every object of a kind kept whole (before a relist replaces them).
    pub fn forget_all(&mut self, kind: &Kind) {
        self.kept.remove(&(kind.group, kind.kind));
    }

    /// An object of a kind kept whole; `namespace` is "" for cluster-scoped kinds.
    pub fn kept(&self, kind: &Kind, namespace: &str, name: &str) -> Option<&Value> {
        let key = (namespace_of(kind, Some(namespace)), name.to_string());
        self.kept.get(&(kind.group, kind.kind))?.get(&key)
    }

    /// Every object of a kind kept whole, by namespace and name.
    pub fn kept_all(&self, kind: &Kind) -> impl Iterator<Item = &Value> {
        self.kept.get(&(kind.group, kind.kind)).into_iter().flat_map(BTreeMap::values)
    }
}

/// The namespace an object of the kind is kept under.
fn namespace_of(kind: &Kind, namespace: Option<&str>) -> String {
    match namespace.filter(|n| !n.is_empty()) {
        _ if !kind.namespaced() => String::new(),
        Some(namespace) => namespace.to_string(),
        None => super::DEFAULT_NAMESPACE.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::kinds;

    #[test]
    fn objects_are_kept_by_namespace_and_name_without_managed_fields() {
        // Any row serves as a key; namespaced and cluster-scoped rows differ in how the
        // namespace is kept.
        let namespaced = kinds::find("", "PersistentVolumeClaim").unwrap();
        let cluster = kinds::find("storage.k8s.io", "StorageClass").unwrap();
        let mut inventory = Inventory::default();
        inventory.keep(namespaced, json!({ "metadata": { "name": "a", "managedFields": [{}] }, "spec": { "x": 1 } }));
        inventory.keep(namespaced, json!({ "metadata": { "name": "a", "namespace": "b" } }));
        inventory.keep(cluster, json!({ "metadata": { "name": "c", "namespace": "ignored" } }));
        inventory.keep(cluster, json!({ "metadata": { "namespace": "x" } }));
        inventory.keep(cluster, json!("not an object"));

        let kept = inventory.kept(namespaced, "default", "a").expect("no namespace means default");
        assert_eq!(kept["spec"]["x"], 1);
        assert!(kept["metadata"].get("managedFields").is_none());
        assert!(inventory.kept(namespaced, "", "a").is_some(), "\"\" is the default namespace too");
        assert!(inventory.kept(namespaced, "b", "a").is_some());
        assert!(inventory.kept(cluster, "", "c").is_some() && inventory.kept(cluster, "other", "c").is_some());
        assert_eq!(inventory.kept_all(cluster).count(), 1, "unnamed objects are not kept");

        inventory.forget(namespaced, "b", "a");
        assert!(inventory.kept(namespaced, "b", "a").is_none());
        assert_eq!(inventory.kept_all(namespaced).count(), 1);
        inventory.forget_all(namespaced);
        assert_eq!(inventory.kept_all(namespaced).count(), 0);
        assert_eq!(inventory.kept_all(cluster).count(), 1, "other kinds stay");
    }
}
