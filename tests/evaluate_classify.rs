mod common;
use common::*;
use sovereign::evaluate::{Context, SHORT_LIMIT, Verdict};
use sovereign::inventory::Inventory;

// ---------------------------------------------------------------------------------------
// Scenario builders.
// ---------------------------------------------------------------------------------------

/// An EU policy for data class `eu-pii`, allowing the EU plus `extra_regions`.
fn eu(extra_regions: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: eu-gdpr }}
spec:
  providers: [aws, gcp]
  jurisdictions:
    - {{ name: EU, countries: [DE, FR, IE, BE, NL, PL] }}
  dataClasses:
    - {{ name: eu-pii, allowedJurisdictions: [EU], allowedRegions: [{extra_regions}] }}
"#
    )
}

/// CLUSTER plus an unclassified namespace `public` and a namespace `health` whose own label
/// declares citizen-pii.
fn cluster() -> Inventory {
    inventory(&format!(
        r#"{CLUSTER}---
apiVersion: v1
kind: Namespace
metadata: {{ name: public, labels: {{ tenant: public }} }}
---
apiVersion: v1
kind: Namespace
metadata: {{ name: health, labels: {{ sovereignty.io/data-class: citizen-pii }} }}
"#
    ))
}

/// An unconstrained pod (no nodeSelector, so any classification denies it) in `namespace`
/// with labels `labels` (flow mapping contents).
fn loose_pod(namespace: &str, labels: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{ name: p, namespace: {namespace}, labels: {{ {labels} }} }}
spec:
  containers: [{{ name: c, image: busybox }}]
"#
    )
}

/// A gov-id pod pinned to `region` with the given extra labels.
fn pinned_pod(region: &str, labels: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{ name: p, namespace: gov-id, labels: {{ {labels} }} }}
spec:
  nodeSelector: {{ topology.kubernetes.io/region: {region} }}
  containers: [{{ name: c, image: busybox }}]
"#
    )
}

/// An unconstrained Deployment in `public` with the given own and template labels.
fn deployment(own_labels: &str, template_labels: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: {{ name: web, namespace: public, labels: {{ {own_labels} }} }}
spec:
  selector: {{ matchLabels: {{ app: web }} }}
  template:
    metadata: {{ labels: {{ app: web{template_labels} }} }}
    spec:
      containers: [{{ name: c, image: nginx }}]
"#
    )
}

#[track_caller]
fn assert_classes(decision: &sovereign::evaluate::Decision, classes: &[&str]) {
    assert_eq!(decision.classes, classes, "decision: {decision:#?}");
}

// ---------------------------------------------------------------------------------------
// Where classes come from.
// ---------------------------------------------------------------------------------------

#[test]
fn object_data_class_label_classifies_it() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("public", "sovereignty.io/data-class: citizen-pii"), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_denied_saying(&d, &["Pod public/p", "citizen-pii"]);
}

#[test]
fn namespace_data_class_label_classifies_its_objects() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("health", ""), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_verdict(&d, Verdict::Deny);
}

#[test]
fn classify_namespace_selector_classifies_objects_in_matching_namespaces() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("gov-id", ""), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_verdict(&d, Verdict::Deny);
}

#[test]
fn classify_namespace_selector_ignores_other_namespaces() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("public", ""), &cluster(), &set);
    assert_classes(&d, &[]);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn classify_object_selector_match_labels_classifies_matching_objects() {
    let set = policies(&[&indonesia_classifying(
        "    - objectSelector: { matchLabels: { app: payroll } }\n      dataClasses: [citizen-pii]\n",
    )]);
    let d = judge(&loose_pod("public", "app: payroll"), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_verdict(&d, Verdict::Deny);
}

#[test]
fn classify_object_selector_match_labels_ignores_other_objects() {
    let set = policies(&[&indonesia_classifying(
        "    - objectSelector: { matchLabels: { app: payroll } }\n      dataClasses: [citizen-pii]\n",
    )]);
    let d = judge(&loose_pod("public", "app: web"), &cluster(), &set);
    assert_classes(&d, &[]);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn classify_object_selector_match_expressions_classify_matching_objects() {
    let set = policies(&[&indonesia_classifying(
        "    - objectSelector: { matchExpressions: [ { key: app, operator: In, values: [payroll, hr] } ] }\n      dataClasses: [citizen-pii]\n",
    )]);
    let inv = cluster();
    let hr = judge(&loose_pod("public", "app: hr"), &inv, &set);
    assert_classes(&hr, &["citizen-pii"]);
    assert_verdict(&hr, Verdict::Deny);
    let web = judge(&loose_pod("public", "app: web"), &inv, &set);
    assert_classes(&web, &[]);
    assert_verdict(&web, Verdict::Allow);
}

#[test]
fn classify_rule_needs_both_namespace_and_object_selectors_to_match() {
    let set = policies(&[&indonesia_classifying(
        "    - namespaceSelector: { matchLabels: { tenant: gov-id } }\n      objectSelector: { matchLabels: { app: payroll } }\n      dataClasses: [citizen-pii]\n",
    )]);
    let inv = cluster();
    assert_classes(&judge(&loose_pod("gov-id", "app: payroll"), &inv, &set), &["citizen-pii"]);
    assert_classes(&judge(&loose_pod("gov-id", "app: web"), &inv, &set), &[]);
    assert_classes(&judge(&loose_pod("public", "app: payroll"), &inv, &set), &[]);
}

#[test]
fn object_in_no_classified_namespace_without_labels_is_allowed_with_no_classes() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("public", ""), &cluster(), &set);
    assert_verdict(&d, Verdict::Allow);
    assert_classes(&d, &[]);
    assert!(d.violations.is_empty(), "{d:#?}");
}

#[test]
fn deployment_is_classified_by_its_template_labels() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&deployment("", ", sovereignty.io/data-class: citizen-pii"), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_denied_saying(&d, &["Deployment public/web", "its pod template may be scheduled to any region"]);
}

#[test]
fn deployment_is_classified_by_its_own_labels() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&deployment("sovereignty.io/data-class: citizen-pii", ""), &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_denied_saying(&d, &["Deployment public/web"]);
}

#[test]
fn pod_inherits_the_data_class_of_a_claim_it_mounts() {
    let set = policies(&[&indonesia("")]);
    let inv = inventory(&format!(
        r#"{CLUSTER}---
apiVersion: v1
kind: Namespace
metadata: {{ name: public }}
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: {{ name: wffc }}
provisioner: ebs.csi.aws.com
volumeBindingMode: WaitForFirstConsumer
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{ name: records, namespace: public, labels: {{ sovereignty.io/data-class: citizen-pii }} }}
spec: {{ storageClassName: wffc, accessModes: [ReadWriteOnce], resources: {{ requests: {{ storage: 1Gi }} }} }}
"#
    ));
    let pod = r#"
apiVersion: v1
kind: Pod
metadata: { name: p, namespace: public }
spec:
  containers: [{ name: c, image: busybox }]
  volumes: [{ name: v, persistentVolumeClaim: { claimName: records } }]
"#;
    let d = judge(pod, &inv, &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_denied_saying(&d, &["Pod public/p", "may be scheduled to any region"]);
}

// ---------------------------------------------------------------------------------------
// Several classes, and classes nobody defines.
// ---------------------------------------------------------------------------------------

#[test]
fn object_with_two_classes_is_allowed_where_both_allow_it() {
    let set = policies(&[&indonesia(""), &eu("ap-southeast-3")]);
    let d = judge(&pinned_pod("ap-southeast-3", "sovereignty.io/data-class: eu-pii"), &cluster(), &set);
    assert_verdict(&d, Verdict::Allow);
    let mut classes = d.classes.clone();
    classes.sort();
    assert_eq!(classes, ["citizen-pii", "eu-pii"]);
}

#[test]
fn object_with_two_classes_is_denied_where_only_the_first_allows_it() {
    let set = policies(&[&indonesia(""), &eu("ap-southeast-3")]);
    // asia-southeast2 is in Indonesia but not in eu-pii's allowed set.
    let d = judge(&pinned_pod("asia-southeast2", "sovereignty.io/data-class: eu-pii"), &cluster(), &set);
    assert_denied_saying(&d, &["data class \"eu-pii\" (policy eu-gdpr)", "region asia-southeast2"]);
    assert!(d.violations.iter().all(|v| v.data_class == "eu-pii"), "{d:#?}");
}

#[test]
fn object_with_two_classes_is_denied_where_only_the_second_allows_it() {
    let set = policies(&[&indonesia(""), &eu("ap-southeast-3")]);
    let d = judge(&pinned_pod("eu-central-1", "sovereignty.io/data-class: eu-pii"), &cluster(), &set);
    assert_denied_saying(&d, &["data class \"citizen-pii\" (policy indonesia-pdp)", "region eu-central-1"]);
    assert!(d.violations.iter().all(|v| v.data_class == "citizen-pii"), "{d:#?}");
}

#[test]
fn classes_with_disjoint_allowed_regions_are_denied_as_sharing_no_region() {
    let set = policies(&[&indonesia(""), &eu("")]);
    let d = judge(&pinned_pod("ap-southeast-3", "sovereignty.io/data-class: eu-pii"), &cluster(), &set);
    assert_denied_saying(&d, &["\"citizen-pii\"", "\"eu-pii\"", "none in common"]);
    assert!(d.violations.iter().any(|v| v.short.contains("share no region")), "{d:#?}");
}

#[test]
fn undefined_data_class_label_fails_closed_naming_the_class() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&loose_pod("public", "sovereignty.io/data-class: secret-sauce"), &cluster(), &set);
    assert_denied_saying(&d, &["\"secret-sauce\"", "not defined by any SovereigntyPolicy"]);
    assert_classes(&d, &["secret-sauce"]);
}

#[test]
fn undefined_data_class_fails_closed_even_when_the_object_is_otherwise_compliant() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&pinned_pod("ap-southeast-3", "sovereignty.io/data-class: secret-sauce"), &cluster(), &set);
    assert_denied_saying(&d, &["\"secret-sauce\""]);
}

// ---------------------------------------------------------------------------------------
// Enforcement.
// ---------------------------------------------------------------------------------------

#[test]
fn deny_enforcement_gives_a_deny_verdict() {
    let set = policies(&[&indonesia("  enforcement: Deny")]);
    let d = judge(&loose_pod("gov-id", ""), &cluster(), &set);
    assert_verdict(&d, Verdict::Deny);
    assert!(!d.verdict.allowed());
}

#[test]
fn warn_enforcement_gives_a_warn_verdict() {
    let set = policies(&[&indonesia("  enforcement: Warn")]);
    let d = judge(&loose_pod("gov-id", ""), &cluster(), &set);
    assert_verdict(&d, Verdict::Warn);
    assert!(d.verdict.allowed());
    assert!(!d.violations.is_empty(), "a warning needs its violations: {d:#?}");
}

#[test]
fn warn_violations_have_short_texts_within_the_limit() {
    let set = policies(&[&indonesia("  enforcement: Warn")]);
    let long_name = "a-very-long-pod-name-that-keeps-going-".repeat(5);
    let pod = format!(
        r#"
apiVersion: v1
kind: Pod
metadata: {{ name: {long_name}x, namespace: gov-id }}
spec:
  containers: [{{ name: c, image: busybox }}]
"#
    );
    let d = judge(&pod, &cluster(), &set);
    assert_verdict(&d, Verdict::Warn);
    assert_eq!(SHORT_LIMIT, 120);
    for v in &d.violations {
        assert!(!v.short.is_empty(), "{v:#?}");
        assert!(v.short.chars().count() <= 120, "{} chars: {}", v.short.chars().count(), v.short);
        assert!(v.message.chars().count() > 120, "the full message stays whole: {}", v.message);
    }
}

#[test]
fn audit_enforcement_gives_an_audit_verdict() {
    let set = policies(&[&indonesia("  enforcement: Audit")]);
    let d = judge(&loose_pod("gov-id", ""), &cluster(), &set);
    assert_verdict(&d, Verdict::Audit);
    assert!(d.verdict.allowed());
    assert!(!d.violations.is_empty(), "{d:#?}");
}

// ---------------------------------------------------------------------------------------
// Exemptions and the request context.
// ---------------------------------------------------------------------------------------

#[test]
fn exempted_namespace_gives_an_exempt_verdict_naming_the_policy() {
    let set = policies(&[&indonesia("  exemptions: { namespaces: [gov-id] }")]);
    let d = judge(&loose_pod("gov-id", ""), &cluster(), &set);
    assert_verdict(&d, Verdict::Exempt);
    assert_eq!(d.exempted_by, ["indonesia-pdp"]);
    assert!(d.violations.is_empty(), "{d:#?}");
}

#[test]
fn exempted_user_gives_an_exempt_verdict() {
    let set = policies(&[&indonesia("  exemptions: { users: [breakglass@example.com] }")]);
    let ctx = Context { user: Some("breakglass@example.com"), ..Default::default() };
    let d = judge_with(&loose_pod("gov-id", ""), &ctx, &cluster(), &set);
    assert_verdict(&d, Verdict::Exempt);
    assert_eq!(d.exempted_by, ["indonesia-pdp"]);
}

#[test]
fn exempted_group_gives_an_exempt_verdict() {
    let set = policies(&[&indonesia("  exemptions: { groups: [sre-oncall] }")]);
    let groups = vec!["system:authenticated".to_string(), "sre-oncall".to_string()];
    let ctx = Context { user: Some("alice"), groups: &groups, ..Default::default() };
    let d = judge_with(&loose_pod("gov-id", ""), &ctx, &cluster(), &set);
    assert_verdict(&d, Verdict::Exempt);
    assert_eq!(d.exempted_by, ["indonesia-pdp"]);
}

#[test]
fn user_not_listed_in_exemptions_is_denied() {
    let set = policies(&[&indonesia("  exemptions: { users: [breakglass@example.com], groups: [sre-oncall] }")]);
    let groups = vec!["system:authenticated".to_string()];
    let ctx = Context { user: Some("mallory@example.com"), groups: &groups, ..Default::default() };
    let d = judge_with(&loose_pod("gov-id", ""), &ctx, &cluster(), &set);
    assert_verdict(&d, Verdict::Deny);
    assert!(d.exempted_by.is_empty(), "{d:#?}");
}

#[test]
fn context_namespace_overrides_the_object_namespace_towards_classified() {
    let set = policies(&[&indonesia("")]);
    let ctx = Context { namespace: Some("gov-id"), ..Default::default() };
    let d = judge_with(&loose_pod("public", ""), &ctx, &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_denied_saying(&d, &["Pod gov-id/p"]);
}

#[test]
fn context_namespace_overrides_the_object_namespace_towards_unclassified() {
    let set = policies(&[&indonesia("")]);
    let ctx = Context { namespace: Some("public"), ..Default::default() };
    let d = judge_with(&loose_pod("gov-id", ""), &ctx, &cluster(), &set);
    assert_classes(&d, &[]);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn object_without_a_namespace_takes_the_context_namespace() {
    let set = policies(&[&indonesia("")]);
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c, image: busybox }] }\n";
    let ctx = Context { namespace: Some("gov-id"), ..Default::default() };
    let d = judge_with(pod, &ctx, &cluster(), &set);
    assert_classes(&d, &["citizen-pii"]);
    assert_verdict(&d, Verdict::Deny);
}
