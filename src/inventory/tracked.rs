//! The kinds the inventory keeps, how each is trimmed to what evaluation reads, and how
//! it is inserted and removed. Files and watchers both go through here.

use std::collections::HashMap;

use k8s_openapi::api::core::v1::{Namespace, Node};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::core::PartialObjectMeta;

use super::compact::{Claim, Pod, Volume};
use super::{DEFAULT_CLASS_ANNOTATION, Inventory};
use crate::kinds::{Kind, Reading};

/// A kind watched metadata-only (Namespaces, Nodes).
pub trait Tracked: Sized {
    const KIND: &'static str;
    fn meta(&self) -> &ObjectMeta;
    /// Stores the object, trimmed, replacing any previous version.
    fn insert_into(self, inventory: &mut Inventory);
    fn remove_from(&self, inventory: &mut Inventory);
    /// Forgets every object of this kind (before a relist replaces them).
    fn clear(inventory: &mut Inventory);

    fn name(&self) -> Option<&str> {
        self.meta().name.as_deref()
    }

    fn namespace(&self) -> &str {
        self.meta().namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(super::DEFAULT_NAMESPACE)
    }
}

/// Only what classification and lookups read: name, namespace, labels, and for
/// StorageClasses the default-class annotation and creation time.
fn trim_meta(meta: ObjectMeta, keep_default_annotation: bool) -> ObjectMeta {
    let annotations = if keep_default_annotation {
        meta.annotations.and_then(|a| {
            a.get(DEFAULT_CLASS_ANNOTATION).map(|v| [(DEFAULT_CLASS_ANNOTATION.to_string(), v.clone())].into())
        })
    } else {
        None
    };
    ObjectMeta {
        name: meta.name,
        namespace: meta.namespace,
        labels: meta.labels,
        annotations,
        creation_timestamp: if keep_default_annotation { meta.creation_timestamp } else { None },
        ..Default::default()
    }
}

fn name_of(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

/// Kinds of which evaluation reads only the labels, kept by name: Namespaces and Nodes,
/// whole or as metadata-only watches deliver them.
macro_rules! labels_only {
    ($ty:ty, $kind:literal, $insert:ident, $remove:ident, $clear:ident) => {
        impl Tracked for $ty {
            const KIND: &'static str = $kind;
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn insert_into(self, inventory: &mut Inventory) {
                let (name, labels) = (name_of(&self.metadata), self.metadata.labels.unwrap_or_default());
                inventory.$insert(name, labels, self.metadata.annotations);
            }
            fn remove_from(&self, inventory: &mut Inventory) {
                inventory.$remove(&name_of(&self.metadata));
            }
            fn clear(inventory: &mut Inventory) {
                inventory.$clear();
            }
        }
    };
}

impl Inventory {
    pub(super) fn insert_namespace(&mut self, name: String, labels: super::Labels) {
        self.namespaces.insert(name, labels);
    }

    pub(super) fn insert_volume(&mut self, mut volume: Volume) {
        volume.meta.generate_name = None;
        self.persistent_volumes.insert(volume.meta.name.clone().unwrap_or_default(), volume);
    }

    pub(super) fn insert_claim(&mut self, mut claim: Claim) {
        claim.meta.generate_name = None;
        let ns = claim.meta.namespace_or_default().to_string();
        let name = claim.meta.name.clone().unwrap_or_default();
        self.claims.entry(ns).or_default().insert(name, claim);
    }

    pub(super) fn insert_pod(&mut self, pod: Pod) {
        let mut pod = pod.trimmed();
        pod.meta.generate_name = None;
        let ns = pod.meta.namespace_or_default().to_string();
        let name = pod.meta.name.clone().unwrap_or_default();
        self.pods.entry(ns).or_default().insert(name, pod);
    }

    /// Keeps what placement reads of a StorageClass: its provisioner, topologies, binding
    /// mode, and the default-class annotation with the creation time that breaks ties.
    pub(super) fn insert_storage_class(&mut self, class: StorageClass) {
        let name = name_of(&class.metadata);
        let class = StorageClass {
            metadata: trim_meta(class.metadata, true),
            allowed_topologies: class.allowed_topologies,
            volume_binding_mode: class.volume_binding_mode,
            provisioner: class.provisioner,
            ..Default::default()
        };
        self.storage_classes.insert(name, class);
    }

    /// A namespace with the annotations evaluation reads.
    fn insert_namespace_meta(&mut self, name: String, labels: super::Labels, annotations: Option<super::Labels>) {
        self.annotate_namespace(&name, annotations.unwrap_or_default());
        self.insert_namespace(name, labels);
    }

    fn insert_node_meta(&mut self, name: String, labels: super::Labels, _: Option<super::Labels>) {
        self.insert_node(name, labels);
    }

    fn remove_namespace(&mut self, name: &str) {
        self.namespaces.remove(name);
        self.annotate_namespace(name, super::Labels::new());
    }

    fn clear_namespaces(&mut self) {
        self.namespaces.clear();
        self.namespace_annotations.clear();
    }

    /// Removes one object of an inventory kind (`namespace` ignored for cluster-scoped kinds).
    pub fn remove(&mut self, kind: &Kind, namespace: &str, name: &str) {
        let namespace = if namespace.is_empty() { super::DEFAULT_NAMESPACE } else { namespace };
        match kind.reading {
            Reading::Metadata if kind.kind == "Node" => self.remove_node(name),
            Reading::Metadata => self.remove_namespace(name),
            Reading::Volume => drop(self.persistent_volumes.remove(name)),
            Reading::Claim => remove_namespaced(&mut self.claims, namespace, name),
            Reading::Pod => remove_namespaced(&mut self.pods, namespace, name),
            Reading::StorageClass => drop(self.storage_classes.remove(name)),
            _ => self.forget(kind, namespace, name),
        }
    }

    /// Forgets every object of an inventory kind (before a relist replaces them).
    pub fn clear(&mut self, kind: &Kind) {
        match kind.reading {
            Reading::Metadata if kind.kind == "Node" => self.clear_nodes(),
            Reading::Metadata => self.clear_namespaces(),
            Reading::Volume => self.persistent_volumes.clear(),
            Reading::Claim => self.claims.clear(),
            Reading::Pod => self.pods.clear(),
            Reading::StorageClass => self.storage_classes.clear(),
            _ => self.forget_all(kind),
        }
    }
}

labels_only!(Namespace, "Namespace", insert_namespace_meta, remove_namespace, clear_namespaces);
labels_only!(PartialObjectMeta<Namespace>, "Namespace", insert_namespace_meta, remove_namespace, clear_namespaces);
labels_only!(Node, "Node", insert_node_meta, remove_node, clear_nodes);
labels_only!(PartialObjectMeta<Node>, "Node", insert_node_meta, remove_node, clear_nodes);

fn remove_namespaced<T>(map: &mut HashMap<String, HashMap<String, T>>, ns: &str, name: &str) {
    if let Some(inner) = map.get_mut(ns) {
        inner.remove(name);
        if inner.is_empty() {
            map.remove(ns);
        }
    }
}
