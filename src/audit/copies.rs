//! Which audited copies of data (SPEC §12) a change re-judges: a VolumeSnapshotClass its
//! snapshots and contents, a backup location the Backups and Schedules of its namespace
//! (and the locations themselves, judged with what writes to them), a Backup or Schedule
//! the locations it may write to, a VolumeSnapshot the contents and restored claims that
//! name it, and a Namespace every backup (which may include it).

use std::collections::BTreeSet;

use super::subject::{Key, Subjects};
use crate::inventory::copies::{SNAPSHOT_GROUP, VELERO_GROUP};
use crate::kinds::Kind;

const VELERO_KINDS: [&str; 4] = ["Backup", "Schedule", "BackupStorageLocation", "VolumeSnapshotLocation"];

/// The audited objects a change to a kept object of `kind` in `namespace` may re-judge;
/// `None` for kinds this file does not know (then everything is re-judged).
pub fn depending_on(kind: &Kind, namespace: &str, subjects: &Subjects) -> Option<BTreeSet<Key>> {
    let of_kinds = |kinds: &[&str], namespace: Option<&str>| -> BTreeSet<Key> {
        subjects
            .keys()
            .filter(|k| kinds.contains(&k.kind.as_str()) && namespace.is_none_or(|ns| k.namespace == ns))
            .cloned()
            .collect()
    };
    Some(match (kind.group, kind.kind) {
        (SNAPSHOT_GROUP, "VolumeSnapshotClass") => of_kinds(&["VolumeSnapshot", "VolumeSnapshotContent"], None),
        (SNAPSHOT_GROUP, "VolumeSnapshot") => {
            let mut out = of_kinds(&["VolumeSnapshotContent"], None);
            // Claims restored from it may live in another namespace (dataSourceRef).
            out.extend(of_kinds(&["PersistentVolumeClaim"], None));
            out
        }
        (VELERO_GROUP, kind) if VELERO_KINDS.contains(&kind) => of_kinds(&VELERO_KINDS, Some(namespace)),
        _ => return None,
    })
}

/// Every Backup, Schedule and location: what a backup may include changes with any namespace.
pub fn backing_up(subjects: &Subjects) -> impl Iterator<Item = &Key> {
    subjects.keys().filter(|k| VELERO_KINDS.contains(&k.kind.as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::subject::Subject;
    use crate::kinds;

    #[test]
    fn a_class_re_judges_snapshots_and_a_location_the_backups_beside_it() {
        let mut all = Subjects::default();
        for value in [
            json!({ "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
                    "metadata": { "name": "s", "namespace": "gov" }, "spec": { "source": { "persistentVolumeClaimName": "d" } } }),
            json!({ "apiVersion": "velero.io/v1", "kind": "Schedule", "metadata": { "name": "daily", "namespace": "velero" },
                    "spec": { "template": {} } }),
            json!({ "apiVersion": "velero.io/v1", "kind": "Backup", "metadata": { "name": "other", "namespace": "elsewhere" },
                    "spec": {} }),
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "p", "namespace": "gov" },
                    "spec": { "containers": [] } }),
        ] {
            all.insert(Subject::from_value(&value).unwrap());
        }
        let class = kinds::find(SNAPSHOT_GROUP, "VolumeSnapshotClass").unwrap();
        assert_eq!(
            depending_on(class, "", &all).unwrap().into_iter().collect::<Vec<_>>(),
            [Key::new("VolumeSnapshot", "gov", "s")]
        );
        let bsl = kinds::find(VELERO_GROUP, "BackupStorageLocation").unwrap();
        assert_eq!(
            depending_on(bsl, "velero", &all).unwrap().into_iter().collect::<Vec<_>>(),
            [Key::new("Schedule", "velero", "daily")]
        );
        assert_eq!(backing_up(&all).count(), 2);
        assert!(depending_on(kinds::find("", "PersistentVolumeClaim").unwrap(), "gov", &all).is_none());
    }
}
