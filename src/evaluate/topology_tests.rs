use std::collections::BTreeMap;

use super::*;

/// Every operator against a node `n1` labelled `tier=3`, `zone=a`: the requirement, and
/// whether the node satisfies it (as the scheduler decides).
#[test]
fn requirements_match_as_the_scheduler_matches_them() {
    let labels: BTreeMap<String, String> = [("tier", "3"), ("zone", "a")].map(|(k, v)| (k.into(), v.into())).into();
    let values = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let table: &[(&str, &str, &[&str], bool, bool)] = &[
        // key, operator, values, matchFields, matches
        ("zone", "In", &["a", "b"], false, true),
        ("zone", "In", &["b"], false, false),
        ("absent", "In", &["a"], false, false),
        ("zone", "NotIn", &["b"], false, true),
        ("zone", "NotIn", &["a"], false, false),
        ("absent", "NotIn", &["a"], false, true),
        ("zone", "Exists", &[], false, true),
        ("absent", "Exists", &[], false, false),
        ("zone", "DoesNotExist", &[], false, false),
        ("absent", "DoesNotExist", &[], false, true),
        ("tier", "Gt", &["2"], false, true),
        ("tier", "Gt", &["3"], false, false),
        ("tier", "Lt", &["4"], false, true),
        ("tier", "Lt", &["3"], false, false),
        ("zone", "Gt", &["1"], false, false),
        ("tier", "Gt", &["x"], false, false),
        ("tier", "Gt", &[], false, false),
        ("absent", "Lt", &["9"], false, false),
        ("zone", "Unknown", &["a"], false, false),
        ("metadata.name", "In", &["n1"], true, true),
        ("metadata.name", "In", &["n2"], true, false),
        ("metadata.name", "NotIn", &["n2"], true, true),
        ("metadata.uid", "In", &["n1"], true, false),
        // A label called metadata.name is a label, not the node's name.
        ("metadata.name", "In", &["n1"], false, false),
    ];
    for (key, operator, vals, field, expected) in table {
        let vals = values(vals);
        let requirement = Requirement { key, operator, values: &vals, field: *field };
        assert_eq!(requirement.matches("n1", &labels), *expected, "{key} {operator} {vals:?} (field: {field})");
    }
}

#[test]
fn a_term_ands_its_expressions_and_fields_and_an_empty_term_is_none() {
    let requirement = |key: &str| NodeRequirement { key: key.into(), operator: "Exists".into(), values: None };
    assert!(term_requirements(&NodeTerm::default()).is_none(), "an empty term matches no node");
    let empty_lists = NodeTerm { match_expressions: Some(vec![]), match_fields: Some(vec![]) };
    assert!(term_requirements(&empty_lists).is_none());
    let term = NodeTerm {
        match_expressions: Some(vec![requirement("a")]),
        match_fields: Some(vec![requirement("metadata.name")]),
    };
    let read = term_requirements(&term).unwrap();
    let shape: Vec<(&str, bool)> = read.iter().map(|r| (r.key, r.field)).collect();
    assert_eq!(shape, [("a", false), ("metadata.name", true)]);
    assert!(read.iter().all(|r| r.values.is_empty()), "no values: an empty list, not a panic");
}
