//! Where a pod's volumes, a claim or a volume may hold data.

use std::collections::BTreeSet;

use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

use super::topology::{Gap, Reach, RegionLabels, Requirement, term_requirements};
use crate::inventory::{Claim, Inventory, Volume};
use crate::policy::Selector;

/// Where a claim's data may be, or `None` when it is provisioned where its pod runs
/// (WaitForFirstConsumer), which the pod's own placement check covers.
pub(crate) fn claim_reach(claim: &Claim, labels: RegionLabels, inventory: &Inventory) -> Option<Reach> {
    if let Some(volume) = claim.volume_name.as_deref().filter(|v| !v.is_empty()) {
        return Some(match inventory.volume(volume) {
            Some(pv) => volume_reach(pv, labels, inventory),
            None => Reach::Unknown(vec![Gap {
                what: format!("its PersistentVolume {volume} is not in the inventory"),
                fix: format!("create PersistentVolume {volume} with a region label or nodeAffinity before the claim"),
            }]),
        });
    }
    if let Some(selector) = claim.selector.as_ref() {
        return Some(selected_reach(claim, selector, labels, inventory));
    }
    class_reach(claim.storage_class_name.as_deref(), labels, inventory)
}

/// A claim with a selector binds only to an existing volume that matches it (provisioners
/// do not provision for selectors): it may end up on any of them.
fn selected_reach(claim: &Claim, selector: &LabelSelector, labels: RegionLabels, inventory: &Inventory) -> Reach {
    let selector = match Selector::compile(selector) {
        Ok(s) => s,
        Err(e) => {
            return Reach::Unknown(vec![Gap {
                what: format!("its selector is malformed: {e}"),
                fix: "correct spec.selector".into(),
            }]);
        }
    };
    let class = claim.storage_class_name.as_deref();
    let (ns, name) = (claim.meta.namespace.as_deref(), claim.meta.name.as_deref());
    let empty = Default::default();
    let mut regions = BTreeSet::new();
    let mut gaps = Vec::new();
    let mut candidates = 0;
    for pv in inventory.volumes() {
        let pv_class = pv.storage_class_name.as_deref().unwrap_or("");
        let free_or_ours = pv
            .claim_ref
            .as_ref()
            .is_none_or(|r| r.name.as_deref() == name && (r.namespace.as_deref() == ns || ns.is_none()));
        if !selector.matches(pv.meta.labels.as_ref().unwrap_or(&empty))
            || class.is_some_and(|c| c != pv_class)
            || !free_or_ours
        {
            continue;
        }
        candidates += 1;
        match volume_reach(pv, labels, inventory) {
            Reach::Within(set) => regions.extend(set),
            Reach::Unknown(g) => gaps.extend(g),
            anywhere @ Reach::Anywhere(_) => return anywhere,
        }
    }
    if candidates == 0 {
        return Reach::Unknown(vec![Gap {
            what: "no PersistentVolume in the inventory matches its selector".into(),
            fix: "create the PersistentVolume it selects, in an allowed region, before the claim".into(),
        }]);
    }
    if gaps.is_empty() { Reach::Within(regions) } else { Reach::Unknown(gaps) }
}

/// Where a StorageClass may provision (named, or the default when `None`).
pub(crate) fn class_reach(name: Option<&str>, labels: RegionLabels, inventory: &Inventory) -> Option<Reach> {
    let class = match name {
        Some("") => {
            return Some(Reach::Unknown(vec![Gap {
                what: "it names no StorageClass and no PersistentVolume, so any matching volume could bind".into(),
                fix: "set spec.volumeName to a PersistentVolume in an allowed region, or name a StorageClass".into(),
            }]));
        }
        Some(name) => inventory.storage_class(name).ok_or_else(|| Gap {
            what: format!("StorageClass {name} is not in the inventory"),
            fix: format!("create StorageClass {name}, or name one that exists"),
        }),
        None => inventory.default_storage_class().ok_or_else(|| Gap {
            what: "it names no StorageClass and the cluster has no default one".into(),
            fix: "name a StorageClass with WaitForFirstConsumer binding or allowedTopologies".into(),
        }),
    };
    match class {
        Err(gap) => Some(Reach::Unknown(vec![gap])),
        Ok(class) => provisioning_reach(class, labels, inventory),
    }
}

fn provisioning_reach(class: &StorageClass, labels: RegionLabels, inventory: &Inventory) -> Option<Reach> {
    if class.volume_binding_mode.as_deref() == Some("WaitForFirstConsumer") {
        return None;
    }
    let name = class.metadata.name.as_deref().unwrap_or_default();
    let terms: Vec<Vec<Requirement>> = class
        .allowed_topologies
        .iter()
        .flatten()
        .filter_map(|t| t.match_label_expressions.as_ref())
        .filter(|exprs| !exprs.is_empty())
        .map(|exprs| exprs.iter().map(|e| Requirement::label_in(&e.key, &e.values)).collect())
        .collect();
    if terms.is_empty() {
        return Some(Reach::Anywhere(format!("StorageClass {name} binds Immediately and sets no allowedTopologies")));
    }
    Some(labels.terms_reach(terms.iter().map(Vec::as_slice), inventory, false))
}

/// Where a PersistentVolume's data is: its nodeAffinity, else its region label.
pub(crate) fn volume_reach(pv: &Volume, labels: RegionLabels, inventory: &Inventory) -> Reach {
    let name = pv.meta.name.as_deref().unwrap_or_default();
    let terms: Vec<Vec<Requirement>> = pv.node_terms.iter().flatten().filter_map(term_requirements).collect();
    let by_affinity =
        (!terms.is_empty()).then(|| labels.terms_reach(terms.iter().map(Vec::as_slice), inventory, false));
    if let Some(within @ Reach::Within(_)) = by_affinity {
        return within;
    }
    let empty = Default::default();
    if let Some(region) = labels.stated_place(pv.meta.labels.as_ref().unwrap_or(&empty)) {
        return Reach::Within([region.to_string()].into());
    }
    match by_affinity {
        Some(unknown @ Reach::Unknown(_)) => unknown,
        _ => Reach::Unknown(vec![Gap {
            what: format!(
                "PersistentVolume {name} has no topology: no {} label and no nodeAffinity that pins a region",
                labels.policy.region_label
            ),
            fix: format!(
                "give PersistentVolume {name} a {} label or a required nodeAffinity on it",
                labels.policy.region_label
            ),
        }]),
    }
}
