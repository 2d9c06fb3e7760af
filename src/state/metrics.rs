//! Prometheus metrics: admissions by kind, operation and verdict; latency; policies;
//! inventory sizes; exemptions; pinnings; violations at admission and found by the audit; errors by kind.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AdmissionLabels {
    kind: String,
    operation: String,
    verdict: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabel {
    policy: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ExceptionLabels {
    policy: String,
    /// `namespace/name`
    exception: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, PartialOrd, Ord, EncodeLabelSet)]
struct ViolationLabels {
    policy: String,
    data_class: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabel {
    error: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WhatLabel {
    what: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeclassificationLabels {
    policy: String,
    data_class: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScopeLabel {
    scope: String,
}

type HistogramFamily = Family<KindLabel, Histogram, fn() -> Histogram>;

pub struct Metrics {
    registry: Registry,
    admissions: Family<AdmissionLabels, Counter>,
    latency: HistogramFamily,
    policies: Family<StateLabel, Gauge>,
    inventory: Family<KindLabel, Gauge>,
    exemptions: Family<PolicyLabel, Counter>,
    exception_uses: Family<ExceptionLabels, Gauge>,
    /// The label sets `exception_uses` has now, so those of deleted exceptions can be removed.
    exception_labels: Mutex<BTreeSet<ExceptionLabels>>,
    violations: Family<ViolationLabels, Counter>,
    pinned: Family<ViolationLabels, Counter>,
    declassifications: Family<DeclassificationLabels, Counter>,
    audit_violations: Family<ViolationLabels, Gauge>,
    /// The label sets `audit_violations` has now, so vanished ones can be removed.
    audit_labels: Mutex<BTreeSet<ViolationLabels>>,
    audit_leader: Gauge,
    audit_writes: Family<WhatLabel, Counter>,
    audit_passes: Family<ScopeLabel, Counter>,
    errors: Family<ErrorLabel, Counter>,
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.00005, 2.0, 16))
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("sovereign");
        let m = Metrics {
            admissions: Family::default(),
            latency: HistogramFamily::new_with_constructor(latency_histogram),
            policies: Family::default(),
            inventory: Family::default(),
            exemptions: Family::default(),
            exception_uses: Family::default(),
            exception_labels: Mutex::default(),
            violations: Family::default(),
            pinned: Family::default(),
            declassifications: Family::default(),
            audit_violations: Family::default(),
            audit_labels: Mutex::default(),
            audit_leader: Gauge::default(),
            audit_writes: Family::default(),
            audit_passes: Family::default(),
            errors: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "admission_requests",
            "Admission reviews answered, by kind, operation and verdict",
            m.admissions.clone(),
        );
        registry.register("admission_duration_seconds", "Time to answer an admission review", m.latency.clone());
        registry.register("policies", "SovereigntyPolicies by state (loaded, rejected)", m.policies.clone());
        registry.register("inventory_objects", "Objects in the inventory cache, by kind", m.inventory.clone());
        registry.register("exemptions", "Admissions let through by a policy's exemptions", m.exemptions.clone());
        registry.register(
            "exception_uses",
            "Objects a SovereigntyException currently lets through, by policy and exception, as the last audit pass found them (its status.uses)",
            m.exception_uses.clone(),
        );
        registry.register(
            "admission_violations",
            "Violations found at admission, by policy, data class and kind",
            m.violations.clone(),
        );
        registry.register(
            "pinned",
            "Objects pinned to their allowed regions by /mutate (not counting dry runs), by policy, data class and kind",
            m.pinned.clone(),
        );
        registry.register(
            "declassifications",
            "Updates and deletes that would take a data class from data that holds it (not counting dry runs), by policy, data class and outcome (refused, exempt, excepted)",
            m.declassifications.clone(),
        );
        registry.register(
            "violations",
            "Existing objects found violating by the last audit, by policy, data class and kind",
            m.audit_violations.clone(),
        );
        registry.register(
            "audit_leader",
            "1 while this replica holds the audit Lease and writes results",
            m.audit_leader.clone(),
        );
        registry.register(
            "audit_writes",
            "Writes this replica made to the cluster for the audit, by what (status, event, report); only the Lease holder writes",
            m.audit_writes.clone(),
        );
        registry.register(
            "audit_passes",
            "Audit passes this replica ran, by scope (full: everything re-judged; changes: what a change touched)",
            m.audit_passes.clone(),
        );
        registry.register("errors", "Errors by kind", m.errors.clone());
        Metrics { registry, ..m }
    }
}

impl Metrics {
    pub fn admission(&self, kind: &str, operation: &str, verdict: &str, seconds: f64) {
        let labels =
            AdmissionLabels { kind: kind.to_string(), operation: operation.to_string(), verdict: verdict.to_string() };
        self.admissions.get_or_create(&labels).inc();
        self.latency.get_or_create(&KindLabel { kind: kind.to_string() }).observe(seconds);
    }

    pub fn exemption(&self, policy: &str) {
        self.exemptions.get_or_create(&PolicyLabel { policy: policy.to_string() }).inc();
    }

    /// Replaces the audit's counts: (policy, exception `namespace/name`) → objects it lets
    /// through now. Exceptions no longer there lose their series.
    pub fn set_exception_uses(&self, counts: &BTreeMap<(String, String), i64>) {
        let mut current = self.exception_labels.lock().unwrap_or_else(|p| p.into_inner());
        let next: BTreeSet<ExceptionLabels> = counts
            .iter()
            .map(|((policy, exception), n)| {
                let labels = ExceptionLabels { policy: policy.clone(), exception: exception.clone() };
                self.exception_uses.get_or_create(&labels).set(*n);
                labels
            })
            .collect();
        for gone in current.difference(&next) {
            self.exception_uses.remove(gone);
        }
        *current = next;
    }

    pub fn violation(&self, policy: &str, data_class: &str, kind: &str) {
        let labels =
            ViolationLabels { policy: policy.to_string(), data_class: data_class.to_string(), kind: kind.to_string() };
        self.violations.get_or_create(&labels).inc();
    }

    pub fn pinned(&self, policy: &str, data_class: &str, kind: &str) {
        let labels =
            ViolationLabels { policy: policy.to_string(), data_class: data_class.to_string(), kind: kind.to_string() };
        self.pinned.get_or_create(&labels).inc();
    }

    /// An update or delete that would take `data_class` from data, and what became of it.
    pub fn declassification(&self, policy: &str, data_class: &str, outcome: &str) {
        let labels = DeclassificationLabels {
            policy: policy.to_string(),
            data_class: data_class.to_string(),
            outcome: outcome.to_string(),
        };
        self.declassifications.get_or_create(&labels).inc();
    }

    /// Replaces the audit's counts: (policy, data class, kind) → violating objects.
    pub fn set_audit_violations(&self, counts: &BTreeMap<(String, String, String), i64>) {
        let mut current = self.audit_labels.lock().unwrap_or_else(|p| p.into_inner());
        let next: BTreeSet<ViolationLabels> = counts
            .iter()
            .map(|((policy, data_class, kind), n)| {
                let labels =
                    ViolationLabels { policy: policy.clone(), data_class: data_class.clone(), kind: kind.clone() };
                self.audit_violations.get_or_create(&labels).set(*n);
                labels
            })
            .collect();
        for gone in current.difference(&next) {
            self.audit_violations.remove(gone);
        }
        *current = next;
    }

    pub fn set_audit_leader(&self, leading: bool) {
        self.audit_leader.set(i64::from(leading));
    }

    pub fn audit_write(&self, what: &str) {
        self.audit_writes.get_or_create(&WhatLabel { what: what.to_string() }).inc();
    }

    pub fn audit_pass(&self, full: bool) {
        let scope = if full { "full" } else { "changes" };
        self.audit_passes.get_or_create(&ScopeLabel { scope: scope.to_string() }).inc();
    }

    pub fn error(&self, error: &str) {
        self.errors.get_or_create(&ErrorLabel { error: error.to_string() }).inc();
    }

    pub fn set_policies(&self, loaded: usize, rejected: usize) {
        self.policies.get_or_create(&StateLabel { state: "loaded".into() }).set(loaded as i64);
        self.policies.get_or_create(&StateLabel { state: "rejected".into() }).set(rejected as i64);
    }

    pub fn set_inventory(&self, kind: &str, count: usize) {
        self.inventory.get_or_create(&KindLabel { kind: kind.to_string() }).set(count as i64);
    }

    /// The Prometheus text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}
