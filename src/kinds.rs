//! The one table of kinds: what each kind sovereign knows is, and which roles it plays.
//!
//! Every adapter reads this table instead of keeping its own list: the object readers
//! (how to read what a kind holds), the inventory (what evaluation keeps of it), the audit
//! (which kinds it re-judges), the live report and the watchers (which kinds are listed and
//! watched), and the tests that check the chart's webhook rules and ClusterRole. Kinds are
//! matched by API group and kind, never by kind alone: a Volcano `Job`
//! (`batch.volcano.sh`) is not a `batch` Job.
//!
//! Adding a kind is a row here and a file for its reading rule (docs/architecture.md).

/// Whether objects of a kind live in a namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Namespaced,
    Cluster,
}

/// Where a workload keeps its pod template.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateAt {
    /// `spec.template`
    Spec,
    /// `spec.jobTemplate.spec.template`
    JobTemplate,
}

impl TemplateAt {
    pub fn path(self) -> &'static str {
        match self {
            TemplateAt::Spec => "spec.template",
            TemplateAt::JobTemplate => "spec.jobTemplate.spec.template",
        }
    }
}

/// How an object of a kind is read: which of its parts sovereign needs, in what shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// A Pod: its spec.
    Pod,
    /// A workload that stamps out pods from a template; `claim_templates` when it also
    /// stamps out claims (StatefulSet `volumeClaimTemplates`).
    Workload { template: TemplateAt, claim_templates: bool },
    /// A PersistentVolumeClaim.
    Claim,
    /// A PersistentVolume.
    Volume,
    /// A pods/binding: the pod named by its metadata, the node by `target`.
    Binding,
    /// A SovereigntyPolicy, read whole.
    Policy,
    /// A SovereigntyException, read whole.
    Exception,
    /// Only metadata matters (Namespaces, Nodes).
    Metadata,
    /// A StorageClass.
    StorageClass,
    /// Kept whole in the inventory and read where it is used (custom resources such as
    /// VolumeSnapshotClasses). Judged kinds of no typed inventory reading are kept whole too.
    Kept,
    /// A copy of data or a place copies are kept (SPEC §12): read by `read/copies.rs`.
    Copy(CopyReading),
    /// A cloud data store declared as an object (a bucket, a database): SPEC §13.
    Store(&'static StoreReading),
}

/// How a copy of data, or a place copies are kept, is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyReading {
    /// A VolumeSnapshot.
    Snapshot,
    /// A VolumeSnapshotContent.
    SnapshotContent,
    /// A Velero Backup, or a Schedule (its `spec.template`).
    Backup { schedule: bool },
    /// A Velero BackupStorageLocation, or a VolumeSnapshotLocation.
    BackupLocation { snapshots: bool },
}

impl Reading {
    /// Whether the inventory keeps objects of this reading in a compact form of their own
    /// rather than whole.
    pub fn typed_inventory(self) -> bool {
        matches!(self, Reading::Metadata | Reading::Volume | Reading::Claim | Reading::StorageClass | Reading::Pod)
    }
}

/// How a store kind says where it keeps data, and what else keeps copies of it.
#[derive(Debug, PartialEq, Eq)]
pub struct StoreReading {
    /// The catalog that names its locations (`aws`, `gcp`, `azure`).
    pub provider: &'static str,
    pub location: Locate,
    pub replicas: Replicas,
}

/// Where a store kind's location is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Locate {
    /// A dotted path into the object (`spec.forProvider.region`).
    Path(&'static str),
    /// AWS Controllers for Kubernetes: the object's `services.k8s.aws/region` annotation,
    /// else its namespace's `services.k8s.aws/default-region`, else the policy's
    /// `stores.ackDefaultRegion`.
    Ack,
    /// No data of its own: only its replicas hold data (a replication configuration).
    Nowhere,
}

/// What else keeps a store's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Replicas {
    None,
    /// Azure redundancy named at this path (`Standard_GRS`, or Crossplane's `GRS`): a
    /// geo-redundant one also keeps the data in the location's paired region.
    AzurePair(&'static str),
    /// ACK Bucket `spec.replication.rules[].destination.bucket`.
    AckRules,
    /// Crossplane `BucketReplicationConfiguration`: `spec.forProvider.rule[].destination`.
    CrossplaneRules,
    /// A Crossplane S3 Bucket: the rules of the BucketReplicationConfigurations (kept in the
    /// inventory) whose source it is.
    CrossplaneReplicatedBy,
}

/// What sovereign does with objects of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Roles {
    /// Judged when created or updated (admission, `check`).
    pub judged: bool,
    /// Kept in the inventory snapshot evaluation looks things up in.
    pub inventory: bool,
    /// Re-judged by the audit and listed by the live `report`.
    pub audited: bool,
    /// Watched in cluster mode (inventory or policy caches `/readyz` waits for).
    pub watched: bool,
}

/// One row of the table.
#[derive(Debug, PartialEq, Eq)]
pub struct Kind {
    /// The API group ("" for the core group).
    pub group: &'static str,
    /// The versions sovereign reads, preferred first.
    pub versions: &'static [&'static str],
    pub kind: &'static str,
    /// The resource name in URLs, RBAC and webhook rules.
    pub plural: &'static str,
    pub scope: Scope,
    pub reading: Reading,
    pub roles: Roles,
    /// The operations the validating webhook judges (empty for kinds it does not).
    pub operations: &'static [&'static str],
    /// Objects owned by a controller are left to their owner, which carries the same
    /// template (ReplicaSets of a Deployment, Jobs of a CronJob).
    pub owned_by_controller_skipped: bool,
    /// The operations the declassification guard sees it on (SPEC §14): an UPDATE that
    /// takes a data class from it, a DELETE (of a policy) that leaves a class undefined.
    pub guarded: &'static [&'static str],
}

impl Kind {
    /// `apps/v1`, or `v1` for the core group, in the preferred version.
    pub fn api_version(&self) -> String {
        match self.group {
            "" => self.versions[0].to_string(),
            group => format!("{group}/{}", self.versions[0]),
        }
    }

    pub fn namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// What `/readyz`, logs and metrics call the kind: its name, qualified by its group when
    /// another row has the same name (`Bucket.s3.aws.upbound.io`).
    pub fn cache_name(&'static self) -> &'static str {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            KINDS
                .iter()
                .map(|k| match KINDS.iter().filter(|other| other.kind == k.kind).count() {
                    1 => k.kind.to_string(),
                    _ => format!("{}.{}", k.kind, if k.group.is_empty() { "core" } else { k.group }),
                })
                .collect()
        });
        match KINDS.iter().position(|k| std::ptr::eq(k, self)) {
            Some(index) => &names[index],
            None => self.kind,
        }
    }
}

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

/// The group of an `apiVersion`: `apps/v1` → `apps`, `v1` → "" (core).
pub fn group_of(api_version: &str) -> &str {
    api_version.split_once('/').map_or("", |(group, _)| group)
}

/// The kind with this group and kind name.
pub fn find(group: &str, kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.kind == kind && k.group == group)
}

/// The kind of an object from its `apiVersion` and `kind`. Without an `apiVersion` (a
/// hand-written manifest, an admission object that omits it), the kind name decides only
/// when exactly one known kind has it.
pub fn of(api_version: Option<&str>, kind: &str) -> Option<&'static Kind> {
    match api_version.filter(|v| !v.is_empty()) {
        Some(api_version) => find(group_of(api_version), kind),
        None => {
            let mut named = KINDS.iter().filter(|k| k.kind == kind);
            let first = named.next()?;
            named.next().is_none().then_some(first)
        }
    }
}

/// The inventory kinds kept whole, watched in cluster mode only where the API server
/// serves them.
pub fn kept_whole() -> impl Iterator<Item = &'static Kind> {
    with(|roles| roles.inventory).filter(|k| !k.reading.typed_inventory())
}

/// The kinds with a role.
pub fn with(role: impl Fn(&Roles) -> bool) -> impl Iterator<Item = &'static Kind> {
    KINDS.iter().filter(move |k| role(&k.roles))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn kinds_are_matched_by_group_and_kind() {
        assert_eq!(of(Some("batch/v1"), "Job").map(|k| k.plural), Some("jobs"));
        assert_eq!(of(Some("batch.volcano.sh/v1alpha1"), "Job"), None, "a Volcano Job is not a batch Job");
        assert_eq!(of(Some("v1"), "Pod").map(|k| k.reading), Some(Reading::Pod));
        assert_eq!(of(Some("example.org/v1"), "Pod"), None);
        assert_eq!(of(None, "Deployment").map(|k| k.group), Some("apps"), "one known kind of that name");
        assert_eq!(of(Some("batch/v1beta1"), "CronJob").map(|k| k.kind), Some("CronJob"));
    }

    #[test]
    fn every_row_is_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for kind in KINDS {
            assert!(seen.insert((kind.group, kind.kind)), "{} {} twice", kind.group, kind.kind);
            assert!(!kind.versions.is_empty(), "{} has no version", kind.kind);
            assert_eq!(kind.plural, kind.plural.to_lowercase());
            let audited_or_inventory = kind.roles.audited || kind.roles.inventory;
            assert!(kind.roles.judged || audited_or_inventory, "{} plays no role", kind.kind);
            assert_eq!(kind.roles.judged, !kind.operations.is_empty(), "{} judged on no operation", kind.kind);
        }
    }

    #[test]
    fn cache_names_are_unique() {
        let names: BTreeSet<&str> = KINDS.iter().map(Kind::cache_name).collect();
        assert_eq!(names.len(), KINDS.len());
        assert_eq!(find("", "Pod").unwrap().cache_name(), "Pod");
    }

    #[test]
    fn api_versions_put_the_group_first() {
        assert_eq!(find("apps", "Deployment").unwrap().api_version(), "apps/v1");
        assert_eq!(find("", "Pod").unwrap().api_version(), "v1");
        assert_eq!(group_of("storage.k8s.io/v1"), "storage.k8s.io");
        assert_eq!(group_of("v1"), "");
    }
}
