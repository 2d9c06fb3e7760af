//! What evaluation takes besides the object (who asks, from where) and what it returns:
//! the verdict, the violations, and, as data, where each data class could end up.

use std::time::SystemTime;

use serde::Serialize;

use crate::policy::{Enforcement, LegalBasis};

/// The outcome for one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    /// Denied as it is, allowed once pinned (SPEC §15): only `check` says it, for what the
    /// mutating webhook would do.
    Pinned,
    Exempt,
    /// Allowed only thanks to a SovereigntyException (SPEC §14).
    Excepted,
    Audit,
    Warn,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Pinned => "pinned",
            Verdict::Exempt => "exempt",
            Verdict::Excepted => "excepted",
            Verdict::Audit => "audit",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }

    /// The verdict of these violations (the strictest enforcement among them), or, when
    /// there are none, `otherwise`.
    pub fn of(violations: &[Violation], otherwise: Verdict) -> Verdict {
        let strictest = violations.iter().map(|v| match v.enforcement {
            Enforcement::Deny => Verdict::Deny,
            Enforcement::Warn => Verdict::Warn,
            Enforcement::Audit => Verdict::Audit,
        });
        strictest.max().unwrap_or(otherwise)
    }

    /// Whether the request goes through.
    pub fn allowed(self) -> bool {
        self != Verdict::Deny
    }
}

/// One way an object breaks one data class's rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The policy that defines the data class ("" when no policy does).
    pub policy: String,
    pub data_class: String,
    /// The full account: what, why, where it may go, how to fix it.
    pub message: String,
    /// At most [`super::SHORT_LIMIT`] characters, for admission warnings.
    #[serde(skip)]
    pub short: String,
    #[serde(skip)]
    pub enforcement: Enforcement,
}

/// What sovereign decided about one object, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    /// The object's data classes.
    pub classes: Vec<String>,
    pub violations: Vec<Violation>,
    /// Policies whose exemptions let the request through unjudged.
    pub exempted_by: Vec<String>,
    /// Where each data class could end up, when the caller asks for it ([`Caller::Report`]).
    pub locations: Vec<Location>,
    /// The exceptions without which a data class of the object would be in violation.
    pub excepted: Vec<ExceptionUse>,
    /// Data classes an update or delete takes away, and what became of each (SPEC §14).
    pub declassified: Vec<Declassified>,
}

impl Decision {
    /// Allowed, with nothing to say: what a request nothing judges gets.
    pub fn allowed() -> Self {
        Decision {
            verdict: Verdict::Allow,
            classes: Vec::new(),
            violations: Vec::new(),
            exempted_by: Vec::new(),
            locations: Vec::new(),
            excepted: Vec::new(),
            declassified: Vec::new(),
        }
    }

    /// Takes in a second decision about the same request (the declassification guard's
    /// beside the judgment of the object): the stricter verdict, everything either found.
    pub fn absorb(&mut self, other: Decision) {
        self.verdict = self.verdict.max(other.verdict);
        self.violations.extend(other.violations);
        for policy in other.exempted_by {
            if !self.exempted_by.contains(&policy) {
                self.exempted_by.push(policy);
            }
        }
        self.excepted.extend(other.excepted);
        self.declassified.extend(other.declassified);
    }
}

/// A data class an update or delete would take from data that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Declassified {
    pub policy: String,
    pub data_class: String,
    pub outcome: Outcome,
}

/// What became of a declassification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Refused: no exemption and no exception lets it through.
    Refused,
    /// Let through: the requester (or the namespace) is exempt under the class's policy.
    Exempt,
    /// Let through: an active SovereigntyException covers the object.
    Excepted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Refused => "refused",
            Outcome::Exempt => "exempt",
            Outcome::Excepted => "excepted",
        }
    }
}

/// A SovereigntyException letting one data class of an object reside where its policy
/// alone would not: the record an auditor follows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExceptionUse {
    /// The exception's namespace and name.
    pub namespace: String,
    pub name: String,
    pub policy: String,
    pub data_class: String,
    pub legal_basis: LegalBasis,
    /// When it expires (RFC 3339).
    pub expires: String,
    /// The regions the object may reside in only thanks to it.
    pub regions: Vec<String>,
    /// The full account, for logs and Events.
    #[serde(skip)]
    pub message: String,
    /// At most [`super::SHORT_LIMIT`] characters, for admission warnings.
    #[serde(skip)]
    pub short: String,
}

/// What holds an object's data: the object itself, or one of its parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    /// A Pod itself.
    Pod,
    /// A bound Pod's region label, copied from its node at binding (`PodTopologyLabels`):
    /// evidence of where it was placed.
    CopiedRegion { node: String },
    /// A workload's pod template.
    Template,
    /// A pod's volume backed by a PersistentVolumeClaim.
    ClaimVolume { volume: String, namespace: String, claim: String },
    /// A pod's generic ephemeral volume.
    EphemeralVolume { volume: String },
    /// A pod's network volume (nfs, iscsi, ...), `kind` naming its type.
    NetworkVolume { volume: String, kind: String },
    /// A StatefulSet's `volumeClaimTemplates` entry.
    ClaimTemplate { name: String },
    /// A PersistentVolumeClaim's own storage.
    Claim,
    /// A PersistentVolume's data.
    Volume,
    /// The scheduler binding a pod to a node.
    Binding { node: String },
    /// A volume snapshot's copy of a claim (`namespace/name`) or of a volume (by CSI
    /// handle), stored where its VolumeSnapshotClass (and `driver`) says (SPEC §12).
    Snapshot {
        claim: Option<String>,
        volume: Option<String>,
        class: Option<String>,
        driver: Option<String>,
        store: SnapshotStore,
    },
    /// A Velero backup's copy of `namespaces`, written to a BackupStorageLocation, or its
    /// volume snapshots kept through a VolumeSnapshotLocation (`snapshots`); `location`
    /// `None` when none could be found. `alternatives`: locations of the same kind within
    /// the allowed regions, for the fix.
    Backup { namespaces: Vec<String>, location: Option<String>, snapshots: bool, alternatives: Vec<String> },
    /// The backups a Backup or Schedule writes to the location being judged, copying
    /// `namespaces`.
    BackedUpBy { kind: String, namespace: String, name: String, namespaces: Vec<String> },
    /// A cloud data store itself (SPEC §13): `noun` says what it is (`bucket`), `location`
    /// where its location is read from.
    Store { noun: String, provider: String, location: String },
    /// A copy of a store's data somewhere else.
    Replica(Replica),
}

/// What says where a snapshot is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotStore {
    /// The VolumeSnapshotClass's region label.
    Label,
    /// The driver's location parameter, by name.
    Parameter(&'static str),
    /// The source volume's region (the driver keeps snapshots with the volume).
    SourceVolume,
    /// Nothing sovereign can read.
    Unknown,
}

/// Where a store keeps a copy of its data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Replica {
    /// A geo-redundant Azure storage account's copy in its region's pair.
    Paired { redundancy: String, region: String },
    /// A replication rule's destination bucket.
    Destination { bucket: String },
}

/// Where a holder's data could be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confinement {
    /// Only in these regions.
    Within(Vec<String>),
    /// In any region, for this reason.
    Anywhere(String),
    /// Not knowable: each thing sovereign would need and does not have.
    Unknown(Vec<String>),
}

/// One place a data class of the object could be: for reports to auditors.
#[derive(Clone, Debug, PartialEq)]
pub struct Location {
    pub data_class: String,
    pub policy: String,
    pub holder: Holder,
    pub confinement: Confinement,
    /// The regions of a `Within` confinement that the data class does not allow (empty
    /// when the policy tolerates them).
    pub outside: Vec<String>,
    /// Whether this holder's confinement is permitted as a whole.
    pub permitted: bool,
    /// The exceptions that permit regions of it the policy alone does not.
    pub exceptions: Vec<ExceptionUse>,
}

impl Location {
    /// Whether one region of the confinement is a permitted place.
    pub fn permits(&self, region: &str) -> bool {
        !self.outside.iter().any(|r| r == region)
    }
}

/// Which adapter asks: each calls the same [`super::evaluate`], and the caller decides only
/// what is reported besides the verdict.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Caller {
    #[default]
    Admission,
    Check,
    /// `sovereign report`: also say where each data class could end up.
    Report,
    Audit,
}

/// Who is asking, from where and when, as far as the request says.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    pub caller: Caller,
    /// The request's namespace; overrides the object's own (which may be empty on create).
    pub namespace: Option<&'a str>,
    pub user: Option<&'a str>,
    pub groups: &'a [String],
    /// A dry run is judged the same; the adapters leave out its side effects.
    pub dry_run: bool,
    /// The request creates the object (an admission CREATE): what it says of its own
    /// creator (`sovereignty.io/requested-by`) must be the requesting user.
    pub create: bool,
    /// The time the object is judged at (an input: the core reads no clock).
    pub now: Option<SystemTime>,
}

impl Context<'_> {
    pub fn of(caller: Caller) -> Self {
        Context { caller, ..Context::default() }
    }

    /// Whether to report where each data class could end up.
    pub fn locate(&self) -> bool {
        self.caller == Caller::Report
    }
}
