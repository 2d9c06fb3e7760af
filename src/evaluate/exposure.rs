//! Exposures: each place a policy must check that an object's data could end up, built
//! per kind from the object and the inventory.

use super::decision::Holder;
use super::placement;
use super::storage::{claim_reach, class_reach, volume_reach};
use super::topology::{Gap, Reach, RegionLabels};
use crate::inventory::{Claim, Inventory, Labels, PodSpec, Volume, VolumeSource};
use crate::policy::{CompiledPolicy, Placement};

use super::classify::DATA_CLASS_LABEL;

/// What a policy must check about an object: one place its data could end up.
pub(super) struct Exposure {
    pub category: Category,
    pub holder: Holder,
    pub reach: Reach,
    /// The PersistentVolume a claim is bound to, which decides where its data is.
    pub bound_volume: Option<String>,
    /// The node a pod already runs on (`spec.nodeName`), which decides where it is.
    pub node: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
pub(super) enum Category {
    Placement,
    /// A claim's storage, governed by `volumes.unconfinedStorage`.
    Storage,
    /// A network volume, governed by `volumes.networkVolumes`.
    Network,
    /// A volume that exists, or a node the scheduler chose: always judged.
    Fixed,
    /// A copy of data (a snapshot, a backup): always judged (SPEC §12).
    Copy,
    /// A cloud data store or one of its replicas: always judged.
    Store,
}

impl Exposure {
    pub(super) fn new(category: Category, holder: Holder, reach: Reach) -> Self {
        Exposure { category, holder, reach, bound_volume: None, node: None }
    }
}

/// The exposures of an object a pod-like spec describes: a Pod, or a workload's template.
pub(super) fn pod_exposures(
    spec: &PodSpec,
    claim_templates: &[Claim],
    holder: Holder,
    ns: &str,
    policy: &CompiledPolicy,
    inventory: &Inventory,
) -> Vec<Exposure> {
    let labels = RegionLabels { policy };
    let reach = match policy.placement {
        Placement::Strict => placement::strict_reach(spec, labels, inventory),
        Placement::Inventory => placement::inventory_reach(spec, labels, inventory),
    };
    let node = spec.node_name.clone().filter(|n| !n.is_empty());
    let mut out = vec![Exposure { node, ..Exposure::new(Category::Placement, holder, reach) }];
    for volume in &spec.volumes {
        let name = &volume.name;
        match &volume.source {
            VolumeSource::FollowsPod => {}
            VolumeSource::Claim(claim) => {
                let holder =
                    Holder::ClaimVolume { volume: name.clone(), namespace: ns.to_string(), claim: claim.clone() };
                match inventory.claim(ns, claim) {
                    Some(pvc) => out.extend(claim_exposure(pvc, holder, policy, inventory)),
                    None => {
                        let gap = Gap {
                            what: format!("PersistentVolumeClaim {ns}/{claim} does not exist"),
                            fix: format!(
                                "create PersistentVolumeClaim {ns}/{claim} first (for sovereign check, pass it with -f)"
                            ),
                        };
                        out.push(Exposure::new(Category::Storage, holder, Reach::Unknown(vec![gap])));
                    }
                }
            }
            VolumeSource::Ephemeral(class) => {
                if let Some(reach) = class_reach(class.as_deref(), labels, inventory) {
                    let holder = Holder::EphemeralVolume { volume: name.clone() };
                    out.push(Exposure::new(Category::Storage, holder, reach));
                }
            }
            VolumeSource::Network(kind) => {
                let reach =
                    Reach::Anywhere(format!("an {kind} volume reaches a server whose location sovereign cannot know"));
                let holder = Holder::NetworkVolume { volume: name.clone(), kind: kind.to_string() };
                out.push(Exposure::new(Category::Network, holder, reach));
            }
        }
    }
    for template in claim_templates {
        let name = template.meta.name.clone().unwrap_or_default();
        out.extend(claim_exposure(template, Holder::ClaimTemplate { name }, policy, inventory));
    }
    out
}

/// A claim's exposure: where its bound volume is, or where its class may provision.
pub(super) fn claim_exposure(
    claim: &Claim,
    holder: Holder,
    policy: &CompiledPolicy,
    inventory: &Inventory,
) -> Option<Exposure> {
    let reach = claim_reach(claim, RegionLabels { policy }, inventory)?;
    let bound_volume = claim.volume_name.clone().filter(|v| !v.is_empty());
    let category = if bound_volume.is_some() { Category::Fixed } else { Category::Storage };
    Some(Exposure { bound_volume, ..Exposure::new(category, holder, reach) })
}

pub(super) fn volume_exposure(pv: &Volume, policy: &CompiledPolicy, inventory: &Inventory) -> Exposure {
    let reach = volume_reach(pv, RegionLabels { policy }, inventory);
    Exposure { bound_volume: pv.meta.name.clone(), ..Exposure::new(Category::Fixed, Holder::Volume, reach) }
}

pub(super) fn binding_exposure(node: &str, policy: &CompiledPolicy, inventory: &Inventory) -> Exposure {
    let labels = RegionLabels { policy };
    let reach = match inventory.node(node) {
        None => Reach::Unknown(vec![Gap {
            what: format!("node {node} is not in the inventory"),
            fix: "retry once the node is known".into(),
        }]),
        Some(node_labels) => match labels.node_region(node, node_labels) {
            Ok(region) => Reach::Within([region.to_string()].into()),
            Err(gap) => Reach::Unknown(vec![gap]),
        },
    };
    Exposure::new(Category::Fixed, Holder::Binding { node: node.to_string() }, reach)
}

/// Data classes a pod takes from the claims it mounts.
pub(super) fn claim_classes(spec: &PodSpec, templates: &[Claim], ns: &str, inventory: &Inventory) -> Vec<String> {
    let label = |labels: Option<&Labels>| labels.and_then(|l| l.get(DATA_CLASS_LABEL)).cloned();
    let mounted = spec.volumes.iter().filter_map(|v| match &v.source {
        VolumeSource::Claim(name) => label(inventory.claim(ns, name)?.meta.labels.as_ref()),
        _ => None,
    });
    let templated = templates.iter().filter_map(|t| label(t.meta.labels.as_ref()));
    mounted.chain(templated).collect()
}
