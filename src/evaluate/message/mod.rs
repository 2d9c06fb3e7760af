//! The words a developer reads: what is wrong, why, where the data may go, and the fix.

use std::collections::BTreeSet;
use std::fmt::Write;

use super::classify::DATA_CLASS_LABEL;
use super::decision::Holder;
use super::evidence::COPIED_REGION_LABEL;
use super::exposure::{Category, Exposure};
use super::topology::{DEPRECATED_REGION_LABEL, Reach, RegionLabels, ZONE_LABEL};
use crate::catalog::{self, Resolution};
use crate::inventory::Inventory;
use crate::object::Object;
use crate::policy::{ClassRule, CompiledPolicy, DEFAULT_REGION_LABEL};

/// Longest admission warning kubectl should print.
pub const SHORT_LIMIT: usize = 120;
const LISTED_REGIONS: usize = 6;
const LISTED_GAPS: usize = 3;

mod declassify;
mod exception;
mod holders;

pub(super) use self::declassify::{
    declassified_namespace, declassified_object, declassified_policy, declassified_unseen,
};
pub use self::exception::excepted;
pub(super) use self::exception::{forged_requester, lapsed_exceptions, refused_exception};
use self::holders::{copy_fix, holder_phrase, store_fix};

/// `Pod gov-id/web` or `PersistentVolume pv-1`.
pub(crate) fn who(object: &Object, namespace: Option<&str>) -> String {
    let name = object.display_name();
    match namespace {
        Some(ns) => format!("{} {ns}/{name}", object.kind()),
        None => format!("{} {name}", object.kind()),
    }
}

/// How the exposure reaches its places, before the places: "may be scheduled to".
fn verb(exposure: &Exposure) -> String {
    match (&exposure.holder, &exposure.node) {
        (Holder::Binding { node }, _) => format!("is binding its pod to node {node}, in"),
        (Holder::CopiedRegion { node }, _) => format!(
            "carries the label {COPIED_REGION_LABEL} the API server copied from node {node} at binding: it was placed in"
        ),
        (Holder::Pod | Holder::Template, Some(node)) => format!("is placed on node {node}, in"),
        (Holder::Pod | Holder::Template, None) => "may be scheduled to".into(),
        (Holder::Store { .. }, _) => "is stored in".into(),
        (Holder::Replica(_), _) => "is kept in".into(),
        _ if exposure.bound_volume.is_some() => "is stored in".into(),
        (Holder::ClaimVolume { .. } | Holder::ClaimTemplate { .. } | Holder::Claim, _) => {
            "may be provisioned in".into()
        }
        _ => "may be stored in".into(),
    }
}

/// A label naming a class no policy defines: (warning, message).
pub(crate) fn undefined_class(who: &str, name: &str) -> (String, String) {
    (
        shorten(format!("{who}: data class {name:?} is not defined by any SovereigntyPolicy")),
        format!(
            "{who}: data class {name:?} is not defined by any SovereigntyPolicy, so where it may reside is unknown. Fix: correct the {DATA_CLASS_LABEL} label, or define data class {name:?} in a policy"
        ),
    )
}

/// Classes whose allowed regions do not meet: (warning, message).
pub(crate) fn no_common_region(who: &str, names: &[&str]) -> (String, String) {
    let names: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
    (
        shorten(format!("{who}: data classes {} share no region", names.join(", "))),
        format!(
            "{who}: it holds data classes {} whose allowed regions have none in common, so it may not reside anywhere. Fix: split the data into separate workloads, or correct the {DATA_CLASS_LABEL} labels and classify rules",
            names.join(", ")
        ),
    )
}

/// One exposure outside a class's regions: (warning, message), the message saying what,
/// why, where the data may go and how to fix it.
pub(crate) fn violation(
    who: &str,
    class: &ClassRule,
    policy: &CompiledPolicy,
    exposure: &Exposure,
    suggested: &[String],
) -> (String, String) {
    let labels = RegionLabels { policy };
    let fix = match (&exposure.reach, exposure.category) {
        (Reach::Unknown(gaps), _) => {
            let mut fixes: Vec<&str> = gaps.iter().map(|g| g.fix.as_str()).collect();
            fixes.dedup();
            fixes.truncate(3);
            fixes.join("; ")
        }
        (_, Category::Placement) => match &exposure.node {
            Some(node) => {
                format!("move it off node {node}: {}", placement_fix(labels, class, &exposure.reach, suggested))
            }
            None => placement_fix(labels, class, &exposure.reach, suggested),
        },
        (_, Category::Storage) => format!(
            "use a StorageClass with volumeBindingMode: WaitForFirstConsumer, or allowedTopologies keeping {} in [{}]",
            policy.region_label,
            list(suggested.iter().map(String::as_str), 4)
        ),
        (_, Category::Network) => format!(
            "keep the data on a PersistentVolumeClaim whose volume is pinned to [{}], or set spec.volumes.networkVolumes: Allow in policy {} if that server is known to be inside them",
            list(suggested.iter().map(String::as_str), 4),
            policy.name
        ),
        (_, Category::Copy) => copy_fix(&exposure.holder, suggested),
        (_, Category::Store) => store_fix(&exposure.holder, class, policy),
        (_, Category::Fixed) if exposure.bound_volume.is_some() => format!(
            "keep the data on a PersistentVolume in [{}]; PersistentVolume {} is not",
            list(suggested.iter().map(String::as_str), 4),
            exposure.bound_volume.as_deref().unwrap_or_default()
        ),
        (_, Category::Fixed) => format!(
            "keep it in [{}]: for a pod, add nodeSelector {}: {}",
            list(suggested.iter().map(String::as_str), 4),
            labels.selector_label(),
            suggested.first().map(String::as_str).unwrap_or("<allowed region>")
        ),
    };
    let verb = verb(exposure);
    let subject = holder_phrase(&exposure.holder);
    let problem = reach_problem(&exposure.reach, &verb, class, policy);
    let brief = match &exposure.reach {
        Reach::Within(_) => {
            format!("{verb} {}", list(exposure.reach.outside_class(class).unwrap_or_default(), 2))
        }
        Reach::Anywhere(_) => format!("{verb} any region"),
        Reach::Unknown(gaps) => gaps.first().map(|g| g.what.clone()).unwrap_or_default(),
    };
    (
        shorten(format!("{who}: {} must stay in {}; {subject} {brief}", class.name, allowed_brief(class))),
        format!(
            "{who}: data class {:?} (policy {}) may reside only in {}, but {subject} {problem}. Fix: {fix}",
            class.name,
            policy.name,
            allowed_text(class)
        ),
    )
}

/// Where the data may reside, e.g. `jurisdiction ID (regions ap-southeast-3, asia-southeast2)`.
pub(crate) fn allowed_text(class: &ClassRule) -> String {
    let mut out = String::new();
    match class.jurisdictions.len() {
        0 => {}
        1 => write!(out, "jurisdiction {}", class.jurisdictions[0]).unwrap(),
        _ => write!(out, "jurisdictions {}", class.jurisdictions.join(", ")).unwrap(),
    }
    if class.jurisdictions.is_empty() {
        write!(out, "regions {}", list(class.allowed.iter().map(String::as_str), LISTED_REGIONS)).unwrap();
    } else {
        write!(out, " (regions {})", list(class.allowed.iter().map(String::as_str), LISTED_REGIONS)).unwrap();
    }
    out
}

/// The short name of where the data may go, for warnings.
pub(crate) fn allowed_brief(class: &ClassRule) -> String {
    if class.jurisdictions.is_empty() {
        list(class.allowed.iter().map(String::as_str), 2)
    } else {
        class.jurisdictions.join("/")
    }
}

/// `a, b, c, ...` with at most `max` items.
pub(crate) fn list<'a>(items: impl IntoIterator<Item = &'a str>, max: usize) -> String {
    joined(items, max, ", ")
}

fn joined<'a>(items: impl IntoIterator<Item = &'a str>, max: usize, separator: &str) -> String {
    let mut out = String::new();
    let mut rest = 0;
    for (i, item) in items.into_iter().enumerate() {
        if i < max {
            if i > 0 {
                out.push_str(separator);
            }
            out.push_str(item);
        } else {
            rest += 1;
        }
    }
    if out.is_empty() {
        out.push_str("none");
    }
    if rest > 0 {
        write!(out, " and {rest} more").unwrap();
    }
    out
}

/// Regions to suggest in a fix: allowed ones where nodes exist first, then the others.
/// Catalogued zones are left out: a fix selects a region, then keeps off zones.
pub(crate) fn suggested_regions(class: &ClassRule, labels: RegionLabels, inventory: &Inventory) -> Vec<String> {
    let key = labels.selector_label();
    let providers = &labels.policy.providers;
    let is_region = |r: &&str| !catalog::is_zone(r, providers);
    let fallback = (key == DEFAULT_REGION_LABEL).then_some(DEPRECATED_REGION_LABEL);
    let has_nodes: BTreeSet<&str> = if Inventory::indexes(key) {
        let with_nodes = |r: &&str| std::iter::once(key).chain(fallback).any(|k| inventory.has_node_with(k, r));
        class.allowed.iter().map(String::as_str).filter(is_region).filter(with_nodes).collect()
    } else {
        // A label the index does not follow (a zone mapping, say): look at every node.
        inventory
            .nodes()
            .filter_map(|(name, node_labels)| labels.node_region(name, node_labels).ok())
            .filter_map(|region| class.allowed.get(region).map(String::as_str))
            .filter(is_region)
            .collect()
    };
    let mut out: Vec<String> = has_nodes.iter().map(|r| r.to_string()).collect();
    out.extend(class.allowed.iter().filter(|r| is_region(&r.as_str()) && !has_nodes.contains(r.as_str())).cloned());
    out
}

/// The zone requirement that keeps a pod confined to `region` off its zones outside
/// `allowed`: ` and a required node affinity topology.kubernetes.io/zone NotIn [...]`, or
/// nothing when the region holds no such zone.
fn zones_fix(region: &str, allowed: &BTreeSet<String>, policy: &CompiledPolicy) -> String {
    let abroad: Vec<&str> = catalog::zones_abroad(region, &policy.providers)
        .iter()
        .map(|z| z.name)
        .filter(|z| !allowed.contains(*z))
        .collect();
    if abroad.is_empty() {
        return String::new();
    }
    let safe: Vec<&str> = catalog::places_of_region(region, &policy.providers)
        .iter()
        .filter(|p| allowed.contains(*p) && catalog::is_zone(p, &policy.providers))
        .filter_map(|p| allowed.get(p).map(String::as_str))
        .collect();
    let mut out = format!(
        " and a required node affinity {ZONE_LABEL} NotIn [{}] ({region} also holds zones outside the allowed countries)",
        abroad.join(", ")
    );
    if !safe.is_empty() {
        write!(out, ", or {ZONE_LABEL} In [{}]", safe.join(", ")).unwrap();
    }
    out
}

/// The nodeSelector (or affinity) that would confine a pod to allowed regions; when the
/// pod already stays in an allowed region but may reach its zones abroad, the zone
/// requirement that keeps it off them.
pub(crate) fn placement_fix(labels: RegionLabels, class: &ClassRule, reach: &Reach, suggested: &[String]) -> String {
    let label = labels.selector_label();
    let policy = labels.policy;
    let outside = reach.outside_class(class).unwrap_or_default();
    let zones: Vec<&catalog::Zone> = outside.iter().filter_map(|p| catalog::zone(p, &policy.providers)).collect();
    if !zones.is_empty() && zones.len() == outside.len() {
        let names: Vec<&str> = zones.iter().map(|z| z.name).collect();
        let mut regions: Vec<&str> = zones.iter().map(|z| z.region).collect();
        regions.dedup();
        let safe: Vec<&str> = regions
            .iter()
            .flat_map(|r| catalog::places_of_region(r, &policy.providers))
            .filter_map(|p| class.allowed.get(&p).map(String::as_str))
            .filter(|p| catalog::is_zone(p, &policy.providers))
            .collect();
        let mut out = format!(
            "keep it off {} {}: add a required node affinity {ZONE_LABEL} NotIn [{}] to every term",
            if names.len() == 1 { "zone" } else { "zones" },
            names.join(", "),
            names.join(", ")
        );
        if !safe.is_empty() {
            write!(out, " (or {ZONE_LABEL} In [{}])", safe.join(", ")).unwrap();
        }
        return out;
    }
    match suggested {
        [] => format!("the data class allows no region; correct policy {}", policy.name),
        [only] => format!("add nodeSelector {label}: {only}{}", zones_fix(only, &class.allowed, policy)),
        [first, ..] => format!(
            "add nodeSelector {label}: {first}{} (or a required node affinity {label} In [{}])",
            zones_fix(first, &class.allowed, policy),
            list(suggested.iter().map(String::as_str), 4)
        ),
    }
}

/// What the reach admits outside `allowed`, explained: the regions, the catalogued zones
/// (with their city and country, and the region that holds them), and why a region the
/// catalogs disagree on did not count.
pub(crate) fn outside_text(outside: &[&str], policy: &CompiledPolicy) -> String {
    // A multi-region location (GCS `EU`, a snapshot's `storage-locations: asia`) is no region:
    // one of the policy's clouds has it, or no cloud has a region of that name.
    let is_multi = |p: &&str| {
        !catalog::multi_region(p, &policy.providers).is_empty()
            || (catalog::meanings(p, &[]).is_empty() && !catalog::multi_region(p, &[]).is_empty())
    };
    let (multi, outside): (Vec<&str>, Vec<&str>) = outside.iter().copied().partition(is_multi);
    let (zones, regions): (Vec<&str>, Vec<&str>) =
        outside.into_iter().partition(|p| catalog::is_zone(p, &policy.providers));
    let mut parts = Vec::new();
    for name in multi {
        let mut known = catalog::multi_region(name, &policy.providers);
        if known.is_empty() {
            known = catalog::multi_region(name, &[]);
        }
        for m in known {
            parts.push(format!(
                "the {} location {} ({}: {})",
                m.provider,
                m.name,
                m.description.split(':').next().unwrap_or("multi-region"),
                list(m.countries.iter().copied(), LISTED_REGIONS)
            ));
        }
    }
    if !regions.is_empty() {
        parts.push(format!(
            "{} {}",
            if regions.len() == 1 { "region" } else { "regions" },
            list(regions.iter().copied(), LISTED_REGIONS)
        ));
    }
    if !zones.is_empty() {
        let described: Vec<String> = zones
            .iter()
            .filter_map(|z| catalog::zone(z, &policy.providers))
            .map(|z| format!("{} ({}, {}, in region {})", z.name, z.city, z.country, z.region))
            .collect();
        parts.push(format!(
            "{} {}",
            if zones.len() == 1 { "zone" } else { "zones" },
            list(described.iter().map(String::as_str), LISTED_REGIONS)
        ));
    }
    let mut out = parts.join(" and ");
    for region in regions {
        if let Resolution::Ambiguous(known) = catalog::resolve(region, &policy.providers) {
            let clouds: Vec<String> = known.iter().map(|(p, c)| format!("{p} says {c}")).collect();
            write!(
                out,
                " ({region} is ambiguous across clouds: {}; name your cloud in spec.providers of policy {} or list {region} under a jurisdiction's regions)",
                clouds.join(", "),
                policy.name
            )
            .unwrap();
        }
    }
    out
}

/// A one-line account of a reach, for messages.
pub(crate) fn reach_problem(reach: &Reach, verb: &str, class: &ClassRule, policy: &CompiledPolicy) -> String {
    match reach {
        Reach::Within(_) => {
            let outside = reach.outside_class(class).unwrap_or_default();
            format!("{verb} {}, outside them", outside_text(&outside, policy))
        }
        Reach::Anywhere(reason) => format!("{verb} any region: {reason}"),
        Reach::Unknown(gaps) => {
            let mut whats: Vec<&str> = gaps.iter().map(|g| g.what.as_str()).collect();
            whats.dedup();
            format!("cannot be placed for certain: {}", joined(whats, LISTED_GAPS, "; "))
        }
    }
}

/// Cuts `text` to the warning limit on a character boundary.
pub(crate) fn shorten(mut text: String) -> String {
    if text.chars().count() > SHORT_LIMIT {
        let cut: String = text.chars().take(SHORT_LIMIT - 1).collect();
        text = cut + "…";
    }
    text
}
