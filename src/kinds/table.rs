//! The rows of the table: every kind sovereign knows, with the store kinds' readings.
//! A data table, kept in one file on purpose: one place to read what each kind is.

use super::{CopyReading, Kind, Locate, Reading, Replicas, Roles, Scope, StoreReading, TemplateAt};

const fn roles(judged: bool, inventory: bool, audited: bool, watched: bool) -> Roles {
    Roles { judged, inventory, audited, watched }
}

const CREATE: &[&str] = &["CREATE"];
const CREATE_UPDATE: &[&str] = &["CREATE", "UPDATE"];
const UPDATE: &[&str] = &["UPDATE"];
const UPDATE_DELETE: &[&str] = &["UPDATE", "DELETE"];
const NONE: &[&str] = &[];

/// Judged at admission and re-judged by the audit.
const WORKLOAD: Roles = roles(true, false, true, false);

const fn workload(group: &'static str, kind: &'static str, plural: &'static str, template: TemplateAt) -> Kind {
    Kind {
        group,
        versions: &["v1"],
        kind,
        plural,
        scope: Scope::Namespaced,
        reading: Reading::Workload { template, claim_templates: false },
        roles: WORKLOAD,
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    }
}

/// Every kind sovereign knows.
pub static KINDS: &[Kind] = &[
    Kind {
        group: "",
        versions: &["v1"],
        kind: "Pod",
        plural: "pods",
        scope: Scope::Namespaced,
        reading: Reading::Pod,
        // In the inventory for bindings (pods not yet scheduled).
        roles: roles(true, true, true, true),
        operations: CREATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    workload("apps", "Deployment", "deployments", TemplateAt::Spec),
    Kind {
        reading: Reading::Workload { template: TemplateAt::Spec, claim_templates: true },
        ..workload("apps", "StatefulSet", "statefulsets", TemplateAt::Spec)
    },
    workload("apps", "DaemonSet", "daemonsets", TemplateAt::Spec),
    Kind { owned_by_controller_skipped: true, ..workload("apps", "ReplicaSet", "replicasets", TemplateAt::Spec) },
    Kind { owned_by_controller_skipped: true, ..workload("batch", "Job", "jobs", TemplateAt::Spec) },
    // batch/v1beta1 is what API servers before 1.21 serve.
    Kind { versions: &["v1", "v1beta1"], ..workload("batch", "CronJob", "cronjobs", TemplateAt::JobTemplate) },
    workload("", "ReplicationController", "replicationcontrollers", TemplateAt::Spec),
    Kind {
        group: "",
        versions: &["v1"],
        kind: "PersistentVolumeClaim",
        plural: "persistentvolumeclaims",
        scope: Scope::Namespaced,
        reading: Reading::Claim,
        roles: roles(true, true, true, true),
        operations: CREATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    Kind {
        group: "",
        versions: &["v1"],
        kind: "PersistentVolume",
        plural: "persistentvolumes",
        scope: Scope::Cluster,
        reading: Reading::Volume,
        roles: roles(true, true, true, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    Kind {
        group: "",
        versions: &["v1"],
        kind: "Binding",
        plural: "pods/binding",
        scope: Scope::Namespaced,
        reading: Reading::Binding,
        roles: roles(true, false, false, false),
        operations: CREATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "sovereignty.io",
        versions: &["v1alpha1"],
        kind: "SovereigntyPolicy",
        plural: "sovereigntypolicies",
        scope: Scope::Cluster,
        reading: Reading::Policy,
        roles: roles(true, false, false, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE_DELETE,
    },
    Kind {
        group: "sovereignty.io",
        versions: &["v1alpha1"],
        kind: "SovereigntyException",
        plural: "sovereigntyexceptions",
        scope: Scope::Namespaced,
        reading: Reading::Exception,
        roles: roles(true, false, false, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "",
        versions: &["v1"],
        kind: "Namespace",
        plural: "namespaces",
        scope: Scope::Cluster,
        reading: Reading::Metadata,
        roles: roles(false, true, false, true),
        operations: NONE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    Kind {
        group: "",
        versions: &["v1"],
        kind: "Node",
        plural: "nodes",
        scope: Scope::Cluster,
        reading: Reading::Metadata,
        roles: roles(false, true, false, true),
        operations: NONE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "storage.k8s.io",
        versions: &["v1"],
        kind: "StorageClass",
        plural: "storageclasses",
        scope: Scope::Cluster,
        reading: Reading::StorageClass,
        roles: roles(false, true, false, true),
        operations: NONE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "snapshot.storage.k8s.io",
        versions: &["v1"],
        kind: "VolumeSnapshot",
        plural: "volumesnapshots",
        scope: Scope::Namespaced,
        reading: Reading::Copy(CopyReading::Snapshot),
        // In the inventory for the contents and restored claims that name it.
        roles: roles(true, true, true, true),
        operations: CREATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    Kind {
        group: "snapshot.storage.k8s.io",
        versions: &["v1"],
        kind: "VolumeSnapshotContent",
        plural: "volumesnapshotcontents",
        scope: Scope::Cluster,
        reading: Reading::Copy(CopyReading::SnapshotContent),
        roles: roles(true, false, true, false),
        operations: CREATE,
        owned_by_controller_skipped: false,
        guarded: UPDATE,
    },
    Kind {
        group: "snapshot.storage.k8s.io",
        versions: &["v1"],
        kind: "VolumeSnapshotClass",
        plural: "volumesnapshotclasses",
        scope: Scope::Cluster,
        reading: Reading::Kept,
        roles: roles(false, true, false, true),
        operations: NONE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "velero.io",
        versions: &["v1"],
        kind: "Backup",
        plural: "backups",
        scope: Scope::Namespaced,
        reading: Reading::Copy(CopyReading::Backup { schedule: false }),
        // In the inventory for the locations they write to.
        roles: roles(true, true, true, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "velero.io",
        versions: &["v1"],
        kind: "Schedule",
        plural: "schedules",
        scope: Scope::Namespaced,
        reading: Reading::Copy(CopyReading::Backup { schedule: true }),
        roles: roles(true, true, true, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "velero.io",
        versions: &["v1"],
        kind: "BackupStorageLocation",
        plural: "backupstoragelocations",
        scope: Scope::Namespaced,
        reading: Reading::Copy(CopyReading::BackupLocation { snapshots: false }),
        // Judged with everything that backs up to it when it moves.
        roles: roles(true, true, true, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    Kind {
        group: "velero.io",
        versions: &["v1"],
        kind: "VolumeSnapshotLocation",
        plural: "volumesnapshotlocations",
        scope: Scope::Namespaced,
        reading: Reading::Copy(CopyReading::BackupLocation { snapshots: true }),
        roles: roles(true, true, true, true),
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: NONE,
    },
    // Cloud data stores (SPEC §13). Buckets are also kept in the inventory: replication
    // rules name them as destinations.
    store("s3.aws.upbound.io", XP_V2, "Bucket", "buckets", Scope::Cluster, &XP_AWS_BUCKET, KEPT),
    store(
        "s3.aws.upbound.io",
        XP_AWS_S3_REPLICATION,
        "BucketReplicationConfiguration",
        "bucketreplicationconfigurations",
        Scope::Cluster,
        &XP_AWS_REPLICATION,
        KEPT,
    ),
    store(
        "rds.aws.upbound.io",
        &["v1beta3", "v1beta2", "v1beta1"],
        "Instance",
        "instances",
        Scope::Cluster,
        &XP_AWS,
        STORE,
    ),
    store("rds.aws.upbound.io", XP_V2, "Cluster", "clusters", Scope::Cluster, &XP_AWS, STORE),
    store("dynamodb.aws.upbound.io", XP_V2, "Table", "tables", Scope::Cluster, &XP_AWS, STORE),
    store("storage.gcp.upbound.io", XP_V2, "Bucket", "buckets", Scope::Cluster, &XP_GCP_LOCATION, STORE),
    store("sql.gcp.upbound.io", XP_V2, "DatabaseInstance", "databaseinstances", Scope::Cluster, &XP_GCP_REGION, STORE),
    store("storage.azure.upbound.io", XP_V2, "Account", "accounts", Scope::Cluster, &XP_AZURE_ACCOUNT, STORE),
    store(
        "dbforpostgresql.azure.upbound.io",
        XP_V2,
        "FlexibleServer",
        "flexibleservers",
        Scope::Cluster,
        &XP_AZURE,
        STORE,
    ),
    store("s3.services.k8s.aws", ACK, "Bucket", "buckets", Scope::Namespaced, &ACK_BUCKET, KEPT),
    store("rds.services.k8s.aws", ACK, "DBInstance", "dbinstances", Scope::Namespaced, &ACK_STORE, STORE),
    store(
        "storage.cnrm.cloud.google.com",
        KCC,
        "StorageBucket",
        "storagebuckets",
        Scope::Namespaced,
        &KCC_LOCATION,
        STORE,
    ),
    store("sql.cnrm.cloud.google.com", KCC, "SQLInstance", "sqlinstances", Scope::Namespaced, &KCC_REGION, STORE),
    store(
        "storage.azure.com",
        ASO_STORAGE,
        "StorageAccount",
        "storageaccounts",
        Scope::Namespaced,
        &ASO_ACCOUNT,
        STORE,
    ),
    store(
        "dbforpostgresql.azure.com",
        ASO_POSTGRES,
        "FlexibleServer",
        "flexibleservers",
        Scope::Namespaced,
        &ASO,
        STORE,
    ),
];

/// Judged on create and update, re-judged by the audit.
const STORE: Roles = roles(true, false, true, false);
/// A store that is also kept whole in the inventory (replication destinations).
const KEPT: Roles = roles(true, true, true, true);

// Versions a served CRD may have, preferred first: Crossplane's upbound providers
// (`v1beta2` where the provider moved on), ACK, Config Connector, Azure Service Operator v2.
const XP_V2: &[&str] = &["v1beta2", "v1beta1"];
const XP_AWS_S3_REPLICATION: &[&str] = &["v1beta3", "v1beta2", "v1beta1"];
const ACK: &[&str] = &["v1alpha1"];
const KCC: &[&str] = &["v1beta1"];
const ASO_STORAGE: &[&str] = &["v1api20230101", "v1api20220901", "v1api20210401", "v1beta20210401"];
const ASO_POSTGRES: &[&str] = &[
    "v1api20240801",
    "v1api20230601preview",
    "v1api20221201",
    "v1api20220120preview",
    "v1api20210601",
    "v1beta20210601",
];

const fn located(provider: &'static str, path: &'static str, replicas: Replicas) -> StoreReading {
    StoreReading { provider, location: Locate::Path(path), replicas }
}

static XP_AWS: StoreReading = located("aws", "spec.forProvider.region", Replicas::None);
static XP_AWS_BUCKET: StoreReading = located("aws", "spec.forProvider.region", Replicas::CrossplaneReplicatedBy);
static XP_AWS_REPLICATION: StoreReading =
    StoreReading { provider: "aws", location: Locate::Nowhere, replicas: Replicas::CrossplaneRules };
static XP_GCP_LOCATION: StoreReading = located("gcp", "spec.forProvider.location", Replicas::None);
static XP_GCP_REGION: StoreReading = located("gcp", "spec.forProvider.region", Replicas::None);
static XP_AZURE: StoreReading = located("azure", "spec.forProvider.location", Replicas::None);
static XP_AZURE_ACCOUNT: StoreReading =
    located("azure", "spec.forProvider.location", Replicas::AzurePair("spec.forProvider.accountReplicationType"));
static ACK_STORE: StoreReading = StoreReading { provider: "aws", location: Locate::Ack, replicas: Replicas::None };
static ACK_BUCKET: StoreReading = StoreReading { provider: "aws", location: Locate::Ack, replicas: Replicas::AckRules };
static KCC_LOCATION: StoreReading = located("gcp", "spec.location", Replicas::None);
static KCC_REGION: StoreReading = located("gcp", "spec.region", Replicas::None);
static ASO: StoreReading = located("azure", "spec.location", Replicas::None);
static ASO_ACCOUNT: StoreReading = located("azure", "spec.location", Replicas::AzurePair("spec.sku.name"));

const fn store(
    group: &'static str,
    versions: &'static [&'static str],
    kind: &'static str,
    plural: &'static str,
    scope: Scope,
    reading: &'static StoreReading,
    roles: Roles,
) -> Kind {
    Kind {
        group,
        versions,
        kind,
        plural,
        scope,
        reading: Reading::Store(reading),
        roles,
        operations: CREATE_UPDATE,
        owned_by_controller_skipped: false,
        guarded: if roles.judged { UPDATE } else { NONE },
    }
}
