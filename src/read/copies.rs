//! How copies of data (SPEC §12) are read: VolumeSnapshots, VolumeSnapshotContents and
//! VolumeSnapshotClasses (`snapshot.storage.k8s.io/v1`), Velero Backups, Schedules,
//! BackupStorageLocations and VolumeSnapshotLocations (`velero.io/v1`). Their specs are
//! small, so they are read into a `Value` first and then into their compact forms.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;
use serde_json::Value;

use crate::inventory::Meta;
use crate::inventory::copies::{
    Backup, BackupLocation, DEFAULT_SNAPSHOT_CLASS_ANNOTATION, DataCopy, ObjectRef, Snapshot, SnapshotClass,
    SnapshotContent,
};
use crate::kinds::CopyReading;
use crate::object::{Object, ObjectError};

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotSourceWire {
    #[serde(default)]
    persistent_volume_claim_name: Option<String>,
    #[serde(default)]
    volume_snapshot_content_name: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SnapshotSpecWire {
    #[serde(default)]
    volume_snapshot_class_name: Option<String>,
    #[serde(default)]
    source: Option<SnapshotSourceWire>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContentSourceWire {
    #[serde(default)]
    volume_handle: Option<String>,
    #[serde(default)]
    snapshot_handle: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ContentSpecWire {
    #[serde(default)]
    volume_snapshot_class_name: Option<String>,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    volume_snapshot_ref: Option<ObjectRef>,
    #[serde(default)]
    source: Option<ContentSourceWire>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BackupSpecWire {
    #[serde(default)]
    included_namespaces: Option<Vec<String>>,
    #[serde(default)]
    excluded_namespaces: Option<Vec<String>>,
    #[serde(default)]
    label_selector: Option<LabelSelector>,
    #[serde(default)]
    or_label_selectors: Option<Vec<LabelSelector>>,
    #[serde(default)]
    storage_location: Option<String>,
    #[serde(default)]
    volume_snapshot_locations: Option<Vec<String>>,
    #[serde(default)]
    snapshot_volumes: Option<bool>,
}

#[derive(Default, Deserialize)]
struct ScheduleSpecWire {
    #[serde(default)]
    template: Option<BackupSpecWire>,
}

#[derive(Default, Deserialize)]
struct LocationConfigWire {
    #[serde(default)]
    region: Option<String>,
}

#[derive(Default, Deserialize)]
struct LocationSpecWire {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    config: Option<LocationConfigWire>,
    #[serde(default)]
    default: Option<bool>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// Reads a copy's spec (absent or null: an empty spec) into its object.
pub(super) fn copy(reading: CopyReading, kind: &str, meta: Meta, spec: Option<Value>) -> Result<Object, ObjectError> {
    fn read<T: Default + for<'de> Deserialize<'de>>(kind: &str, spec: Option<Value>) -> Result<T, ObjectError> {
        match spec {
            None | Some(Value::Null) => Ok(T::default()),
            Some(value) => T::deserialize(value).map_err(|source| ObjectError::Malformed {
                kind: kind.to_string(),
                path: "spec".into(),
                source,
            }),
        }
    }
    let copy = match reading {
        CopyReading::Snapshot => {
            let spec: SnapshotSpecWire = read(kind, spec)?;
            let source = spec.source.unwrap_or_default();
            DataCopy::Snapshot(Snapshot {
                meta,
                class: non_empty(spec.volume_snapshot_class_name),
                source_claim: non_empty(source.persistent_volume_claim_name),
                source_content: non_empty(source.volume_snapshot_content_name),
            })
        }
        CopyReading::SnapshotContent => {
            let spec: ContentSpecWire = read(kind, spec)?;
            let source = spec.source.unwrap_or_default();
            DataCopy::Content(SnapshotContent {
                meta,
                class: non_empty(spec.volume_snapshot_class_name),
                driver: non_empty(spec.driver),
                snapshot: spec.volume_snapshot_ref.unwrap_or_default(),
                volume_handle: non_empty(source.volume_handle),
                snapshot_handle: non_empty(source.snapshot_handle),
            })
        }
        CopyReading::Backup { schedule } => {
            let spec = if schedule {
                read::<ScheduleSpecWire>(kind, spec)?.template.unwrap_or_default()
            } else {
                read::<BackupSpecWire>(kind, spec)?
            };
            DataCopy::Backup(Backup {
                meta,
                schedule,
                included: spec.included_namespaces.unwrap_or_default(),
                excluded: spec.excluded_namespaces.unwrap_or_default(),
                label_selector: spec.label_selector,
                or_label_selectors: spec.or_label_selectors.unwrap_or_default(),
                storage_location: non_empty(spec.storage_location),
                snapshot_locations: spec.volume_snapshot_locations.unwrap_or_default(),
                snapshot_volumes: spec.snapshot_volumes,
            })
        }
        CopyReading::BackupLocation { snapshots } => {
            let spec: LocationSpecWire = read(kind, spec)?;
            DataCopy::Location(BackupLocation {
                meta,
                snapshots,
                provider: non_empty(spec.provider),
                config_region: non_empty(spec.config.and_then(|c| c.region)),
                default: !snapshots && spec.default == Some(true),
            })
        }
    };
    Ok(Object::Copy(copy))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ClassMetaWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct SnapshotClassWire {
    #[serde(default)]
    metadata: Option<ClassMetaWire>,
    #[serde(default)]
    driver: Option<String>,
    #[serde(default)]
    parameters: Option<BTreeMap<String, Value>>,
}

impl SnapshotClass {
    /// Reads a VolumeSnapshotClass as the inventory keeps it (whole). `None` when it is not one.
    pub fn read(value: &Value) -> Option<SnapshotClass> {
        let wire = SnapshotClassWire::deserialize(value).ok()?;
        let meta = wire.metadata?;
        let default = meta
            .annotations
            .as_ref()
            .and_then(|a| a.get(DEFAULT_SNAPSHOT_CLASS_ANNOTATION))
            .is_some_and(|v| v == "true");
        // Parameters are strings; a number or boolean written unquoted is read as its text.
        let parameters = wire
            .parameters
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| match v {
                Value::String(s) => Some((k, s)),
                Value::Number(n) => Some((k, n.to_string())),
                Value::Bool(b) => Some((k, b.to_string())),
                _ => None,
            })
            .collect();
        Some(SnapshotClass {
            meta: Meta { name: meta.name, labels: meta.labels, ..Default::default() },
            driver: wire.driver.unwrap_or_default(),
            parameters,
            default,
        })
    }
}

/// Reads a copy kept whole in the inventory (a VolumeSnapshot, Backup, Schedule or
/// location). `None` when it is not one, or is malformed.
pub fn kept_copy(value: &Value) -> Option<DataCopy> {
    match Object::parse(value) {
        Ok(Object::Copy(copy)) => Some(copy),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(value: Value) -> DataCopy {
        kept_copy(&value).unwrap_or_else(|| panic!("not read: {value}"))
    }

    #[test]
    fn a_snapshot_names_its_class_and_source() {
        let DataCopy::Snapshot(s) = parse(json!({
            "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
            "metadata": { "name": "s", "namespace": "gov-id" },
            "spec": { "volumeSnapshotClassName": "fast-snap", "source": { "persistentVolumeClaimName": "data" } }
        })) else {
            panic!()
        };
        assert_eq!((s.class.as_deref(), s.source_claim.as_deref()), (Some("fast-snap"), Some("data")));
    }

    #[test]
    fn a_schedule_is_read_through_its_template() {
        let DataCopy::Backup(b) = parse(json!({
            "apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": { "name": "daily", "namespace": "velero" },
            "spec": { "schedule": "@daily", "template": {
                "includedNamespaces": ["*"], "excludedNamespaces": ["gov-id"], "storageLocation": "jkt" } }
        })) else {
            panic!()
        };
        assert!(b.schedule && b.included == ["*"] && b.storage_location.as_deref() == Some("jkt"));
        assert!(!b.includes_namespace("gov-id") && b.includes_namespace("shop"));
    }

    #[test]
    fn a_location_keeps_its_provider_region_and_default() {
        let DataCopy::Location(l) = parse(json!({
            "apiVersion": "velero.io/v1", "kind": "BackupStorageLocation",
            "metadata": { "name": "default", "namespace": "velero" },
            "spec": { "provider": "aws", "default": true, "objectStorage": { "bucket": "b" },
                      "config": { "region": "us-east-1" } }
        })) else {
            panic!()
        };
        assert!(l.default && !l.snapshots);
        assert_eq!((l.provider.as_deref(), l.config_region.as_deref()), (Some("aws"), Some("us-east-1")));
    }

    #[test]
    fn a_malformed_copy_is_an_error_not_an_empty_one() {
        let value = json!({ "apiVersion": "velero.io/v1", "kind": "Backup", "metadata": { "name": "b" },
            "spec": { "includedNamespaces": "gov-id" } });
        assert!(matches!(Object::parse(&value), Err(ObjectError::Malformed { .. })));
    }

    #[test]
    fn a_snapshot_class_says_its_driver_parameters_and_default() {
        let class = SnapshotClass::read(&json!({
            "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
            "metadata": { "name": "c", "annotations": { "snapshot.storage.kubernetes.io/is-default-class": "true" } },
            "driver": "pd.csi.storage.gke.io", "deletionPolicy": "Delete",
            "parameters": { "storage-locations": "asia-southeast2" }
        }))
        .unwrap();
        assert!(class.default);
        assert_eq!(class.parameters["storage-locations"], "asia-southeast2");
    }
}
