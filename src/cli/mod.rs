//! The command line: argument parsing and output, around the evaluation core.

mod check;
pub mod fix;
mod live;
pub mod output;
mod regions;
mod remediate;
pub mod report;
mod serve;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Parser, Subcommand, ValueEnum};

use crate::server::telemetry::LogFormat;

pub use check::{CheckError, CheckReport, run_check, run_check_at};
pub use regions::{RegionsArgs, RegionsError, RegionsOutput, run_regions};
pub use serve::run_serve;

/// sovereign keeps classified data in the regions its jurisdiction permits.
#[derive(Debug, Parser)]
#[command(name = "sovereign", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Evaluate manifests against policies offline; exit 1 when anything is denied.
    Check(CheckArgs),
    /// Print the manifests with the pinning applied that the policies ask for (SPEC §15):
    /// the same change the mutating webhook makes, for Git.
    Fix(FixArgs),
    /// Print the CustomResourceDefinitions (SovereigntyPolicy, SovereigntyException) as YAML.
    Crds,
    /// Run the admission webhook (HTTPS) and its metrics endpoint (HTTP).
    Serve(Box<ServeArgs>),
    /// Evidence for an auditor: where every classified workload and volume runs or is stored
    /// (from files, or from the live cluster).
    Report(ReportArgs),
    /// The region catalog: every region, the regions of a country (--country), what a name
    /// means on each cloud (NAME), a preset's members (--preset), or what policies allow (-p).
    Regions(RegionsArgs),
}

/// `report` reads files like `check`, or, without `-f`, the live cluster.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// SovereigntyPolicy files or directories [default: the cluster's policies].
    #[arg(short = 'p', long = "policies", value_name = "PATH", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Manifests to report on, files or directories (`-` for stdin) [default: every Pod,
    /// workload, PersistentVolumeClaim and PersistentVolume in the cluster of the current
    /// kubeconfig context].
    #[arg(short = 'f', long = "filename", value_name = "PATH", num_args = 1..)]
    pub manifests: Vec<PathBuf>,
    /// With -f: cluster objects to evaluate against, as for `check`.
    #[arg(long = "inventory", value_name = "PATH", num_args = 1.., requires = "manifests")]
    pub inventory: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
    /// Judge as at this time (RFC 3339, e.g. 2027-04-01T00:00:00Z): which
    /// SovereigntyExceptions are in force [default: the current time].
    #[arg(long = "now", value_name = "RFC3339", value_parser = parse_time)]
    pub now: Option<SystemTime>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
    Csv,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// HTTPS address for /validate, /healthz and /readyz.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// Plain HTTP address for /metrics.
    #[arg(long, default_value = "0.0.0.0:9090")]
    pub metrics_listen: SocketAddr,
    /// PEM certificate chain; reloaded when it changes.
    #[arg(long, value_name = "FILE", required_unless_present = "self_signed", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key; reloaded when it changes.
    #[arg(long, value_name = "FILE", required_unless_present = "self_signed", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Generate a throwaway self-signed certificate for localhost. For local use only.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub self_signed: bool,
    /// Seconds between checks of the certificate files.
    #[arg(long, value_name = "SECONDS", default_value_t = 10.0)]
    pub tls_reload_interval: f64,
    /// Standalone mode: SovereigntyPolicy files or directories (re-read on change).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Standalone mode: inventory files or directories (re-read on change).
    #[arg(long, value_name = "PATH", num_args = 1..)]
    pub inventory: Vec<PathBuf>,
    /// Seconds between checks of the standalone files.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub reload_interval: f64,
    /// Largest request body accepted (larger ones get 413).
    #[arg(long, value_name = "BYTES", default_value_t = 3 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Seconds to answer a review; keep it below the webhook's timeoutSeconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 4.0)]
    pub request_timeout: f64,
    /// Seconds requests in flight may take to finish after SIGTERM.
    #[arg(long, value_name = "SECONDS", default_value_t = 25.0)]
    pub shutdown_grace: f64,
    /// Seconds a broken watch is tolerated before /readyz fails.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub watch_grace: f64,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Do not run the audit controller (cluster mode runs it by default).
    #[arg(long)]
    pub no_audit: bool,
    /// How often the audit re-judges every existing object and rewrites every policy's
    /// status (changes are audited as they happen): e.g. 600, 90s, 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub audit_interval: Duration,
    /// Also write policy reports: openreports.io/v1alpha1 Report/ClusterReport and
    /// wgpolicyk8s.io/v1alpha2 PolicyReport/ClusterPolicyReport, each when the cluster serves it.
    #[arg(long)]
    pub policy_reports: bool,
    /// The coordination.k8s.io Lease that elects the one replica that writes audit results.
    #[arg(long, value_name = "NAME", default_value = "sovereign-audit")]
    pub lease_name: String,
    /// The Lease's namespace [default: $POD_NAMESPACE, else the kubeconfig's namespace].
    #[arg(long, value_name = "NAMESPACE", env = "POD_NAMESPACE")]
    pub lease_namespace: Option<String>,
    /// How long the Lease holds without renewal; the holder renews every 2/15 of it and
    /// stops writing after 2/3 of it without a successful renewal.
    #[arg(long, value_name = "DURATION", default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: Duration,
    /// This replica's name in the Lease and in Events [default: $POD_NAME, else host name and process id].
    #[arg(long, value_name = "NAME", env = "POD_NAME")]
    pub identity: Option<String>,
}

/// A duration: a number of seconds, or a number with a unit (`ms`, `s`, `m`, `h`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("{text:?} is not a duration (e.g. 600, 90s, 10m, 1h)"))?;
    let seconds = match unit.trim() {
        "" | "s" => value,
        "ms" => value / 1000.0,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown unit {other:?} in {text:?}; use ms, s, m or h")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("{text:?} is out of range"))
}

/// A point in time, RFC 3339 (`2027-03-31T00:00:00Z`, `2027-03-31T09:00:00+07:00`).
pub fn parse_time(text: &str) -> Result<SystemTime, String> {
    text.trim()
        .parse::<k8s_openapi::jiff::Timestamp>()
        .map(SystemTime::from)
        .map_err(|e| format!("{text:?} is not an RFC 3339 time such as 2027-03-31T00:00:00Z: {e}"))
}

/// The files `check` and `report` read.
#[derive(Debug, clap::Args)]
pub struct Inputs {
    /// SovereigntyPolicy files or directories (YAML or JSON; `-` for stdin).
    #[arg(short = 'p', long = "policies", value_name = "PATH", num_args = 1.., required = true)]
    pub policies: Vec<PathBuf>,
    /// Manifests to evaluate: files or directories (YAML or JSON; `-` for stdin).
    #[arg(short = 'f', long = "filename", value_name = "PATH", num_args = 1.., required = true)]
    pub manifests: Vec<PathBuf>,
    /// Cluster objects to evaluate against (Nodes, PersistentVolumes, PersistentVolumeClaims,
    /// StorageClasses, Namespaces, Pods), e.g. `kubectl get nodes,pv,pvc,storageclass,namespaces -A -o yaml`.
    #[arg(long = "inventory", value_name = "PATH", num_args = 1..)]
    pub inventory: Vec<PathBuf>,
    /// Judge as at this time (RFC 3339, e.g. 2027-04-01T00:00:00Z): which
    /// SovereigntyExceptions given with -p are in force [default: the current time].
    #[arg(long = "now", value_name = "RFC3339", value_parser = parse_time)]
    pub now: Option<SystemTime>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Format::Text)]
    pub output: Format,
}

#[derive(Debug, clap::Args)]
pub struct FixArgs {
    #[command(flatten)]
    pub inputs: Inputs,
    /// Rewrite the files in place instead of printing them (comments and layout are kept
    /// where the change is an addition; see README).
    #[arg(short = 'w', long = "write")]
    pub write: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The SovereigntyPolicy CRD YAML, exactly as `crds/sovereigntypolicies.sovereignty.io.yaml` holds it.
pub fn crd_yaml() -> String {
    use kube::CustomResourceExt;
    let crd = crate::policy::SovereigntyPolicy::crd();
    let body = serde_yaml_ng::to_string(&crd).expect("a CRD always serializes");
    format!("# Generated by `sovereign crds` from src/policy/types.rs; do not edit.\n{body}")
}

/// The SovereigntyException CRD YAML, exactly as
/// `crds/sovereigntyexceptions.sovereignty.io.yaml` holds it.
pub fn exception_crd_yaml() -> String {
    use kube::CustomResourceExt;
    let crd = crate::policy::SovereigntyException::crd();
    let body = serde_yaml_ng::to_string(&crd).expect("a CRD always serializes");
    format!("# Generated by `sovereign crds` from src/policy/exception.rs; do not edit.\n{body}")
}

/// What `sovereign crds` prints: every CRD, one YAML document each.
pub fn crds_yaml() -> String {
    format!("{}---\n{}", crd_yaml(), exception_crd_yaml())
}
