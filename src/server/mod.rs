//! `sovereign serve`: the webhook over HTTPS, metrics over HTTP, fed by files or watchers.

mod body_limit;
pub mod discovery;
pub mod live_pods;
mod objects;
pub mod policy_watch;
pub mod standalone;
pub mod telemetry;
pub mod tls;
pub mod watch;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use self::tls::{CertFiles, Reloading, TlsError};
use crate::admission::{Limits, metrics_router, router};
use crate::audit::controller::Running;
use crate::audit::{AuditConfig, Notifier};
use crate::files::FileError;
use crate::inventory::Inventory;
use crate::policy::PolicySet;
use crate::state::{Readiness, State};

/// Where policies and inventory come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Files, re-read when they change.
    Standalone { policies: Vec<PathBuf>, inventory: Vec<PathBuf>, reload_every: Duration },
    /// Watchers against the cluster of the kubeconfig or in-cluster config.
    Cluster,
}

#[derive(Clone, Debug)]
pub struct ServeConfig {
    pub listen: SocketAddr,
    pub metrics_listen: SocketAddr,
    pub tls: CertFiles,
    pub tls_reload_every: Duration,
    pub limits: Limits,
    pub source: Source,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub shutdown_grace: Duration,
    /// How long a broken watch is tolerated before `/readyz` fails.
    pub watch_grace: Duration,
    /// The audit controller (cluster mode only); `None` with `--no-audit`.
    pub audit: Option<AuditConfig>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Files(#[from] FileError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("no cluster to watch ({0}); pass --policies and --inventory to run standalone")]
    NoCluster(String),
}

/// A bound server, ready to run.
pub struct Server {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    state: Arc<State>,
    listener: TcpListener,
    metrics_listener: TcpListener,
    acceptor: TlsAcceptor,
    resolver: Arc<Reloading>,
    config: ServeConfig,
    audit: Option<Running>,
}

impl Server {
    /// Loads certificates and the first policies and inventory, and binds both listeners.
    pub async fn bind(config: ServeConfig) -> Result<Server, ServeError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let pair = config.tls.load()?;
        let resolver = Reloading::new(pair);
        let acceptor = TlsAcceptor::from(tls::server_config(resolver.clone())?);
        let readiness = Readiness::new(config.watch_grace);
        let mut running = None;

        let state = match &config.source {
            Source::Standalone { policies, inventory, .. } => {
                let (set, inv) = standalone::load(policies, inventory)?;
                let state = State::new(PolicySet::default(), inv, readiness);
                state.swap_policies(set);
                Arc::new(state)
            }
            Source::Cluster => {
                let client = kube::Client::try_default().await.map_err(|e| ServeError::NoCluster(e.to_string()))?;
                for source in watch::sources() {
                    readiness.register(source);
                }
                let mut state = State::new(PolicySet::default(), Inventory::default(), readiness);
                state.pods = Some(Arc::new(live_pods::LivePods(client.clone())));
                let channel = config.audit.as_ref().map(|_| Notifier::channel());
                let state = Arc::new(state);
                watch::start(client.clone(), state.clone(), channel.as_ref().map(|(notifier, _)| notifier.clone()));
                if let (Some(audit), Some((_, changes))) = (config.audit.clone(), channel) {
                    tracing::info!(lease = %audit.lease.name, namespace = %audit.lease.namespace, identity = %audit.lease.identity, interval = ?audit.interval, "audit enabled");
                    running = Some(crate::audit::start(client, state.clone(), audit, changes));
                }
                state
            }
        };
        state.readiness.certificates.store(true, Ordering::Release);

        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr).await.map_err(|source| ServeError::Listen { addr, source })
        };
        let listener = bind(config.listen).await?;
        let metrics_listener = bind(config.metrics_listen).await?;
        Ok(Server {
            addr: listener.local_addr().map_err(|source| ServeError::Listen { addr: config.listen, source })?,
            metrics_addr: metrics_listener
                .local_addr()
                .map_err(|source| ServeError::Listen { addr: config.metrics_listen, source })?,
            state,
            listener,
            metrics_listener,
            acceptor,
            resolver,
            config,
            audit: running,
        })
    }

    pub fn state(&self) -> Arc<State> {
        self.state.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting and lets requests in flight
    /// finish (up to the shutdown grace period).
    pub async fn run(self, shutdown: impl Future<Output = ()>) {
        let Server { addr, metrics_addr, state, listener, metrics_listener, acceptor, resolver, config, audit } = self;
        let mut background =
            vec![tokio::spawn(tls::watch(config.tls.clone(), resolver, state.clone(), config.tls_reload_every))];
        if let Source::Standalone { policies, inventory, reload_every } = &config.source {
            background.push(tokio::spawn(standalone::watch(
                policies.clone(),
                inventory.clone(),
                state.clone(),
                *reload_every,
            )));
        }
        let (stop_metrics, metrics_stopped) = tokio::sync::oneshot::channel::<()>();
        let metrics = axum::serve(metrics_listener, metrics_router(state.clone()))
            .with_graceful_shutdown(async { drop(metrics_stopped.await) });
        background.push(tokio::spawn(async move {
            if let Err(e) = metrics.await {
                tracing::error!(error = %e, "metrics listener failed");
            }
        }));
        tracing::info!(%addr, %metrics_addr, "serving");

        let app = router(state.clone(), config.limits)
            .layer(axum::middleware::from_fn_with_state(config.limits.max_body_bytes, body_limit::enforce));
        let graceful = GracefulShutdown::new();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let (tcp, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let acceptor = acceptor.clone();
            let service = TowerToHyperService::new(app.clone());
            let watcher = graceful.watcher();
            let state = state.clone();
            tokio::spawn(async move {
                let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        state.metrics.error("tls_handshake");
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        state.metrics.error("tls_handshake_timeout");
                        return;
                    }
                };
                let builder = auto::Builder::new(TokioExecutor::new());
                let connection = builder.serve_connection_with_upgrades(TokioIo::new(tls), service);
                if let Err(e) = watcher.watch(connection.into_owned()).await {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
            });
        }
        drop(listener);
        tracing::info!("shutting down: no new connections; finishing requests in flight");
        tokio::select! {
            () = graceful.shutdown() => tracing::info!("all connections closed"),
            () = tokio::time::sleep(config.shutdown_grace) => tracing::warn!("shutdown grace period over; closing"),
        }
        let _ = stop_metrics.send(());
        if let Some(audit) = audit {
            audit.stop().await;
        }
        for task in background {
            task.abort();
        }
    }
}

/// Completes on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
