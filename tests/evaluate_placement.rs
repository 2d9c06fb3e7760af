mod common;

// Placement of pods, pod templates and bindings (SPEC §2, §4, §5): what a workload's required
// constraints confine it to, read strictly or through the node inventory, and the messages a
// developer gets when they do not.

use common::*;
use sovereign::evaluate::{Decision, Object, ObjectError, SHORT_LIMIT, Verdict};
use sovereign::policy::PolicySet;

const REGION: &str = "topology.kubernetes.io/region";
const TRUSTED: &str = "node-restriction.kubernetes.io/region";

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

/// `CLUSTER` plus more inventory documents.
fn cluster_with(extra: &str) -> String {
    format!("{CLUSTER}---\n{extra}")
}

/// A node with the given flow-mapping labels (e.g. `{ a: b }`).
fn node(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata: {{ name: {name}, labels: {labels} }}\n")
}

/// One node selector requirement, as flow YAML.
fn expr(key: &str, operator: &str, values: &[&str]) -> String {
    if values.is_empty() {
        format!("{{ key: {key}, operator: {operator} }}")
    } else {
        let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        format!("{{ key: {key}, operator: {operator}, values: [{}] }}", quoted.join(", "))
    }
}

/// A node selector term from label expressions.
fn term(exprs: &[String]) -> String {
    format!("{{ matchExpressions: [{}] }}", exprs.join(", "))
}

/// A pod whose required node affinity has these terms, after `extra` spec lines.
fn pod_requiring(terms: &[String], extra: &str) -> String {
    pod(&format!(
        "{extra}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{}]",
        terms.join(", ")
    ))
}

/// A pod with a nodeSelector given as flow-mapping entries (e.g. `tier: gold`).
fn pod_selecting(entries: &str) -> String {
    pod(&format!("  nodeSelector: {{ {entries} }}"))
}

fn pod_on(node: &str) -> String {
    pod(&format!("  nodeName: {node}"))
}

fn messages(d: &Decision) -> String {
    d.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n")
}

#[track_caller]
fn assert_allowed(d: &Decision) {
    assert_verdict(d, Verdict::Allow);
}

#[track_caller]
fn assert_not_saying(d: &Decision, fragment: &str) {
    let all = messages(d);
    assert!(!all.contains(fragment), "did not expect {fragment:?} in:\n{all}");
}

/// The standard policy and cluster, judging `object`.
fn judged(object: &str) -> Decision {
    judge(object, &inventory(CLUSTER), &policies(&[&indonesia("")]))
}

/// The standard policy with `extra` spec fields, on `CLUSTER` plus `nodes`.
fn judged_in(extra_policy: &str, extra_inventory: &str, object: &str) -> Decision {
    let inv = if extra_inventory.is_empty() { inventory(CLUSTER) } else { inventory(&cluster_with(extra_inventory)) };
    judge(object, &inv, &policies(&[&indonesia(extra_policy)]))
}

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

// ---------------------------------------------------------------------------------------------
// 2. Trusted region label
// ---------------------------------------------------------------------------------------------

const TRUSTING: &str = "  trustedRegionLabel: node-restriction.kubernetes.io/region";

#[test]
fn trusted_label_policy_does_not_trust_a_topology_region_selector() {
    let d = judged_in(TRUSTING, "", &pod_selecting("topology.kubernetes.io/region: ap-southeast-3"));
    assert_denied_saying(&d, &["any region", TRUSTED, "topology.kubernetes.io/region"]);
}

#[test]
fn trusted_label_policy_does_not_trust_a_zone_or_hostname_selector() {
    let zone = judged_in(
        &format!("{TRUSTING}\n  zones: {{ ap-southeast-3a: ap-southeast-3 }}"),
        "",
        &pod_selecting("topology.kubernetes.io/zone: ap-southeast-3a"),
    );
    assert_denied_saying(&zone, &["any region", TRUSTED]);
    let host = judged_in(TRUSTING, "", &pod_selecting("kubernetes.io/hostname: jkt-1"));
    assert_denied_saying(&host, &["any region", TRUSTED]);
}

#[test]
fn trusted_label_selector_confines() {
    let d = judged_in(TRUSTING, "", &pod_selecting("node-restriction.kubernetes.io/region: ap-southeast-3"));
    assert_allowed(&d);
}

#[test]
fn trusted_label_selector_outside_is_denied() {
    let d = judged_in(TRUSTING, "", &pod_selecting("node-restriction.kubernetes.io/region: us-east-1"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn trusted_label_policy_fix_names_the_trusted_label() {
    let d = judged_in(TRUSTING, "", &pod(""));
    assert_denied_saying(&d, &["Fix: add nodeSelector node-restriction.kubernetes.io/region:"]);
}

#[test]
fn node_name_to_a_node_whose_trusted_and_topology_labels_disagree_is_denied() {
    let liar = node(
        "liar-1",
        "{ topology.kubernetes.io/region: ap-southeast-3, node-restriction.kubernetes.io/region: us-east-1 }",
    );
    let d = judged_in(TRUSTING, &liar, &pod_on("liar-1"));
    assert_denied_saying(&d, &["node liar-1 is in no region", "disagrees with topology.kubernetes.io/region"]);
}

#[test]
fn node_name_to_a_node_whose_trusted_and_topology_labels_agree_is_allowed() {
    let honest = node(
        "honest-1",
        "{ topology.kubernetes.io/region: ap-southeast-3, node-restriction.kubernetes.io/region: ap-southeast-3 }",
    );
    assert_allowed(&judged_in(TRUSTING, &honest, &pod_on("honest-1")));
}

#[test]
fn node_name_to_a_node_without_the_trusted_label_is_denied() {
    // jkt-1 has only the topology label, which its kubelet could have set itself.
    let d = judged_in(TRUSTING, "", &pod_on("jkt-1"));
    assert_denied_saying(&d, &["node jkt-1 has no trusted region label"]);
}

// ---------------------------------------------------------------------------------------------
// 3. Inventory placement
// ---------------------------------------------------------------------------------------------

const BY_INVENTORY: &str = "  placement: Inventory";

const INDONESIAN_CLUSTER: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: gov-id, labels: { tenant: gov-id } }
---
apiVersion: v1
kind: Node
metadata: { name: jkt-1, labels: { topology.kubernetes.io/region: ap-southeast-3 } }
---
apiVersion: v1
kind: Node
metadata: { name: jkt-2, labels: { topology.kubernetes.io/region: asia-southeast2 } }
"#;

fn racked(extra: &str) -> String {
    let racks = [
        node("rack-jkt-1", "{ topology.kubernetes.io/region: ap-southeast-3, example.com/rack: \"10\" }"),
        node("rack-jkt-2", "{ topology.kubernetes.io/region: asia-southeast2, example.com/rack: \"20\" }"),
        node("rack-iad-1", "{ topology.kubernetes.io/region: us-east-1, example.com/rack: \"3\" }"),
    ];
    let mut out = cluster_with(&racks.join("---\n"));
    if !extra.is_empty() {
        out = format!("{out}---\n{extra}");
    }
    out
}

#[test]
fn inventory_placement_without_constraints_in_an_all_indonesian_cluster_is_allowed() {
    let d = judge(&pod(""), &inventory(INDONESIAN_CLUSTER), &policies(&[&indonesia(BY_INVENTORY)]));
    assert_allowed(&d);
}

#[test]
fn inventory_placement_without_constraints_next_to_a_virginia_node_is_denied() {
    let d = judged_in(BY_INVENTORY, "", &pod(""));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn inventory_placement_with_constraints_matching_no_node_is_denied() {
    let d = judged_in(BY_INVENTORY, "", &pod_selecting("tier: platinum"));
    assert_denied_saying(&d, &["no node in the inventory matches"]);
}

#[test]
fn inventory_placement_with_a_selector_matching_only_jakarta_nodes_is_allowed() {
    // tier: silver matches only jkt-2; Strict would deny this.
    assert_allowed(&judged_in(BY_INVENTORY, "", &pod_selecting("tier: silver")));
}

#[test]
fn inventory_placement_with_a_selector_matching_a_virginia_node_is_denied() {
    let d = judged_in(BY_INVENTORY, "", &pod_selecting("tier: gold"));
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn inventory_placement_gt_on_a_numeric_label_selecting_only_jakarta_is_allowed() {
    let inv = inventory(&racked(""));
    let set = policies(&[&indonesia(BY_INVENTORY)]);
    let gt = pod_requiring(&[term(&[expr("example.com/rack", "Gt", &["5"])])], "");
    assert_allowed(&judge(&gt, &inv, &set));
}

#[test]
fn inventory_placement_lt_on_a_numeric_label_selecting_only_jakarta_is_allowed() {
    let inv = inventory(&racked(""));
    let set = policies(&[&indonesia(BY_INVENTORY)]);
    let lt =
        pod_requiring(&[term(&[expr("example.com/rack", "Lt", &["25"]), expr("example.com/rack", "Gt", &["5"])])], "");
    assert_allowed(&judge(&lt, &inv, &set));
}

#[test]
fn inventory_placement_lt_selecting_a_virginia_node_is_denied() {
    let inv = inventory(&racked(""));
    let set = policies(&[&indonesia(BY_INVENTORY)]);
    let lt = pod_requiring(&[term(&[expr("example.com/rack", "Lt", &["5"])])], "");
    assert_denied_saying(&judge(&lt, &inv, &set), &["region us-east-1"]);
}

#[test]
fn inventory_placement_affinity_terms_are_ored() {
    let inv = inventory(&racked(""));
    let set = policies(&[&indonesia(BY_INVENTORY)]);
    let terms = [term(&[expr("example.com/rack", "Gt", &["5"])]), term(&[expr("tier", "In", &["gold"])])];
    assert_denied_saying(&judge(&pod_requiring(&terms, ""), &inv, &set), &["region us-east-1"]);
}

#[test]
fn inventory_placement_matching_a_node_without_region_label_is_denied() {
    let inv = inventory(&racked(&node("rack-bare", "{ example.com/rack: \"30\" }")));
    let set = policies(&[&indonesia(BY_INVENTORY)]);
    let gt = pod_requiring(&[term(&[expr("example.com/rack", "Gt", &["5"])])], "");
    assert_denied_saying(&judge(&gt, &inv, &set), &["node rack-bare has no region label"]);
}

// ---------------------------------------------------------------------------------------------
// 4. Region names the catalogs disagree on
// ---------------------------------------------------------------------------------------------

/// A policy for Indonesia with no `providers`; `jurisdiction` is the ID entry.
fn unscoped(jurisdiction: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: indonesia-any-cloud }}
spec:
  jurisdictions:
    - {jurisdiction}
  dataClasses:
    - {{ name: citizen-pii, allowedJurisdictions: [ID] }}
  classify:
    - namespaceSelector: {{ matchLabels: {{ tenant: gov-id }} }}
      dataClasses: [citizen-pii]
{extra}"#
    )
}

fn pinned_to_ap_southeast_3() -> String {
    pod_selecting("topology.kubernetes.io/region: ap-southeast-3")
}

#[test]
fn ambiguous_region_without_providers_is_denied_naming_the_disagreeing_clouds() {
    let set = policies(&[&unscoped("{ name: ID, countries: [ID] }", "")]);
    let d = judge(&pinned_to_ap_southeast_3(), &inventory(CLUSTER), &set);
    assert_denied_saying(
        &d,
        &[
            "ap-southeast-3 is ambiguous across clouds",
            "aws says ID",
            "huawei says SG",
            "alibaba says MY",
            "spec.providers",
            "indonesia-any-cloud",
        ],
    );
}

#[test]
fn unambiguous_indonesian_region_without_providers_is_allowed() {
    let set = policies(&[&unscoped("{ name: ID, countries: [ID] }", "")]);
    let d = judge(&pod_selecting("topology.kubernetes.io/region: asia-southeast2"), &inventory(CLUSTER), &set);
    assert_allowed(&d);
}

#[test]
fn ambiguous_region_is_allowed_once_providers_name_aws() {
    let set = policies(&[&unscoped("{ name: ID, countries: [ID] }", "  providers: [aws]")]);
    assert_allowed(&judge(&pinned_to_ap_southeast_3(), &inventory(CLUSTER), &set));
}

#[test]
fn ambiguous_region_is_denied_when_providers_name_huawei() {
    let set = policies(&[&unscoped("{ name: ID, countries: [ID] }", "  providers: [huawei]")]);
    let d = judge(&pinned_to_ap_southeast_3(), &inventory(CLUSTER), &set);
    assert_denied_saying(&d, &["region ap-southeast-3"]);
}

#[test]
fn ambiguous_region_listed_under_jurisdiction_regions_is_allowed() {
    let set = policies(&[&unscoped("{ name: ID, countries: [ID], regions: [ap-southeast-3] }", "")]);
    assert_allowed(&judge(&pinned_to_ap_southeast_3(), &inventory(CLUSTER), &set));
}

// ---------------------------------------------------------------------------------------------
// 5. Workload kinds
// ---------------------------------------------------------------------------------------------

/// A workload of `kind` in gov-id whose pod template selects `region`.
fn workload(kind: &str, api_version: &str, name: &str, region: &str) -> String {
    let template = format!(
        "{{ metadata: {{ labels: {{ app: {name} }} }}, spec: {{ containers: [{{ name: c, image: busybox }}], nodeSelector: {{ topology.kubernetes.io/region: {region} }} }} }}"
    );
    let spec = match kind {
        "CronJob" => format!("{{ schedule: \"*/5 * * * *\", jobTemplate: {{ spec: {{ template: {template} }} }} }}"),
        "Job" => format!("{{ template: {template} }}"),
        "ReplicationController" => format!("{{ selector: {{ app: {name} }}, template: {template} }}"),
        "StatefulSet" => {
            format!("{{ serviceName: {name}, selector: {{ matchLabels: {{ app: {name} }} }}, template: {template} }}")
        }
        _ => format!("{{ selector: {{ matchLabels: {{ app: {name} }} }}, template: {template} }}"),
    };
    format!("apiVersion: {api_version}\nkind: {kind}\nmetadata: {{ name: {name}, namespace: gov-id }}\nspec: {spec}\n")
}

#[track_caller]
fn assert_workload_compliant(kind: &str, api_version: &str) {
    let d = judged(&workload(kind, api_version, "web", "ap-southeast-3"));
    assert_eq!(d.classes, vec!["citizen-pii".to_string()], "{kind}: {d:#?}");
    assert_allowed(&d);
}

#[track_caller]
fn assert_workload_denied(kind: &str, api_version: &str) {
    let d = judged(&workload(kind, api_version, "web", "us-east-1"));
    assert_denied_saying(&d, &["its pod template", "region us-east-1"]);
    let prefix = format!("{kind} gov-id/web:");
    for v in &d.violations {
        assert!(v.message.starts_with(&prefix), "expected {prefix:?} to start {:?}", v.message);
        assert!(v.short.starts_with(&prefix), "expected {prefix:?} to start {:?}", v.short);
    }
}

macro_rules! workload_tests {
    ($($allowed:ident, $denied:ident: $kind:literal $api:literal;)*) => {$(
        #[test]
        fn $allowed() {
            assert_workload_compliant($kind, $api);
        }

        #[test]
        fn $denied() {
            assert_workload_denied($kind, $api);
        }
    )*};
}

workload_tests! {
    deployment_confined_to_jakarta_is_allowed, deployment_in_virginia_is_denied: "Deployment" "apps/v1";
    statefulset_confined_to_jakarta_is_allowed, statefulset_in_virginia_is_denied: "StatefulSet" "apps/v1";
    daemonset_confined_to_jakarta_is_allowed, daemonset_in_virginia_is_denied: "DaemonSet" "apps/v1";
    replicaset_confined_to_jakarta_is_allowed, replicaset_in_virginia_is_denied: "ReplicaSet" "apps/v1";
    job_confined_to_jakarta_is_allowed, job_in_virginia_is_denied: "Job" "batch/v1";
    cronjob_v1_confined_to_jakarta_is_allowed, cronjob_v1_in_virginia_is_denied: "CronJob" "batch/v1";
    cronjob_v1beta1_confined_to_jakarta_is_allowed, cronjob_v1beta1_in_virginia_is_denied: "CronJob" "batch/v1beta1";
    replication_controller_confined_to_jakarta_is_allowed, replication_controller_in_virginia_is_denied: "ReplicationController" "v1";
}

#[test]
fn deployment_without_template_is_an_object_error_not_a_panic() {
    let value = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: gov-id }\nspec: { replicas: 1 }\n",
    )
    .remove(0);
    match Object::parse(&value) {
        Err(err @ ObjectError::Missing { .. }) => {
            let text = err.to_string();
            assert!(text.contains("Deployment") && text.contains("spec.template"), "{text}");
        }
        other => panic!("expected ObjectError::Missing, got {other:?}"),
    }
}

#[test]
fn cronjob_without_job_template_is_an_object_error() {
    let value = docs("apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: c, namespace: gov-id }\nspec: { schedule: \"* * * * *\" }\n")
        .remove(0);
    assert!(matches!(Object::parse(&value), Err(ObjectError::Missing { .. })));
}

// ---------------------------------------------------------------------------------------------
// 6. Bindings
// ---------------------------------------------------------------------------------------------

/// `CLUSTER` plus a classified pod `web-0` in gov-id, a namespace without tenant label and an
/// unclassified pod `site-0` in it, and a node without region label.
fn binding_cluster() -> String {
    cluster_with(
        r#"apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: gov-id }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: public }
---
apiVersion: v1
kind: Pod
metadata: { name: site-0, namespace: public }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Pod
metadata: { name: tagged-0, namespace: public, labels: { sovereignty.io/data-class: citizen-pii } }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Node
metadata: { name: bare-1, labels: { kubernetes.io/hostname: bare-1 } }
"#,
    )
}

fn binding(namespace: &str, pod: &str, node: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Binding\nmetadata: {{ name: {pod}, namespace: {namespace} }}\ntarget: {{ apiVersion: v1, kind: Node, name: {node} }}\n"
    )
}

fn judged_binding(namespace: &str, pod: &str, node: &str) -> Decision {
    judge(&binding(namespace, pod, node), &inventory(&binding_cluster()), &policies(&[&indonesia("")]))
}

#[test]
fn binding_a_classified_pod_to_a_jakarta_node_is_allowed() {
    let d = judged_binding("gov-id", "web-0", "jkt-1");
    assert_eq!(d.classes, vec!["citizen-pii".to_string()]);
    assert_allowed(&d);
}

#[test]
fn binding_a_classified_pod_to_a_virginia_node_is_denied() {
    let d = judged_binding("gov-id", "web-0", "iad-1");
    assert_denied_saying(&d, &["Binding gov-id/web-0", "node iad-1", "us-east-1"]);
}

#[test]
fn binding_a_pod_classified_by_its_own_label_to_a_virginia_node_is_denied() {
    let d = judged_binding("public", "tagged-0", "iad-1");
    assert_denied_saying(&d, &["us-east-1"]);
}

#[test]
fn binding_an_unclassified_pod_to_a_virginia_node_is_allowed() {
    let d = judged_binding("public", "site-0", "iad-1");
    assert!(d.classes.is_empty(), "{d:#?}");
    assert_allowed(&d);
}

#[test]
fn binding_a_pod_missing_from_the_inventory_is_denied() {
    let d = judged_binding("gov-id", "ghost-0", "jkt-1");
    assert_denied_saying(&d, &["pod gov-id/ghost-0 is not in the inventory"]);
}

#[test]
fn binding_a_pod_missing_from_the_inventory_is_allowed_without_policies() {
    let d = judge(&binding("gov-id", "ghost-0", "iad-1"), &inventory(&binding_cluster()), &PolicySet::default());
    assert_allowed(&d);
}

#[test]
fn binding_to_a_node_missing_from_the_inventory_is_denied() {
    let d = judged_binding("gov-id", "web-0", "ghost-1");
    assert_denied_saying(&d, &["node ghost-1 is not in the inventory"]);
}

#[test]
fn binding_to_a_node_without_region_label_is_denied() {
    let d = judged_binding("gov-id", "web-0", "bare-1");
    assert_denied_saying(&d, &["node bare-1 has no region label"]);
}

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
