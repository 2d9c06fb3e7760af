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

mod table;

pub use self::table::KINDS;

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
