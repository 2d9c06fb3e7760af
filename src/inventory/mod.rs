//! The inventory snapshot evaluation reads: what exists in the cluster, trimmed to what
//! placement decisions need. Filled from files (`check`, standalone `serve`) or watchers.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{Namespace, Node, PersistentVolume, PersistentVolumeClaim, Pod};
use k8s_openapi::api::storage::v1::StorageClass;
use serde::Deserialize;
use serde_json::Value;

mod tracked;

pub use tracked::Tracked;

pub type Labels = BTreeMap<String, String>;

/// The annotation that marks the cluster's default StorageClass.
const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// A point-in-time view of the cluster objects evaluation looks up.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    pub namespaces: HashMap<String, Labels>,
    pub nodes: HashMap<String, Labels>,
    pub persistent_volumes: HashMap<String, PersistentVolume>,
    /// Namespace → name → claim.
    pub claims: HashMap<String, HashMap<String, PersistentVolumeClaim>>,
    pub storage_classes: HashMap<String, StorageClass>,
    /// Namespace → name → pod (for bindings).
    pub pods: HashMap<String, HashMap<String, Pod>>,
}

/// Why an object could not join the inventory.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{kind} has no metadata.name")]
    Unnamed { kind: String },
    #[error("not a valid {kind}: {source}")]
    Invalid {
        kind: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Inventory {
    /// Adds an object if its kind is one the inventory keeps. Returns whether it was kept.
    pub fn add(&mut self, object: &Value) -> Result<bool, InventoryError> {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        match kind {
            "Namespace" => self.add_parsed::<Namespace>(object)?,
            "Node" => self.add_parsed::<Node>(object)?,
            "PersistentVolume" => self.add_parsed::<PersistentVolume>(object)?,
            "PersistentVolumeClaim" => self.add_parsed::<PersistentVolumeClaim>(object)?,
            "StorageClass" => self.add_parsed::<StorageClass>(object)?,
            "Pod" => self.add_parsed::<Pod>(object)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn add_parsed<K: Tracked + for<'de> Deserialize<'de>>(&mut self, object: &Value) -> Result<(), InventoryError> {
        let parsed =
            K::deserialize(object).map_err(|source| InventoryError::Invalid { kind: K::KIND.to_string(), source })?;
        if parsed.name().is_none_or(str::is_empty) {
            return Err(InventoryError::Unnamed { kind: K::KIND.to_string() });
        }
        parsed.insert_into(self);
        Ok(())
    }

    pub fn namespace_labels(&self, namespace: &str) -> Option<&Labels> {
        self.namespaces.get(namespace)
    }

    pub fn claim(&self, namespace: &str, name: &str) -> Option<&PersistentVolumeClaim> {
        self.claims.get(namespace)?.get(name)
    }

    pub fn pod(&self, namespace: &str, name: &str) -> Option<&Pod> {
        self.pods.get(namespace)?.get(name)
    }

    /// The StorageClass marked as the default, as the API server would pick it.
    pub fn default_storage_class(&self) -> Option<&StorageClass> {
        self.storage_classes
            .values()
            .filter(|sc| {
                sc.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                    .is_some_and(|v| v == "true")
            })
            .max_by(|a, b| {
                // Several defaults: the newest wins, as in the API server.
                let key = |sc: &StorageClass| {
                    (sc.metadata.creation_timestamp.as_ref().map(|t| t.0), sc.metadata.name.clone())
                };
                key(a).cmp(&key(b))
            })
    }

    /// Object counts per kind, for metrics and logs.
    pub fn sizes(&self) -> [(&'static str, usize); 6] {
        [
            ("Namespace", self.namespaces.len()),
            ("Node", self.nodes.len()),
            ("PersistentVolume", self.persistent_volumes.len()),
            ("PersistentVolumeClaim", self.claims.values().map(HashMap::len).sum()),
            ("StorageClass", self.storage_classes.len()),
            ("Pod", self.pods.values().map(HashMap::len).sum()),
        ]
    }
}
