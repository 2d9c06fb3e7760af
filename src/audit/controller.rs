//! The audit loop: takes changes, re-judges the objects they affect (everything on the
//! period), updates the gauge, and — on the leader only — writes status, Events and reports.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::jiff::Timestamp;
use kube::Client;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::auditor::Auditor;
use super::lease::{self, Leadership};
use super::writer::Writer;
use super::{AuditConfig, Change};
use crate::policy::PolicySet;
use crate::state::State;

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
    // The audited kinds are watched with the inventory's (server/objects.rs), which lists an
    // unserved kind as empty: the audit waits for every audited kind of the table.
    let kinds = crate::kinds::with(|roles| roles.audited).map(|k| k.cache_name()).collect();
    tokio::spawn(controller.run(kinds, changes));
    Running { stop, lease }
}

struct Controller {
    state: Arc<State>,
    config: AuditConfig,
    leadership: Arc<Leadership>,
    writer: Writer,
    auditor: Auditor,
    reports_enabled: bool,
    /// More Events are due than one pass writes.
    backlog: bool,
    /// The status last written on each exception (`namespace/name`).
    exception_statuses: std::collections::HashMap<String, crate::policy::SovereigntyExceptionStatus>,
    /// The objects (and exceptions) a SovereigntyExceptionUsed Event was written for.
    exception_events: std::collections::HashSet<(super::subject::Key, String)>,
}

impl Controller {
    fn new(state: Arc<State>, config: AuditConfig, leadership: Arc<Leadership>, writer: Writer) -> Self {
        Controller {
            reports_enabled: config.policy_reports,
            state,
            config,
            leadership,
            writer,
            auditor: Auditor::new([]),
            backlog: false,
            exception_statuses: Default::default(),
            exception_events: Default::default(),
        }
    }

    async fn run(mut self, kinds: Vec<&'static str>, mut changes: mpsc::UnboundedReceiver<Change>) {
        self.auditor = Auditor::new(kinds);
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
                _ = period.tick() => self.auditor.everything(),
                Ok(()) = leading.changed() => {
                    if *leading.borrow_and_update() {
                        self.auditor.new_leader();
                    }
                }
                () = tokio::time::sleep(Duration::from_secs(2)), if self.backlog => {}
            }
            // Nothing is judged before every cache the verdicts read has synced.
            if self.auditor.synced() && self.state.readiness.check().is_ok() {
                self.pass().await;
            }
        }
    }

    fn absorb(&mut self, change: Change) {
        let set = self.state.policies.load();
        let inventory = self.state.read_inventory();
        self.auditor.absorb(change, &set, &inventory);
    }

    async fn pass(&mut self) {
        let set = self.state.policies.load_full();
        let started = std::time::Instant::now();
        let pass = {
            let inventory = self.state.read_inventory();
            self.auditor.judge(&set, &inventory)
        };
        self.state.metrics.audit_pass(pass.full);
        if pass.judged > 0 {
            tracing::debug!(judged = pass.judged, full = pass.full, elapsed = ?started.elapsed(), "audit pass");
        }
        self.state.metrics.set_audit_violations(&self.auditor.findings.counts());
        let leading = self.leadership.is_leading();
        self.state.metrics.set_audit_leader(leading);
        if leading {
            self.write(&set).await;
        }
    }

    async fn write(&mut self, set: &PolicySet) {
        let now = Timestamp::now();
        for (name, status) in self.auditor.statuses(set, now) {
            if !self.leadership.is_leading() {
                self.auditor.status_failed();
                return;
            }
            match self.writer.status(&name, &status).await {
                Ok(()) => {
                    self.state.metrics.audit_write("status");
                    self.auditor.status_written(&name, status);
                }
                Err(e) => {
                    self.state.metrics.error("audit_status");
                    tracing::warn!(policy = %name, error = %e, "cannot write the policy status");
                    self.auditor.status_failed();
                }
            }
        }
        self.exceptions(set, now).await;
        self.events().await;
        if self.reports_enabled {
            self.reports(set, now).await;
        }
    }

    /// Each exception's status, when it changed, and a Normal Event on each object the
    /// first time an exception lets it through.
    async fn exceptions(&mut self, set: &PolicySet, now: Timestamp) {
        use super::exception_status;
        let mut uses = BTreeMap::new();
        for exception in &set.exceptions {
            let key = exception.key();
            let previous = self.exception_statuses.get(&key);
            let status = exception_status::desired(exception, &self.auditor.findings, now, previous);
            uses.insert((exception.policy.clone(), key.clone()), status.uses.unwrap_or_default());
            if !exception_status::differs(previous, &status) || !self.leadership.is_leading() {
                continue;
            }
            match self.writer.exception_status(&exception.namespace, &exception.name, &status).await {
                Ok(()) => {
                    self.exception_statuses.insert(key, status);
                }
                Err(e) => {
                    self.state.metrics.error("audit_exception_status");
                    tracing::warn!(exception = %key, error = %e, "cannot write the exception status");
                }
            }
        }
        self.state.metrics.set_exception_uses(&uses);
        let due: Vec<(super::subject::Key, String, String)> = self
            .auditor
            .findings
            .iter()
            .flat_map(|(k, f)| f.exceptions.iter().map(move |(e, note)| (k.clone(), e.clone(), note.clone())))
            .filter(|(k, e, _)| !self.exception_events.contains(&(k.clone(), e.clone())))
            .take(EVENTS_PER_PASS)
            .collect();
        for (key, exception, note) in due {
            let Some(subject) = self.auditor.subjects.get(&key) else { continue };
            if !self.leadership.is_leading() {
                return;
            }
            match self.writer.exception_used(subject, &note).await {
                Ok(()) => {
                    self.exception_events.insert((key, exception));
                }
                Err(e) => {
                    self.state.metrics.error("audit_event");
                    tracing::warn!(object = %key, error = %e, "cannot write an exception Event");
                }
            }
        }
    }

    /// An Event for each object whose violations are new or changed since its last Event.
    async fn events(&mut self) {
        let due = self.auditor.events_due();
        self.backlog = due.len() > EVENTS_PER_PASS;
        for key in due.into_iter().take(EVENTS_PER_PASS) {
            if !self.leadership.is_leading() {
                return;
            }
            let (Some(subject), Some(finding)) = (self.auditor.subjects.get(&key), self.auditor.findings.get(&key))
            else {
                continue;
            };
            match self.writer.event(subject, finding).await {
                Ok(()) => {
                    self.state.metrics.audit_write("event");
                    self.auditor.event_written(&key);
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
        for report in self.auditor.reports_due(set, now) {
            if !self.leadership.is_leading() {
                return;
            }
            match self.writer.report(&report).await {
                Ok(()) => {
                    self.state.metrics.audit_write("report");
                    self.auditor.report_written(&report);
                }
                Err(kube::Error::Api(e)) if e.code == 404 => {
                    tracing::warn!(
                        "neither report API (wgpolicyk8s.io/v1alpha2, openreports.io/v1alpha1) is served; not writing reports"
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
