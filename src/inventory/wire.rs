//! The JSON shapes of the objects evaluation reads, deserialized straight into the compact
//! forms: serde skips every field not named here without building anything for it.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::compact::SourceRef;
use super::compact::{Claim, ClaimRef, Meta, NodeTerm, Pod, PodSpec, PodVolume, Volume, VolumeSource};

/// Any object, for its metadata alone (Namespaces, Nodes, kinds sovereign does not judge).
#[derive(Deserialize)]
pub(crate) struct MetaOnly {
    #[serde(default)]
    pub metadata: Option<Meta>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeSelectorWire {
    node_selector_terms: Vec<NodeTerm>,
}

#[derive(Deserialize)]
struct VolumeNodeAffinityWire {
    #[serde(default)]
    required: Option<NodeSelectorWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VolumeSpecWire {
    #[serde(default)]
    claim_ref: Option<ClaimRef>,
    #[serde(default)]
    storage_class_name: Option<String>,
    #[serde(default)]
    node_affinity: Option<VolumeNodeAffinityWire>,
    #[serde(default)]
    csi: Option<CsiWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsiWire {
    driver: String,
    volume_handle: String,
}

/// A PersistentVolume.
#[derive(Deserialize)]
pub(crate) struct VolumeWire {
    #[serde(default)]
    pub metadata: Option<Meta>,
    #[serde(default)]
    pub spec: Option<VolumeSpecWire>,
}

impl From<VolumeWire> for Volume {
    fn from(wire: VolumeWire) -> Self {
        let (claim_ref, storage_class_name, node_terms, csi) = match wire.spec {
            Some(s) => (s.claim_ref, s.storage_class_name, s.node_affinity.and_then(|a| a.required), s.csi),
            None => (None, None, None, None),
        };
        Volume {
            meta: wire.metadata.unwrap_or_default(),
            claim_ref,
            storage_class_name,
            node_terms: node_terms.map(|s| s.node_selector_terms),
            csi: csi.map(|c| (c.driver, c.volume_handle)),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ClaimSpecWire {
    #[serde(default)]
    volume_name: Option<String>,
    #[serde(default)]
    storage_class_name: Option<String>,
    #[serde(default)]
    selector: Option<LabelSelector>,
    #[serde(default)]
    data_source: Option<SourceRef>,
    #[serde(default)]
    data_source_ref: Option<SourceRef>,
}

/// A PersistentVolumeClaim, or a claim template.
#[derive(Deserialize)]
pub(crate) struct ClaimWire {
    #[serde(default)]
    pub metadata: Option<Meta>,
    #[serde(default)]
    pub spec: Option<ClaimSpecWire>,
}

impl From<ClaimWire> for Claim {
    fn from(wire: ClaimWire) -> Self {
        let spec = wire.spec;
        let (volume_name, storage_class_name, selector, data_source) = match spec {
            Some(s) => {
                // dataSourceRef wins: it is the newer field, and the API server mirrors one into the other.
                let source = s.data_source_ref.or(s.data_source.map(|r| SourceRef { namespace: None, ..r }));
                (s.volume_name, s.storage_class_name, s.selector, source)
            }
            None => (None, None, None, None),
        };
        Claim { meta: wire.metadata.unwrap_or_default(), volume_name, storage_class_name, selector, data_source }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClaimSourceWire {
    claim_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClassOnlyWire {
    #[serde(default)]
    storage_class_name: Option<String>,
}

#[derive(Deserialize)]
struct ClaimTemplateWire {
    spec: ClassOnlyWire,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EphemeralWire {
    #[serde(default)]
    volume_claim_template: Option<ClaimTemplateWire>,
}

/// A pod volume: which source it has is all that matters, so network sources are only
/// checked for presence.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PodVolumeWire {
    name: String,
    #[serde(default)]
    persistent_volume_claim: Option<ClaimSourceWire>,
    #[serde(default)]
    ephemeral: Option<EphemeralWire>,
    #[serde(default)]
    nfs: Option<IgnoredAny>,
    #[serde(default)]
    iscsi: Option<IgnoredAny>,
    #[serde(default)]
    cephfs: Option<IgnoredAny>,
    #[serde(default)]
    glusterfs: Option<IgnoredAny>,
    #[serde(default)]
    rbd: Option<IgnoredAny>,
    #[serde(default)]
    fc: Option<IgnoredAny>,
    #[serde(default)]
    flocker: Option<IgnoredAny>,
    #[serde(default)]
    quobyte: Option<IgnoredAny>,
    #[serde(default)]
    storageos: Option<IgnoredAny>,
    #[serde(default)]
    portworx_volume: Option<IgnoredAny>,
    #[serde(default, rename = "scaleIO")]
    scale_io: Option<IgnoredAny>,
    #[serde(default)]
    azure_file: Option<IgnoredAny>,
    #[serde(default)]
    flex_volume: Option<IgnoredAny>,
}

impl From<PodVolumeWire> for PodVolume {
    fn from(v: PodVolumeWire) -> Self {
        let source = if let Some(pvc) = v.persistent_volume_claim {
            VolumeSource::Claim(pvc.claim_name)
        } else if let Some(eph) = v.ephemeral {
            VolumeSource::Ephemeral(eph.volume_claim_template.and_then(|t| t.spec.storage_class_name))
        } else {
            let network = [
                (v.nfs.is_some(), "nfs"),
                (v.iscsi.is_some(), "iscsi"),
                (v.cephfs.is_some(), "cephfs"),
                (v.glusterfs.is_some(), "glusterfs"),
                (v.rbd.is_some(), "rbd"),
                (v.fc.is_some(), "fc"),
                (v.flocker.is_some(), "flocker"),
                (v.quobyte.is_some(), "quobyte"),
                (v.storageos.is_some(), "storageos"),
                (v.portworx_volume.is_some(), "portworxVolume"),
                (v.scale_io.is_some(), "scaleIO"),
                (v.azure_file.is_some(), "azureFile"),
                (v.flex_volume.is_some(), "flexVolume"),
            ];
            match network.iter().find(|(present, _)| *present) {
                Some((_, kind)) => VolumeSource::Network(kind),
                None => VolumeSource::FollowsPod,
            }
        };
        PodVolume { name: v.name, source }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NodeAffinityWire {
    #[serde(default)]
    required_during_scheduling_ignored_during_execution: Option<NodeSelectorWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AffinityWire {
    #[serde(default)]
    node_affinity: Option<NodeAffinityWire>,
}

/// A pod spec: placement constraints and volumes; containers and the rest are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PodSpecWire {
    #[serde(default)]
    node_name: Option<String>,
    #[serde(default)]
    node_selector: Option<BTreeMap<String, String>>,
    #[serde(default)]
    affinity: Option<AffinityWire>,
    #[serde(default)]
    volumes: Option<Vec<PodVolumeWire>>,
}

impl From<PodSpecWire> for PodSpec {
    fn from(wire: PodSpecWire) -> Self {
        PodSpec {
            node_name: wire.node_name,
            node_selector: wire.node_selector,
            node_terms: wire
                .affinity
                .and_then(|a| a.node_affinity)
                .and_then(|na| na.required_during_scheduling_ignored_during_execution)
                .map(|s| s.node_selector_terms),
            volumes: wire.volumes.into_iter().flatten().map(PodVolume::from).collect(),
        }
    }
}

/// A Pod.
#[derive(Deserialize)]
pub(crate) struct PodWire {
    #[serde(default)]
    pub metadata: Option<Meta>,
    #[serde(default)]
    pub spec: Option<PodSpecWire>,
}

impl From<PodWire> for Pod {
    fn from(wire: PodWire) -> Self {
        Pod { meta: wire.metadata.unwrap_or_default(), spec: wire.spec.map(PodSpec::from).unwrap_or_default() }
    }
}
