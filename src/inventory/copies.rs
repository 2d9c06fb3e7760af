//! The compact forms of copies of data (SPEC §12): volume snapshots, their contents and
//! classes, Velero backups and schedules, and the locations backups are written to. Read
//! from requests and files by [`crate::read`], and from the objects the inventory keeps
//! whole.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;

use super::compact::Meta;
use crate::kinds::{self, Kind};

pub use super::compact::{SNAPSHOT_GROUP, SourceRef};
/// Velero's group.
pub const VELERO_GROUP: &str = "velero.io";
/// The annotation that marks a default VolumeSnapshotClass.
pub const DEFAULT_SNAPSHOT_CLASS_ANNOTATION: &str = "snapshot.storage.kubernetes.io/is-default-class";

/// A reference to a namespaced object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ObjectRef {
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A VolumeSnapshot.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub meta: Meta,
    /// `spec.volumeSnapshotClassName`; `None` for the default class.
    pub class: Option<String>,
    /// `spec.source.persistentVolumeClaimName`.
    pub source_claim: Option<String>,
    /// `spec.source.volumeSnapshotContentName` (a snapshot taken outside Kubernetes).
    pub source_content: Option<String>,
}

/// A VolumeSnapshotContent.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotContent {
    pub meta: Meta,
    pub class: Option<String>,
    pub driver: Option<String>,
    /// `spec.volumeSnapshotRef`: the snapshot it belongs to.
    pub snapshot: ObjectRef,
    /// `spec.source.volumeHandle`: the volume it is cut from.
    pub volume_handle: Option<String>,
    /// `spec.source.snapshotHandle`: a snapshot that already exists.
    pub snapshot_handle: Option<String>,
}

/// A VolumeSnapshotClass: the driver and its parameters say where snapshots are stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SnapshotClass {
    pub meta: Meta,
    pub driver: String,
    pub parameters: BTreeMap<String, String>,
    /// Annotated `snapshot.storage.kubernetes.io/is-default-class: "true"`.
    pub default: bool,
}

/// A Velero Backup, or a Schedule's backup template.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Backup {
    pub meta: Meta,
    /// A Schedule (whose backups come from `spec.template`) rather than a Backup.
    pub schedule: bool,
    /// `includedNamespaces`: `None` or empty means every namespace, like `*`.
    pub included: Vec<String>,
    pub excluded: Vec<String>,
    pub label_selector: Option<LabelSelector>,
    pub or_label_selectors: Vec<LabelSelector>,
    /// `storageLocation`: a BackupStorageLocation in the backup's namespace.
    pub storage_location: Option<String>,
    /// `volumeSnapshotLocations`.
    pub snapshot_locations: Vec<String>,
    /// `snapshotVolumes: false` takes no volume snapshots.
    pub snapshot_volumes: Option<bool>,
}

impl Backup {
    /// The row of the kinds table.
    pub fn kind(&self) -> &'static Kind {
        let name = if self.schedule { "Schedule" } else { "Backup" };
        kinds::find(VELERO_GROUP, name).expect("Velero kinds are in the table")
    }

    /// Whether the backup includes objects of namespace `ns`.
    pub fn includes_namespace(&self, ns: &str) -> bool {
        let included = self.included.is_empty() || self.included.iter().any(|n| n == "*" || n == ns);
        included && !self.excluded.iter().any(|n| n == ns)
    }
}

/// A BackupStorageLocation or VolumeSnapshotLocation.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BackupLocation {
    pub meta: Meta,
    /// A VolumeSnapshotLocation rather than a BackupStorageLocation.
    pub snapshots: bool,
    pub provider: Option<String>,
    /// `spec.config.region`.
    pub config_region: Option<String>,
    /// `spec.default` (BackupStorageLocations only).
    pub default: bool,
}

impl BackupLocation {
    /// The row of the kinds table.
    pub fn kind(&self) -> &'static Kind {
        let name = if self.snapshots { "VolumeSnapshotLocation" } else { "BackupStorageLocation" };
        kinds::find(VELERO_GROUP, name).expect("Velero kinds are in the table")
    }
}

/// A copy of data, judged where it is stored.
#[derive(Clone, Debug, PartialEq)]
pub enum DataCopy {
    Snapshot(Snapshot),
    Content(SnapshotContent),
    Backup(Backup),
    /// A location backups are written to: judged with everything that backs up to it.
    Location(BackupLocation),
}

impl DataCopy {
    pub fn meta(&self) -> &Meta {
        match self {
            DataCopy::Snapshot(s) => &s.meta,
            DataCopy::Content(c) => &c.meta,
            DataCopy::Backup(b) => &b.meta,
            DataCopy::Location(l) => &l.meta,
        }
    }

    /// The row of the kinds table.
    pub fn kind(&self) -> &'static Kind {
        let in_snapshots = |name| kinds::find(SNAPSHOT_GROUP, name).expect("snapshot kinds are in the table");
        match self {
            DataCopy::Snapshot(_) => in_snapshots("VolumeSnapshot"),
            DataCopy::Content(_) => in_snapshots("VolumeSnapshotContent"),
            DataCopy::Backup(b) => b.kind(),
            DataCopy::Location(l) => l.kind(),
        }
    }
}
