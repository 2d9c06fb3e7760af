//! The end-to-end harness: a real kube-apiserver (started by tests/e2e/run.sh, or any cluster
//! named by KUBECONFIG that can reach this host), the real `kubectl` and `helm`, and the
//! real `sovereign serve` binary registered through the chart's own webhook configuration.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The kubeconfig of the API server under test.
pub fn kubeconfig() -> String {
    std::env::var("KUBECONFIG").expect("KUBECONFIG must name the API server under test: run tests/e2e/run.sh")
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("SOVEREIGN_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cache/sovereign")
    })
}

pub fn helm_binary() -> PathBuf {
    std::env::var_os("HELM").map(PathBuf::from).unwrap_or_else(|| cache_dir().join("bin/helm"))
}

/// The API server's version as `kubectl` reads it from /version: `(minor, gitVersion)`.
pub fn server_version() -> &'static (u32, String) {
    static VERSION: std::sync::OnceLock<(u32, String)> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let out = kubectl(&["get", "--raw", "/version"]).success();
        let version: serde_json::Value = serde_json::from_str(&out.stdout).expect("/version is JSON");
        // "20", or "35+" on some builds.
        let minor =
            version["minor"].as_str().unwrap_or_default().trim_end_matches('+').parse().expect("a minor version");
        (minor, version["gitVersion"].as_str().expect("a gitVersion").to_string())
    })
}

/// The API server's minor version (20 for 1.20.2, 35 for 1.35).
pub fn minor() -> u32 {
    server_version().0
}

/// True on API servers that enforce the CRD's CEL rules, copy node topology labels onto
/// bound Pods (with PodTopologyLabels) and know webhook matchConditions: the current one.
pub fn current() -> bool {
    minor() >= 30
}

/// The result of a command, with its output as text.
#[derive(Debug)]
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// stdout and stderr together, as a person at a terminal sees them.
    pub fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub fn success(self) -> Self {
        assert!(self.ok, "command failed:\n{}", self.text());
        self
    }

    #[track_caller]
    pub fn failure(self) -> Self {
        assert!(!self.ok, "command unexpectedly succeeded:\n{}", self.text());
        self
    }
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Run {
    cmd.env("KUBECONFIG", kubeconfig()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let mut input = child.stdin.take().unwrap();
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).unwrap();
    }
    drop(input);
    Run::from(child.wait_with_output().unwrap())
}

pub fn kubectl(args: &[&str]) -> Run {
    let mut cmd = Command::new("kubectl");
    cmd.args(args);
    run(cmd, None)
}

pub fn kubectl_stdin(args: &[&str], stdin: &str) -> Run {
    let mut cmd = Command::new("kubectl");
    cmd.args(args);
    run(cmd, Some(stdin))
}

/// `kubectl apply -f -` of a manifest.
pub fn apply(manifest: &str) -> Run {
    kubectl_stdin(&["apply", "-f", "-"], manifest)
}

pub fn helm(args: &[&str]) -> Run {
    let mut cmd = Command::new(helm_binary());
    cmd.args(args).current_dir(ROOT);
    run(cmd, None)
}

/// Retries `check` until it returns `Some`, for up to `limit`.
#[track_caller]
pub fn eventually<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A CA and a serving certificate for 127.0.0.1, written once per test process.
pub struct Certs {
    pub dir: PathBuf,
    pub ca_pem: String,
}

pub fn certs() -> &'static Certs {
    static CERTS: std::sync::OnceLock<Certs> = std::sync::OnceLock::new();
    CERTS.get_or_init(|| {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};
        let dir = std::env::temp_dir().join(format!("sovereign-e2e-certs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "sovereign e2e CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, "localhost");
        params.subject_alt_names.push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
        let issuer = rcgen::Issuer::new(ca_params, ca_key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        std::fs::write(dir.join("tls.crt"), cert.pem()).unwrap();
        std::fs::write(dir.join("tls.key"), key.serialize_pem()).unwrap();
        Certs { dir, ca_pem: ca.pem() }
    })
}

pub fn base64(bytes: &[u8]) -> String {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    BASE64_STANDARD.encode(bytes)
}

/// A running `sovereign serve` in cluster mode, registered as the cluster's webhook.
/// Dropping it deregisters the webhook and stops the process.
pub struct Sovereign {
    child: Option<Child>,
    pub port: u16,
    pub metrics_port: u16,
    log: PathBuf,
}

impl Sovereign {
    /// Starts the server, waits until it is ready (every cache synced) and registers the
    /// chart's ValidatingWebhookConfiguration pointing at it.
    pub fn start() -> Sovereign {
        let mut s = Sovereign::spawn();
        s.wait_ready();
        register_webhook(s.port);
        s
    }

    pub fn spawn() -> Sovereign {
        Sovereign::spawn_with(&[])
    }

    /// Starts the server with extra `serve` flags, without registering the webhook.
    pub fn spawn_with(extra: &[&str]) -> Sovereign {
        let certs = certs();
        let port = free_port();
        let metrics_port = free_port();
        let log = std::env::temp_dir().join(format!("sovereign-e2e-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_sovereign"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--metrics-listen", &format!("127.0.0.1:{metrics_port}")])
            .arg("--tls-cert")
            .arg(certs.dir.join("tls.crt"))
            .arg("--tls-key")
            .arg(certs.dir.join("tls.key"))
            .args(["--watch-grace", "5"])
            .args(extra)
            .env("KUBECONFIG", kubeconfig())
            .env("RUST_LOG", "info,kube=warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("sovereign starts");
        Sovereign { child: Some(child), port, metrics_port, log }
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// GET an endpoint over TLS with curl (on every Debian machine) trusting our CA.
    pub fn get(&self, path: &str) -> Run {
        let ca = certs().dir.join("ca.crt");
        if !ca.exists() {
            std::fs::write(&ca, &certs().ca_pem).unwrap();
        }
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "5", "--fail-with-body", "--cacert"])
            .arg(&ca)
            .arg(format!("https://127.0.0.1:{}{path}", self.port));
        run(cmd, None)
    }

    /// POST a body to /validate and return the response text.
    pub fn review(&self, body: &str) -> Run {
        let ca = certs().dir.join("ca.crt");
        if !ca.exists() {
            std::fs::write(&ca, &certs().ca_pem).unwrap();
        }
        let mut cmd = Command::new("curl");
        cmd.args([
            "-sS",
            "--max-time",
            "5",
            "--fail-with-body",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "@-",
            "--cacert",
        ])
        .arg(&ca)
        .arg(format!("https://127.0.0.1:{}/validate", self.port));
        run(cmd, Some(body))
    }

    pub fn metrics(&self) -> String {
        let mut cmd = Command::new("curl");
        cmd.args(["-sS", "--max-time", "5"]).arg(format!("http://127.0.0.1:{}/metrics", self.metrics_port));
        run(cmd, None).stdout
    }

    #[track_caller]
    pub fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            let ready = self.get("/readyz");
            if ready.ok {
                return;
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("sovereign exited with {status}:\n{}", self.logs());
            }
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "sovereign not ready after 60 s: {}\n{}",
                ready.text(),
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Sends a signal (e.g. "STOP", "CONT") to the process.
    pub fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("the server is running");
        let status = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -{signal} failed");
    }

    /// Stops the process with SIGTERM, as Kubernetes does, and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > Duration::from_secs(30) {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.wait();
        }
    }
}

impl Drop for Sovereign {
    fn drop(&mut self) {
        deregister_webhook();
        self.stop();
    }
}

pub const WEBHOOK_NAME: &str = "e2e-sovereign";

/// Renders the chart's webhook configuration in url mode, for the server's version, and applies it.
pub fn register_webhook(port: u16) {
    let rendered = helm(&[
        "template",
        "e2e",
        "charts/sovereign",
        "--namespace",
        "sovereign-system",
        "--kube-version",
        &server_version().1,
        "--set",
        &format!("webhook.url=https://127.0.0.1:{port}"),
        "--set",
        &format!("webhook.caBundle={}", base64(certs().ca_pem.as_bytes())),
        "--show-only",
        "templates/validatingwebhookconfiguration.yaml",
    ])
    .success();
    apply(&rendered.stdout).success();
}

/// Renders the chart's MutatingWebhookConfiguration (remediation, SPEC §15) in url mode and
/// applies it; [`deregister_webhook`] removes it with the validating one.
pub fn register_mutating_webhook(port: u16) {
    let rendered = helm(&[
        "template",
        "e2e",
        "charts/sovereign",
        "--namespace",
        "sovereign-system",
        "--set",
        &format!("webhook.url=https://127.0.0.1:{port}"),
        "--set",
        &format!("webhook.caBundle={}", base64(certs().ca_pem.as_bytes())),
        "--show-only",
        "templates/mutatingwebhookconfiguration.yaml",
    ])
    .success();
    apply(&rendered.stdout).success();
}

pub fn deregister_webhook() {
    let _ = kubectl(&[
        "delete",
        "mutatingwebhookconfiguration",
        "-l",
        "app.kubernetes.io/instance=e2e",
        "--ignore-not-found",
        "--wait=true",
    ]);
    let _ = kubectl(&[
        "delete",
        "validatingwebhookconfiguration",
        "-l",
        "app.kubernetes.io/instance=e2e",
        "--ignore-not-found",
        "--wait=true",
    ]);
}

/// Creates (or updates) a namespace with labels. Namespaces are never deleted: without a
/// controller-manager they would stay Terminating forever.
pub struct Namespace(pub String);

impl Namespace {
    pub fn new(name: &str, labels: &[(&str, &str)]) -> Namespace {
        let mut label_lines: String = labels.iter().map(|(k, v)| format!("    {k}: \"{v}\"\n")).collect();
        // Kubernetes >= 1.21 sets this label itself; 1.20 needs it written.
        if minor() < 21 {
            label_lines.push_str(&format!("    kubernetes.io/metadata.name: {name}\n"));
        }
        let labels = if label_lines.is_empty() { " {}\n".to_string() } else { format!("\n{label_lines}") };
        let manifest = format!("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:{labels}");
        eventually(&format!("namespace {name} to be created"), Duration::from_secs(60), || {
            apply(&manifest).ok.then_some(())
        });
        Namespace(name.to_string())
    }
}

/// Waits until a CRD is Established. Right after it is created its status may have no
/// conditions yet, which `kubectl wait` reports as an error rather than waiting: retried.
pub fn wait_established(crd: &str) {
    let target = format!("crd/{crd}");
    eventually(&format!("{target} to be Established"), Duration::from_secs(60), || {
        kubectl(&["wait", "--for=condition=Established", "--timeout=30s", &target]).ok.then_some(())
    });
}

pub fn path(relative: &str) -> PathBuf {
    Path::new(ROOT).join(relative)
}
