//! `sovereign serve`: turns flags into a server configuration and runs it.

use std::time::Duration;

use anyhow::Context as _;

use super::ServeArgs;
use crate::admission::Limits;
use crate::audit::{AuditConfig, LeaseConfig};
use crate::server::tls::{self, CertFiles};
use crate::server::{ServeConfig, Server, Source, shutdown_signal, telemetry};

fn seconds(s: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(s).with_context(|| format!("{flag} must be a non-negative number of seconds"))
}

/// The namespace of the current kubeconfig context, else "default".
fn kubeconfig_namespace() -> String {
    kube::config::Kubeconfig::read()
        .ok()
        .and_then(|config| {
            let current = config.current_context.clone()?;
            let context = config.contexts.into_iter().find(|c| c.name == current)?.context?;
            context.namespace
        })
        .unwrap_or_else(|| "default".to_string())
}

/// Host name and process id: distinct for every replica and every process on one host.
fn default_identity() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "sovereign".to_string());
    format!("{host}_{}", std::process::id())
}

pub fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    telemetry::init(args.log_format);
    let tls = match (args.self_signed, args.tls_cert, args.tls_key) {
        (true, _, _) => {
            let dir = std::env::temp_dir().join(format!("sovereign-self-signed-{}", std::process::id()));
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let files = tls::self_signed(&dir)?;
            tracing::warn!(
                cert = %files.cert.display(),
                "serving a self-signed certificate for localhost: for local use only, never in a cluster"
            );
            files
        }
        (false, Some(cert), Some(key)) => CertFiles { cert, key },
        _ => anyhow::bail!("--tls-cert and --tls-key are required (or --self-signed for local use)"),
    };
    let cluster = args.policies.is_empty() && args.inventory.is_empty();
    let audit = (cluster && !args.no_audit).then(|| AuditConfig {
        interval: args.audit_interval.max(Duration::from_secs(1)),
        policy_reports: args.policy_reports,
        lease: LeaseConfig {
            namespace: args.lease_namespace.clone().unwrap_or_else(kubeconfig_namespace),
            name: args.lease_name.clone(),
            identity: args.identity.clone().unwrap_or_else(default_identity),
            duration: args.lease_duration.max(Duration::from_secs(1)),
        },
    });
    let source = if cluster {
        Source::Cluster
    } else {
        Source::Standalone {
            policies: args.policies,
            inventory: args.inventory,
            reload_every: seconds(args.reload_interval, "--reload-interval")?,
        }
    };
    let config = ServeConfig {
        listen: args.listen,
        metrics_listen: args.metrics_listen,
        tls,
        tls_reload_every: seconds(args.tls_reload_interval, "--tls-reload-interval")?,
        limits: Limits {
            max_body_bytes: args.max_body_bytes,
            deadline: seconds(args.request_timeout, "--request-timeout")?,
        },
        source,
        shutdown_grace: seconds(args.shutdown_grace, "--shutdown-grace")?,
        watch_grace: seconds(args.watch_grace, "--watch-grace")?,
        audit,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    runtime.block_on(async {
        let server = Server::bind(config).await?;
        server.run(shutdown_signal()).await;
        Ok(())
    })
}
