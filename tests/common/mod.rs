//! Scenario builders shared by the test crates: policies, inventories and objects are
//! written as the YAML a person would apply.
#![allow(dead_code)]

pub mod placement;

use serde_json::Value;
use sovereign::evaluate::{Context, Decision, Object, Verdict, evaluate};
use sovereign::inventory::Inventory;
use sovereign::manifest;
use sovereign::policy::{PolicySet, SovereigntyPolicy};

/// Parses every document in `yaml`.
pub fn docs(yaml: &str) -> Vec<Value> {
    let mut out = Vec::new();
    manifest::parse_text("test.yaml", yaml, false, &mut out).expect("test YAML parses");
    out.into_iter().map(|d| d.value).collect()
}

pub fn policy(yaml: &str) -> SovereigntyPolicy {
    serde_json::from_value(docs(yaml).remove(0)).expect("test policy is a SovereigntyPolicy")
}

/// Compiles policies, failing the test when any is rejected.
pub fn policies(yamls: &[&str]) -> PolicySet {
    let set = PolicySet::compile(&yamls.iter().map(|y| policy(y)).collect::<Vec<_>>());
    assert!(set.rejected.is_empty(), "test policies rejected: {:?}", set.rejected);
    set
}

pub fn inventory(yaml: &str) -> Inventory {
    let mut inv = Inventory::default();
    for doc in docs(yaml) {
        assert!(inv.add(&doc).expect("inventory object is valid"), "not an inventory kind: {doc}");
    }
    inv
}

pub fn judge(object: &str, inv: &Inventory, set: &PolicySet) -> Decision {
    judge_with(object, &Context::default(), inv, set)
}

pub fn judge_with(object: &str, ctx: &Context, inv: &Inventory, set: &PolicySet) -> Decision {
    let value = docs(object).remove(0);
    let object = Object::parse(&value).expect("test object parses");
    evaluate(&object, ctx, inv, set)
}

/// Asserts the verdict, printing the decision when it differs.
#[track_caller]
pub fn assert_verdict(decision: &Decision, verdict: Verdict) {
    assert_eq!(decision.verdict, verdict, "decision: {decision:#?}");
}

/// Asserts a denial whose messages mention every fragment.
#[track_caller]
pub fn assert_denied_saying(decision: &Decision, fragments: &[&str]) {
    assert_verdict(decision, Verdict::Deny);
    let all: String = decision.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n");
    for fragment in fragments {
        assert!(all.contains(fragment), "expected {fragment:?} in:\n{all}");
    }
}

/// A policy confining `citizen-pii` to Indonesia on AWS and Google Cloud, classifying the
/// `gov-id` tenant's namespaces. Tests append fields with `{extra}`.
pub fn indonesia(extra: &str) -> String {
    let rules = "    - namespaceSelector: { matchLabels: { tenant: gov-id } }\n      dataClasses: [citizen-pii]\n";
    indonesia_classifying(rules) + extra
}

/// The Indonesian policy with the given `classify:` rules (list items indented by 4).
pub fn indonesia_classifying(rules: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: indonesia-pdp }}
spec:
  providers: [aws, gcp]
  jurisdictions:
    - {{ name: ID, countries: [ID] }}
  dataClasses:
    - {{ name: citizen-pii, allowedJurisdictions: [ID] }}
  classify:
{rules}"#
    )
}

/// Nodes in Jakarta (aws and gcp) and Virginia, and the gov-id namespace.
pub const CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: gov-id, labels: { tenant: gov-id } }
---
apiVersion: v1
kind: Node
metadata:
  name: jkt-1
  labels: { kubernetes.io/hostname: jkt-1, topology.kubernetes.io/region: ap-southeast-3, topology.kubernetes.io/zone: ap-southeast-3a, tier: gold }
---
apiVersion: v1
kind: Node
metadata:
  name: jkt-2
  labels: { kubernetes.io/hostname: jkt-2, topology.kubernetes.io/region: asia-southeast2, tier: silver }
---
apiVersion: v1
kind: Node
metadata:
  name: iad-1
  labels: { kubernetes.io/hostname: iad-1, topology.kubernetes.io/region: us-east-1, tier: gold }
"#;

/// A pod in `gov-id` with the given spec body (indented by two spaces under `spec:`).
pub fn pod(spec: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{ name: p, namespace: gov-id }}
spec:
  containers: [{{ name: c, image: busybox }}]
{spec}"#
    )
}
