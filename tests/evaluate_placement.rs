mod common;

// Strict placement of pods (SPEC §2, §4): what a pod's nodeName, nodeSelector and required
// node affinity confine it to, read strictly.

use common::placement::*;
use common::*;

// ---------------------------------------------------------------------------------------------
// 1. Strict placement of pods
// ---------------------------------------------------------------------------------------------

#[test]
fn node_name_in_allowed_region_is_allowed() {
    assert_allowed(&judged(&pod_on("jkt-1")));
    assert_allowed(&judged(&pod_on("jkt-2")));
}

#[test]
fn node_name_in_us_east_1_is_denied_naming_the_region() {
    let d = judged(&pod_on("iad-1"));
    assert_denied_saying(
        &d,
        &[
            "Pod gov-id/p",
            "is placed on node iad-1, in region us-east-1",
            "Fix: move it off node iad-1: add nodeSelector",
        ],
    );
}

#[test]
fn node_name_not_in_inventory_is_denied() {
    let d = judged(&pod_on("ghost-1"));
    assert_denied_saying(&d, &["node ghost-1 is not in the inventory"]);
}

#[test]
fn node_name_to_node_without_region_label_is_denied_with_its_own_message() {
    let d = judged_in("", &node("bare-1", "{ kubernetes.io/hostname: bare-1 }"), &pod_on("bare-1"));
    assert_denied_saying(&d, &["node bare-1 has no region label (topology.kubernetes.io/region)"]);
    assert_not_saying(&d, "not in the inventory");
}

#[test]
fn node_name_to_node_with_only_deprecated_region_label_is_allowed() {
    let d =
        judged_in("", &node("old-1", "{ failure-domain.beta.kubernetes.io/region: ap-southeast-3 }"), &pod_on("old-1"));
    assert_allowed(&d);
}

#[test]
fn node_name_to_node_with_only_a_mapped_zone_label_is_allowed() {
    let d = judged_in(
        "  zones: { ap-southeast-3b: ap-southeast-3 }",
        &node("zoned-1", "{ topology.kubernetes.io/zone: ap-southeast-3b }"),
        &pod_on("zoned-1"),
    );
    assert_allowed(&d);
}

#[test]
fn node_selector_on_region_inside_is_allowed() {
    assert_allowed(&judged(&pod_selecting("topology.kubernetes.io/region: asia-southeast2")));
}

#[test]
fn node_selector_on_region_outside_is_denied() {
    let d = judged(&pod_selecting("topology.kubernetes.io/region: us-east-1"));
    assert_denied_saying(&d, &["may be scheduled to region us-east-1, outside them"]);
}

#[test]
fn node_selector_on_deprecated_region_label_inside_is_allowed() {
    assert_allowed(&judged(&pod_selecting("failure-domain.beta.kubernetes.io/region: ap-southeast-3")));
}

#[test]
fn node_selector_on_deprecated_region_label_outside_is_denied() {
    let d = judged(&pod_selecting("failure-domain.beta.kubernetes.io/region: us-east-1"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn node_selector_on_mapped_zone_is_allowed() {
    let d = judged_in(
        "  zones: { ap-southeast-3a: ap-southeast-3 }",
        "",
        &pod_selecting("topology.kubernetes.io/zone: ap-southeast-3a"),
    );
    assert_allowed(&d);
}

#[test]
fn node_selector_on_zone_mapped_outside_is_denied() {
    let d =
        judged_in("  zones: { us-east-1a: us-east-1 }", "", &pod_selecting("topology.kubernetes.io/zone: us-east-1a"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn node_selector_on_unmapped_zone_is_denied_mentioning_the_zone() {
    let d = judged_in(
        "  zones: { ap-southeast-3a: ap-southeast-3 }",
        "",
        &pod_selecting("topology.kubernetes.io/zone: ap-southeast-3c"),
    );
    assert_denied_saying(&d, &["zone ap-southeast-3c is not mapped to a region by policy indonesia-pdp"]);
}

#[test]
fn node_selector_on_unrelated_label_is_denied_as_any_region() {
    let d = judged(&pod_selecting("tier: gold"));
    assert_denied_saying(
        &d,
        &["may be scheduled to any region", "no required constraint on topology.kubernetes.io/region"],
    );
}

#[test]
fn node_affinity_in_confines() {
    let d = judged(&pod_requiring(&[term(&[expr(REGION, "In", &["ap-southeast-3", "asia-southeast2"])])], ""));
    assert_allowed(&d);
}

#[test]
fn node_affinity_in_outside_region_is_denied() {
    let d = judged(&pod_requiring(&[term(&[expr(REGION, "In", &["us-east-1"])])], ""));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn node_affinity_not_in_does_not_confine() {
    let d = judged(&pod_requiring(&[term(&[expr(REGION, "NotIn", &["us-east-1"])])], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_exists_does_not_confine() {
    let d = judged(&pod_requiring(&[term(&[expr(REGION, "Exists", &[])])], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_does_not_exist_does_not_confine() {
    let d = judged(&pod_requiring(&[term(&[expr(REGION, "DoesNotExist", &[])])], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_gt_does_not_confine() {
    let d = judged(&pod_requiring(&[term(&[expr("example.com/rack", "Gt", &["5"])])], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_lt_does_not_confine() {
    let d = judged(&pod_requiring(&[term(&[expr("example.com/rack", "Lt", &["5"])])], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_terms_are_ored_so_one_term_outside_is_denied() {
    let terms = [
        term(&[expr(REGION, "In", &["us-east-1"])]),
        term(&[expr(REGION, "In", &["ap-southeast-3"])]),
        term(&[expr(REGION, "In", &["asia-southeast2"])]),
    ];
    let d = judged(&pod_requiring(&terms, ""));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn node_affinity_terms_are_ored_so_one_unconfined_term_is_denied() {
    let terms = [term(&[expr(REGION, "In", &["ap-southeast-3"])]), term(&[expr("tier", "In", &["gold"])])];
    let d = judged(&pod_requiring(&terms, ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn node_affinity_terms_all_inside_are_allowed() {
    let terms = [term(&[expr(REGION, "In", &["ap-southeast-3"])]), term(&[expr(REGION, "In", &["asia-southeast2"])])];
    assert_allowed(&judged(&pod_requiring(&terms, "")));
}

#[test]
fn node_affinity_expressions_within_a_term_are_anded() {
    let both = term(&[expr(REGION, "In", &["ap-southeast-3", "us-east-1"]), expr(REGION, "In", &["ap-southeast-3"])]);
    assert_allowed(&judged(&pod_requiring(&[both], "")));
}

#[test]
fn node_affinity_unrelated_expression_anded_with_region_still_confines() {
    let both = term(&[expr("tier", "In", &["gold"]), expr(REGION, "In", &["ap-southeast-3"])]);
    assert_allowed(&judged(&pod_requiring(&[both], "")));
}

#[test]
fn node_selector_is_anded_with_affinity_terms() {
    // The affinity alone admits us-east-1; the nodeSelector, which applies to every term, does not.
    let wide = term(&[expr(REGION, "In", &["ap-southeast-3", "us-east-1"])]);
    let d = judged(&pod_requiring(&[wide], "  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }"));
    assert_allowed(&d);
}

#[test]
fn node_selector_region_confines_affinity_terms_on_unrelated_labels() {
    let unrelated = [term(&[expr("tier", "In", &["gold"])]), term(&[expr("tier", "In", &["silver"])])];
    let d = judged(&pod_requiring(&unrelated, "  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }"));
    assert_allowed(&d);
}

#[test]
fn affinity_terms_confine_a_node_selector_on_unrelated_labels() {
    let region = term(&[expr(REGION, "In", &["ap-southeast-3"])]);
    assert_allowed(&judged(&pod_requiring(&[region], "  nodeSelector: { tier: gold }")));
}

/// A matchFields term as the DaemonSet controller writes it.
fn daemonset_pod(node: &str) -> String {
    pod_requiring(&[format!("{{ matchFields: [{{ key: metadata.name, operator: In, values: [{node}] }}] }}")], "")
}

#[test]
fn match_fields_on_a_jakarta_node_name_is_allowed() {
    assert_allowed(&judged(&daemonset_pod("jkt-1")));
}

#[test]
fn match_fields_on_a_virginia_node_name_is_denied() {
    let d = judged(&daemonset_pod("iad-1"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn match_fields_on_an_unknown_node_is_denied() {
    let d = judged(&daemonset_pod("ghost-1"));
    assert_denied_saying(&d, &["node ghost-1 is not in the inventory"]);
}

#[test]
fn match_fields_not_in_does_not_confine() {
    let t = "{ matchFields: [{ key: metadata.name, operator: NotIn, values: [iad-1] }] }".to_string();
    let d = judged(&pod_requiring(&[t], ""));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn hostname_in_jakarta_nodes_is_resolved_through_the_inventory() {
    let d = judged(&pod_requiring(&[term(&[expr("kubernetes.io/hostname", "In", &["jkt-1", "jkt-2"])])], ""));
    assert_allowed(&d);
}

#[test]
fn hostname_in_including_a_virginia_node_is_denied() {
    let d = judged(&pod_requiring(&[term(&[expr("kubernetes.io/hostname", "In", &["jkt-1", "iad-1"])])], ""));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn hostname_differing_from_node_name_is_found_by_its_label() {
    let extra = node(
        "ip-10-0-0-1.ec2.internal",
        "{ kubernetes.io/hostname: ip-10-0-0-1, topology.kubernetes.io/region: us-east-1 }",
    );
    let d = judged_in("", &extra, &pod_selecting("kubernetes.io/hostname: ip-10-0-0-1"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn hostname_of_an_unknown_node_is_denied() {
    let d = judged(&pod_selecting("kubernetes.io/hostname: ghost-1"));
    assert_denied_saying(&d, &["node ghost-1 is not in the inventory"]);
}

#[test]
fn empty_node_selector_terms_match_nothing_and_are_allowed() {
    let d = judged(&pod_requiring(&["{}".to_string(), "{ matchExpressions: [] }".to_string()], ""));
    assert_allowed(&d);
}

#[test]
fn empty_node_selector_term_next_to_a_virginia_term_is_denied() {
    let d = judged(&pod_requiring(&["{}".to_string(), term(&[expr(REGION, "In", &["us-east-1"])])], ""));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn preferred_node_affinity_does_not_count() {
    let spec = "  affinity:
    nodeAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 100
          preference: { matchExpressions: [{ key: topology.kubernetes.io/region, operator: In, values: [ap-southeast-3] }] }";
    let d = judged(&pod(spec));
    assert_denied_saying(&d, &["any region"]);
}

#[test]
fn pod_without_constraints_is_denied() {
    assert_denied_saying(&judged(&pod("")), &["any region"]);
}
