//! Where a pod may be scheduled: by its own required constraints (Strict) or by the nodes
//! that exist and match them (Inventory).

use std::collections::BTreeSet;
use std::slice;

use super::topology::{Gap, Reach, RegionLabels, Requirement, term_requirements};
use crate::inventory::{Inventory, PodSpec};

/// The pod's required constraints: those every node must meet, and the affinity terms of
/// which a node must meet one. `None` terms: no required node affinity.
struct Constraints<'a> {
    always: Vec<Requirement<'a>>,
    terms: Option<Vec<Vec<Requirement<'a>>>>,
}

fn constraints(spec: &PodSpec) -> Constraints<'_> {
    let mut always = Vec::new();
    if let Some(node) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
        always.push(Requirement::name_in(slice::from_ref(node)));
    }
    for (key, value) in spec.node_selector.iter().flatten() {
        always.push(Requirement::label_in(key, slice::from_ref(value)));
    }
    let terms = spec.node_terms.as_ref().map(|terms| terms.iter().filter_map(term_requirements).collect());
    Constraints { always, terms }
}

/// Strict placement: what the pod's own required constraints confine it to.
pub(crate) fn strict_reach(spec: &PodSpec, labels: RegionLabels, inventory: &Inventory) -> Reach {
    let c = constraints(spec);
    match &c.terms {
        None => labels.term_reach(&c.always, inventory, true),
        Some(terms) => {
            let joined: Vec<Vec<Requirement>> =
                terms.iter().map(|t| c.always.iter().chain(t.iter()).copied().collect()).collect();
            labels.terms_reach(joined.iter().map(Vec::as_slice), inventory, true)
        }
    }
}

/// Inventory placement: the regions of the nodes that exist now and match the pod.
pub(crate) fn inventory_reach(spec: &PodSpec, labels: RegionLabels, inventory: &Inventory) -> Reach {
    let c = constraints(spec);
    let mut regions = BTreeSet::new();
    let mut gaps = Vec::new();
    let mut matched = 0usize;
    for (name, node_labels) in inventory.nodes() {
        let fits = c.always.iter().all(|r| r.matches(name, node_labels))
            && c.terms
                .as_ref()
                .is_none_or(|terms| terms.iter().any(|t| t.iter().all(|r| r.matches(name, node_labels))));
        if !fits {
            continue;
        }
        matched += 1;
        match labels.node_region(name, node_labels) {
            Ok(region) => {
                regions.insert(region.to_string());
            }
            Err(gap) => gaps.push(gap),
        }
    }
    if matched == 0 {
        return Reach::Unknown(vec![Gap {
            what: "no node in the inventory matches its required constraints".into(),
            fix: format!(
                "add nodes labelled {} in an allowed region, or correct its nodeSelector",
                labels.selector_label()
            ),
        }]);
    }
    if gaps.is_empty() { Reach::Within(regions) } else { Reach::Unknown(gaps) }
}
