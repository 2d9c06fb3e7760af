//! The audit: what already runs and is stored, judged by the same core as admission and
//! written back to the cluster (policy status, Events, a gauge, optionally PolicyReports).
//!
//! Every replica keeps the findings current (so a new leader starts warm and every replica
//! exports the gauge); only the holder of the Lease writes.

mod auditor;
pub mod controller;
pub mod findings;
pub mod lease;
pub mod reports;
pub mod scope;
pub mod status;
pub mod subject;
mod writer;

use std::time::Duration;

use tokio::sync::mpsc;

pub use self::controller::start;
pub use self::lease::{Leadership, LeaseConfig};
pub use self::scope::Touched;
pub use self::subject::{Key, Subject};
pub use self::writer::{MANAGER, REASON};
use crate::policy::SovereigntyPolicy;

/// How the audit runs.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Every object is re-judged this often, and every policy's status rewritten.
    pub interval: Duration,
    /// Also write policy reports (OpenReports and/or `wgpolicyk8s.io/v1alpha2`, as served).
    pub policy_reports: bool,
    pub lease: LeaseConfig,
}

/// Something the audit must take into account.
#[derive(Debug)]
pub enum Change {
    /// An audited object appeared or changed.
    Upsert(Box<Subject>),
    Remove(Key),
    /// Every audited object of a kind, after a (re)list.
    Relisted {
        kind: &'static str,
        subjects: Vec<Subject>,
    },
    /// A cluster object the verdicts read changed, after the inventory took it. The
    /// fingerprint (of its labels and spec; `None` once deleted) lets the audit ignore
    /// updates that change nothing it reads, such as status heartbeats.
    Touched {
        touched: Touched,
        fingerprint: Option<u64>,
    },
    /// The inventory relisted a kind.
    InventoryRelisted(&'static str),
    /// A policy was created, changed or deleted (after the index was recompiled).
    Policy {
        old: Option<Box<SovereigntyPolicy>>,
        new: Option<Box<SovereigntyPolicy>>,
    },
    /// Every policy, after a (re)list.
    PoliciesRelisted(Vec<SovereigntyPolicy>),
}

/// Hands changes to the audit; cheap to clone into every watcher.
#[derive(Clone, Debug)]
pub struct Notifier(mpsc::UnboundedSender<Change>);

impl Notifier {
    pub fn channel() -> (Notifier, mpsc::UnboundedReceiver<Change>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (Notifier(tx), rx)
    }

    pub fn send(&self, change: Change) {
        // The audit only stops with the process.
        let _ = self.0.send(change);
    }
}
