//! What the adapters share, below all of them: the compiled policies (swapped atomically),
//! the inventory (updated in place by watchers or file reloads), readiness, metrics and the
//! live pod source. Admission, the audit and the server import it; it imports none of them.

pub mod metrics;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use self::metrics::Metrics;
use crate::evaluate::Held;
use crate::inventory::Inventory;
use crate::policy::{PolicySet, SovereigntyException, SovereigntyPolicy};

/// Reads pods live from the API server (cluster mode only): a pod the inventory has not
/// seen yet (the scheduler binds within milliseconds of creation, before a watch event may
/// have arrived), and the pods that exist, for the declassification guard (the inventory
/// keeps pods only until they are scheduled).
pub trait PodSource: Send + Sync {
    fn fetch<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<Option<serde_json::Value>, String>>;

    /// Every pod of a namespace (or of the cluster), metadata only.
    fn list<'a>(&'a self, namespace: Option<&'a str>) -> futures::future::BoxFuture<'a, Result<Vec<Held>, String>>;
}

pub struct State {
    pub policies: ArcSwap<PolicySet>,
    pub inventory: RwLock<Inventory>,
    pub metrics: Metrics,
    pub readiness: Readiness,
    pub pods: Option<Arc<dyn PodSource>>,
    /// The policies and exceptions the watchers have seen, compiled together on every change.
    sources: Mutex<(Vec<SovereigntyPolicy>, Vec<SovereigntyException>)>,
}

impl State {
    pub fn new(policies: PolicySet, inventory: Inventory, readiness: Readiness) -> Self {
        State {
            policies: ArcSwap::from_pointee(policies),
            inventory: RwLock::new(inventory),
            metrics: Metrics::default(),
            readiness,
            pods: None,
            sources: Mutex::default(),
        }
    }

    /// New policies: compiled with the exceptions last seen, and swapped in.
    pub fn set_policies(&self, policies: Vec<SovereigntyPolicy>) {
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources.0 = policies;
        self.swap_policies(PolicySet::compile(&sources.0).with_exceptions(&sources.1));
    }

    /// New exceptions: compiled against the policies last seen, and swapped in.
    pub fn set_exceptions(&self, exceptions: Vec<SovereigntyException>) {
        let mut sources = self.sources.lock().unwrap_or_else(|p| p.into_inner());
        sources.1 = exceptions;
        self.swap_policies(PolicySet::compile(&sources.0).with_exceptions(&sources.1));
    }

    /// Replaces the policy index; requests in flight keep the one they started with.
    pub fn swap_policies(&self, set: PolicySet) {
        self.metrics.set_policies(set.policies.len(), set.rejected.len());
        for rejected in &set.rejected {
            tracing::warn!(policy = %rejected.name, reasons = ?rejected.reasons, "policy rejected and ignored");
        }
        self.policies.store(Arc::new(set));
    }

    pub fn read_inventory(&self) -> std::sync::RwLockReadGuard<'_, Inventory> {
        // A writer that panicked leaves consistent maps behind (each update is one insert).
        self.inventory.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn write_inventory(&self) -> std::sync::RwLockWriteGuard<'_, Inventory> {
        self.inventory.write().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether the server may take traffic: certificates loaded, every cache synced, and no
/// watch broken for longer than a grace period.
pub struct Readiness {
    pub certificates: AtomicBool,
    sources: Mutex<Vec<Source>>,
    grace: Duration,
}

struct Source {
    name: &'static str,
    synced: bool,
    failing_since: Option<Instant>,
}

impl Readiness {
    pub fn new(grace: Duration) -> Self {
        Readiness { certificates: AtomicBool::new(false), sources: Mutex::new(Vec::new()), grace }
    }

    /// Registers a cache that must sync before the server is ready.
    pub fn register(&self, name: &'static str) {
        self.lock().push(Source { name, synced: false, failing_since: None });
    }

    pub fn synced(&self, name: &'static str) {
        self.update(name, |s| {
            s.synced = true;
            s.failing_since = None;
        });
    }

    /// A successful event: the watch works again.
    pub fn healthy(&self, name: &'static str) {
        self.update(name, |s| s.failing_since = None);
    }

    pub fn failing(&self, name: &'static str) {
        self.update(name, |s| {
            s.failing_since.get_or_insert_with(Instant::now);
        });
    }

    /// `Ok` when ready, else what is not.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if !self.certificates.load(Ordering::Acquire) {
            problems.push("TLS certificate not loaded".to_string());
        }
        for s in self.lock().iter() {
            if !s.synced {
                problems.push(format!("{} cache not synced", s.name));
            } else if s.failing_since.is_some_and(|t| t.elapsed() > self.grace) {
                problems.push(format!("{} watch broken for over {:?}", s.name, self.grace));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    fn update(&self, name: &str, f: impl FnOnce(&mut Source)) {
        if let Some(s) = self.lock().iter_mut().find(|s| s.name == name) {
            f(s);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Source>> {
        self.sources.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_ready_until_certificates_and_every_cache() {
        let r = Readiness::new(Duration::from_secs(30));
        r.register("Node");
        let problems = r.check().unwrap_err();
        assert!(problems.iter().any(|p| p.contains("TLS")));
        assert!(problems.iter().any(|p| p.contains("Node cache not synced")));
        r.certificates.store(true, Ordering::Release);
        r.synced("Node");
        assert!(r.check().is_ok());
    }

    #[test]
    fn a_watch_failing_past_the_grace_period_makes_it_unready() {
        let r = Readiness::new(Duration::ZERO);
        r.certificates.store(true, Ordering::Release);
        r.register("Node");
        r.synced("Node");
        r.failing("Node");
        std::thread::sleep(Duration::from_millis(2));
        assert!(r.check().unwrap_err()[0].contains("Node watch broken"));
        r.healthy("Node");
        assert!(r.check().is_ok());
    }
}
