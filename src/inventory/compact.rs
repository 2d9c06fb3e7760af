//! The compact forms of the objects evaluation reads: only the fields it looks at, so an
//! inventory of ten thousand volumes costs a few hundred bytes each instead of the
//! kilobytes of a k8s-openapi struct full of empty optional fields.
//!
//! Judged objects ([`crate::evaluate::Object`]) use the same forms, so one set of rules
//! reads a claim in the request and a claim in the inventory alike.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::Deserialize;

use super::Labels;

/// The metadata evaluation reads; every other field is skipped when deserializing.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub generate_name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub labels: Option<Labels>,
}

impl From<ObjectMeta> for Meta {
    fn from(meta: ObjectMeta) -> Self {
        Meta { name: meta.name, generate_name: meta.generate_name, namespace: meta.namespace, labels: meta.labels }
    }
}

impl Meta {
    /// The namespace, `default` when unset.
    pub fn namespace_or_default(&self) -> &str {
        self.namespace.as_deref().filter(|n| !n.is_empty()).unwrap_or(super::DEFAULT_NAMESPACE)
    }
}

/// One requirement of a node selector term (`matchExpressions` or `matchFields`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct NodeRequirement {
    pub key: String,
    pub operator: String,
    #[serde(default)]
    pub values: Option<Vec<String>>,
}

/// A node selector term: its requirements are ANDed.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeTerm {
    #[serde(default)]
    pub match_expressions: Option<Vec<NodeRequirement>>,
    #[serde(default)]
    pub match_fields: Option<Vec<NodeRequirement>>,
}

/// The claim a volume is reserved for or bound to.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
pub struct ClaimRef {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A PersistentVolume: where it is (labels, required node affinity) and whose it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub meta: Meta,
    pub claim_ref: Option<ClaimRef>,
    pub storage_class_name: Option<String>,
    /// The terms of `spec.nodeAffinity.required`; `None` without a required affinity.
    pub node_terms: Option<Vec<NodeTerm>>,
    /// `spec.csi`: (driver, volumeHandle), which snapshot contents name their source by.
    pub csi: Option<(String, String)>,
}

/// A PersistentVolumeClaim (or a StatefulSet's claim template).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claim {
    pub meta: Meta,
    pub volume_name: Option<String>,
    pub storage_class_name: Option<String>,
    pub selector: Option<LabelSelector>,
    /// `spec.dataSourceRef`, else `spec.dataSource`: the claim or snapshot it is cloned or
    /// restored from, whose data classes it carries (SPEC §12).
    pub data_source: Option<SourceRef>,
}

/// What a pod volume is, as far as location goes.
#[derive(Clone, Debug, PartialEq)]
pub enum VolumeSource {
    /// Lives on the node (emptyDir, hostPath, configMap, secret, projected, downwardAPI,
    /// image, inline CSI) or can only attach in the node's zone (cloud disks).
    FollowsPod,
    /// A PersistentVolumeClaim, by name.
    Claim(String),
    /// A generic ephemeral volume: a claim made from the template's class.
    Ephemeral(Option<String>),
    /// A network filesystem or block device whose server may be anywhere.
    Network(&'static str),
}

/// A pod volume: its name and what it is.
#[derive(Clone, Debug, PartialEq)]
pub struct PodVolume {
    pub name: String,
    pub source: VolumeSource,
}

/// The part of a pod spec that decides where the pod and its data may go.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PodSpec {
    pub node_name: Option<String>,
    pub node_selector: Option<BTreeMap<String, String>>,
    /// The terms of the required node affinity; `None` without one.
    pub node_terms: Option<Vec<NodeTerm>>,
    pub volumes: Vec<PodVolume>,
}

/// A pod as the inventory keeps it (for bindings): its labels and the claims it mounts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Pod {
    pub meta: Meta,
    pub spec: PodSpec,
}

impl Pod {
    /// Keeps only what a binding's judgement reads.
    pub(crate) fn trimmed(self) -> Pod {
        let volumes = self.spec.volumes.into_iter().filter(|v| matches!(v.source, VolumeSource::Claim(_))).collect();
        Pod { meta: self.meta, spec: PodSpec { node_name: self.spec.node_name, volumes, ..Default::default() } }
    }
}

/// The group of the CSI snapshot kinds.
pub const SNAPSHOT_GROUP: &str = "snapshot.storage.k8s.io";

/// A claim's `spec.dataSource` / `spec.dataSourceRef`: what it is restored or cloned from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceRef {
    #[serde(default)]
    pub api_group: Option<String>,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
    /// Only `dataSourceRef` may name another namespace.
    #[serde(default)]
    pub namespace: Option<String>,
}

impl SourceRef {
    /// Whether it names a PersistentVolumeClaim (core group).
    pub fn is_claim(&self) -> bool {
        self.kind == "PersistentVolumeClaim" && self.api_group.as_deref().unwrap_or_default().is_empty()
    }

    /// Whether it names a VolumeSnapshot.
    pub fn is_snapshot(&self) -> bool {
        self.kind == "VolumeSnapshot" && self.api_group.as_deref() == Some(SNAPSHOT_GROUP)
    }
}
