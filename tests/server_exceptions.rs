//! Admission and SovereigntyExceptions (SPEC §14), through the real server over real TLS:
//! an excepted object is allowed with a warning naming the exception and counted; from the
//! instant the exception expires the same object is denied; an exception that breaks a
//! limit or that its own approver applies is refused.

mod server_support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use server_support::*;

/// RFC 3339, `seconds` from now.
fn from_now(seconds: u64) -> String {
    let at = SystemTime::now() + Duration::from_secs(seconds);
    k8s_openapi::jiff::Timestamp::try_from(at).unwrap().round(k8s_openapi::jiff::Unit::Second).unwrap().to_string()
}

fn exception(namespace: &str, expires: &str) -> Value {
    json!({
        "apiVersion": "sovereignty.io/v1alpha1",
        "kind": "SovereigntyException",
        "metadata": { "name": "analytics-scc", "namespace": namespace },
        "spec": {
            "policy": "eu-gdpr",
            "dataClasses": ["eu-personal-data"],
            "match": { "namespaces": ["analytics"], "objectSelector": { "matchLabels": { "app": "churn-model" } } },
            "allowedRegions": ["us-east-1"],
            "legalBasis": { "type": "StandardContractualClauses", "reference": "SCC-2026-014" },
            "justification": "Churn model trained in us-east-1 under SCCs; DPIA-2026-07.",
            "approvedBy": "dpo@example.eu",
            "expires": expires
        }
    })
}

fn churn_model() -> Value {
    let text = std::fs::read_to_string(example("exceptions/manifests/churn-model.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

async fn server_with(dir: &Path, exception: &Value) -> TestServer {
    let file = dir.join("exception.json");
    std::fs::write(&file, exception.to_string()).unwrap();
    TestServer::start(Setup::examples().policies(vec![example("policies"), file])).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_excepted_deployment_is_allowed_with_a_warning_then_denied_once_it_expires() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_with(dir.path(), &exception("compliance", &from_now(3))).await;
    let reply = server.review(&review_for(&churn_model(), "CREATE", "in-force")).await;
    assert!(reply.allowed, "{:#}", reply.raw);
    let [warning] = reply.warnings.as_slice() else { panic!("one warning expected: {:#}", reply.raw) };
    assert!(warning.contains("compliance/analytics-scc") && warning.contains("SCC-2026-014"), "{warning}");
    assert!(warning.chars().count() <= 120, "{warning}");
    assert_eq!(reply.audit_annotations["excepted-by"], "compliance/analytics-scc");
    let metrics = server.metrics().await;
    let series = r#"sovereign_admission_requests_total{kind="Deployment",operation="CREATE",verdict="excepted"}"#;
    assert_eq!(metric(&metrics, series), Some(1.0), "{metrics}");
    // What an exception lets through now is the audit's to count (sovereign_exception_uses,
    // and its status.uses); a file-mode server runs no audit.
    assert!(!metrics.contains("sovereign_exception_uses{"), "{metrics}");

    tokio::time::sleep(Duration::from_secs(4)).await;
    let reply = server.review(&review_for(&churn_model(), "CREATE", "expired")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    assert!(
        reply.message.contains("compliance/analytics-scc") && reply.message.contains("expired"),
        "{}",
        reply.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_is_refused_when_it_breaks_a_limit_or_its_approver_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(Setup::examples()).await;
    let good = exception("compliance", &from_now(30 * 86_400));

    let reply = server.review(&review_for(&good, "CREATE", "fine")).await;
    assert!(reply.allowed, "{:#}", reply.raw);

    let mut own = review_for(&good, "CREATE", "own");
    own["request"]["userInfo"]["username"] = json!("dpo@example.eu");
    let reply = server.review(&own).await;
    assert!(!reply.allowed);
    assert!(reply.message.contains("nobody approves their own exception"), "{}", reply.message);

    let reply = server.review(&review_for(&exception("analytics", &from_now(86_400)), "CREATE", "ns")).await;
    assert!(!reply.allowed);
    assert!(reply.message.contains("counts exceptions only in compliance"), "{}", reply.message);

    let reply = server.review(&review_for(&exception("compliance", &from_now(365 * 86_400)), "CREATE", "long")).await;
    assert!(!reply.allowed);
    assert!(reply.message.contains("maxDuration 180d"), "{}", reply.message);
    drop(dir);
}

/// The patch of a `/mutate` reply, decoded (`None` without one).
fn patch_of(reply: &Reply) -> Option<json_patch::Patch> {
    use base64::prelude::{BASE64_STANDARD, Engine as _};
    let encoded = reply.raw["response"].get("patch")?.as_str()?;
    Some(serde_json::from_slice(&BASE64_STANDARD.decode(encoded).unwrap()).expect("a JSON Patch"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_requester_is_recorded_at_creation_kept_on_update_and_cannot_be_forged() {
    let server = TestServer::start(Setup::examples()).await;
    let mutate = server.url("/mutate");
    let by = |review: &mut Value, user: &str| review["request"]["userInfo"]["username"] = json!(user);

    // CREATE: whatever the object says, the annotation names the requesting user.
    let mut forged = exception("compliance", &from_now(86_400));
    forged["metadata"]["annotations"] = json!({ "sovereignty.io/requested-by": "dpo@example.eu", "team": "data" });
    let mut create = review_for(&forged, "CREATE", "create");
    by(&mut create, "alice@example.eu");
    let reply = review_with(&server.client, &mutate, &create).await;
    assert!(reply.allowed, "{:#}", reply.raw);
    let mut recorded = forged.clone();
    json_patch::patch(&mut recorded, &patch_of(&reply).expect("a patch")).unwrap();
    assert_eq!(recorded["metadata"]["annotations"]["sovereignty.io/requested-by"], "alice@example.eu");
    assert_eq!(recorded["metadata"]["annotations"]["team"], "data");
    let mut validate = review_for(&recorded, "CREATE", "validate");
    by(&mut validate, "alice@example.eu");
    assert!(server.review(&validate).await.allowed);

    // Without the mutating webhook, a forged annotation is refused by validation.
    let mut unmutated = review_for(&forged, "CREATE", "forged");
    by(&mut unmutated, "alice@example.eu");
    let reply = server.review(&unmutated).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    assert!(
        reply.message.contains("says dpo@example.eu requested it, but alice@example.eu is creating it"),
        "{}",
        reply.message
    );
    // The requester recorded is also the one self-approval is judged by.
    assert!(reply.message.contains("nobody approves their own exception"), "{}", reply.message);

    // No annotations at all: the whole map is added.
    let bare = exception("compliance", &from_now(86_400));
    let mut create = review_for(&bare, "CREATE", "bare");
    by(&mut create, "bob@example.eu");
    let mut added = bare.clone();
    json_patch::patch(&mut added, &patch_of(&review_with(&server.client, &mutate, &create).await).unwrap()).unwrap();
    assert_eq!(added["metadata"]["annotations"], json!({ "sovereignty.io/requested-by": "bob@example.eu" }));

    // UPDATE by someone else: the annotation is put back as it was.
    let mut changed = recorded.clone();
    changed["metadata"]["annotations"]["sovereignty.io/requested-by"] = json!("mallory@example.eu");
    let mut update = review_for(&changed, "UPDATE", "update");
    update["request"]["oldObject"] = recorded.clone();
    by(&mut update, "mallory@example.eu");
    let mut restored = changed.clone();
    json_patch::patch(&mut restored, &patch_of(&review_with(&server.client, &mutate, &update).await).unwrap()).unwrap();
    assert_eq!(restored["metadata"]["annotations"]["sovereignty.io/requested-by"], "alice@example.eu");
    // An UPDATE that leaves it alone is not patched.
    let mut same = review_for(&recorded, "UPDATE", "same");
    same["request"]["oldObject"] = recorded.clone();
    assert!(patch_of(&review_with(&server.client, &mutate, &same).await).is_none());
}
