//! The audit loop: takes changes, re-judges the objects they affect (everything on the
//! period), updates the gauge, and — on the leader only — writes status, Events and reports.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::Client;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::findings::Findings;
use super::lease::{self, Leadership};
use super::reports;
use super::scope;
use super::status::{self, Summary};
use super::subject::{Key, Subjects};
use super::writer::Writer;
use super::{AuditConfig, Change, Notifier};
use crate::policy::{PolicySet, SovereigntyPolicy};
use crate::server::state::State;

/// Events written per pass; the rest follow a moment later, so a policy that lands on
/// thousands of objects does not flood the API server.
const EVENTS_PER_PASS: usize = 50;
/// How long changes are gathered before a pass.
const SETTLE: Duration = Duration::from_millis(250);

/// A running audit. Dropping the handle leaves it running; [`Running::stop`] releases the
/// lease so another replica takes over at once.
pub struct Running {
    stop: oneshot::Sender<()>,
    lease: JoinHandle<()>,
    pub leadership: Arc<Leadership>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(3), self.lease).await;
    }
}

/// Starts the lease, the audit's watchers and its loop. `changes` receives what the
/// inventory and policy watchers send through the [`Notifier`] the state holds.
pub fn start(
    client: Client,
    state: Arc<State>,
    config: AuditConfig,
    notifier: Notifier,
    changes: mpsc::UnboundedReceiver<Change>,
) -> Running {
    let leadership = Arc::new(Leadership::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let lease = tokio::spawn({
        let (client, leadership, lease) = (client.clone(), leadership.clone(), config.lease.clone());
        async move { lease::run(client, lease, &leadership, async { drop(stopped.await) }).await }
    });
    let writer = Writer::new(client.clone(), config.lease.identity.clone());
    let controller = Controller::new(state, config, leadership.clone(), writer);
    tokio::spawn(async move {
        let kinds = super::sources::start(client, notifier).await;
        controller.run(kinds, changes).await;
    });
    Running { stop, lease, leadership }
}

struct Controller {
    state: Arc<State>,
    config: AuditConfig,
    leadership: Arc<Leadership>,
    writer: Writer,
    subjects: Subjects,
    findings: Findings,
    /// Objects to re-judge in the next pass.
    pending: BTreeSet<Key>,
    /// Re-judge everything in the next pass.
    full: bool,
    /// Rewrite every status in the next pass (the period, or leadership just gained).
    write_all: bool,
    policies: HashMap<String, SovereigntyPolicy>,
    rejected: BTreeSet<String>,
    /// Fingerprints of the cluster objects last seen, by (kind, namespace, name).
    seen: HashMap<String, u64>,
    /// The fingerprint of the violations each object last got an Event for.
    emitted: HashMap<Key, u64>,
    reported: HashMap<String, u64>,
    reports_enabled: bool,
    /// Audited kinds that have not finished their first list.
    unsynced: BTreeSet<&'static str>,
    backlog: bool,
}

impl Controller {
    fn new(state: Arc<State>, config: AuditConfig, leadership: Arc<Leadership>, writer: Writer) -> Self {
        Controller {
            reports_enabled: config.policy_reports,
            state,
            config,
            leadership,
            writer,
            subjects: Subjects::default(),
            findings: Findings::default(),
            pending: BTreeSet::new(),
            full: true,
            write_all: true,
            policies: HashMap::new(),
            rejected: BTreeSet::new(),
            seen: HashMap::new(),
            emitted: HashMap::new(),
            reported: HashMap::new(),
            unsynced: BTreeSet::new(),
            backlog: false,
        }
    }

    async fn run(mut self, kinds: Vec<&'static str>, mut changes: mpsc::UnboundedReceiver<Change>) {
        self.unsynced = kinds.into_iter().collect();
        let mut period =
            tokio::time::interval_at(tokio::time::Instant::now() + self.config.interval, self.config.interval);
        period.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut leading = self.leadership.subscribe();
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let Some(change) = change else { return };
                    self.absorb(change);
                    tokio::time::sleep(SETTLE).await;
                    while let Ok(change) = changes.try_recv() {
                        self.absorb(change);
                    }
                }
                _ = period.tick() => {
                    self.full = true;
                    self.write_all = true;
                }
                Ok(()) = leading.changed() => {
                    if *leading.borrow_and_update() {
                        // A new leader rewrites every status and reconsiders every Event.
                        self.write_all = true;
                        self.full = true;
                    }
                }
                () = tokio::time::sleep(Duration::from_secs(2)), if self.backlog => {}
            }
            if self.ready() {
                self.pass().await;
            }
        }
    }

    /// Whether every cache the verdicts read has synced.
    fn ready(&self) -> bool {
        self.unsynced.is_empty() && self.state.readiness.check().is_ok()
    }

    fn absorb(&mut self, change: Change) {
        match change {
            Change::Upsert(subject) => {
                self.pending.insert(subject.key.clone());
                self.subjects.insert(*subject);
            }
            Change::Remove(key) => {
                self.subjects.remove(&key);
                self.pending.insert(key);
            }
            Change::Relisted { kind, subjects } => {
                self.subjects.replace_kind(kind, subjects);
                self.unsynced.remove(kind);
                self.full = true;
            }
            Change::Touched { touched, fingerprint } => {
                let id = format!("{touched:?}");
                let unchanged = match fingerprint {
                    Some(f) => self.seen.insert(id, f) == Some(f),
                    None => self.seen.remove(&id).is_none(),
                };
                if !unchanged {
                    let policies = self.state.policies.load();
                    self.pending.extend(scope::touched(&touched, &self.subjects, &self.findings, &policies));
                }
            }
            Change::InventoryRelisted(_) => self.full = true,
            Change::Policy { old, new } => {
                let name = new.as_ref().or(old.as_ref()).and_then(|p| p.metadata.name.clone()).unwrap_or_default();
                let spec_changed = match (&old, &new) {
                    (Some(o), Some(n)) => o.spec != n.spec || o.metadata.generation != n.metadata.generation,
                    _ => true,
                };
                if spec_changed {
                    let versions: Vec<&SovereigntyPolicy> = old.iter().chain(new.iter()).map(Box::as_ref).collect();
                    let inventory = self.state.read_inventory();
                    self.pending.extend(scope::policy(&versions, &self.subjects, &self.findings, &inventory));
                }
                match new {
                    Some(policy) => self.policies.insert(name, *policy),
                    None => self.policies.remove(&name),
                };
            }
            Change::PoliciesRelisted(all) => {
                self.policies = all.into_iter().map(|p| (p.metadata.name.clone().unwrap_or_default(), p)).collect();
                self.full = true;
            }
        }
    }

    async fn pass(&mut self) {
        let set = self.state.policies.load_full();
        let rejected: BTreeSet<String> = set.rejected.iter().map(|r| r.name.clone()).collect();
        if rejected != self.rejected {
            // A clash decided differently moves classes between policies.
            self.full = true;
            self.rejected = rejected;
        }
        let started = std::time::Instant::now();
        let (judged, changed) = {
            let inventory = self.state.read_inventory();
            if std::mem::take(&mut self.full) {
                self.pending.clear();
                (self.subjects.len(), self.findings.judge_all(&self.subjects, &inventory, &set))
            } else {
                let keys = std::mem::take(&mut self.pending);
                (keys.len(), self.findings.judge(&keys, &self.subjects, &inventory, &set))
            }
        };
        if judged > 0 {
            tracing::debug!(judged, changed = changed.len(), elapsed = ?started.elapsed(), "audit pass");
        }
        self.state.metrics.set_audit_violations(&self.findings.counts());
        let leading = self.leadership.is_leading();
        self.state.metrics.set_audit_leader(leading);
        if leading {
            self.write(&set).await;
        }
    }

    async fn write(&mut self, set: &PolicySet) {
        let now = Timestamp::now();
        let summaries = self.findings.summaries();
        let write_all = std::mem::take(&mut self.write_all);
        let mut names: Vec<String> = self.policies.keys().cloned().collect();
        names.sort();
        for name in names {
            if !self.leadership.is_leading() {
                return;
            }
            let policy = &self.policies[&name];
            let summary = summaries.get(&name).cloned().unwrap_or_else(Summary::default);
            let desired = status::desired(policy, set, &summary, now);
            if !write_all && !status::differs(policy.status.as_ref(), &desired) {
                continue;
            }
            match self.writer.status(&name, &desired).await {
                Ok(()) => {
                    if let Some(p) = self.policies.get_mut(&name) {
                        p.status = Some(desired);
                    }
                }
                Err(e) => {
                    self.state.metrics.error("audit_status");
                    tracing::warn!(policy = %name, error = %e, "cannot write the policy status");
                    self.write_all |= write_all;
                }
            }
        }
        self.events().await;
        if self.reports_enabled {
            self.reports(set, now).await;
        }
    }

    /// An Event for each object whose violations are new or changed since its last Event.
    async fn events(&mut self) {
        self.emitted.retain(|key, _| self.findings.get(key).is_some_and(|f| f.violates()));
        let mut due: Vec<(Key, u64)> = self
            .findings
            .iter()
            .filter(|(_, f)| f.violates())
            .map(|(k, f)| (k.clone(), f.fingerprint()))
            .filter(|(k, fp)| self.emitted.get(k) != Some(fp))
            .collect();
        due.sort();
        self.backlog = due.len() > EVENTS_PER_PASS;
        for (key, fingerprint) in due.into_iter().take(EVENTS_PER_PASS) {
            if !self.leadership.is_leading() {
                return;
            }
            let (Some(subject), Some(finding)) = (self.subjects.get(&key), self.findings.get(&key)) else { continue };
            match self.writer.event(subject, finding).await {
                Ok(()) => {
                    self.emitted.insert(key, fingerprint);
                }
                Err(e) => {
                    self.state.metrics.error("audit_event");
                    tracing::warn!(object = %key, error = %e, "cannot write an Event");
                    self.backlog = true;
                }
            }
        }
    }

    async fn reports(&mut self, set: &PolicySet, now: Timestamp) {
        let before: BTreeSet<String> = self.reported.keys().cloned().collect();
        for report in reports::build(&self.findings, &self.subjects, set, now.as_second(), &before) {
            let fingerprint = report.fingerprint();
            if self.reported.get(&report.namespace) == Some(&fingerprint) {
                continue;
            }
            match self.writer.report(&report).await {
                Ok(()) => {
                    self.reported.insert(report.namespace.clone(), fingerprint);
                }
                Err(kube::Error::Api(e)) if e.code == 404 => {
                    tracing::warn!(
                        "the wgpolicyk8s.io/v1alpha2 PolicyReport CRDs are not installed; not writing PolicyReports"
                    );
                    self.reports_enabled = false;
                    return;
                }
                Err(e) => {
                    self.state.metrics.error("audit_report");
                    tracing::warn!(namespace = %report.namespace, error = %e, "cannot write a PolicyReport");
                }
            }
        }
    }
}
