//! Leader election through a `coordination.k8s.io/v1` Lease: every replica audits, only the
//! holder of the lease writes. A holder that cannot renew stops writing before its lease
//! can expire for the others, and a holder that sees another name in the lease stops at once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt};
use tokio::sync::watch;

/// Where the lease lives and how long it lasts.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    /// This replica's name in `holderIdentity`.
    pub identity: String,
    /// How long a lease is valid without renewal (`leaseDurationSeconds`).
    pub duration: Duration,
}

impl LeaseConfig {
    /// How long a holder keeps writing after its last successful renewal: two thirds of
    /// the lease, so it stops well before the others may take over.
    pub fn renew_deadline(&self) -> Duration {
        self.duration * 2 / 3
    }

    /// How often a holder renews and a candidate tries.
    pub fn retry_period(&self) -> Duration {
        (self.duration * 2 / 15).max(Duration::from_millis(200))
    }
}

/// Whether this replica may write now. Shared by the election loop and the writers.
pub struct Leadership {
    until: Mutex<Option<Instant>>,
    changes: watch::Sender<bool>,
}

impl Default for Leadership {
    fn default() -> Self {
        Leadership { until: Mutex::new(None), changes: watch::channel(false).0 }
    }
}

impl Leadership {
    /// Leading, until the renewal deadline passes without another renewal.
    pub fn is_leading(&self) -> bool {
        self.lock().is_some_and(|until| Instant::now() < until)
    }

    /// Whether this replica last held the lease, whether or not its deadline has passed.
    fn held(&self) -> bool {
        *self.changes.borrow()
    }

    /// Notified whenever leadership is gained or lost.
    pub fn subscribe(&self) -> watch::Receiver<bool> {
        self.changes.subscribe()
    }

    fn renewed(&self, until: Instant) {
        *self.lock() = Some(until);
        self.changes.send_if_modified(|leading| !std::mem::replace(leading, true));
    }

    fn lost(&self) {
        *self.lock() = None;
        self.changes.send_if_modified(|leading| std::mem::replace(leading, false));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a candidate last saw in the lease, by its own clock: a holder that has not renewed
/// for a whole lease duration, as this replica observed it, has lost the lease. (Clocks of
/// different machines are never compared.)
struct Observed {
    record: (Option<String>, Option<String>),
    since: Instant,
}

/// Tries to take or renew the lease until `stop` completes, then releases it if held.
pub async fn run(
    client: Client,
    config: LeaseConfig,
    leadership: &Leadership,
    stop: impl std::future::Future<Output = ()>,
) {
    let api: Api<Lease> = Api::namespaced(client, &config.namespace);
    let mut observed: Option<Observed> = None;
    let mut stop = std::pin::pin!(stop);
    let mut reported_error = false;
    loop {
        let started = Instant::now();
        match attempt(&api, &config, &mut observed).await {
            Ok(true) => {
                if !leadership.held() {
                    tracing::info!(lease = %config.name, identity = %config.identity, "became the audit leader");
                }
                leadership.renewed(started + config.renew_deadline());
                reported_error = false;
            }
            Ok(false) => {
                if leadership.held() {
                    tracing::warn!(lease = %config.name, "lost the lease to another replica; no longer writing");
                }
                leadership.lost();
                reported_error = false;
            }
            Err(e) => {
                // Keep the deadline: if renewals keep failing, writing stops when it passes.
                if !reported_error {
                    tracing::warn!(lease = %config.name, error = %e, "cannot read or update the lease; retrying");
                    reported_error = true;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(config.retry_period()) => {}
            () = &mut stop => break,
        }
    }
    if leadership.held() {
        leadership.lost();
        if let Err(e) = release(&api, &config).await {
            tracing::warn!(error = %e, "could not release the lease; another replica takes over when it expires");
        } else {
            tracing::info!(lease = %config.name, "released the lease");
        }
    }
}

fn now() -> MicroTime {
    MicroTime(Timestamp::now())
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs().max(1)).unwrap_or(i32::MAX)
}

/// One round: `Ok(true)` when this replica holds the lease afterwards.
async fn attempt(api: &Api<Lease>, config: &LeaseConfig, observed: &mut Option<Observed>) -> kube::Result<bool> {
    let Some(lease) = api.get_opt(&config.name).await? else {
        let lease = Lease {
            metadata: ObjectMeta { name: Some(config.name.clone()), ..Default::default() },
            spec: Some(LeaseSpec {
                holder_identity: Some(config.identity.clone()),
                lease_duration_seconds: Some(seconds(config.duration)),
                acquire_time: Some(now()),
                renew_time: Some(now()),
                lease_transitions: Some(0),
                ..Default::default()
            }),
        };
        return match api.create(&PostParams::default(), &lease).await {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
            Err(e) => Err(e),
        };
    };
    let spec = lease.spec.clone().unwrap_or_default();
    let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
    let record = (holder.clone(), spec.renew_time.as_ref().map(|t| t.0.to_string()));
    if observed.as_ref().is_none_or(|o| o.record != record) {
        *observed = Some(Observed { record, since: Instant::now() });
    }
    let duration =
        spec.lease_duration_seconds.and_then(|s| u64::try_from(s).ok()).map_or(config.duration, Duration::from_secs);
    let mine = holder.as_deref() == Some(config.identity.as_str());
    let expired = holder.is_none() || observed.as_ref().is_some_and(|o| o.since.elapsed() > duration);
    if !mine && !expired {
        return Ok(false);
    }
    let mut next = lease.clone();
    let mut spec = spec;
    if !mine {
        spec.holder_identity = Some(config.identity.clone());
        spec.acquire_time = Some(now());
        spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
    }
    spec.lease_duration_seconds = Some(seconds(config.duration));
    spec.renew_time = Some(now());
    next.spec = Some(spec);
    // The resourceVersion in `next` makes this a compare-and-swap: of two candidates, one wins.
    match api.replace(&lease.name_any(), &PostParams::default(), &next).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(e)) if e.code == 409 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Hands the lease back so another replica need not wait for it to expire.
async fn release(api: &Api<Lease>, config: &LeaseConfig) -> kube::Result<()> {
    let Some(mut lease) = api.get_opt(&config.name).await? else { return Ok(()) };
    let Some(spec) = lease.spec.as_mut() else { return Ok(()) };
    if spec.holder_identity.as_deref() != Some(config.identity.as_str()) {
        return Ok(());
    }
    spec.holder_identity = None;
    spec.lease_duration_seconds = Some(1);
    spec.renew_time = Some(now());
    api.replace(&config.name, &PostParams::default(), &lease).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_stops_when_the_renewal_deadline_passes() {
        let l = Leadership::default();
        let mut changes = l.subscribe();
        assert!(!l.is_leading());
        l.renewed(Instant::now() + Duration::from_secs(60));
        assert!(l.is_leading());
        assert!(changes.has_changed().unwrap() && *changes.borrow_and_update());
        l.renewed(Instant::now() - Duration::from_millis(1));
        assert!(!l.is_leading(), "an overdue renewal means not leading, even before anyone says so");
        l.lost();
        assert!(changes.has_changed().unwrap() && !*changes.borrow_and_update());
    }

    #[test]
    fn the_holder_renews_well_inside_its_lease() {
        let c = LeaseConfig {
            namespace: "n".into(),
            name: "l".into(),
            identity: "a".into(),
            duration: Duration::from_secs(15),
        };
        assert_eq!(c.renew_deadline(), Duration::from_secs(10));
        assert_eq!(c.retry_period(), Duration::from_secs(2));
        assert!(c.retry_period() * 4 < c.renew_deadline(), "several renewals may fail before writing stops");
    }
}
