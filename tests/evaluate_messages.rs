mod common;

// Messages (SPEC §5): what a developer reads when a placement is denied: what, why, where
// it may go, and the fix, within the length kubectl shows.

use common::placement::*;
use common::*;
use sovereign::evaluate::{SHORT_LIMIT, Verdict};
use sovereign::policy::PolicySet;

// ---------------------------------------------------------------------------------------------
// 7. Messages
// ---------------------------------------------------------------------------------------------

#[test]
fn every_short_message_fits_the_warning_limit_even_for_long_names() {
    let long_ns = format!("gov-id-{}", "n".repeat(56));
    let long_pod = format!("web-{}", "p".repeat(240));
    let long_node = format!("node-{}", "x".repeat(200));
    let namespace =
        format!("apiVersion: v1\nkind: Namespace\nmetadata: {{ name: {long_ns}, labels: {{ tenant: gov-id }} }}\n");
    let pod_doc = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: {long_pod}, namespace: {long_ns} }}\nspec: {{ containers: [{{ name: c, image: busybox }}] }}\n"
    );
    let virginia = node(&long_node, "{ topology.kubernetes.io/region: us-east-1 }");
    let inv = inventory(&cluster_with(&[namespace, virginia, pod_doc].join("---\n")));
    let strict = policies(&[&indonesia("  trustedRegionLabel: node-restriction.kubernetes.io/region")]);
    let plain = policies(&[&indonesia("")]);
    let unscoped_set = policies(&[&unscoped("{ name: ID, countries: [ID] }", "")]);
    let in_ns = |spec: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{ name: {long_pod}, namespace: {long_ns} }}\nspec:\n  containers: [{{ name: c, image: busybox }}]\n{spec}\n"
        )
    };
    let cases: Vec<(String, &PolicySet)> = vec![
        (in_ns(""), &plain),
        (in_ns(""), &strict),
        (in_ns(&format!("  nodeName: {long_node}")), &plain),
        (in_ns(&format!("  nodeName: {long_node}")), &strict),
        (
            in_ns("  nodeName: ghost-with-a-rather-long-name-that-goes-on-and-on-and-on-and-on-and-on-and-on-and-on"),
            &plain,
        ),
        (in_ns("  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }"), &unscoped_set),
        (
            in_ns(
                "  nodeSelector: { topology.kubernetes.io/zone: some-very-long-zone-name-that-nobody-has-mapped-anywhere-at-all }",
            ),
            &plain,
        ),
        (binding(&long_ns, &long_pod, &long_node), &plain),
        (binding(&long_ns, "ghost", &long_node), &plain),
        (workload("Deployment", "apps/v1", &long_pod[..200], "us-east-1"), &plain),
    ];
    for (object, set) in &cases {
        let d = judge(object, &inv, set);
        assert_verdict(&d, Verdict::Deny);
        for v in &d.violations {
            let n = v.short.chars().count();
            assert!(n <= SHORT_LIMIT, "short message has {n} characters: {:?}", v.short);
            assert!(!v.short.is_empty());
        }
    }
}

#[test]
fn short_message_names_the_object_and_where_it_must_stay() {
    let d = judged(&pod_selecting("topology.kubernetes.io/region: us-east-1"));
    assert_verdict(&d, Verdict::Deny);
    let short = &d.violations[0].short;
    assert!(short.starts_with("Pod gov-id/p:"), "{short}");
    assert!(short.contains("citizen-pii") && short.contains("ID") && short.contains("us-east-1"), "{short}");
}

#[test]
fn full_message_names_object_class_policy_jurisdiction_reach_and_fix() {
    let d = judged(&pod_selecting("topology.kubernetes.io/region: us-east-1"));
    assert_verdict(&d, Verdict::Deny);
    assert_eq!(d.violations.len(), 1, "{d:#?}");
    let v = &d.violations[0];
    assert_eq!(v.policy, "indonesia-pdp");
    assert_eq!(v.data_class, "citizen-pii");
    for fragment in [
        "Pod gov-id/p:",
        "data class \"citizen-pii\"",
        "(policy indonesia-pdp)",
        "jurisdiction ID",
        "ap-southeast-3",
        "asia-southeast2",
        "may be scheduled to region us-east-1",
        "Fix:",
    ] {
        assert!(v.message.contains(fragment), "expected {fragment:?} in {:?}", v.message);
    }
}

#[test]
fn fix_suggests_allowed_regions_where_nodes_exist() {
    let d = judged(&pod(""));
    assert_denied_saying(&d, &["Fix: add nodeSelector topology.kubernetes.io/region: ap-southeast-3"]);
}

#[test]
fn spec_example_message_for_an_unconfined_deployment() {
    let d = judged(
        &workload("Deployment", "apps/v1", "web", "us-east-1")
            .replace(", nodeSelector: { topology.kubernetes.io/region: us-east-1 }", ""),
    );
    assert_denied_saying(
        &d,
        &[
            "Deployment gov-id/web: data class \"citizen-pii\" (policy indonesia-pdp) may reside only in jurisdiction ID (regions ap-southeast-3, asia-southeast2)",
            "but its pod template may be scheduled to any region: no required constraint on topology.kubernetes.io/region",
            "Fix: add nodeSelector topology.kubernetes.io/region: ap-southeast-3",
        ],
    );
}
