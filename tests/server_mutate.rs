//! `POST /mutate` as a kube-apiserver meets it (SPEC §15): the real server over real TLS,
//! whole AdmissionReviews in; the JSON Patch it answers is applied to the object, and the
//! result is sent to `/validate`, which must now allow it.

mod server_support;

use base64::prelude::{BASE64_STANDARD, Engine as _};
use std::path::Path;

use serde_json::{Value, json};
use server_support::*;

/// The examples' Indonesian policy, asking for pinning.
const PIN_POLICY: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: indonesia-pdp }
spec:
  remediation: Pin
  providers: [aws, gcp]
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: citizen-pii, allowedJurisdictions: [ID] }]
  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-id } }
      dataClasses: [citizen-pii]
"#;

async fn pin_server(dir: &Path) -> TestServer {
    let policy = dir.join("pin.yaml");
    std::fs::write(&policy, PIN_POLICY).unwrap();
    TestServer::start(Setup::examples().policies(vec![policy])).await
}

fn web(kind: &str) -> Value {
    let template = json!({
        "metadata": { "labels": { "app": "web" } },
        "spec": { "containers": [{ "name": "web", "image": "registry.example.go.id/web:1.0" }] }
    });
    let (api_version, spec) = match kind {
        "Pod" => ("v1", template["spec"].clone()),
        "CronJob" => ("batch/v1", json!({ "schedule": "@daily", "jobTemplate": { "spec": { "template": template } } })),
        "Job" => ("batch/v1", json!({ "template": template })),
        "ReplicationController" => ("v1", json!({ "selector": { "app": "web" }, "template": template })),
        _ => ("apps/v1", json!({ "selector": { "matchLabels": { "app": "web" } }, "template": template })),
    };
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": { "name": "web", "namespace": "gov-id" },
        "spec": spec
    })
}

/// The patch of a reply, decoded, or `None` when it has none.
fn patch_of(reply: &Reply) -> Option<json_patch::Patch> {
    let response = &reply.raw["response"];
    let encoded = response.get("patch")?.as_str()?;
    assert_eq!(response["patchType"], "JSONPatch", "{response:#}");
    let bytes = BASE64_STANDARD.decode(encoded).expect("the patch is standard base64");
    Some(serde_json::from_slice(&bytes).expect("the patch is a JSON Patch"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_workload_kind_is_pinned_and_then_allowed_by_validation() {
    let dir = tempfile::tempdir().unwrap();
    let server = pin_server(dir.path()).await;
    for kind in
        ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "ReplicationController"]
    {
        let object = web(kind);
        let denied = server.review(&review_for(&object, "CREATE", &format!("{kind}-as-is"))).await;
        assert!(!denied.allowed, "{kind} is denied as it is");

        let mutate_url = server.url("/mutate");
        let reply =
            review_with(&server.client, &mutate_url, &review_for(&object, "CREATE", &format!("{kind}-m"))).await;
        assert!(reply.allowed && reply.uid == format!("{kind}-m"), "{:#}", reply.raw);
        let patch = patch_of(&reply).unwrap_or_else(|| panic!("{kind}: no patch in {:#}", reply.raw));
        let [warning] = reply.warnings.as_slice() else { panic!("{kind}: one warning expected: {:?}", reply.warnings) };
        assert!(warning.chars().count() <= 120, "{warning}");
        assert!(
            warning.contains(&format!("{kind} gov-id/web")) && warning.contains("ap-southeast-3, asia-southeast2"),
            "{warning}"
        );

        let mut pinned = object.clone();
        json_patch::patch(&mut pinned, &patch).unwrap_or_else(|e| panic!("{kind}: the patch does not apply: {e}"));
        assert_eq!(
            pinned.pointer("/metadata/annotations/sovereignty.io~1pinned"),
            Some(&json!("indonesia-pdp/citizen-pii=ap-southeast-3,asia-southeast2"))
        );
        let judged = server.review(&review_for(&pinned, "CREATE", &format!("{kind}-v"))).await;
        assert!(judged.allowed, "{kind} pinned is allowed: {:#}\n{pinned:#}", judged.raw);

        // Mutated again (reinvocation, a second apply): no patch.
        let again = review_with(&server.client, &mutate_url, &review_for(&pinned, "UPDATE", "again")).await;
        assert!(again.allowed && patch_of(&again).is_none(), "{kind}: {:#}", again.raw);
    }
    let text = server.metrics().await;
    let series = r#"sovereign_pinned_total{policy="indonesia-pdp",data_class="citizen-pii",kind="Deployment"}"#;
    assert_eq!(metric(&text, series), Some(1.0), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_get_the_patch_but_are_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = pin_server(dir.path()).await;
    let mut review = review_for(&web("Deployment"), "CREATE", "dry");
    review["request"]["dryRun"] = json!(true);
    let reply = review_with(&server.client, &server.url("/mutate"), &review).await;
    assert!(patch_of(&reply).is_some(), "{:#}", reply.raw);
    let text = server.metrics().await;
    assert!(!text.contains("sovereign_pinned_total{"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_pinning_cannot_confine_is_left_to_validation() {
    let dir = tempfile::tempdir().unwrap();
    let server = pin_server(dir.path()).await;
    let url = server.url("/mutate");
    let mut on_node = web("Pod");
    on_node["spec"]["nodeName"] = json!("iad-aws-1");
    let mut outside = web("Deployment");
    outside["spec"]["template"]["spec"]["nodeSelector"] = json!({ "topology.kubernetes.io/region": "us-east-1" });
    let mut unclassified = web("Deployment");
    unclassified["metadata"]["namespace"] = json!("eu-shop");
    for (name, object, operation) in [
        ("nodeName", &on_node, "CREATE"),
        ("nodeSelector outside", &outside, "CREATE"),
        ("unclassified", &unclassified, "CREATE"),
        ("pod update", &web("Pod"), "UPDATE"),
        ("delete", &web("Deployment"), "DELETE"),
    ] {
        let reply = review_with(&server.client, &url, &review_for(object, operation, name)).await;
        assert!(reply.allowed && patch_of(&reply).is_none(), "{name}: {:#}", reply.raw);
        let validated = server.review(&review_for(object, operation, name)).await;
        if name.starts_with("node") {
            assert!(!validated.allowed, "{name}: validation still denies");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_mutation_requests_get_clear_answers_never_a_server_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = pin_server(dir.path()).await;
    let url = server.url("/mutate");
    for (body, status, says) in [
        ("not json", 400, "malformed AdmissionReview"),
        (
            r#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"u"}}"#,
            400,
            "unsupported AdmissionReview apiVersion",
        ),
        (r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#, 400, "no request"),
    ] {
        let (code, text) = post_with(&server.client, &url, body).await;
        assert_eq!(code, status, "{body}: {text}");
        assert!(text.contains(says), "{body}: {text}");
    }
    // A readable review whose object is not: allowed unchanged, with a warning saying why.
    let mut broken = web("Deployment");
    broken["spec"]["template"]["spec"]["affinity"] = json!("everywhere");
    let reply = review_with(&server.client, &url, &review_for(&broken, "CREATE", "broken")).await;
    assert!(reply.allowed && patch_of(&reply).is_none(), "{:#}", reply.raw);
    assert!(reply.warnings.iter().any(|w| w.contains("could not read this Deployment")), "{:?}", reply.warnings);
    let mut no_object = review_for(&web("Deployment"), "CREATE", "none");
    no_object["request"]["object"] = Value::Null;
    let reply = review_with(&server.client, &url, &no_object).await;
    assert!(reply.allowed && patch_of(&reply).is_none(), "{:#}", reply.raw);
}
