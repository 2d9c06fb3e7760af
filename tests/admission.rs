//! What `/validate` answers, called in process through the router `sovereign serve` mounts
//! (no socket, no TLS: `server_tls.rs` and `server_lifecycle.rs` test those): every kind
//! and verdict of the fixture table, agreement with `sovereign check`, bad input, health
//! and metrics.

mod server_support;

use std::path::Path;

use serde_json::{Value, json};
use server_support::*;
use sovereign::evaluate::{SHORT_LIMIT, Verdict};

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
    let server = InProcess::start(fixture_setup(files.path()));
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
    let server = InProcess::start(Setup::examples());
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

    let server = InProcess::start(Setup::examples());
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
async fn assert_still_serving(server: &InProcess) {
    let reply = server.review(&with_uid(fixture("deployment-deny.json"), VALID_UID)).await;
    assert_eq!(reply.uid, VALID_UID);
    assert!(!reply.allowed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_reviews_are_answered_400_with_a_clear_message() {
    let server = InProcess::start(Setup::examples());
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
    let server = InProcess::start(fixture_setup(files.path()));
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
    let server = InProcess::start(Setup::examples());
    let mut review = with_uid(fixture("deployment-deny.json"), "bad-object");
    review["request"]["object"]["spec"]["template"] = json!("not a pod template");
    let reply = server.review(&review).await;
    assert_eq!(reply.uid, "bad-object");
    assert!(!reply.allowed);
    assert_eq!(reply.code, Some(400), "{reply:#?}");
    assert!(reply.message.contains("Deployment"), "{reply:#?}");
    assert_still_serving(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_on_validate_gets_405_and_an_unknown_path_404() {
    let server = InProcess::start(Setup::examples());
    assert_eq!(server.request("GET", "/validate", Vec::new()).await.0, 405);
    let body = serde_json::to_vec(&fixture("deployment-deny.json")).unwrap();
    assert_eq!(server.request("POST", "/convert", body).await.0, 404);
    assert_eq!(server.request("GET", "/nowhere", Vec::new()).await.0, 404);
    assert_still_serving(&server).await;
}

// ---------------------------------------------------------------------------------------
// 4. Health, readiness, metrics

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_readyz_answer_200_once_loaded() {
    let server = InProcess::start(Setup::examples());
    assert_eq!(server.request("GET", "/healthz", Vec::new()).await, (200, "ok\n".to_string()));
    assert_eq!(server.request("GET", "/readyz", Vec::new()).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_admissions_latency_policies_inventory_exemptions_and_errors() {
    let server = InProcess::start(Setup::examples());
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
