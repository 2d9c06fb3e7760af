//! The declassification guard at `/validate` (SPEC §14), called in process: Namespace and
//! object relabels and policy deletes that would take a data class from data are refused
//! for a normal user with a message naming what holds it, let through for a break-glass
//! identity, counted in `sovereign_declassifications_total`, and every update that changes
//! no class-relevant label passes without a look. (`tests/e2e.rs` does the same against a
//! real API server, with live pods.)

mod server_support;

use std::path::Path;

use serde_json::{Value, json};
use server_support::*;

const POLICY: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: eu-gdpr }
spec:
  enforcement: Deny
  providers: [aws]
  jurisdictions:
    - { name: EU, countries: [DE, FR, IE] }
  dataClasses:
    - { name: eu-personal, allowedJurisdictions: [EU] }
  exemptions:
    users: [break-glass@example.eu]
"#;

const INVENTORY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { sovereignty.io/data-class: eu-personal, team: shop } }
---
apiVersion: v1
kind: Namespace
metadata: { name: empty, labels: { sovereignty.io/data-class: eu-personal } }
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: orders, namespace: shop }
spec:
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
"#;

fn server(dir: &Path) -> InProcess {
    let policies = write(dir, "policy.yaml", POLICY);
    let inventory = write(dir, "inventory.yaml", INVENTORY);
    InProcess::start(Setup::examples().policies(vec![policies]).inventory(vec![inventory]))
}

fn namespace(name: &str, labels: Value) -> Value {
    json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": name, "labels": labels } })
}

/// The review of an UPDATE from `old` to `new` by `user`.
fn update(old: &Value, new: &Value, user: &str, uid: &str) -> Value {
    let mut review = review_for(new, "UPDATE", uid);
    review["request"]["oldObject"] = old.clone();
    review["request"]["userInfo"]["username"] = json!(user);
    review
}

fn policy_value() -> Value {
    serde_yaml_ng::from_str(POLICY).unwrap()
}

fn delete_policy(user: &str, uid: &str) -> Value {
    let mut review = review_for(&policy_value(), "DELETE", uid);
    review["request"]["object"] = Value::Null;
    review["request"]["oldObject"] = policy_value();
    review["request"]["userInfo"]["username"] = json!(user);
    review
}

fn declassifications(metrics: &str, outcome: &str) -> f64 {
    let series = format!(
        r#"sovereign_declassifications_total{{policy="eu-gdpr",data_class="eu-personal",outcome="{outcome}"}}"#
    );
    metric(metrics, &series).unwrap_or(0.0)
}

#[tokio::test]
async fn removing_a_namespaces_class_while_it_holds_a_claim_is_denied_and_break_glass_may() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let old = namespace("shop", json!({ "sovereignty.io/data-class": "eu-personal", "team": "shop" }));
    let new = namespace("shop", json!({ "team": "shop" }));

    let reply = server.review(&update(&old, &new, "alice@example.eu", "relabel")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    assert_eq!(reply.code, Some(403));
    for fragment in [
        "Namespace shop",
        "\"eu-personal\" (policy eu-gdpr)",
        "PersistentVolumeClaim shop/orders",
        "user break-glass@example.eu",
    ] {
        assert!(reply.message.contains(fragment), "{fragment:?} not in {}", reply.message);
    }

    let reply = server.review(&update(&old, &new, "break-glass@example.eu", "break-glass")).await;
    assert!(reply.allowed, "{:#}", reply.raw);
    assert_eq!(reply.audit_annotations["exempted-by"], "eu-gdpr");

    let metrics = server.metrics().await;
    assert_eq!(declassifications(&metrics, "refused"), 1.0, "{metrics}");
    assert_eq!(declassifications(&metrics, "exempt"), 1.0, "{metrics}");
    assert_eq!(metric(&metrics, r#"sovereign_exemptions_total{policy="eu-gdpr"}"#), Some(1.0));
}

#[tokio::test]
async fn namespace_updates_that_drop_no_class_or_empty_namespaces_pass() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let classified = json!({ "sovereignty.io/data-class": "eu-personal", "team": "shop" });
    let cases = [
        (
            namespace("shop", classified.clone()),
            namespace("shop", json!({ "sovereignty.io/data-class": "eu-personal", "team": "payments" })),
        ),
        (namespace("shop", classified.clone()), namespace("shop", classified.clone())),
        (namespace("empty", json!({ "sovereignty.io/data-class": "eu-personal" })), namespace("empty", json!({}))),
        (namespace("plain", json!({})), namespace("plain", json!({ "sovereignty.io/data-class": "eu-personal" }))),
    ];
    for (i, (old, new)) in cases.iter().enumerate() {
        let reply = server.review(&update(old, new, "alice@example.eu", &format!("case-{i}"))).await;
        assert!(reply.allowed, "case {i}: {:#}", reply.raw);
    }
    let metrics = server.metrics().await;
    assert_eq!(declassifications(&metrics, "refused"), 0.0, "{metrics}");
}

fn pod(labels: Value) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": { "name": "db", "namespace": "team-a", "labels": labels },
        // Placed outside the class's regions: an UPDATE is not judged for placement.
        "spec": { "nodeSelector": { "topology.kubernetes.io/region": "us-east-1" }, "containers": [{ "name": "c", "image": "x" }] }
    })
}

#[tokio::test]
async fn a_pod_relabel_that_drops_its_class_is_denied_and_other_pod_updates_are_not_rejudged() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let classified = pod(json!({ "sovereignty.io/data-class": "eu-personal", "app": "db" }));
    let reply = server.review(&update(&classified, &pod(json!({ "app": "db" })), "alice@example.eu", "drop")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    assert!(reply.message.contains("Pod team-a/db: this update takes data class \"eu-personal\""), "{}", reply.message);

    // The pod is outside its regions, yet an UPDATE that keeps its class is not judged again:
    // it was judged at CREATE, and the audit reports it.
    let relabelled = pod(json!({ "sovereignty.io/data-class": "eu-personal", "app": "db", "version": "2" }));
    let reply = server.review(&update(&classified, &relabelled, "alice@example.eu", "keep")).await;
    assert!(reply.allowed, "{:#}", reply.raw);
    // At CREATE it is judged, and denied.
    let reply = server.review(&review_for(&classified, "CREATE", "create")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
}

#[tokio::test]
async fn deleting_a_policy_while_its_class_is_held_is_denied_and_break_glass_may() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let reply = server.review(&delete_policy("alice@example.eu", "delete")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    for fragment in ["SovereigntyPolicy eu-gdpr: deleting it", "PersistentVolumeClaim shop/orders"] {
        assert!(reply.message.contains(fragment), "{fragment:?} not in {}", reply.message);
    }
    let reply = server.review(&delete_policy("break-glass@example.eu", "break-glass")).await;
    assert!(reply.allowed, "{:#}", reply.raw);
}

#[tokio::test]
async fn a_guarded_update_without_its_old_object_is_refused_and_a_dry_run_is_not_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let new = namespace("shop", json!({}));
    let reply = server.review(&review_for(&new, "UPDATE", "no-old")).await;
    assert!(!reply.allowed, "{:#}", reply.raw);
    assert_eq!(reply.code, Some(400));
    assert!(reply.message.contains("oldObject"), "{}", reply.message);

    let old = namespace("shop", json!({ "sovereignty.io/data-class": "eu-personal" }));
    let mut dry = update(&old, &new, "alice@example.eu", "dry");
    dry["request"]["dryRun"] = json!(true);
    let reply = server.review(&dry).await;
    assert!(!reply.allowed, "a dry run is judged the same: {:#}", reply.raw);
    assert_eq!(declassifications(&server.metrics().await, "refused"), 0.0);
}

#[tokio::test]
async fn deletes_of_other_kinds_and_unguarded_operations_are_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let ns = namespace("shop", json!({ "sovereignty.io/data-class": "eu-personal" }));
    let mut review = review_for(&ns, "DELETE", "ns-delete");
    review["request"]["object"] = Value::Null;
    review["request"]["oldObject"] = ns;
    let reply = server.review(&review).await;
    assert!(reply.allowed, "{:#}", reply.raw);
}
