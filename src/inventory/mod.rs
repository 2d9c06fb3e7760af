//! The inventory snapshot evaluation reads: what exists in the cluster, trimmed to what
//! placement decisions need. Filled from files (`check`, standalone `serve`) or watchers.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::storage::v1::StorageClass;
use serde::Deserialize;
use serde_json::Value;

mod compact;
pub mod copies;
mod kept;
mod labels;
mod tracked;
pub(crate) mod wire;

pub use compact::{Claim, ClaimRef, Meta, NodeRequirement, NodeTerm, Pod, PodSpec, PodVolume, Volume, VolumeSource};
pub use labels::{LabelSet, LabelValue, NodeLabels};
pub use tracked::Tracked;

use crate::kinds::{self, Reading};

pub type Labels = BTreeMap<String, String>;

/// The namespace an object without one is created in.
pub const DEFAULT_NAMESPACE: &str = "default";

/// The annotation that marks the cluster's default StorageClass.
const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

/// A point-in-time view of the cluster objects evaluation looks up.
#[derive(Clone, Debug, Default)]
pub struct Inventory {
    namespaces: HashMap<String, Labels>,
    /// Node name → labels. Change it through [`Inventory::insert_node`] and friends, which
    /// keep the region index and the shared label strings in step.
    nodes: HashMap<String, NodeLabels>,
    label_strings: labels::Interner,
    /// Label key (those naming a region) → value → how many nodes carry it: which regions
    /// have nodes, without scanning every node.
    node_regions: HashMap<String, HashMap<String, usize>>,
    persistent_volumes: HashMap<String, Volume>,
    /// Namespace → name → claim.
    claims: HashMap<String, HashMap<String, Claim>>,
    storage_classes: HashMap<String, StorageClass>,
    /// Namespace → name → pod (for bindings).
    pods: HashMap<String, HashMap<String, Pod>>,
    /// Custom resources kept whole; see [`Inventory::kept`].
    kept: kept::KeptObjects,
    /// Namespace → the annotations of it evaluation reads ([`NAMESPACE_ANNOTATIONS`]).
    namespace_annotations: HashMap<String, Labels>,
}

/// The namespace annotations evaluation reads: ACK's default region for the resources in
/// the namespace (SPEC §13).
pub const NAMESPACE_ANNOTATIONS: &[&str] = &["services.k8s.aws/default-region"];

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
    /// Objects are read straight into their compact forms.
    pub fn add(&mut self, object: &Value) -> Result<bool, InventoryError> {
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default();
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let Some(known) = kinds::of(api_version, kind).filter(|k| k.roles.inventory) else { return Ok(false) };
        match known.reading {
            Reading::Metadata => {
                let meta = parse::<wire::MetaOnly>(kind, object)?.metadata.unwrap_or_default();
                let (name, labels) = (named(kind, meta.name)?, meta.labels.unwrap_or_default());
                if kind == "Node" {
                    self.insert_node(name, labels)
                } else {
                    let annotations = object.pointer("/metadata/annotations").and_then(Value::as_object);
                    let read =
                        annotations.into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.into())));
                    self.annotate_namespace(&name, read.collect());
                    self.insert_namespace(name, labels)
                }
            }
            Reading::Volume => {
                let volume = Volume::from(parse::<wire::VolumeWire>(kind, object)?);
                named(kind, volume.meta.name.clone())?;
                self.insert_volume(volume);
            }
            Reading::Claim => {
                let claim = Claim::from(parse::<wire::ClaimWire>(kind, object)?);
                named(kind, claim.meta.name.clone())?;
                self.insert_claim(claim);
            }
            Reading::StorageClass => {
                let class = parse::<StorageClass>(kind, object)?;
                named(kind, class.metadata.name.clone())?;
                self.insert_storage_class(class);
            }
            Reading::Pod => {
                let pod = Pod::from(parse::<wire::PodWire>(kind, object)?);
                named(kind, pod.meta.name.clone())?;
                self.insert_pod(pod);
            }
            _ => {
                let meta = parse::<wire::MetaOnly>(kind, object)?.metadata.unwrap_or_default();
                named(kind, meta.name)?;
                self.keep(known, object.clone());
            }
        }
        Ok(true)
    }

    pub fn insert_node(&mut self, name: String, labels: Labels) {
        let labels = self.label_strings.labels(labels);
        self.count_regions(&labels, 1);
        if let Some(old) = self.nodes.insert(name, labels) {
            self.count_regions(&old, -1);
            self.label_strings.prune();
        }
    }

    pub fn remove_node(&mut self, name: &str) {
        if let Some(old) = self.nodes.remove(name) {
            self.count_regions(&old, -1);
            self.label_strings.prune();
        }
    }

    pub fn clear_nodes(&mut self) {
        self.nodes.clear();
        self.node_regions.clear();
        self.label_strings.clear();
    }

    /// Whether the key is one the region index follows.
    pub fn indexes(key: &str) -> bool {
        key.ends_with("/region")
    }

    /// Whether some node carries `key=value`, for a key the index follows.
    pub fn has_node_with(&self, key: &str, value: &str) -> bool {
        self.node_regions.get(key).and_then(|values| values.get(value)).is_some_and(|n| *n > 0)
    }

    fn count_regions(&mut self, labels: &NodeLabels, delta: isize) {
        for (key, value) in labels.iter().filter(|(k, _)| Self::indexes(k)) {
            let values = self.node_regions.entry(key.to_string()).or_default();
            let count = values.entry(value.to_string()).or_default();
            *count = count.saturating_add_signed(delta);
            if *count == 0 {
                values.remove(value);
            }
        }
    }

    /// A node's labels.
    pub fn node(&self, name: &str) -> Option<&NodeLabels> {
        self.nodes.get(name)
    }

    /// A node by name, with the name as stored.
    pub fn node_entry(&self, name: &str) -> Option<(&String, &NodeLabels)> {
        self.nodes.get_key_value(name)
    }

    /// Every node, by name.
    pub fn nodes(&self) -> impl Iterator<Item = (&String, &NodeLabels)> {
        self.nodes.iter()
    }

    pub fn volume(&self, name: &str) -> Option<&Volume> {
        self.persistent_volumes.get(name)
    }

    pub fn volumes(&self) -> impl Iterator<Item = &Volume> {
        self.persistent_volumes.values()
    }

    /// Every namespace, with its labels.
    pub fn namespaces(&self) -> impl Iterator<Item = (&String, &Labels)> {
        self.namespaces.iter()
    }

    /// The claims in a namespace.
    pub fn claims_in(&self, namespace: &str) -> impl Iterator<Item = &Claim> {
        self.claims.get(namespace).into_iter().flat_map(HashMap::values)
    }

    /// The pods in a namespace that the inventory keeps (in cluster mode, those not yet
    /// scheduled).
    pub fn pods_in(&self, namespace: &str) -> impl Iterator<Item = &Pod> {
        self.pods.get(namespace).into_iter().flat_map(HashMap::values)
    }

    pub fn storage_class(&self, name: &str) -> Option<&StorageClass> {
        self.storage_classes.get(name)
    }

    /// Keeps the annotations of a namespace that evaluation reads.
    pub fn annotate_namespace(&mut self, namespace: &str, annotations: Labels) {
        let read: Labels =
            annotations.into_iter().filter(|(k, _)| NAMESPACE_ANNOTATIONS.contains(&k.as_str())).collect();
        if read.is_empty() {
            self.namespace_annotations.remove(namespace);
        } else {
            self.namespace_annotations.insert(namespace.to_string(), read);
        }
    }

    /// A namespace's annotation, for those evaluation reads ([`NAMESPACE_ANNOTATIONS`]).
    pub fn namespace_annotation(&self, namespace: &str, name: &str) -> Option<&str> {
        self.namespace_annotations.get(namespace)?.get(name).map(String::as_str)
    }

    pub fn namespace_labels(&self, namespace: &str) -> Option<&Labels> {
        self.namespaces.get(namespace)
    }

    pub fn claim(&self, namespace: &str, name: &str) -> Option<&Claim> {
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
    pub fn sizes(&self) -> Vec<(&'static str, usize)> {
        let typed = [
            ("Namespace", self.namespaces.len()),
            ("Node", self.nodes.len()),
            ("PersistentVolume", self.persistent_volumes.len()),
            ("PersistentVolumeClaim", self.claims.values().map(HashMap::len).sum()),
            ("StorageClass", self.storage_classes.len()),
            ("Pod", self.pods.values().map(HashMap::len).sum()),
        ];
        typed
            .into_iter()
            .chain(kinds::kept_whole().map(|kind| (kind.cache_name(), self.kept_all(kind).count())))
            .collect()
    }
}

fn parse<T: for<'de> Deserialize<'de>>(kind: &str, object: &Value) -> Result<T, InventoryError> {
    T::deserialize(object).map_err(|source| InventoryError::Invalid { kind: kind.to_string(), source })
}

/// The object's name, which an inventory object must have.
fn named(kind: &str, name: Option<String>) -> Result<String, InventoryError> {
    name.filter(|n| !n.is_empty()).ok_or_else(|| InventoryError::Unnamed { kind: kind.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(region: &str) -> Labels {
        [("topology.kubernetes.io/region".to_string(), region.to_string())].into()
    }

    #[test]
    fn the_region_index_follows_inserts_relabels_and_removals() {
        let mut inv = Inventory::default();
        let key = "topology.kubernetes.io/region";
        inv.insert_node("a".into(), labels("ap-southeast-3"));
        inv.insert_node("b".into(), labels("ap-southeast-3"));
        assert!(inv.has_node_with(key, "ap-southeast-3"));
        inv.insert_node("a".into(), labels("us-east-1"));
        assert!(inv.has_node_with(key, "us-east-1") && inv.has_node_with(key, "ap-southeast-3"));
        inv.remove_node("b");
        assert!(!inv.has_node_with(key, "ap-southeast-3"), "the last Jakarta node is gone");
        inv.clear_nodes();
        assert!(!inv.has_node_with(key, "us-east-1"));
    }
}
