//! The SovereigntyPolicies and SovereigntyExceptions the watchers have seen, kept whole:
//! every change that can alter what they decide is compiled into the shared policy set and
//! told to the audit; the exception store also wakes the audit at each coming expiry.

use std::collections::BTreeMap;

use kube::runtime::watcher;

use crate::audit::{Change, Notifier};
use crate::policy::{SovereigntyException, SovereigntyPolicy};
use crate::state::State;

/// What `/readyz`, logs and metrics call the policy and exception caches.
pub const POLICIES: &str = "SovereigntyPolicy";
pub const EXCEPTIONS: &str = "SovereigntyException";

/// The policies seen so far; every change recompiles the index and swaps it in.
#[derive(Default)]
pub struct PolicyStore {
    policies: BTreeMap<String, SovereigntyPolicy>,
    listing: Option<BTreeMap<String, SovereigntyPolicy>>,
    synced: bool,
    /// Where to tell the audit about policy changes, when it runs.
    audit: Option<Notifier>,
}

impl PolicyStore {
    /// A store that tells `audit` (when the audit runs) what changed.
    pub fn new(audit: Option<Notifier>) -> Self {
        PolicyStore { audit, ..PolicyStore::default() }
    }

    pub fn apply(&mut self, state: &State, event: watcher::Event<SovereigntyPolicy>) {
        let name = |p: &SovereigntyPolicy| p.metadata.name.clone().unwrap_or_default();
        match event {
            watcher::Event::Init => self.listing = Some(BTreeMap::new()),
            watcher::Event::InitApply(p) => {
                self.listing.get_or_insert_with(BTreeMap::new).insert(name(&p), p);
            }
            watcher::Event::InitDone => {
                self.policies = self.listing.take().unwrap_or_default();
                self.synced = true;
                self.publish(state);
                state.readiness.synced(POLICIES);
                if let Some(audit) = &self.audit {
                    audit.send(Change::PoliciesRelisted(self.policies.values().cloned().collect()));
                }
            }
            watcher::Event::Apply(p) => {
                let old = self.policies.insert(name(&p), p.clone());
                // The audit writing a status changes nothing the index holds.
                let same =
                    old.as_ref().is_some_and(|o| o.spec == p.spec && o.metadata.generation == p.metadata.generation);
                if !same {
                    self.publish(state);
                }
                self.tell_audit(old, Some(p));
            }
            watcher::Event::Delete(p) => {
                let old = self.policies.remove(&name(&p));
                self.publish(state);
                self.tell_audit(old, None);
            }
        }
    }

    fn tell_audit(&self, old: Option<SovereigntyPolicy>, new: Option<SovereigntyPolicy>) {
        if let (Some(audit), true) = (&self.audit, self.synced) {
            audit.send(Change::Policy { old: old.map(Box::new), new: new.map(Box::new) });
        }
    }

    fn publish(&self, state: &State) {
        if self.synced {
            state.set_policies(self.policies.values().cloned().collect());
        }
    }
}

/// The SovereigntyExceptions seen so far; every change that can alter what they allow
/// (spec, or the requester recorded in status) recompiles the index.
#[derive(Default)]
pub struct ExceptionStore {
    exceptions: BTreeMap<(String, String), SovereigntyException>,
    listing: Option<BTreeMap<(String, String), SovereigntyException>>,
    synced: bool,
    /// Where to tell the audit that exceptions changed or expired, when it runs.
    audit: Option<Notifier>,
    /// Wakes the audit at each coming expiry (replaced on every change).
    expiries: Option<tokio::task::JoinHandle<()>>,
}

impl ExceptionStore {
    /// A store that tells `audit` (when the audit runs) what changed and what expired.
    pub fn new(audit: Option<Notifier>) -> Self {
        ExceptionStore { audit, ..ExceptionStore::default() }
    }

    pub fn apply(&mut self, state: &State, event: watcher::Event<SovereigntyException>) {
        let key = |e: &SovereigntyException| {
            (e.metadata.namespace.clone().unwrap_or_default(), e.metadata.name.clone().unwrap_or_default())
        };
        match event {
            watcher::Event::Init => self.listing = Some(BTreeMap::new()),
            watcher::Event::InitApply(e) => {
                self.listing.get_or_insert_with(BTreeMap::new).insert(key(&e), e);
            }
            watcher::Event::InitDone => {
                self.exceptions = self.listing.take().unwrap_or_default();
                self.synced = true;
                self.publish(state);
                state.readiness.synced(EXCEPTIONS);
            }
            watcher::Event::Apply(e) => {
                let requester = |e: &SovereigntyException| e.requester().map(str::to_string);
                let old = self.exceptions.insert(key(&e), e.clone());
                let same = old.as_ref().is_some_and(|o| {
                    o.spec == e.spec && requester(o) == requester(&e) && o.metadata.namespace == e.metadata.namespace
                });
                if !same {
                    self.publish(state);
                }
            }
            watcher::Event::Delete(e) => {
                self.exceptions.remove(&key(&e));
                self.publish(state);
            }
        }
    }

    fn publish(&mut self, state: &State) {
        if !self.synced {
            return;
        }
        state.set_exceptions(self.exceptions.values().cloned().collect());
        let Some(audit) = &self.audit else { return };
        audit.send(Change::Exceptions);
        // Expiry is enforced at the instant (SPEC §14): admission reads the clock on every
        // request; the audit is woken at each expiry instead of waiting for its period.
        let now = std::time::SystemTime::now();
        let mut coming: Vec<std::time::SystemTime> = self
            .exceptions
            .values()
            .map(|e| std::time::SystemTime::from(e.spec.expires.0))
            .filter(|at| *at > now)
            .collect();
        coming.sort();
        coming.dedup();
        if let Some(previous) = self.expiries.take() {
            previous.abort();
        }
        if coming.is_empty() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let audit = audit.clone();
        self.expiries = Some(tokio::spawn(async move {
            for at in coming {
                let wait = at.duration_since(std::time::SystemTime::now()).unwrap_or_default();
                tokio::time::sleep(wait).await;
                tracing::info!("a SovereigntyException expired; re-judging what it covered");
                audit.send(Change::Exceptions);
            }
        }));
    }
}
