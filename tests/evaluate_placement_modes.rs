mod common;

// Placement read other ways (SPEC §2, §4): through a trusted region label, through the node
// inventory, and under region names the catalogs disagree on.

use common::placement::*;
use common::*;

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
