//! `sovereign serve` as a kube-apiserver meets it: the real server on ephemeral ports,
//! certificates made at runtime, real TLS, whole AdmissionReview bodies.

mod server_support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use server_support::*;
use sovereign::evaluate::{SHORT_LIMIT, Verdict};
use sovereign::server::Server;
use sovereign::server::tls::CertFiles;
use tokio::net::TcpStream;

/// Policies the examples lack: one that only audits, one with break-glass exemptions.
const TEST_POLICIES: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: test-audit }
spec:
  enforcement: Audit
  providers: [aws, gcp]
  jurisdictions:
    - name: ID
      countries: [ID]
  dataClasses:
    - name: audit-only
      allowedJurisdictions: [ID]
---
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: test-break-glass }
spec:
  enforcement: Deny
  providers: [aws, gcp]
  jurisdictions:
    - name: ID
      countries: [ID]
  dataClasses:
    - name: sealed-records
      allowedJurisdictions: [ID]
  exemptions:
    users: [break-glass@example.com]
    groups: ["sovereign:break-glass"]
    namespaces: [sandbox]
"#;

/// The pod the `pods/binding` fixtures bind: in gov-id, so it holds citizen-pii.
const TEST_PODS: &str = r#"
apiVersion: v1
kind: Pod
metadata: { name: web-pod, namespace: gov-id }
spec:
  containers:
    - name: web
      image: registry.example.go.id/web:1.0
"#;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// The examples plus [`TEST_POLICIES`] and [`TEST_PODS`], written into `dir`.
fn fixture_setup(dir: &Path) -> Setup {
    let policies = write(dir, "test-policies.yaml", TEST_POLICIES);
    let pods = write(dir, "pods.yaml", TEST_PODS);
    Setup::examples().policies(vec![example("policies"), policies]).inventory(vec![example("inventory"), pods])
}

// ---------------------------------------------------------------------------------------
// 1. Every kind and verdict

/// What a fixture must be answered with.
#[derive(Debug)]
enum Expect {
    /// Denied with 403 and a message holding every one of these and a fix.
    Deny(&'static [&'static str]),
    /// A SovereigntyPolicy denied with 403 and a message holding every one of these reasons.
    Invalid(&'static [&'static str]),
    /// Allowed with warnings.
    Warn,
    /// Allowed, no warnings, the violations in the audit annotations.
    Audit,
    /// Allowed under the exemptions of this policy.
    Exempt(&'static str),
    /// Allowed without comment.
    Allow,
}

const FIXTURES: &[(&str, Expect)] = &[
    ("pod-deny.json", Expect::Deny(&["Pod gov-id/archive-reader", "\"citizen-pii\"", "us-east-1"])),
    ("pod-allow-unclassified.json", Expect::Allow),
    ("deployment-deny.json", Expect::Deny(&["Deployment gov-id/web", "\"citizen-pii\"", "policy indonesia-pdp"])),
    ("deployment-dryrun-deny.json", Expect::Deny(&["Deployment gov-id/web", "\"citizen-pii\""])),
    ("deployment-allow.json", Expect::Allow),
    ("deployment-update-deny.json", Expect::Deny(&["Deployment gov-id/web", "\"citizen-pii\""])),
    ("deployment-update-allow.json", Expect::Allow),
    ("deployment-delete.json", Expect::Allow),
    ("deployment-exempt-namespace.json", Expect::Exempt("eu-gdpr")),
    ("deployment-exempt-user.json", Expect::Exempt("test-break-glass")),
    ("deployment-exempt-group.json", Expect::Exempt("test-break-glass")),
    ("deployment-deny-not-exempt.json", Expect::Deny(&["Deployment gov-ops/emergency-restore", "\"sealed-records\""])),
    ("deployment-audit.json", Expect::Audit),
    (
        "statefulset-deny.json",
        Expect::Deny(&["StatefulSet eu-shop/orders-db", "\"eu-personal-data\"", "volumeClaimTemplate \"data\""]),
    ),
    ("statefulset-allow.json", Expect::Allow),
    ("daemonset-warn.json", Expect::Warn),
    ("replicaset-deny.json", Expect::Deny(&["ReplicaSet gov-id/web-7d4b9c", "\"citizen-pii\""])),
    ("job-deny.json", Expect::Deny(&["Job gov-id/census-import", "\"citizen-pii\"", "nfs volume \"dropbox\""])),
    ("cronjob-allow.json", Expect::Allow),
    ("cronjob-v1beta1-deny.json", Expect::Deny(&["CronJob gov-id/legacy-export", "\"citizen-pii\"", "us-east-1"])),
    (
        "replicationcontroller-deny.json",
        Expect::Deny(&["ReplicationController eu-shop/legacy-frontend", "\"eu-personal-data\"", "ap-southeast-3"]),
    ),
    ("persistentvolumeclaim-deny.json", Expect::Deny(&["PersistentVolumeClaim gov-id/scratch", "\"citizen-pii\""])),
    ("persistentvolumeclaim-allow.json", Expect::Allow),
    ("persistentvolume-deny.json", Expect::Deny(&["PersistentVolume pv-census", "\"citizen-pii\"", "us-east-1"])),
    ("persistentvolume-allow.json", Expect::Allow),
    ("binding-deny.json", Expect::Deny(&["gov-id/web-pod", "\"citizen-pii\"", "iad-aws-1"])),
    ("binding-allow.json", Expect::Allow),
    ("binding-unknown-pod-deny.json", Expect::Deny(&["gov-id/never-seen", "not in the inventory"])),
    ("sovereigntypolicy-allow.json", Expect::Allow),
    (
        "sovereigntypolicy-deny-invalid.json",
        Expect::Invalid(&[
            "SovereigntyPolicy broken is invalid",
            "jurisdiction \"MARS\", which this policy does not define",
        ]),
    ),
    (
        "sovereigntypolicy-deny-clash.json",
        Expect::Invalid(&[
            "SovereigntyPolicy id-copy is invalid",
            "\"citizen-pii\" is already defined by policy indonesia-pdp",
        ]),
    ),
    ("configmap-unhandled.json", Expect::Allow),
    (
        "storageaccount-deny.json",
        Expect::Deny(&[
            "StorageAccount gov-id/citizenssea",
            "\"citizen-pii\"",
            "southeastasia",
            "Standard_RAGRS replica",
        ]),
    ),
    ("ackbucket-update-allow.json", Expect::Allow),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_is_answered_with_its_verdict() {
    let files = tempfile::tempdir().unwrap();
    let server = TestServer::start(fixture_setup(files.path())).await;
    let mut failures = Vec::new();
    for (name, expect) in FIXTURES {
        let review = fixture(name);
        let reply = server.review(&review).await;
        if let Err(why) = check_reply(&review, &reply, expect) {
            failures.push(format!("{name}: {why}\n  expected {expect:?}\n  got {:#}", reply.raw["response"]));
        }
    }
    let report = failures.join("\n");
    assert!(failures.is_empty(), "{} of {} fixtures answered wrongly:\n{report}", failures.len(), FIXTURES.len());

    // Each answer was counted under its verdict, and exemptions by policy.
    let text = server.metrics().await;
    let counted = [
        (r#"sovereign_admission_requests_total{kind="Deployment",operation="CREATE",verdict="audit"}"#, 1.0),
        (r#"sovereign_admission_requests_total{kind="DaemonSet",operation="CREATE",verdict="warn"}"#, 1.0),
        (r#"sovereign_admission_requests_total{kind="Deployment",operation="CREATE",verdict="exempt"}"#, 3.0),
        (r#"sovereign_admission_requests_total{kind="Deployment",operation="DELETE",verdict="unjudged"}"#, 1.0),
        (r#"sovereign_admission_requests_total{kind="ConfigMap",operation="CREATE",verdict="unhandled"}"#, 1.0),
        (r#"sovereign_admission_requests_total{kind="Binding",operation="CREATE",verdict="deny"}"#, 2.0),
        (r#"sovereign_exemptions_total{policy="test-break-glass"}"#, 2.0),
        (r#"sovereign_exemptions_total{policy="eu-gdpr"}"#, 1.0),
        (r#"sovereign_policies{state="loaded"}"#, 5.0),
    ];
    for (series, value) in counted {
        assert_eq!(metric(&text, series), Some(value), "{series} in:\n{text}");
    }
}

fn check_reply(review: &Value, reply: &Reply, expect: &Expect) -> Result<(), String> {
    let uid = uid_of(review);
    if reply.uid != uid {
        return Err(format!("uid {:?} is not the request's {uid:?}", reply.uid));
    }
    let annotation = |key: &str| reply.audit_annotations.get(key).and_then(Value::as_str).unwrap_or_default();
    match expect {
        Expect::Deny(parts) | Expect::Invalid(parts) => {
            if reply.allowed {
                return Err("allowed, expected a denial".into());
            }
            if reply.code != Some(403) {
                return Err(format!("status.code {:?}, expected 403", reply.code));
            }
            let fix: &[&str] = if matches!(expect, Expect::Deny(_)) { &["Fix:"] } else { &[] };
            let missing: Vec<&&str> = parts.iter().chain(fix).filter(|p| !reply.message.contains(**p)).collect();
            if !missing.is_empty() {
                return Err(format!("the message lacks {missing:?}: {:?}", reply.message));
            }
        }
        Expect::Warn => {
            if !reply.allowed {
                return Err("denied, expected warnings".into());
            }
            if reply.warnings.is_empty() {
                return Err("no warnings".into());
            }
            if let Some(long) = reply.warnings.iter().find(|w| w.chars().count() > SHORT_LIMIT) {
                return Err(format!("a warning is over {SHORT_LIMIT} characters: {long:?}"));
            }
        }
        Expect::Audit => {
            if !reply.allowed || !reply.warnings.is_empty() {
                return Err("expected allowed without warnings".into());
            }
            if annotation("violations").is_empty() {
                return Err("no violations audit annotation".into());
            }
        }
        Expect::Exempt(policy) => {
            if !reply.allowed || !reply.warnings.is_empty() {
                return Err("expected allowed without warnings".into());
            }
            if !annotation("exempted-by").split(',').any(|p| p == *policy) {
                return Err(format!("exempted-by annotation {:?} lacks {policy}", annotation("exempted-by")));
            }
        }
        Expect::Allow => {
            if !reply.allowed || !reply.warnings.is_empty() {
                return Err("expected allowed without warnings".into());
            }
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_is_answered_exactly_like_the_same_request_without_it() {
    let server = TestServer::start(Setup::examples()).await;
    let real = fixture("deployment-deny.json");
    let mut dry = real.clone();
    dry["request"]["dryRun"] = json!(true);
    let real_reply = server.review(&real).await;
    let dry_reply = server.review(&dry).await;
    assert!(!dry_reply.allowed);
    assert_eq!(dry_reply.without_uid(), real_reply.without_uid());
}

// ---------------------------------------------------------------------------------------
// 2. The issue's done-when: the server agrees with `sovereign check`

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_example_manifest_gets_the_verdict_sovereign_check_gives() {
    let (policies, manifests, inventory) = (example("policies"), example("manifests"), example("inventory"));
    let report = sovereign::cli::run_check(&[policies], std::slice::from_ref(&manifests), &[inventory])
        .expect("check runs on the examples");
    let docs = sovereign::manifest::load(&[manifests]).expect("the example manifests load");
    assert_eq!(docs.len(), report.outcomes.len(), "check judges every example document");
    assert!(report.outcomes.iter().any(|o| o.verdict == Verdict::Deny));
    assert!(report.outcomes.iter().any(|o| o.verdict == Verdict::Warn));
    assert!(report.outcomes.iter().any(|o| o.verdict == Verdict::Allow));

    let server = TestServer::start(Setup::examples()).await;
    for (i, doc) in docs.iter().enumerate() {
        let object = &doc.value;
        let kind = object["kind"].as_str().unwrap();
        let name = object["metadata"]["name"].as_str().unwrap();
        let namespace = object["metadata"]["namespace"].as_str().unwrap_or("default");
        let outcome = report
            .outcomes
            .iter()
            .find(|o| o.kind == kind && o.name == name && o.namespace == namespace)
            .unwrap_or_else(|| panic!("check reports no {kind} {namespace}/{name}"));
        let uid = format!("example-{i}");
        let reply = server.review(&review_for(object, "CREATE", &uid)).await;
        let what = format!("{kind} {namespace}/{name} ({})", doc.origin);
        assert_eq!(reply.uid, uid, "{what}");
        assert_eq!(reply.allowed, outcome.verdict.allowed(), "{what}: check says {:?}: {reply:#?}", outcome.verdict);
        assert_eq!(!reply.warnings.is_empty(), outcome.verdict == Verdict::Warn, "{what}: {reply:#?}");
        if outcome.verdict == Verdict::Deny {
            assert_eq!(reply.code, Some(403), "{what}");
            for violation in &outcome.violations {
                let full = &violation.message;
                assert!(reply.message.contains(full), "{what}: {:?} lacks check's {full:?}", reply.message);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// 3. Bad input

const VALID_UID: &str = "still-serving";

/// The server answers a valid review after whatever came before.
async fn assert_still_serving(server: &TestServer) {
    let reply = server.review(&with_uid(fixture("deployment-deny.json"), VALID_UID)).await;
    assert_eq!(reply.uid, VALID_UID);
    assert!(!reply.allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reviews_are_answered_400_with_a_clear_message() {
    let server = TestServer::start(Setup::examples()).await;
    let review = fixture("deployment-deny.json");
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut v = review.clone();
        f(&mut v);
        serde_json::to_vec(&v).unwrap()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("not JSON", b"this is not JSON {".to_vec(), "malformed AdmissionReview"),
        ("an empty body", Vec::new(), "malformed AdmissionReview"),
        ("a JSON array", b"[1, 2, 3]".to_vec(), "malformed AdmissionReview"),
        ("a Pod, not a review", serde_json::to_vec(&review["request"]["object"]).unwrap(), "apiVersion"),
        (
            "the right apiVersion on another kind",
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"Pod"}"#.to_vec(),
            "expected AdmissionReview",
        ),
        (
            "apiVersion admission.k8s.io/v1beta1",
            edit(&|v| v["apiVersion"] = json!("admission.k8s.io/v1beta1")),
            "unsupported AdmissionReview apiVersion \"admission.k8s.io/v1beta1\"",
        ),
        ("no request", edit(&|v| drop(v.as_object_mut().unwrap().remove("request"))), "has no request"),
        ("a null request", edit(&|v| v["request"] = Value::Null), "has no request"),
        ("no uid", edit(&|v| drop(v["request"].as_object_mut().unwrap().remove("uid"))), "has no uid"),
        ("an empty uid", edit(&|v| v["request"]["uid"] = json!("")), "has no uid"),
        ("a uid that is a number", edit(&|v| v["request"]["uid"] = json!(42)), "malformed AdmissionReview"),
        (
            "a CREATE with no object",
            edit(&|v| drop(v["request"].as_object_mut().unwrap().remove("object"))),
            "CREATE request for Deployment carries no object",
        ),
        ("a CREATE with a null object", edit(&|v| v["request"]["object"] = Value::Null), "carries no object"),
        ("a CREATE with a string object", edit(&|v| v["request"]["object"] = json!("web")), "carries no object"),
        (
            "an UPDATE with no object",
            edit(&|v| {
                v["request"]["operation"] = json!("UPDATE");
                v["request"]["object"] = Value::Null;
            }),
            "UPDATE request for Deployment carries no object",
        ),
    ];
    for (what, body, expect) in cases {
        let (status, text) = server.post(body).await;
        assert_eq!(status, 400, "{what}: answered {status}: {text}");
        assert!(text.contains(expect), "{what}: {text:?} should say {expect:?}");
    }
    assert_still_serving(&server).await;
}

/// Every JSON pointer below the root of `value`.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    let children: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.replace('~', "~0").replace('/', "~1"), v)).collect(),
        Value::Array(items) => items.iter().enumerate().map(|(i, v)| (i.to_string(), v)).collect(),
        _ => return,
    };
    for (key, child) in children {
        let path = format!("{at}/{key}");
        out.push(path.clone());
        pointers(child, path, out);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_shape_of_review_gets_a_server_error() {
    use futures::StreamExt;
    let files = tempfile::tempdir().unwrap();
    let server = TestServer::start(fixture_setup(files.path())).await;
    let odd = [json!(null), json!(0), json!(-1.5), json!("x"), json!(true), json!([]), json!({}), json!([{}])];
    let mut bodies: Vec<(String, Vec<u8>)> = Vec::new();
    let mutated_fixtures = [
        "deployment-deny.json",
        "statefulset-deny.json",
        "cronjob-allow.json",
        "binding-deny.json",
        "persistentvolume-deny.json",
        "persistentvolumeclaim-deny.json",
        "sovereigntypolicy-allow.json",
    ];
    for name in mutated_fixtures {
        let review = fixture(name);
        let mut paths = Vec::new();
        pointers(&review, String::new(), &mut paths);
        for path in paths {
            for value in &odd {
                let mut mutated = review.clone();
                *mutated.pointer_mut(&path).unwrap() = value.clone();
                bodies.push((format!("{name} with {path} = {value}"), serde_json::to_vec(&mutated).unwrap()));
            }
        }
    }
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    bodies.push(("100,000 nested arrays".into(), deep.into_bytes()));
    bodies.push(("invalid UTF-8".into(), vec![0xff, 0xfe, b'{', 0x80]));
    let total = bodies.len();
    let answers: Vec<(String, u16, String)> = futures::stream::iter(bodies)
        .map(|(what, body)| async { (what, server.post(body).await) })
        .buffer_unordered(16)
        .map(|(what, (status, text))| (what, status, text))
        .collect()
        .await;
    assert_eq!(answers.len(), total);
    let wrong: Vec<String> = answers
        .iter()
        .filter(|(_, status, text)| !matches!(status, 200 | 400) || (*status == 200 && !is_review(text)))
        .map(|(what, status, text)| format!("{what}: {status} {text}"))
        .collect();
    assert!(wrong.is_empty(), "{} of {total} answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_still_serving(&server).await;
}

fn is_review(text: &str) -> bool {
    serde_json::from_str::<Value>(text).is_ok_and(|v| v["response"]["allowed"].is_boolean())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_object_in_a_valid_review_is_denied_not_a_server_error() {
    let server = TestServer::start(Setup::examples()).await;
    let mut review = with_uid(fixture("deployment-deny.json"), "bad-object");
    review["request"]["object"]["spec"]["template"] = json!("not a pod template");
    let reply = server.review(&review).await;
    assert_eq!(reply.uid, "bad-object");
    assert!(!reply.allowed);
    assert_eq!(reply.code, Some(400), "{reply:#?}");
    assert!(reply.message.contains("Deployment"), "{reply:#?}");
    assert_still_serving(&server).await;
}

/// A valid review, padded past a 64 KiB limit with an annotation of `padding` bytes.
fn oversized_review(padding: usize) -> Vec<u8> {
    let mut review = fixture("deployment-deny.json");
    review["request"]["object"]["metadata"]["annotations"] = json!({ "padding": "x".repeat(padding) });
    serde_json::to_vec(&review).unwrap()
}

/// POSTs an oversized review over one HTTP version; the version answered, status and body.
async fn post_oversized(
    server: &TestServer,
    client: &reqwest::Client,
    padding: usize,
) -> (reqwest::Version, u16, String) {
    let response = client
        .post(server.url("/validate"))
        .header("content-type", "application/json")
        .body(oversized_review(padding))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST of {padding} bytes: {e:?}"));
    let version = response.version();
    (version, response.status().as_u16(), response.text().await.expect("response body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_over_http1() {
    let server = TestServer::start(Setup::examples().max_body_bytes(64 * 1024)).await;
    let h1 = https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap();
    for padding in [256 * 1024, 4 * 1024 * 1024] {
        let (version, status, text) = post_oversized(&server, &h1, padding).await;
        assert_eq!((version, status), (reqwest::Version::HTTP_11, 413), "{padding} bytes: {text}");
        assert!(text.contains("65536"), "the answer names the limit: {text}");
    }
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_gets_413_over_http2_not_a_stream_reset() {
    let server = TestServer::start(Setup::examples().max_body_bytes(64 * 1024)).await;
    let h2 = https_client(server.addr, &[&server.ca.pem]).http2_prior_knowledge().build().unwrap();
    // Past the limit, and past HTTP/2's initial flow-control windows (64 KiB) many times over.
    for padding in [256 * 1024, 4 * 1024 * 1024] {
        let (version, status, text) = post_oversized(&server, &h2, padding).await;
        assert_eq!((version, status), (reqwest::Version::HTTP_2, 413), "{padding} bytes: {text}");
        assert!(text.contains("65536"), "the answer names the limit: {text}");
    }
    // The connection is still good for the next request.
    let reply = review_with(&h2, &server.url("/validate"), &fixture("deployment-allow.json")).await;
    assert!(reply.allowed);
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_on_validate_gets_405_and_an_unknown_path_404() {
    let server = TestServer::start(Setup::examples()).await;
    let get = server.client.get(server.url("/validate")).send().await.unwrap();
    assert_eq!(get.status(), 405);
    let body = serde_json::to_vec(&fixture("deployment-deny.json")).unwrap();
    let unknown = server.client.post(server.url("/convert")).body(body).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let unknown = server.client.get(server.url("/nowhere")).send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------------------
// 4. Health, readiness, metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_readyz_answer_200_once_loaded() {
    let server = TestServer::start(Setup::examples()).await;
    let health = server.client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    eventually("/readyz 200", async || {
        let ready = server.client.get(server.url("/readyz")).send().await.unwrap();
        (ready.status() == 200).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_admissions_latency_policies_inventory_exemptions_and_errors() {
    let server = TestServer::start(Setup::examples()).await;
    assert!(!server.review(&fixture("deployment-deny.json")).await.allowed);
    assert!(server.review(&fixture("deployment-exempt-namespace.json")).await.allowed);
    assert_eq!(server.post(b"{not json".to_vec()).await.0, 400);

    let text = server.metrics().await;
    let expect = [
        (r#"sovereign_admission_requests_total{kind="Deployment",operation="CREATE",verdict="deny"}"#, 1.0),
        (r#"sovereign_admission_requests_total{kind="Deployment",operation="CREATE",verdict="exempt"}"#, 1.0),
        (r#"sovereign_admission_duration_seconds_count{kind="Deployment"}"#, 2.0),
        (r#"sovereign_policies{state="loaded"}"#, 3.0),
        (r#"sovereign_policies{state="rejected"}"#, 0.0),
        (r#"sovereign_inventory_objects{kind="Node"}"#, 5.0),
        (r#"sovereign_inventory_objects{kind="StorageClass"}"#, 3.0),
        (r#"sovereign_exemptions_total{policy="eu-gdpr"}"#, 1.0),
        (r#"sovereign_errors_total{error="malformed_review"}"#, 1.0),
        (
            r#"sovereign_admission_violations_total{policy="indonesia-pdp",data_class="citizen-pii",kind="Deployment"}"#,
            1.0,
        ),
    ];
    for (series, value) in expect {
        assert_eq!(metric(&text, series), Some(value), "{series} in:\n{text}");
    }
    assert!(text.contains("sovereign_admission_duration_seconds_bucket{"), "no latency buckets in:\n{text}");
}

// ---------------------------------------------------------------------------------------
// 5. Certificates

/// A client trusting `cas`, opening a fresh connection for every request and never
/// resuming a TLS session (so each request sees the certificate served right now), and
/// reporting the peer certificate.
fn fresh_client(server: &TestServer, cas: &[&str]) -> reqwest::Client {
    let tls = tls_client_config(cas, rustls::ALL_VERSIONS, &[b"h2", b"http/1.1"]);
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .https_only(true)
        .resolve("localhost", server.addr)
        .timeout(Duration::from_secs(20))
        .pool_max_idle_per_host(0)
        .tls_info(true)
        .build()
        .unwrap()
}

/// Sends a review; the served certificate's DER, or the error.
async fn served_certificate(server: &TestServer, client: &reqwest::Client) -> Result<Vec<u8>, reqwest::Error> {
    let review = with_uid(fixture("deployment-deny.json"), "cert-probe");
    let response = client.post(server.url("/validate")).json(&review).send().await?;
    let cert = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|t| t.peer_certificate())
        .map(<[u8]>::to_vec)
        .expect("TLS info");
    assert_eq!(response.status(), 200);
    let reply = Reply::parse(&response.text().await?);
    assert_eq!(reply.uid, "cert-probe");
    assert!(!reply.allowed);
    Ok(cert)
}

fn tls_reload_errors(metrics: &str) -> f64 {
    metric(metrics, r#"sovereign_errors_total{error="tls_reload"}"#).unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_certificate_is_served_without_restart() {
    let server = TestServer::start(Setup::examples()).await;
    let new_ca = Ca::new("rotated CA");
    let new_pair = new_ca.issue();
    let both = fresh_client(&server, &[&server.ca.pem, &new_ca.pem]);
    let old_only = fresh_client(&server, &[&server.ca.pem]);
    let new_only = fresh_client(&server, &[&new_ca.pem]);
    assert!(served_certificate(&server, &new_only).await.is_err(), "the new CA is not trusted before rotation");

    write_pair(&server.certs, &new_pair.cert_pem, &new_pair.key_pem);
    let mut answered_with_old = 0;
    eventually("the rotated certificate", async || {
        // Every request during the rotation succeeds, with the old certificate until the new one.
        let cert = served_certificate(&server, &both).await.expect("requests keep succeeding during rotation");
        if cert == new_pair.cert_der {
            return Some(());
        }
        assert_eq!(cert, server.pair.cert_der, "served a certificate that is neither the old nor the new");
        answered_with_old += 1;
        None
    })
    .await;
    eprintln!("{answered_with_old} requests answered with the old certificate before the reload");
    assert_eq!(served_certificate(&server, &new_only).await.expect("the new CA is trusted now"), new_pair.cert_der);
    assert!(served_certificate(&server, &old_only).await.is_err(), "the old certificate is no longer served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_new_pair_keeps_the_old_certificate_serving() {
    let server = TestServer::start(Setup::examples()).await;
    let old_only = fresh_client(&server, &[&server.ca.pem]);
    let new_ca = Ca::new("next CA");
    let (next, other) = (new_ca.issue(), new_ca.issue());
    let both = fresh_client(&server, &[&server.ca.pem, &new_ca.pem]);

    let bad_pairs = [
        ("garbage", "not a certificate\n".to_string(), "not a key\n".to_string()),
        ("a key that does not fit the certificate", next.cert_pem.clone(), other.key_pem.clone()),
        // Not `next`'s key: the key is written before the certificate, so for a moment the
        // files would hold `next`'s certificate (left by the pair above) with its own key,
        // a valid pair the server would rightly take.
        ("a key and no certificate", String::new(), other.key_pem.clone()),
    ];
    for (what, cert, key) in bad_pairs {
        let before = tls_reload_errors(&server.metrics().await);
        write_pair(&server.certs, &cert, &key);
        eventually(&format!("{what} to be rejected"), async || {
            (tls_reload_errors(&server.metrics().await) > before).then_some(())
        })
        .await;
        // Give the watcher a few more rounds over the final files, then check.
        tokio::time::sleep(RELOAD_EVERY * 3).await;
        let cert = served_certificate(&server, &old_only).await;
        assert_eq!(cert.expect(what), server.pair.cert_der, "after {what}");
    }

    // The watcher survived the bad pairs: a good one is still picked up.
    write_pair(&server.certs, &next.cert_pem, &next.key_pem);
    eventually("the good pair after the bad ones", async || {
        (served_certificate(&server, &both).await.expect("serving") == next.cert_der).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_will_not_start_without_a_valid_pair() {
    install_crypto_provider();
    let dir = tempfile::tempdir().unwrap();
    let ca = Ca::new("bind CA");
    let (pair, other) = (ca.issue(), ca.issue());
    let setup = Setup::examples();
    let files = |name: &str, cert: Option<&str>, key: Option<&str>| {
        let files =
            CertFiles { cert: dir.path().join(format!("{name}.crt")), key: dir.path().join(format!("{name}.key")) };
        if let Some(cert) = cert {
            std::fs::write(&files.cert, cert).unwrap();
        }
        if let Some(key) = key {
            std::fs::write(&files.key, key).unwrap();
        }
        files
    };
    let cases = [
        ("no files", files("missing", None, None), "cannot read"),
        ("no key file", files("no-key", Some(&pair.cert_pem), None), "cannot read"),
        ("a key that does not fit", files("mismatch", Some(&pair.cert_pem), Some(&other.key_pem)), "does not fit"),
        ("garbage", files("garbage", Some("garbage"), Some("garbage")), ""),
        ("the key as the certificate", files("swapped", Some(&pair.key_pem), Some(&pair.key_pem)), "no certificate"),
    ];
    for (what, certs, says) in cases {
        match Server::bind(setup.config(certs)).await {
            Ok(server) => panic!("{what}: the server started on {}", server.addr),
            Err(e) => assert!(e.to_string().contains(says), "{what}: {e}"),
        }
    }
    // The same setup with a good pair starts.
    let good = files("good", Some(&pair.cert_pem), Some(&pair.key_pem));
    assert!(Server::bind(setup.config(good)).await.is_ok());
}

// ---------------------------------------------------------------------------------------
// 6. TLS versions, and no plain HTTP

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls12_only_client_is_served() {
    let server = TestServer::start(Setup::examples()).await;
    let mut tls = tls_connect(server.addr, &server.ca.pem, &[&rustls::version::TLS12]).await.expect("TLS 1.2");
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_2));
    let body = serde_json::to_vec(&with_uid(fixture("deployment-deny.json"), "tls12")).unwrap();
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    write_all(&mut tls, head.as_bytes()).await;
    write_all(&mut tls, &body).await;
    let (status, text) = read_http1_response(&mut tls).await;
    assert_eq!(status, 200, "{text}");
    let reply = Reply::parse(&text);
    assert_eq!(reply.uid, "tls12");
    assert!(!reply.allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls13_client_is_served() {
    let server = TestServer::start(Setup::examples()).await;
    let tls = tls_connect(server.addr, &server.ca.pem, &[&rustls::version::TLS13]).await.expect("TLS 1.3");
    assert_eq!(tls.get_ref().1.protocol_version(), Some(rustls::ProtocolVersion::TLSv1_3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_to_the_https_port_gets_no_answer() {
    let server = TestServer::start(Setup::examples()).await;
    let plain = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let url = format!("http://127.0.0.1:{}/healthz", server.addr.port());
    let result = plain.get(&url).send().await;
    assert!(result.is_err(), "plain HTTP was answered: {result:?}");
    let body = serde_json::to_vec(&fixture("deployment-deny.json")).unwrap();
    let result = plain.post(format!("http://127.0.0.1:{}/validate", server.addr.port())).body(body).send().await;
    assert!(result.is_err(), "plain HTTP was answered: {result:?}");
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------------------
// 7. Standalone files reloaded while serving

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_policy_file_changes_the_verdict_without_restart() {
    let files = tempfile::tempdir().unwrap();
    let policies = files.path().join("policies");
    std::fs::create_dir(&policies).unwrap();
    let original = std::fs::read_to_string(example("policies/indonesia-pdp.yaml")).unwrap();
    assert!(original.contains("enforcement: Deny"));
    let policy = policies.join("indonesia-pdp.yaml");
    std::fs::write(&policy, &original).unwrap();
    let server = TestServer::start(Setup::examples().policies(vec![policies.clone()])).await;

    let review = fixture("deployment-deny.json");
    let reply = server.review(&review).await;
    assert!(!reply.allowed, "{reply:#?}");

    let relaxed = original.replace("enforcement: Deny", "enforcement: Warn  # while the team migrates");
    replace_file(&policy, relaxed.as_bytes());
    let reply = eventually("the Warn policy to apply", async || {
        let reply = server.review(&review).await;
        reply.allowed.then_some(reply)
    })
    .await;
    assert!(!reply.warnings.is_empty(), "{reply:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_a_node_to_the_inventory_file_changes_the_verdict_without_restart() {
    let files = tempfile::tempdir().unwrap();
    let pods = write(files.path(), "pods.yaml", TEST_PODS);
    let server = TestServer::start(Setup::examples().inventory(vec![example("inventory"), pods.clone()])).await;

    // The scheduler binds citizen data to a node sovereign has not heard of: fail closed.
    let mut review = fixture("binding-allow.json");
    review["request"]["object"]["target"]["name"] = json!("jkt-aws-2");
    let reply = server.review(&review).await;
    assert!(!reply.allowed, "{reply:#?}");
    assert!(reply.message.contains("node jkt-aws-2 is not in the inventory"), "{}", reply.message);

    let node = r#"
---
apiVersion: v1
kind: Node
metadata:
  name: jkt-aws-2
  labels:
    topology.kubernetes.io/region: ap-southeast-3
    topology.kubernetes.io/zone: ap-southeast-3b
"#;
    replace_file(&pods, format!("{TEST_PODS}{node}").as_bytes());
    eventually("the new node to be known", async || server.review(&review).await.allowed.then_some(())).await;
    let text = server.metrics().await;
    assert_eq!(metric(&text, r#"sovereign_inventory_objects{kind="Node"}"#), Some(6.0), "{text}");
}

// ---------------------------------------------------------------------------------------
// 8. Load

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_requests_are_all_answered_correctly() {
    const REQUESTS: usize = 1000;
    let server = TestServer::start(Setup::examples()).await;
    let url = server.url("/validate");
    // Two HTTP/2 clients multiplexing, two HTTP/1.1 clients opening connections.
    let clients = [
        https_client(server.addr, &[&server.ca.pem]).build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap(),
        https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap(),
    ];
    // Keeps HTTP/1.1 connections (and file descriptors) within reason.
    let http1_slots = std::sync::Arc::new(tokio::sync::Semaphore::new(128));
    let templates = [
        (fixture("deployment-deny.json"), false),
        (fixture("deployment-allow.json"), true),
        (fixture("daemonset-warn.json"), true),
        (fixture("statefulset-deny.json"), false),
        (fixture("pod-deny.json"), false),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..REQUESTS {
        let (template, allowed) = &templates[i % templates.len()];
        let uid = format!("load-{i:04}");
        let body = with_uid(template.clone(), &uid);
        let client = clients[i % clients.len()].clone();
        let slots = (i % clients.len() >= 2).then(|| http1_slots.clone());
        let (url, allowed) = (url.clone(), *allowed);
        tasks.spawn(async move {
            let _slot = match &slots {
                Some(s) => Some(s.acquire().await.unwrap()),
                None => None,
            };
            let reply = review_with(&client, &url, &body).await;
            (uid, allowed, reply)
        });
    }
    let all = tokio::time::timeout(Duration::from_secs(60), tasks.join_all()).await.expect("answered within 60 s");
    assert_eq!(all.len(), REQUESTS);
    for (uid, allowed, reply) in &all {
        assert_eq!(&reply.uid, uid);
        assert_eq!(reply.allowed, *allowed, "{uid}: {reply:#?}");
    }
    let text = server.metrics().await;
    let answered: f64 = text
        .lines()
        .filter(|l| l.starts_with("sovereign_admission_requests_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(answered, REQUESTS as f64, "{text}");
}

// ---------------------------------------------------------------------------------------
// 9. Shutdown

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_finishes_the_request_in_flight_and_refuses_new_connections() {
    let mut server = TestServer::start(Setup::examples()).await;
    let addr = server.addr;
    let body = serde_json::to_vec(&with_uid(fixture("deployment-deny.json"), "in-flight")).unwrap();
    let mut tls = tls_connect(addr, &server.ca.pem, &[&rustls::version::TLS13]).await.expect("connect");
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\r\n",
        body.len()
    );
    write_all(&mut tls, head.as_bytes()).await;
    // 100 Continue: the server has the request and is reading its body.
    read_100_continue(&mut tls).await;
    let (first, rest) = body.split_at(body.len() / 2);
    write_all(&mut tls, first).await;

    server.signal_shutdown();
    eventually("new connections to be refused", async || TcpStream::connect(addr).await.is_err().then_some(())).await;

    write_all(&mut tls, rest).await;
    let (status, text) = read_http1_response(&mut tls).await;
    assert_eq!(status, 200, "{text}");
    let reply = Reply::parse(&text);
    assert_eq!(reply.uid, "in-flight");
    assert!(!reply.allowed);
    assert_eq!(reply.code, Some(403));

    server.wait_stopped().await;
    assert!(TcpStream::connect(addr).await.is_err(), "still accepting after shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_idle_keep_alive_connections() {
    // A grace period far longer than the test waits: idle connections must not use it up.
    let mut setup = Setup::examples();
    setup.shutdown_grace = Duration::from_secs(120);
    let mut server = TestServer::start(setup).await;
    let h2 = https_client(server.addr, &[&server.ca.pem]).build().unwrap();
    let h1 = https_client(server.addr, &[&server.ca.pem]).http1_only().build().unwrap();
    for client in [&h2, &h1] {
        let reply = review_with(client, &server.url("/validate"), &fixture("deployment-allow.json")).await;
        assert!(reply.allowed);
    }
    // Both clients now hold an idle keep-alive connection.
    server.shutdown().await;
    assert!(h1.get(server.url("/healthz")).send().await.is_err(), "answered after shutdown");
}

#[test]
fn the_binary_exits_0_promptly_on_sigterm() {
    use std::io::BufRead;
    use std::process::{Command, Stdio};

    let mut child = Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(["serve", "--self-signed", "--policies", "examples/policies", "--inventory", "examples/inventory"])
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--log-format", "json"])
        .current_dir(ROOT)
        .env("RUST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let pid = child.id();
    let self_signed_dir = std::env::temp_dir().join(format!("sovereign-self-signed-{pid}"));

    // Read the log on a thread (and keep draining it) until the server says where it listens.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut log = Vec::new();
        for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(event) = serde_json::from_str::<Value>(&line)
                && event["message"] == "serving"
                && let Some(addr) = event["addr"].as_str()
            {
                let _ = tx.send(addr.to_string());
            }
            log.push(line);
        }
        log.join("\n")
    });
    let addr = match rx.recv_timeout(PATIENCE) {
        Ok(addr) => addr,
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the binary never logged `serving`:\n{}", reader.join().unwrap());
        }
    };
    let addr: std::net::SocketAddr = addr.parse().expect("an address");

    // A runtime of its own, dropped (closing its connections) before the signal.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let status = runtime.block_on(async {
        install_crypto_provider();
        let cert = std::fs::read_to_string(self_signed_dir.join("tls.crt")).expect("the self-signed certificate");
        let client = https_client(addr, &[&cert]).build().unwrap();
        let response = client.get(format!("https://localhost:{}/healthz", addr.port())).send().await;
        response.expect("the binary serves /healthz").status()
    });
    drop(runtime);
    assert_eq!(status, 200);

    let killed = Command::new("kill").args(["-TERM", &pid.to_string()]).status().expect("kill runs");
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running 10 s after SIGTERM:\n{}", reader.join().unwrap());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let log = reader.join().unwrap();
    let _ = std::fs::remove_dir_all(&self_signed_dir);
    assert!(exit.success(), "exit {exit:?} after SIGTERM:\n{log}");
    assert!(log.contains("shutting down"), "{log}");
}
