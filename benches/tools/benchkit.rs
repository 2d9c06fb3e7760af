//! The helpers `benches/load.sh` runs:
//!
//! - `benchkit fixtures --out DIR`: writes the TLS pair, the policy sets (N = 10, 100, 1,000),
//!   the full inventory (one file per kind) and the load mix (`bodies.jsonl`, one
//!   AdmissionReview per line, as `oha -Z` reads them).
//! - `benchkit echo --mode bare|parse`: the floor. A TLS server with sovereign's rustls
//!   configuration (`sovereign::server::tls::server_config`), tokio runtime, hyper connection
//!   builder and axum router, that reads the body and answers a fixed allowed review (`bare`),
//!   or also parses the review JSON and serializes an allowed AdmissionReview for its uid with
//!   the same kube types sovereign answers with (`parse`).
//! - `benchkit report --dir DIR --criterion DIR`: turns the runs, memory samples and criterion
//!   estimates into `summary.json` and a human summary.

#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use axum::Router;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use clap::{Parser, Subcommand, ValueEnum};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use kube::core::Status;
use kube::core::admission::AdmissionResponse;
use serde_json::{Value, json};
use sovereign::server::tls::{self, CertFiles, Reloading};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use support::fixtures::{Kind, POLICY_COUNTS, SEED, Scale, World};

#[derive(Parser)]
#[command(name = "benchkit", about = "Fixtures, echo servers and the report for benches/load.sh")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write the TLS pair, policy sets, inventory and load mix under DIR.
    Fixtures {
        #[arg(long)]
        out: PathBuf,
        /// Reviews in the load mix.
        #[arg(long, default_value_t = 2000)]
        mix: usize,
        #[arg(long, default_value_t = SEED)]
        seed: u64,
    },
    /// Serve a TLS echo on LISTEN until killed.
    Echo {
        #[arg(long, value_enum)]
        mode: EchoMode,
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long)]
        cert: PathBuf,
        #[arg(long)]
        key: PathBuf,
    },
    /// Evaluate fixtures in a loop, for a profiler (`perf record`, `valgrind --tool=callgrind
    /// --toggle-collect='*profile_loop*'`).
    Profile {
        /// pod-2k, pod-8k, pod-30k, deployment, statefulset, pvc, binding, or all.
        #[arg(long, default_value = "all")]
        kind: String,
        #[arg(long, default_value_t = 100)]
        n: usize,
        #[arg(long, default_value_t = 100)]
        iterations: usize,
        /// Which fixtures: all, allowed or denied.
        #[arg(long, default_value = "all")]
        only: String,
        /// evaluate (the core on parsed objects), answer (the whole in-process webhook path),
        /// object (Object::parse from the decoded review),
        /// json-value / json-skip (building a serde_json::Value of each body / only scanning
        /// it), or sizes (the in-memory size of the inventory's value types).
        #[arg(long, default_value = "evaluate")]
        stage: String,
    },
    /// Write DIR/summary.json and DIR/summary.md from the runs under DIR.
    Report {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        criterion: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EchoMode {
    Bare,
    Parse,
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Fixtures { out, mix, seed } => fixtures(&out, mix, seed),
        Command::Echo { mode, listen, cert, key } => echo(mode, listen, CertFiles { cert, key }),
        Command::Report { dir, criterion } => report(&dir, &criterion),
        Command::Profile { kind, n, iterations, only, stage } => profile(&kind, n, iterations, &only, &stage),
    }
}

// ----- profile -----

fn profile(kind: &str, n: usize, iterations: usize, only: &str, stage: &str) -> Result<()> {
    use sovereign::evaluate::Object;
    use support::engines::{RequestInfo, inventory, policy_set};

    if stage == "sizes" {
        // What one hash-map slot of the inventory costs, whatever the object holds.
        use k8s_openapi::api::core::v1::{PersistentVolume, PersistentVolumeClaim, Pod};
        use sovereign::inventory::{Claim, NodeLabels, Pod as PodForm, Volume};
        use std::mem::size_of;
        eprintln!(
            "size_of, k8s-openapi: PersistentVolume {} B, PersistentVolumeClaim {} B, Pod {} B, labels map {} B",
            size_of::<PersistentVolume>(),
            size_of::<PersistentVolumeClaim>(),
            size_of::<Pod>(),
            size_of::<std::collections::BTreeMap<String, String>>()
        );
        eprintln!(
            "size_of, as the inventory keeps them: Volume {} B, Claim {} B, Pod {} B, node labels {} B",
            size_of::<Volume>(),
            size_of::<Claim>(),
            size_of::<PodForm>(),
            size_of::<NodeLabels>()
        );
        return Ok(());
    }
    let world = World::new(SEED, Scale::FULL);
    let inv = inventory(&world);
    let set = policy_set(&world, n);
    let fixtures: Vec<_> = Kind::ALL
        .iter()
        .filter(|k| kind == "all" || k.name() == kind)
        .flat_map(|k| world.fixtures(*k, 20, SEED))
        .filter(|f| match only {
            "allowed" => f.expect_allowed,
            "denied" => !f.expect_allowed,
            _ => true,
        })
        .collect();
    if fixtures.is_empty() {
        bail!("no fixture of kind {kind:?}");
    }
    let started = std::time::Instant::now();
    let count = match stage {
        "evaluate" => {
            let parsed: Vec<(Object, RequestInfo)> = fixtures
                .iter()
                .map(|f| Ok((Object::parse(&f.review["request"]["object"])?, RequestInfo::of(&f.review))))
                .collect::<Result<_>>()?;
            profile_loop(iterations, || {
                for (object, info) in &parsed {
                    std::hint::black_box(sovereign::evaluate::evaluate(object, &info.context(), &inv, &set));
                }
            });
            parsed.len()
        }
        "answer" => {
            use sovereign::state::{Readiness, State};
            let state = State::new(set, inv, Readiness::new(Duration::from_secs(30)));
            profile_loop(iterations, || {
                for f in &fixtures {
                    let a = futures::executor::block_on(sovereign::admission::review::answer(
                        f.body.as_bytes(),
                        &state,
                        Duration::from_secs(1),
                    ));
                    std::hint::black_box(a.map(|a| serde_json::to_vec(&a.response.into_review())).ok());
                }
            });
            fixtures.len()
        }
        "object" => {
            // Object::parse from the decoded review (sovereign's share of "decoded review -> verdict").
            let values: Vec<Value> = fixtures.iter().map(|f| f.review["request"]["object"].clone()).collect();
            profile_loop(iterations, || {
                for v in &values {
                    std::hint::black_box(Object::parse(v).ok());
                }
            });
            values.len()
        }
        "json-value" => {
            // What building a serde_json::Value of every body costs (what parse-echo pays)...
            profile_loop(iterations, || {
                for f in &fixtures {
                    std::hint::black_box(serde_json::from_slice::<Value>(f.body.as_bytes()).ok());
                }
            });
            fixtures.len()
        }
        "json-skip" => {
            // ...and what merely scanning it costs (the floor for any JSON-reading webhook).
            profile_loop(iterations, || {
                for f in &fixtures {
                    std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(f.body.as_bytes()).ok());
                }
            });
            fixtures.len()
        }
        other => bail!("unknown stage {other:?}"),
    };
    let per = started.elapsed().as_secs_f64() / (iterations * count) as f64;
    eprintln!("{stage} {kind} ({only}, N={n}): {count} fixtures x {iterations}: {:.1} µs each", per * 1e6);
    Ok(())
}

/// The measured loop, kept out of line so a profiler can select it.
#[inline(never)]
fn profile_loop(iterations: usize, mut body: impl FnMut()) {
    for _ in 0..iterations {
        body();
    }
}

// ----- fixtures -----

fn write_list(path: &Path, items: Vec<Value>) -> Result<()> {
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(path, serde_json::to_vec(&list)?).with_context(|| format!("writing {}", path.display()))
}

fn fixtures(out: &Path, mix: usize, seed: u64) -> Result<()> {
    std::fs::create_dir_all(out.join("tls"))?;
    let pair = tls::self_signed(&out.join("tls"))?;
    eprintln!("TLS pair: {}", pair.cert.display());

    let world = World::new(seed, Scale::FULL);
    for n in POLICY_COUNTS {
        let dir = out.join(format!("policies-{n}"));
        std::fs::create_dir_all(&dir)?;
        write_list(&dir.join("policies.json"), world.policies(n))?;
    }
    let inventory = out.join("inventory");
    std::fs::create_dir_all(&inventory)?;
    write_list(&inventory.join("namespaces.json"), world.namespace_objects())?;
    write_list(&inventory.join("storageclasses.json"), world.storage_class_objects())?;
    write_list(&inventory.join("nodes.json"), world.node_objects())?;
    write_list(&inventory.join("volumes.json"), world.volume_objects())?;
    write_list(&inventory.join("claims.json"), world.claim_objects())?;
    write_list(&inventory.join("pods.json"), world.pending_pod_objects())?;

    let reviews = world.load_mix(mix, seed);
    let mut lines = String::new();
    let mut by_kind: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for f in &reviews {
        lines.push_str(&f.body);
        lines.push('\n');
        let entry = by_kind.entry(f.kind.name()).or_default();
        entry.0 += 1;
        entry.1 += usize::from(!f.expect_allowed);
        entry.2 += f.body.len();
    }
    std::fs::write(out.join("bodies.jsonl"), lines)?;
    let meta: BTreeMap<&str, Value> = by_kind
        .iter()
        .map(|(k, (count, denied, bytes))| (*k, json!({"count": count, "denied": denied, "meanBytes": bytes / count})))
        .collect();
    let total_bytes: usize = reviews.iter().map(|f| f.body.len()).sum();
    let summary = json!({
        "seed": seed,
        "scale": {"nodes": world.scale.nodes, "persistentVolumes": world.scale.volumes,
            "persistentVolumeClaims": world.scale.volumes, "namespaces": world.scale.namespaces,
            "pendingPods": world.scale.pending_pods},
        "reviews": reviews.len(),
        "denied": reviews.iter().filter(|f| !f.expect_allowed).count(),
        "meanBodyBytes": total_bytes / reviews.len().max(1),
        "byKind": meta,
    });
    std::fs::write(out.join("fixtures.json"), serde_json::to_vec_pretty(&summary)?)?;
    eprintln!("{}", serde_json::to_string_pretty(&summary)?);
    Ok(())
}

// ----- echo servers -----

const FIXED_ALLOWED: &str = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"00000000-0000-0000-0000-000000000000","allowed":true}}"#;

async fn bare(body: Bytes) -> Response {
    std::hint::black_box(body.len());
    ([(header::CONTENT_TYPE, "application/json")], FIXED_ALLOWED).into_response()
}

async fn parse(body: Bytes) -> Response {
    let review: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return (axum::http::StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    };
    let mut response = AdmissionResponse::invalid("");
    response.uid = review["request"]["uid"].as_str().unwrap_or_default().to_string();
    response.allowed = true;
    response.result = Status::default();
    match serde_json::to_vec(&response.into_review()) {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(e) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
    }
}

fn echo(mode: EchoMode, listen: SocketAddr, files: CertFiles) -> Result<()> {
    // The same runtime `sovereign serve` builds.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let acceptor = TlsAcceptor::from(tls::server_config(Reloading::new(files.load()?))?);
        let validate = match mode {
            EchoMode::Bare => post(bare),
            EchoMode::Parse => post(parse),
        };
        let app = Router::new()
            .route("/validate", validate)
            .route("/healthz", get(|| async { "ok\n" }))
            .layer(DefaultBodyLimit::max(3 * 1024 * 1024));
        let listener = TcpListener::bind(listen).await.with_context(|| format!("binding {listen}"))?;
        eprintln!("echo ({}) on {listen}", if mode == EchoMode::Bare { "bare" } else { "parse" });
        // The accept loop of sovereign::server::Server::run, less graceful shutdown.
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(conn) => conn,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let acceptor = acceptor.clone();
            let service = TowerToHyperService::new(app.clone());
            tokio::spawn(async move {
                let Ok(Ok(tls)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await else {
                    return;
                };
                let builder = auto::Builder::new(TokioExecutor::new());
                let _ = builder.serve_connection_with_upgrades(TokioIo::new(tls), service).await;
            });
        }
    })
}

// ----- report -----

/// One load run, as `load.sh` recorded it.
#[derive(Debug, Clone)]
struct Run {
    server: String,
    label: String,
    concurrency: u64,
    rate: Option<f64>,
    rps: f64,
    p50: f64,
    p90: f64,
    p99: f64,
    p999: f64,
    success: f64,
    non_200: u64,
    cpu_us_per_request: Option<f64>,
    rss_mb: Option<f64>,
    generator_cpu: Option<f64>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn jsonl(path: &Path) -> Result<Vec<Value>> {
    if !path.exists() {
        return Ok(Vec::new());
    }
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).with_context(|| format!("{}: {l}", path.display())))
        .collect()
}

fn load_run(dir: &Path, line: &Value) -> Result<Run> {
    let oha = read_json(&dir.join(line["oha"].as_str().unwrap_or_default()))?;
    let pct = |k: &str| oha["latencyPercentiles"][k].as_f64().unwrap_or(f64::NAN) * 1000.0;
    let total: u64 =
        oha["statusCodeDistribution"].as_object().map(|m| m.values().filter_map(Value::as_u64).sum()).unwrap_or(0);
    let ok = oha["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
    let requests = total as f64;
    let ticks = line["cpu_ticks"].as_f64();
    let hz = line["clk_tck"].as_f64().unwrap_or(100.0);
    Ok(Run {
        server: line["server"].as_str().unwrap_or_default().to_string(),
        label: line["label"].as_str().unwrap_or_default().to_string(),
        concurrency: line["concurrency"].as_u64().unwrap_or(0),
        rate: line["rate"].as_f64(),
        rps: oha["summary"]["requestsPerSec"].as_f64().unwrap_or(0.0),
        p50: pct("p50"),
        p90: pct("p90"),
        p99: pct("p99"),
        p999: pct("p99.9"),
        success: oha["summary"]["successRate"].as_f64().unwrap_or(0.0),
        non_200: total - ok,
        cpu_us_per_request: ticks.filter(|_| requests > 0.0).map(|t| t / hz / requests * 1e6),
        rss_mb: line["rss_kb"].as_f64().map(|kb| kb / 1024.0),
        generator_cpu: line["generator_cpu"].as_f64(),
    })
}

/// Median time per iteration (ns) and elements per iteration of one criterion benchmark.
fn criterion_estimate(dir: &Path, id: &str) -> Option<(f64, f64)> {
    let base = dir.join(id).join("new");
    let est = read_json(&base.join("estimates.json")).ok()?;
    let bench = read_json(&base.join("benchmark.json")).ok()?;
    let elements = bench["throughput"]["Elements"].as_f64().unwrap_or(1.0);
    Some((est["median"]["point_estimate"].as_f64()?, elements))
}

fn geomean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| (values.iter().map(|v| v.ln()).sum::<f64>() / values.len() as f64).exp())
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

fn num(v: Option<f64>, digits: i32) -> Value {
    match v {
        Some(v) if v.is_finite() => json!(round(v, digits)),
        _ => Value::Null,
    }
}

fn cell(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v:.digits$}"),
        _ => "–".into(),
    }
}

struct Target {
    name: &'static str,
    target: String,
    measured: Option<f64>,
    shown: String,
    met: Option<bool>,
}

fn report(dir: &Path, criterion: &Path) -> Result<()> {
    let runs: Vec<Run> = jsonl(&dir.join("runs.jsonl"))?.iter().map(|l| load_run(dir, l)).collect::<Result<_>>()?;
    let memory: BTreeMap<String, f64> = jsonl(&dir.join("memory.jsonl"))?
        .iter()
        .filter_map(|l| Some((l["name"].as_str()?.to_string(), l["rss_kb"].as_f64()? / 1024.0)))
        .collect();
    let soak: Vec<(f64, f64)> = jsonl(&dir.join("soak.jsonl"))?
        .iter()
        .filter_map(|l| Some((l["t"].as_f64()?, l["rss_kb"].as_f64()? / 1024.0)))
        .collect();
    let meta = read_json(&dir.join("meta.json")).unwrap_or(Value::Null);
    if runs.is_empty() {
        bail!("no runs in {}", dir.join("runs.jsonl").display());
    }

    let saturation = |server: &str| -> Option<&Run> {
        runs.iter().filter(|r| r.server == server && r.rate.is_none()).max_by(|a, b| a.rps.total_cmp(&b.rps))
    };
    let max_rps = |server: &str| saturation(server).map(|r| r.rps);
    let half_load = |server: &str| runs.iter().find(|r| r.server == server && r.label == "half");

    let echo = max_rps("echo");
    let parse = max_rps("parse-echo");
    let ours = max_rps("sovereign-n100");
    let ours_1000 = max_rps("sovereign-n1000");
    let ratio = |a: Option<f64>, b: Option<f64>| Some(a? / b?);
    let half = half_load("sovereign-n100");

    // In-process, from criterion.
    let mut speed: BTreeMap<&str, BTreeMap<String, f64>> = BTreeMap::new();
    let mut per_request_us: BTreeMap<String, f64> = BTreeMap::new();
    for (group, key) in [("engines-n100", "value_to_verdict"), ("engines-eval-n100", "eval_only")] {
        for engine in ["cel", "rego"] {
            let mut ratios = Vec::new();
            for kind in Kind::ALL {
                let ours = criterion_estimate(criterion, &format!("{group}/sovereign/{}", kind.name()));
                let theirs = criterion_estimate(criterion, &format!("{group}/{engine}/{}", kind.name()));
                if let (Some((o, e)), Some((t, _))) = (ours, theirs) {
                    ratios.push(t / o);
                    per_request_us.insert(format!("{group}/sovereign/{}", kind.name()), o / e / 1000.0);
                    per_request_us.insert(format!("{group}/{engine}/{}", kind.name()), t / e / 1000.0);
                    speed.entry(key).or_default().insert(format!("{engine}/{}", kind.name()), round(t / o, 1));
                }
            }
            if let Some(g) = geomean(&ratios) {
                speed.entry(key).or_default().insert(engine.to_string(), round(g, 1));
            }
        }
    }
    let speedup = |key: &str, engine: &str| speed.get(key).and_then(|m| m.get(engine)).copied();

    let mut scaling = BTreeMap::new();
    let mut worst_scaling: Option<f64> = None;
    for kind in Kind::ALL {
        let at = |n: usize| criterion_estimate(criterion, &format!("evaluate/{}/n{n}", kind.name()));
        if let (Some((t10, e)), Some((t1000, _))) = (at(10), at(1000)) {
            let r = t1000 / t10;
            scaling.insert(kind.name(), json!({"n10_us": round(t10 / e / 1000.0, 2), "n1000_us": round(t1000 / e / 1000.0, 2), "ratio": round(r, 2)}));
            worst_scaling = Some(worst_scaling.map_or(r, |w: f64| w.max(r)));
        }
        for n in POLICY_COUNTS {
            for group in ["parse", "serialize"] {
                if let Some((t, e)) = criterion_estimate(criterion, &format!("{group}/{}", kind.name())) {
                    per_request_us.insert(format!("{group}/{}", kind.name()), t / e / 1000.0);
                }
            }
            for group in ["evaluate", "answer"] {
                if let Some((t, e)) = criterion_estimate(criterion, &format!("{group}/{}/n{n}", kind.name())) {
                    per_request_us.insert(format!("{group}/{}/n{n}", kind.name()), t / e / 1000.0);
                }
            }
            for engine in ["sovereign", "cel", "rego"] {
                if let Some((t, e)) = criterion_estimate(criterion, &format!("engines-n{n}/{engine}/{}", kind.name())) {
                    per_request_us.insert(format!("engines-n{n}/{engine}/{}", kind.name()), t / e / 1000.0);
                }
            }
        }
    }

    let mut by_verdict = BTreeMap::new();
    for verdict in ["allowed", "denied"] {
        let at = |n: usize| criterion_estimate(criterion, &format!("evaluate-{verdict}/all/n{n}"));
        let us: BTreeMap<String, Value> = POLICY_COUNTS
            .iter()
            .filter_map(|n| at(*n).map(|(t, e)| (format!("n{n}_us"), json!(round(t / e / 1000.0, 2)))))
            .collect();
        let ratio = at(1000).zip(at(10)).map(|((a, _), (b, _))| a / b);
        by_verdict.insert(verdict, json!({"per_request": us, "n1000_over_n10": num(ratio, 2)}));
    }

    let soak_start = soak.iter().find(|(t, _)| *t >= soak.last().map_or(0.0, |l| l.0) * 0.1).map(|s| s.1);
    let soak_end = soak.last().map(|s| s.1);
    let soak_growth = soak_end.zip(soak_start).map(|(e, s)| e - s);
    // "No growth": the end within 2 MB (or 5 %) of the level reached after the first tenth.
    let soak_ok = soak_growth.zip(soak_start).map(|(g, s)| g <= (s * 0.05).max(2.0));

    let le = |m: Option<f64>, t: f64| m.map(|m| m <= t);
    let ge = |m: Option<f64>, t: f64| m.map(|m| m >= t);
    let targets = vec![
        Target {
            name: "throughput vs bare TLS echo (N=100, full inventory)",
            target: "≥ 0.70×".into(),
            measured: ratio(ours, echo),
            shown: format!("{}×", cell(ratio(ours, echo), 2)),
            met: ge(ratio(ours, echo), 0.70),
        },
        Target {
            name: "throughput vs parse-echo (N=100, full inventory)",
            target: "≥ 0.90×".into(),
            measured: ratio(ours, parse),
            shown: format!("{}×", cell(ratio(ours, parse), 2)),
            met: ge(ratio(ours, parse), 0.90),
        },
        Target {
            name: "throughput vs bare TLS echo (N=1,000, full inventory)",
            target: "≥ 0.60×".into(),
            measured: ratio(ours_1000, echo),
            shown: format!("{}×", cell(ratio(ours_1000, echo), 2)),
            met: ge(ratio(ours_1000, echo), 0.60),
        },
        Target {
            name: "p99 at half of saturation (N=100)",
            target: "≤ 1 ms".into(),
            measured: half.map(|h| h.p99),
            shown: format!("{} ms", cell(half.map(|h| h.p99), 2)),
            met: le(half.map(|h| h.p99), 1.0),
        },
        Target {
            name: "in-process speedup vs CEL (N=100, geomean of kinds)",
            target: "≥ 20×".into(),
            measured: speedup("value_to_verdict", "cel"),
            shown: format!("{}×", cell(speedup("value_to_verdict", "cel"), 1)),
            met: ge(speedup("value_to_verdict", "cel"), 20.0),
        },
        Target {
            name: "in-process speedup vs Rego (N=100, geomean of kinds)",
            target: "≥ 100×".into(),
            measured: speedup("value_to_verdict", "rego"),
            shown: format!("{}×", cell(speedup("value_to_verdict", "rego"), 1)),
            met: ge(speedup("value_to_verdict", "rego"), 100.0),
        },
        Target {
            name: "evaluation at N=1,000 / N=10 (worst kind)",
            target: "≤ 3×".into(),
            measured: worst_scaling,
            shown: format!("{}×", cell(worst_scaling, 2)),
            met: le(worst_scaling, 3.0),
        },
        Target {
            name: "RSS idle, 10 policies",
            target: "≤ 20 MB".into(),
            measured: memory.get("idle-n10").copied(),
            shown: format!("{} MB", cell(memory.get("idle-n10").copied(), 1)),
            met: le(memory.get("idle-n10").copied(), 20.0),
        },
        Target {
            name: "RSS, 1,000 policies + 10k Nodes + 10k PVs",
            target: "≤ 60 MB".into(),
            measured: memory.get("n1000-nodes-pvs").copied(),
            shown: format!("{} MB", cell(memory.get("n1000-nodes-pvs").copied(), 1)),
            met: le(memory.get("n1000-nodes-pvs").copied(), 60.0),
        },
        Target {
            name: "RSS growth over the soak at half load",
            target: "none (≤ 2 MB or 5 %)".into(),
            measured: soak_growth,
            shown: format!("{} MB", cell(soak_growth, 1)),
            met: soak_ok,
        },
    ];

    let servers: BTreeMap<&str, Value> = ["echo", "parse-echo", "sovereign-n100", "sovereign-n1000", "sovereign-n100-quiet"]
        .iter()
        .filter(|s| runs.iter().any(|r| r.server == **s))
        .map(|s| {
            let list: Vec<Value> = runs
                .iter()
                .filter(|r| r.server == *s)
                .map(|r| {
                    json!({
                        "label": r.label, "concurrency": r.concurrency, "rate": num(r.rate, 0), "rps": round(r.rps, 0),
                        "p50_ms": num(Some(r.p50), 3), "p90_ms": num(Some(r.p90), 3), "p99_ms": num(Some(r.p99), 3), "p99_9_ms": num(Some(r.p999), 3),
                        "cpu_us_per_request": num(r.cpu_us_per_request, 1), "rss_mb": num(r.rss_mb, 1),
                        "success_rate": r.success, "non_200": r.non_200, "generator_cpu": num(r.generator_cpu, 2),
                    })
                })
                .collect();
            (*s, json!({"max_rps": num(max_rps(s), 0), "runs": list}))
        })
        .collect();

    // The human summary.
    let mut md = String::new();
    let _ = writeln!(md, "# sovereign benchmark summary\n");
    let _ = writeln!(
        md,
        "Machine: {} cores, {}; server pinned to CPU {}, load generator to CPU {}. Mode: {}. One run; read the ratios, not the absolute numbers.\n",
        meta["nproc"],
        meta["cpu_model"].as_str().unwrap_or("?"),
        meta["server_cpu"].as_str().unwrap_or("-"),
        meta["load_cpu"].as_str().unwrap_or("-"),
        meta["mode"].as_str().unwrap_or("?")
    );
    let _ = writeln!(md, "## Targets (issue 7)\n\n| target | wanted | measured | met |\n|---|---|---|---|");
    for t in &targets {
        let met = match t.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "not measured",
        };
        let _ = writeln!(md, "| {} | {} | {} | {met} |", t.name, t.target, t.shown);
    }
    let _ = writeln!(
        md,
        "\n## End to end (HTTPS, keep-alive, HTTP/1.1; oha)\n\n| server | run | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | CPU µs/req | RSS MB | non-200 | generator CPU |\n|---|---|---|---|---|---|---|---|---|---|---|"
    );
    for r in &runs {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.server,
            r.label,
            r.rps,
            cell(Some(r.p50), 3),
            cell(Some(r.p90), 3),
            cell(Some(r.p99), 3),
            cell(Some(r.p999), 3),
            cell(r.cpu_us_per_request, 1),
            cell(r.rss_mb, 1),
            r.non_200,
            cell(r.generator_cpu, 2)
        );
    }
    let _ = writeln!(md, "\n## Memory (VmRSS)\n\n| state | MB |\n|---|---|");
    for (name, mb) in &memory {
        let _ = writeln!(md, "| {name} | {mb:.1} |");
    }
    if let (Some(s), Some(e)) = (soak_start, soak_end) {
        let _ = writeln!(
            md,
            "| soak: after the first tenth → end ({:.0} s at half load) | {s:.1} → {e:.1} |",
            soak.last().map_or(0.0, |l| l.0)
        );
    }
    let _ = writeln!(
        md,
        "\n## In process (criterion medians, µs per request)\n\n| kind | parse | evaluate N=10 | N=100 | N=1,000 | serialize | answer N=100 | sovereign N=100 | CEL N=100 | Rego N=100 |\n|---|---|---|---|---|---|---|---|---|---|"
    );
    for kind in Kind::ALL {
        let k = kind.name();
        let g = |id: String| per_request_us.get(&id).copied();
        let _ = writeln!(
            md,
            "| {k} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(g(format!("parse/{k}")), 2),
            cell(g(format!("evaluate/{k}/n10")), 2),
            cell(g(format!("evaluate/{k}/n100")), 2),
            cell(g(format!("evaluate/{k}/n1000")), 2),
            cell(g(format!("serialize/{k}")), 2),
            cell(g(format!("answer/{k}/n100")), 2),
            cell(g(format!("engines-n100/sovereign/{k}")), 2),
            cell(g(format!("engines-n100/cel/{k}")), 1),
            cell(g(format!("engines-n100/rego/{k}")), 1),
        );
    }
    print!("{md}");
    std::fs::write(dir.join("summary.md"), &md)?;

    let summary = json!({
        "machine": meta,
        "ratio_vs_echo": num(ratio(ours, echo), 3),
        "ratio_vs_parse_echo": num(ratio(ours, parse), 3),
        "ratio_vs_echo_n1000": num(ratio(ours_1000, echo), 3),
        "ratio_vs_parse_echo_n1000": num(ratio(ours_1000, parse), 3),
        "max_rps": {"echo": num(echo, 0), "parse_echo": num(parse, 0), "sovereign_n100": num(ours, 0), "sovereign_n1000": num(ours_1000, 0)},
        "p99_ms_at_half_load": num(half.map(|h| h.p99), 3),
        "half_load_rps": num(half.and_then(|h| h.rate), 0),
        "rss_mb_idle": num(memory.get("idle-n10").copied(), 1),
        "rss_mb_loaded": num(memory.get("n1000-nodes-pvs").copied(), 1),
        "rss_mb": memory.iter().map(|(k, v)| (k.clone(), json!(round(*v, 1)))).collect::<serde_json::Map<_, _>>(),
        "soak": {"seconds": num(soak.last().map(|l| l.0), 0), "rss_mb_start": num(soak_start, 1), "rss_mb_end": num(soak_end, 1),
            "rss_mb_max": num(soak.iter().map(|s| s.1).reduce(f64::max), 1), "growth_mb": num(soak_growth, 2), "no_growth": soak_ok},
        "speedup_vs_cel": num(speedup("value_to_verdict", "cel"), 1),
        "speedup_vs_regorus": num(speedup("value_to_verdict", "rego"), 1),
        "speedup_vs_cel_eval_only": num(speedup("eval_only", "cel"), 1),
        "speedup_vs_regorus_eval_only": num(speedup("eval_only", "rego"), 1),
        "speedups_n100": speed,
        "evaluate_n1000_over_n10": {"worst": num(worst_scaling, 2), "by_kind": scaling, "by_verdict": by_verdict},
        "in_process_us_per_request": per_request_us.iter().map(|(k, v)| (k.clone(), json!(round(*v, 3)))).collect::<serde_json::Map<_, _>>(),
        "servers": servers,
        "targets": targets.iter().map(|t| json!({"name": t.name, "target": t.target, "measured": num(t.measured, 3), "met": t.met})).collect::<Vec<_>>(),
        "human": md,
    });
    std::fs::write(dir.join("summary.json"), serde_json::to_vec_pretty(&summary)?)?;
    eprintln!("wrote {} and {}", dir.join("summary.json").display(), dir.join("summary.md").display());
    Ok(())
}
