//! Helpers for the server and admission tests: the admission routes in process, a real
//! server on ephemeral ports with certificates made at runtime, clients that trust exactly
//! the CAs a test chooses, and AdmissionReview plumbing.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::{Value, json};
use sovereign::admission::Limits;
use sovereign::policy::PolicySet;
use sovereign::server::tls::CertFiles;
use sovereign::server::{ServeConfig, Server, Source};
use sovereign::state::{Readiness, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// How often the server re-reads certificates and standalone files in these tests.
pub const RELOAD_EVERY: Duration = Duration::from_millis(100);

/// Upper bound for anything a test polls for.
pub const PATIENCE: Duration = Duration::from_secs(15);

pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn example(path: &str) -> PathBuf {
    Path::new(ROOT).join("examples").join(path)
}

// ---------------------------------------------------------------------------------------
// Certificates

/// A certificate authority made for one test.
pub struct Ca {
    pub pem: String,
    issuer: Issuer<'static, KeyPair>,
}

/// A serving certificate and its key, in PEM, plus the certificate's DER to recognise it.
#[derive(Clone)]
pub struct Pair {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: Vec<u8>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().expect("CA key");
        let cert = params.self_signed(&key).expect("CA certificate");
        Ca { pem: cert.pem(), issuer: Issuer::new(params, key) }
    }

    /// A serving certificate for localhost and 127.0.0.1.
    pub fn issue(&self) -> Pair {
        let mut params =
            CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).expect("leaf params");
        params.distinguished_name.push(DnType::CommonName, "sovereign webhook (test)");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("leaf key");
        let cert = params.signed_by(&key, &self.issuer).expect("leaf certificate");
        Pair { cert_pem: cert.pem(), key_pem: key.serialize_pem(), cert_der: cert.der().to_vec() }
    }
}

/// Replaces a file in one step, as a rename, so a poller never sees half of it.
pub fn replace_file(path: &Path, contents: &[u8]) {
    let tmp = path.with_extension("tmp-write");
    std::fs::write(&tmp, contents).expect("write temp file");
    std::fs::rename(&tmp, path).expect("rename into place");
}

/// Writes a pair over `files` (key first, then certificate).
pub fn write_pair(files: &CertFiles, cert_pem: &str, key_pem: &str) {
    replace_file(&files.key, key_pem.as_bytes());
    replace_file(&files.cert, cert_pem.as_bytes());
}

/// The pod the `pods/binding` fixtures bind: in gov-id, so it holds citizen-pii.
pub const TEST_PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata: { name: web-pod, namespace: gov-id }
spec:
  containers:
    - name: web
      image: registry.example.go.id/web:1.0
"#;

/// Writes a file into `dir`; its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

// ---------------------------------------------------------------------------------------
// The admission routes in process

/// The routes `sovereign serve` mounts, over the state it loads from the same files, called
/// in process: no socket, no TLS. For what the answers say; what TLS, sockets, reloads,
/// load and shutdown do is tested against a [`TestServer`].
pub struct InProcess {
    pub state: Arc<State>,
    routes: axum::Router,
    metrics: axum::Router,
}

impl InProcess {
    pub fn start(setup: Setup) -> InProcess {
        let (set, inventory) = sovereign::server::standalone::load(&setup.policies, &setup.inventory)
            .unwrap_or_else(|e| panic!("the files do not load: {e}"));
        let readiness = Readiness::new(Duration::from_secs(30));
        readiness.certificates.store(true, std::sync::atomic::Ordering::Release);
        let state = Arc::new(State::new(PolicySet::default(), inventory, readiness));
        state.swap_policies(set);
        InProcess {
            routes: sovereign::admission::router(state.clone(), setup.limits),
            metrics: sovereign::admission::metrics_router(state.clone()),
            state,
        }
    }

    /// One request to the routes; the status and the body as text.
    pub async fn request(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, String) {
        use tower::ServiceExt;
        let routes = if path == "/metrics" { &self.metrics } else { &self.routes };
        let request = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body))
            .expect("a request");
        let response = routes.clone().oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("the body");
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    /// POSTs a body to /validate.
    pub async fn post(&self, body: impl Into<Vec<u8>>) -> (u16, String) {
        self.request("POST", "/validate", body.into()).await
    }

    /// POSTs a review that must be answered 200 with an AdmissionReview; the reply.
    pub async fn review(&self, review: &Value) -> Reply {
        let (status, body) = self.post(serde_json::to_vec(review).unwrap()).await;
        assert_eq!(status, 200, "review {} answered {status}: {body}", uid_of(review));
        Reply::parse(&body)
    }

    pub async fn metrics(&self) -> String {
        let (status, text) = self.request("GET", "/metrics", Vec::new()).await;
        assert_eq!(status, 200);
        text
    }
}

// ---------------------------------------------------------------------------------------
// A running server

/// What a test server is started with.
pub struct Setup {
    pub policies: Vec<PathBuf>,
    pub inventory: Vec<PathBuf>,
    pub limits: Limits,
    pub shutdown_grace: Duration,
}

impl Setup {
    /// The examples, as `sovereign serve --policies examples/policies --inventory examples/inventory`.
    pub fn examples() -> Setup {
        Setup {
            policies: vec![example("policies")],
            inventory: vec![example("inventory")],
            limits: Limits { max_body_bytes: 256 * 1024, deadline: Duration::from_secs(4) },
            shutdown_grace: Duration::from_secs(10),
        }
    }

    pub fn policies(mut self, paths: Vec<PathBuf>) -> Setup {
        self.policies = paths;
        self
    }

    pub fn inventory(mut self, paths: Vec<PathBuf>) -> Setup {
        self.inventory = paths;
        self
    }

    pub fn max_body_bytes(mut self, bytes: usize) -> Setup {
        self.limits.max_body_bytes = bytes;
        self
    }

    /// A configuration on ephemeral ports serving the pair in `certs`.
    pub fn config(&self, certs: CertFiles) -> ServeConfig {
        ServeConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            metrics_listen: "127.0.0.1:0".parse().unwrap(),
            tls: certs,
            tls_reload_every: RELOAD_EVERY,
            limits: self.limits,
            source: Source::Standalone {
                policies: self.policies.clone(),
                inventory: self.inventory.clone(),
                reload_every: RELOAD_EVERY,
            },
            shutdown_grace: self.shutdown_grace,
            watch_grace: Duration::from_secs(30),
            audit: None,
        }
    }
}

/// The real server, in process, on ephemeral ports, with its own CA and a client that
/// trusts it. Dropping it shuts the server down.
pub struct TestServer {
    pub addr: SocketAddr,
    pub metrics_addr: SocketAddr,
    pub state: Arc<State>,
    pub ca: Ca,
    pub pair: Pair,
    pub certs: CertFiles,
    /// Holds the certificate files (and anything else a test writes next to them).
    pub dir: tempfile::TempDir,
    /// Trusts `ca` only.
    pub client: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    pub async fn start(setup: Setup) -> TestServer {
        install_crypto_provider();
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = Ca::new("sovereign test CA");
        let pair = ca.issue();
        let certs = CertFiles { cert: dir.path().join("tls.crt"), key: dir.path().join("tls.key") };
        write_pair(&certs, &pair.cert_pem, &pair.key_pem);
        let server = match Server::bind(setup.config(certs.clone())).await {
            Ok(server) => server,
            Err(e) => panic!("the server did not start: {e}"),
        };
        let (addr, metrics_addr, state) = (server.addr, server.metrics_addr, server.state());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            rx.await.ok();
        }));
        let client = https_client(addr, &[&ca.pem]).build().expect("client");
        TestServer { addr, metrics_addr, state, ca, pair, certs, dir, client, shutdown: Some(tx), task: Some(task) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.addr.port())
    }

    pub fn metrics_url(&self) -> String {
        format!("http://{}/metrics", self.metrics_addr)
    }

    /// POSTs a body to /validate; the status and the body as text.
    pub async fn post(&self, body: impl Into<reqwest::Body>) -> (u16, String) {
        post_with(&self.client, &self.url("/validate"), body).await
    }

    /// POSTs a review that must be answered 200 with an AdmissionReview; the reply.
    pub async fn review(&self, review: &Value) -> Reply {
        review_with(&self.client, &self.url("/validate"), review).await
    }

    pub async fn metrics(&self) -> String {
        let response = reqwest::get(self.metrics_url()).await.expect("metrics endpoint answers");
        assert_eq!(response.status(), 200);
        response.text().await.expect("metrics body")
    }

    /// Signals shutdown and waits (boundedly) for `run` to return.
    pub async fn shutdown(&mut self) {
        self.signal_shutdown();
        self.wait_stopped().await;
    }

    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Waits for `run` to return; panics if it does not within [`PATIENCE`].
    pub async fn wait_stopped(&mut self) {
        if let Some(task) = self.task.take() {
            tokio::time::timeout(PATIENCE, task)
                .await
                .expect("the server stops after shutdown")
                .expect("the server task did not panic");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.signal_shutdown();
    }
}

/// A client for `https://localhost:PORT` (resolved to `addr`) trusting exactly `cas`.
pub fn https_client(addr: SocketAddr, cas: &[&str]) -> reqwest::ClientBuilder {
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .https_only(true)
        .resolve("localhost", addr)
        .timeout(Duration::from_secs(20));
    for ca in cas {
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(ca.as_bytes()).expect("CA PEM"));
    }
    builder
}

pub async fn post_with(client: &reqwest::Client, url: &str, body: impl Into<reqwest::Body>) -> (u16, String) {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e:?}"));
    let status = response.status().as_u16();
    (status, response.text().await.expect("response body"))
}

pub async fn review_with(client: &reqwest::Client, url: &str, review: &Value) -> Reply {
    let (status, body) = post_with(client, url, serde_json::to_vec(review).unwrap()).await;
    assert_eq!(status, 200, "review {} answered {status}: {body}", uid_of(review));
    Reply::parse(&body)
}

/// Polls `check` every 50 ms until it returns `Some`, for at most [`PATIENCE`].
pub async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---------------------------------------------------------------------------------------
// AdmissionReviews

pub fn fixture(name: &str) -> Value {
    let path = Path::new(ROOT).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn uid_of(review: &Value) -> String {
    review.pointer("/request/uid").and_then(Value::as_str).unwrap_or("(none)").to_string()
}

pub fn with_uid(mut review: Value, uid: &str) -> Value {
    review["request"]["uid"] = json!(uid);
    review
}

/// Wraps an object in the AdmissionReview a kube-apiserver would send for `operation`.
pub fn review_for(object: &Value, operation: &str, uid: &str) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap_or("v1");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = object["kind"].as_str().expect("object has a kind");
    let resource = format!("{}s", kind.to_lowercase());
    let namespaced = !matches!(kind, "PersistentVolume" | "SovereigntyPolicy" | "Node" | "Namespace" | "StorageClass");
    let mut request = json!({
        "uid": uid,
        "kind": { "group": group, "version": version, "kind": kind },
        "resource": { "group": group, "version": version, "resource": resource },
        "requestKind": { "group": group, "version": version, "kind": kind },
        "requestResource": { "group": group, "version": version, "resource": resource },
        "name": object.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
        "operation": operation,
        "userInfo": { "username": "kubernetes-admin", "groups": ["system:masters", "system:authenticated"] },
        "object": object,
        "oldObject": null,
        "dryRun": false,
    });
    if namespaced {
        let ns = object.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
        request["namespace"] = json!(ns);
    }
    json!({ "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request })
}

/// The parts of an AdmissionReview response the tests look at.
#[derive(Debug, Clone)]
pub struct Reply {
    pub raw: Value,
    pub uid: String,
    pub allowed: bool,
    pub code: Option<u64>,
    pub message: String,
    pub warnings: Vec<String>,
    pub audit_annotations: serde_json::Map<String, Value>,
}

impl Reply {
    pub fn parse(body: &str) -> Reply {
        let raw: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
        assert_eq!(raw["apiVersion"], "admission.k8s.io/v1", "reply: {raw:#}");
        assert_eq!(raw["kind"], "AdmissionReview", "reply: {raw:#}");
        let response = raw.get("response").unwrap_or_else(|| panic!("no response in {raw:#}")).clone();
        Reply {
            uid: response["uid"].as_str().unwrap_or_default().to_string(),
            allowed: response["allowed"].as_bool().unwrap_or_else(|| panic!("no allowed in {raw:#}")),
            code: response.pointer("/status/code").and_then(Value::as_u64),
            message: response.pointer("/status/message").and_then(Value::as_str).unwrap_or_default().to_string(),
            warnings: response["warnings"]
                .as_array()
                .map(|w| w.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect())
                .unwrap_or_default(),
            audit_annotations: response["auditAnnotations"].as_object().cloned().unwrap_or_default(),
            raw,
        }
    }

    /// The response without its uid, to compare two answers.
    pub fn without_uid(&self) -> Value {
        let mut response = self.raw["response"].clone();
        response["uid"] = Value::Null;
        response
    }
}

// ---------------------------------------------------------------------------------------
// Metrics

/// The value of one series, e.g. `sovereign_policies{state="loaded"}`.
pub fn metric(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(series)?;
        rest.strip_prefix(' ')?.split_whitespace().next()?.parse().ok()
    })
}

// ---------------------------------------------------------------------------------------
// Raw TLS, for what reqwest hides: the protocol version, and a request sent in pieces

/// A rustls client configuration trusting exactly `cas`, offering `versions` and `alpn`,
/// that never resumes a session (so every connection sees the certificate served now).
pub fn tls_client_config(
    cas: &[&str],
    versions: &[&'static rustls::SupportedProtocolVersion],
    alpn: &[&[u8]],
) -> rustls::ClientConfig {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for ca in cas {
        for cert in CertificateDer::pem_slice_iter(ca.as_bytes()) {
            roots.add(cert.expect("CA PEM")).expect("CA certificate");
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    config.resumption = rustls::client::Resumption::disabled();
    config
}

/// Completes a TLS handshake with the server, trusting `ca`, offering only `versions`
/// and HTTP/1.1.
pub async fn tls_connect(
    addr: SocketAddr,
    ca_pem: &str,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> std::io::Result<TlsStream<TcpStream>> {
    let config = tls_client_config(&[ca_pem], versions, &[b"http/1.1"]);
    let tcp = TcpStream::connect(addr).await?;
    let name = ServerName::try_from("localhost").unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// Reads one HTTP/1.1 response (status line, headers, a Content-Length body).
pub async fn read_http1_response<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> (u16, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).expect("status line");
            if status == 100 {
                buf.drain(..end + 4);
                continue;
            }
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
                })
                .expect("the response has a Content-Length");
            while buf.len() < end + 4 + length {
                let n = stream.read(&mut chunk).await.expect("read response body");
                assert!(n > 0, "connection closed mid-body");
                buf.extend_from_slice(&chunk[..n]);
            }
            return (status, String::from_utf8_lossy(&buf[end + 4..end + 4 + length]).to_string());
        }
        let n = stream.read(&mut chunk).await.expect("read response head");
        assert!(n > 0, "connection closed before a response: {:?}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Reads until `HTTP/1.1 100 Continue` and its blank line.
pub async fn read_100_continue<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while find(&buf, b"\r\n\r\n").is_none() {
        let n = stream.read(&mut byte).await.expect("read 100 Continue");
        assert!(n > 0, "connection closed before 100 Continue");
        buf.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&buf);
    assert!(head.starts_with("HTTP/1.1 100"), "expected 100 Continue, got {head:?}");
}

pub async fn write_all<S: tokio::io::AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) {
    stream.write_all(bytes).await.expect("write");
    stream.flush().await.expect("flush");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
