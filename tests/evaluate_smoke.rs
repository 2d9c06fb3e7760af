mod common;
use common::*;
use sovereign::evaluate::Verdict;

#[test]
fn a_pod_with_a_jakarta_node_selector_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let inv = inventory(CLUSTER);
    let d = judge(&pod("  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }"), &inv, &set);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_pod_without_constraints_is_denied_with_a_fix() {
    let set = policies(&[&indonesia("")]);
    let inv = inventory(CLUSTER);
    let d = judge(&pod(""), &inv, &set);
    assert_denied_saying(&d, &["Pod gov-id/p", "citizen-pii", "indonesia-pdp", "any region", "Fix: add nodeSelector"]);
}
