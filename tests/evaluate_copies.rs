//! Copies are data too (SPEC §12): volume snapshots and their contents, clones and
//! restores, Velero backups and schedules, and the locations they write to. One test per
//! rule and per source of a location.

mod common;
use common::*;
use sovereign::evaluate::Verdict;
use sovereign::inventory::Inventory;

/// Claim gov-id/data bound to pv-1 (an EBS volume in Jakarta, or `region`), and what is in CLUSTER.
fn cluster_with_claim_in(region: &str, extra: &str) -> Inventory {
    inventory(&format!(
        r#"{CLUSTER}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{ name: data, namespace: gov-id }}
spec: {{ accessModes: [ReadWriteOnce], storageClassName: "", volumeName: pv-1, resources: {{ requests: {{ storage: 1Gi }} }} }}
---
apiVersion: v1
kind: PersistentVolume
metadata: {{ name: pv-1, labels: {{ topology.kubernetes.io/region: {region} }} }}
spec:
  capacity: {{ storage: 1Gi }}
  accessModes: [ReadWriteOnce]
  claimRef: {{ namespace: gov-id, name: data }}
  csi: {{ driver: ebs.csi.aws.com, volumeHandle: vol-0abc }}
---
apiVersion: v1
kind: Namespace
metadata: {{ name: shop }}
---
apiVersion: v1
kind: Namespace
metadata: {{ name: velero }}
{extra}"#
    ))
}

fn cluster(extra: &str) -> Inventory {
    cluster_with_claim_in("ap-southeast-3", extra)
}

/// A VolumeSnapshotClass `name` of `driver` with metadata `labels` and `parameters` (flow contents).
fn snapshot_class(name: &str, driver: &str, labels: &str, parameters: &str) -> String {
    format!(
        "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata: {{ name: {name}, labels: {{ {labels} }} }}\ndriver: {driver}\ndeletionPolicy: Delete\nparameters: {{ {parameters} }}\n"
    )
}

/// A VolumeSnapshot of claim gov-id/`claim` through `class` (`None`: the default class).
fn snapshot_of(claim: &str, class: Option<&str>) -> String {
    let class = class.map(|c| format!("volumeSnapshotClassName: {c}, ")).unwrap_or_default();
    format!(
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {{ name: snap, namespace: gov-id }}\nspec: {{ {class}source: {{ persistentVolumeClaimName: {claim} }} }}\n"
    )
}

fn id() -> sovereign::policy::PolicySet {
    policies(&[&indonesia("")])
}

// --- VolumeSnapshot: where the class says it is stored --------------------------------

#[test]
fn a_snapshot_through_a_class_without_a_location_is_denied_naming_the_class_and_parameter() {
    let inv = cluster(&snapshot_class("fast-snap", "pd.csi.storage.gke.io", "", ""));
    let decision = judge(&snapshot_of("data", Some("fast-snap")), &inv, &id());
    assert_denied_saying(
        &decision,
        &[
            "VolumeSnapshot gov-id/snap: data class \"citizen-pii\" (policy indonesia-pdp)",
            "its copy of PersistentVolumeClaim gov-id/data through VolumeSnapshotClass fast-snap",
            "sets no storage-locations",
            "Fix: set `storage-locations: asia-southeast2` on VolumeSnapshotClass fast-snap",
        ],
    );
}

#[test]
fn a_snapshot_through_a_class_parameterised_for_jakarta_is_allowed() {
    let class = snapshot_class("fast-snap", "pd.csi.storage.gke.io", "", "storage-locations: asia-southeast2");
    let decision = judge(&snapshot_of("data", Some("fast-snap")), &cluster(&class), &id());
    assert_verdict(&decision, Verdict::Allow);
    assert_eq!(decision.classes, ["citizen-pii"]);
}

#[test]
fn a_snapshot_through_a_class_labelled_for_jakarta_is_allowed_whatever_its_driver() {
    let class = snapshot_class("local", "example.com/csi", "topology.kubernetes.io/region: ap-southeast-3", "");
    assert_verdict(&judge(&snapshot_of("data", Some("local")), &cluster(&class), &id()), Verdict::Allow);
}

#[test]
fn the_class_label_wins_over_the_parameter() {
    let class = snapshot_class(
        "fast-snap",
        "pd.csi.storage.gke.io",
        "topology.kubernetes.io/region: us-east1",
        "storage-locations: asia-southeast2",
    );
    let decision = judge(&snapshot_of("data", Some("fast-snap")), &cluster(&class), &id());
    assert_denied_saying(&decision, &["may be stored in region us-east1, outside them", "is labelled"]);
}

#[test]
fn a_snapshot_stored_in_another_region_says_where_and_the_parameter_to_set() {
    let class = snapshot_class("fast-snap", "pd.csi.storage.gke.io", "", "storage-locations: us-central1");
    let decision = judge(&snapshot_of("data", Some("fast-snap")), &cluster(&class), &id());
    assert_denied_saying(
        &decision,
        &[
            "may be stored in region us-central1",
            "Fix: set `storage-locations: asia-southeast2` on VolumeSnapshotClass fast-snap",
        ],
    );
}

#[test]
fn a_multi_region_is_outside_unless_every_country_of_it_is_allowed() {
    let class = snapshot_class("multi", "pd.csi.storage.gke.io", "", "storage-locations: asia");
    let decision = judge(&snapshot_of("data", Some("multi")), &cluster(&class), &id());
    assert_denied_saying(&decision, &["may be stored in the gcp location ASIA (multi-region: ", "outside them"]);

    // Under an EU policy, the `eu` multi-region lies wholly inside.
    let eu = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: gdpr }
spec:
  providers: [gcp]
  jurisdictions: [{ name: EU, presets: [EU] }]
  dataClasses: [{ name: eu-pii, allowedJurisdictions: [EU] }]
  classify: [{ namespaceSelector: { matchLabels: { tenant: gov-id } }, dataClasses: [eu-pii] }]
"#;
    let class = snapshot_class("multi", "pd.csi.storage.gke.io", "", "storage-locations: eu");
    let decision = judge(&snapshot_of("data", Some("multi")), &cluster(&class), &policies(&[eu]));
    assert_verdict(&decision, Verdict::Allow);
    let class = snapshot_class("multi", "pd.csi.storage.gke.io", "", "storage-locations: us");
    let decision = judge(&snapshot_of("data", Some("multi")), &cluster(&class), &policies(&[eu]));
    assert_verdict(&decision, Verdict::Deny);
}

#[test]
fn ebs_snapshots_stay_in_the_source_volume_region() {
    let class = snapshot_class("ebs", "ebs.csi.aws.com", "", "");
    assert_verdict(&judge(&snapshot_of("data", Some("ebs")), &cluster(&class), &id()), Verdict::Allow);
    let abroad = cluster_with_claim_in("us-east-1", &class);
    assert_denied_saying(
        &judge(&snapshot_of("data", Some("ebs")), &abroad, &id()),
        &["may be stored in region us-east-1", "keeps snapshots with the source volume"],
    );
}

#[test]
fn azure_disk_snapshots_follow_location_else_the_source_volume() {
    let azure = indonesia("").replace("providers: [aws, gcp]", "providers: [aws, gcp, azure]");
    let set = policies(&[&azure]);
    let with_location = snapshot_class("az", "disk.csi.azure.com", "", "location: indonesiacentral");
    assert_verdict(&judge(&snapshot_of("data", Some("az")), &cluster(&with_location), &set), Verdict::Allow);
    let abroad = snapshot_class("az", "disk.csi.azure.com", "", "location: eastus");
    assert_denied_saying(
        &judge(&snapshot_of("data", Some("az")), &cluster(&abroad), &set),
        &["region eastus", "Fix: set `location: indonesiacentral` on VolumeSnapshotClass az"],
    );
    let without = snapshot_class("az", "disk.csi.azure.com", "", "");
    assert_verdict(&judge(&snapshot_of("data", Some("az")), &cluster(&without), &set), Verdict::Allow);
    let decision = judge(&snapshot_of("data", Some("az")), &cluster_with_claim_in("us-east-1", &without), &set);
    assert_verdict(&decision, Verdict::Deny);
}

#[test]
fn an_unknown_driver_without_a_label_is_unknown_and_denied() {
    let class = snapshot_class("other", "example.com/csi", "", "");
    assert_denied_saying(
        &judge(&snapshot_of("data", Some("other")), &cluster(&class), &id()),
        &[
            "does not say where its snapshots are stored",
            "label VolumeSnapshotClass other topology.kubernetes.io/region",
        ],
    );
}

#[test]
fn a_missing_class_is_unknown_and_denied() {
    assert_denied_saying(
        &judge(&snapshot_of("data", Some("gone")), &cluster(""), &id()),
        &["VolumeSnapshotClass gone is not in the inventory"],
    );
}

#[test]
fn without_a_class_name_the_default_class_for_the_volume_driver_is_used() {
    let default = |name: &str, driver: &str, params: &str| {
        format!(
            "---\napiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotClass\nmetadata: {{ name: {name}, annotations: {{ snapshot.storage.kubernetes.io/is-default-class: \"true\" }} }}\ndriver: {driver}\ndeletionPolicy: Delete\nparameters: {{ {params} }}\n"
        )
    };
    // The EBS default is used for the EBS volume, not the Google one.
    let classes = default("ebs", "ebs.csi.aws.com", "") + &default("gce", "pd.csi.storage.gke.io", "");
    assert_verdict(&judge(&snapshot_of("data", None), &cluster(&classes), &id()), Verdict::Allow);
    assert_denied_saying(
        &judge(&snapshot_of("data", None), &cluster(""), &id()),
        &["names no VolumeSnapshotClass and no default one"],
    );
}

#[test]
fn an_unclassified_snapshot_is_not_restricted() {
    let shop_claim = snapshot_of("data", Some("x")).replace("namespace: gov-id", "namespace: shop");
    assert_verdict(&judge(&shop_claim, &cluster(""), &id()), Verdict::Allow);
}

#[test]
fn a_snapshot_labelled_with_a_class_is_judged_even_without_its_claim() {
    let snapshot = snapshot_of("missing", Some("x"))
        .replace("namespace: gov-id", "namespace: shop, labels: { sovereignty.io/data-class: citizen-pii }");
    assert_denied_saying(&judge(&snapshot, &cluster(""), &id()), &["VolumeSnapshotClass x is not in the inventory"]);
}

// --- VolumeSnapshotContent ---------------------------------------------------------------

#[test]
fn a_content_is_classified_through_its_volume_handle_and_stored_by_its_class() {
    let content = |class: &str| {
        format!(
            "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshotContent\nmetadata: {{ name: c1 }}\nspec: {{ driver: pd.csi.storage.gke.io, deletionPolicy: Delete, volumeSnapshotClassName: {class}, source: {{ volumeHandle: vol-0abc }}, volumeSnapshotRef: {{ name: snap, namespace: gov-id }} }}\n"
        )
    };
    let classes = snapshot_class("bare", "pd.csi.storage.gke.io", "", "")
        + &snapshot_class("jkt", "pd.csi.storage.gke.io", "", "storage-locations: asia-southeast2");
    let inv = cluster(&classes);
    let denied = judge(&content("bare"), &inv, &id());
    assert_denied_saying(&denied, &["VolumeSnapshotContent c1:", "its copy of volume vol-0abc"]);
    assert_eq!(denied.classes, ["citizen-pii"]);
    assert_verdict(&judge(&content("jkt"), &inv, &id()), Verdict::Allow);
}

// --- Clones and restores -----------------------------------------------------------------

/// A claim in `namespace` restored or cloned from `kind` `name`, through StorageClass `class`.
fn restored(namespace: &str, kind: &str, group: &str, name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{ name: copy, namespace: {namespace} }}\nspec: {{ accessModes: [ReadWriteOnce], storageClassName: anywhere, resources: {{ requests: {{ storage: 1Gi }} }}, dataSource: {{ {group}kind: {kind}, name: {name} }} }}\n"
    )
}

const ANYWHERE_CLASS: &str = "---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: { name: anywhere }\nprovisioner: ebs.csi.aws.com\n";

#[test]
fn a_clone_of_a_classified_claim_carries_its_classes() {
    let inv = cluster(ANYWHERE_CLASS);
    // The clone lives in an unclassified namespace... (a clone must be in the source's
    // namespace for dataSource, so the source is named through dataSourceRef here.)
    let clone = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: copy, namespace: shop }\nspec: { accessModes: [ReadWriteOnce], storageClassName: anywhere, resources: { requests: { storage: 1Gi } }, dataSourceRef: { kind: PersistentVolumeClaim, name: data, namespace: gov-id } }\n";
    let decision = judge(clone, &inv, &id());
    assert_denied_saying(&decision, &["PersistentVolumeClaim shop/copy: data class \"citizen-pii\""]);
    // ...and is unrestricted when its source is.
    let plain = restored("shop", "PersistentVolumeClaim", "", "other");
    assert_verdict(&judge(&plain, &inv, &id()), Verdict::Allow);
}

#[test]
fn a_restore_from_a_snapshot_carries_the_classes_of_the_snapshot_source() {
    let snapshot = format!("---\n{}", snapshot_of("data", Some("x")).replace("namespace: gov-id", "namespace: shop"));
    let claim_in_shop = "---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: { name: data, namespace: shop, labels: { sovereignty.io/data-class: citizen-pii } }\nspec: { accessModes: [ReadWriteOnce], storageClassName: anywhere, resources: { requests: { storage: 1Gi } } }\n";
    let inv = cluster(&format!("{ANYWHERE_CLASS}{claim_in_shop}{snapshot}"));
    let restore = restored("shop", "VolumeSnapshot", "apiGroup: snapshot.storage.k8s.io, ", "snap");
    assert_denied_saying(
        &judge(&restore, &inv, &id()),
        &["PersistentVolumeClaim shop/copy: data class \"citizen-pii\"", "StorageClass anywhere"],
    );
    let unknown_snapshot = restored("shop", "VolumeSnapshot", "apiGroup: snapshot.storage.k8s.io, ", "other");
    assert_verdict(&judge(&unknown_snapshot, &inv, &id()), Verdict::Allow);
}

// --- Velero ------------------------------------------------------------------------------

/// A BackupStorageLocation `name` in velero (`default` or not) with labels and config.
fn bsl(name: &str, default: bool, labels: &str, config: &str) -> String {
    format!(
        "---\napiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {{ name: {name}, namespace: velero, labels: {{ {labels} }} }}\nspec: {{ provider: aws, default: {default}, objectStorage: {{ bucket: b-{name} }}, config: {{ {config} }} }}\n"
    )
}

fn schedule(template: &str) -> String {
    format!(
        "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {{ name: daily, namespace: velero }}\nspec: {{ schedule: \"@daily\", template: {{ {template} }} }}\n"
    )
}

fn locations() -> String {
    bsl("us-backups", true, "", "region: us-east-1")
        + &bsl("jkt-backups", false, "topology.kubernetes.io/region: ap-southeast-3", "")
}

#[test]
fn a_schedule_including_a_classified_namespace_abroad_is_denied_and_told_the_location_to_use() {
    let inv = cluster(&locations());
    let decision = judge(&schedule("includedNamespaces: [\"*\"]"), &inv, &id());
    assert_denied_saying(
        &decision,
        &[
            "Schedule velero/daily: data class \"citizen-pii\"",
            "its backup of namespace gov-id written to BackupStorageLocation us-backups",
            "region us-east-1",
            "Fix: use BackupStorageLocation jkt-backups",
        ],
    );
    let named = judge(&schedule("includedNamespaces: [gov-id], storageLocation: us-backups"), &inv, &id());
    assert_verdict(&named, Verdict::Deny);
}

#[test]
fn a_schedule_excluding_the_classified_namespace_is_allowed() {
    let inv = cluster(&locations());
    let decision = judge(&schedule("includedNamespaces: [\"*\"], excludedNamespaces: [gov-id]"), &inv, &id());
    assert_verdict(&decision, Verdict::Allow);
    assert!(decision.classes.is_empty());
    assert_verdict(&judge(&schedule("includedNamespaces: [shop]"), &inv, &id()), Verdict::Allow);
}

#[test]
fn a_backup_to_a_location_in_jakarta_is_allowed() {
    let inv = cluster(&locations());
    let backup = "apiVersion: velero.io/v1\nkind: Backup\nmetadata: { name: b, namespace: velero }\nspec: { includedNamespaces: [gov-id], storageLocation: jkt-backups }\n";
    assert_verdict(&judge(backup, &inv, &id()), Verdict::Allow);
}

#[test]
fn a_location_without_a_region_is_unknown() {
    let inv = cluster(&bsl("somewhere", true, "", ""));
    assert_denied_saying(
        &judge(&schedule("includedNamespaces: [gov-id]"), &inv, &id()),
        &["BackupStorageLocation somewhere (provider aws) states no region", "label BackupStorageLocation somewhere"],
    );
    let none = cluster("");
    assert_denied_saying(
        &judge(&schedule("includedNamespaces: [gov-id]"), &none, &id()),
        &["no single BackupStorageLocation marked spec.default: true"],
    );
}

#[test]
fn the_label_selector_narrows_what_is_included() {
    let policy = indonesia_classifying(
        "    - objectSelector: { matchLabels: { app: census } }\n      dataClasses: [citizen-pii]\n",
    );
    let set = policies(&[&policy]);
    let inv = cluster(&locations());
    let selected =
        judge(&schedule("includedNamespaces: [shop], labelSelector: { matchLabels: { app: census } }"), &inv, &set);
    assert_verdict(&selected, Verdict::Deny);
    let unselective = judge(&schedule("includedNamespaces: [shop]"), &inv, &set);
    assert_verdict(&unselective, Verdict::Deny);
    let other =
        judge(&schedule("includedNamespaces: [shop], labelSelector: { matchLabels: { app: web } }"), &inv, &set);
    assert_verdict(&other, Verdict::Allow);
}

#[test]
fn volume_snapshot_locations_count_too() {
    let vsl = "---\napiVersion: velero.io/v1\nkind: VolumeSnapshotLocation\nmetadata: { name: snaps, namespace: velero }\nspec: { provider: velero.io/aws, config: { region: us-west-2 } }\n";
    let inv =
        cluster(&format!("{}{vsl}", bsl("jkt-backups", true, "topology.kubernetes.io/region: ap-southeast-3", "")));
    assert_denied_saying(
        &judge(&schedule("includedNamespaces: [gov-id]"), &inv, &id()),
        &["its volume snapshots of namespace gov-id kept through VolumeSnapshotLocation snaps", "us-west-2"],
    );
    assert_verdict(
        &judge(&schedule("includedNamespaces: [gov-id], snapshotVolumes: false"), &inv, &id()),
        Verdict::Allow,
    );
}

#[test]
fn a_location_moving_abroad_is_judged_with_everything_that_backs_up_to_it() {
    let daily = format!("---\n{}", schedule("includedNamespaces: [gov-id], storageLocation: jkt-backups"));
    let inv = cluster(&format!("{}{daily}", locations()));
    let moved = bsl("jkt-backups", false, "topology.kubernetes.io/region: us-east-1", "");
    assert_denied_saying(
        &judge(&moved[4..], &inv, &id()),
        &[
            "BackupStorageLocation velero/jkt-backups",
            "the copy of namespace gov-id that Schedule velero/daily writes to it",
        ],
    );
    let stays = bsl("jkt-backups", false, "topology.kubernetes.io/region: ap-southeast-3", "");
    assert_verdict(&judge(&stays[4..], &inv, &id()), Verdict::Allow);
    let unused = bsl("other", false, "topology.kubernetes.io/region: us-east-1", "");
    assert_verdict(&judge(&unused[4..], &inv, &id()), Verdict::Allow);
}
