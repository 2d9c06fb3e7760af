//! What copies of data share (SPEC §12): the classes a copy takes from what it copies, the
//! objects the inventory keeps whole that copies name, and where a named location is.

use std::collections::BTreeSet;

use super::classify::classify;
use super::topology::{Gap, Reach, RegionLabels};
use crate::catalog::{self, Provider};
use crate::inventory::copies::{DataCopy, SNAPSHOT_GROUP, Snapshot, SnapshotClass, SourceRef};
use crate::inventory::{Claim, Inventory, Labels};
use crate::kinds::{self, Kind};
use crate::policy::{ClassRule, CompiledPolicy, PolicySet};
use crate::read::kept_copy;

/// The region label an operator sets on a VolumeSnapshotClass or backup location.
pub(crate) const REGION_LABEL: &str = "topology.kubernetes.io/region";

/// How deep a chain of clones and restores is followed (a claim cloned from a claim
/// restored from a snapshot of a claim ...): far beyond any real chain, and it ends loops.
const SOURCE_DEPTH: usize = 8;

pub(crate) fn kind(group: &str, name: &str) -> &'static Kind {
    kinds::find(group, name).expect("copy kinds are in the table")
}

/// A VolumeSnapshot kept in the inventory.
pub(crate) fn kept_snapshot(inventory: &Inventory, ns: &str, name: &str) -> Option<Snapshot> {
    match kept_copy(inventory.kept(kind(SNAPSHOT_GROUP, "VolumeSnapshot"), ns, name)?)? {
        DataCopy::Snapshot(s) => Some(s),
        _ => None,
    }
}

/// A VolumeSnapshotClass kept in the inventory.
pub(crate) fn kept_snapshot_class(inventory: &Inventory, name: &str) -> Option<SnapshotClass> {
    SnapshotClass::read(inventory.kept(kind(SNAPSHOT_GROUP, "VolumeSnapshotClass"), "", name)?)
}

/// Every VolumeSnapshotClass kept in the inventory.
pub(crate) fn kept_snapshot_classes(inventory: &Inventory) -> Vec<SnapshotClass> {
    inventory.kept_all(kind(SNAPSHOT_GROUP, "VolumeSnapshotClass")).filter_map(SnapshotClass::read).collect()
}

/// The data classes a claim carries from what it is cloned or restored from: the source
/// claim's classes (its label, namespace and `classify` rules, and its own source's), or
/// a VolumeSnapshot's and its source claim's. Names no policy defines are kept, so they
/// are reported as undefined.
pub(crate) fn source_classes(claim: &Claim, ns: &str, inventory: &Inventory, policies: &PolicySet) -> Vec<String> {
    let mut out = Vec::new();
    let mut next = claim.data_source.clone().map(|s| (s, ns.to_string()));
    for _ in 0..SOURCE_DEPTH {
        let Some((source, at)) = next.take() else { break };
        let source_ns = source.namespace.clone().filter(|n| !n.is_empty()).unwrap_or(at);
        let (labels, claim) = source_of(&source, &source_ns, inventory);
        let sets: Vec<Option<&Labels>> = labels.iter().map(Some).collect();
        let found = classify(&sets, Some(&source_ns), &[], inventory, policies);
        out.extend(found.classes.iter().map(|c| c.name.clone()));
        out.extend(found.undefined);
        next = claim.and_then(|c| c.data_source.clone()).map(|s| (s, source_ns));
    }
    out.sort();
    out.dedup();
    out
}

/// The label sets of a data source (a snapshot's and its claim's), and the claim whose
/// own source the chain follows.
fn source_of<'i>(source: &SourceRef, ns: &str, inventory: &'i Inventory) -> (Vec<Labels>, Option<&'i Claim>) {
    if source.is_claim() {
        let claim = inventory.claim(ns, &source.name);
        return (claim.and_then(|c| c.meta.labels.clone()).into_iter().collect(), claim);
    }
    if source.is_snapshot()
        && let Some(snapshot) = kept_snapshot(inventory, ns, &source.name)
    {
        let claim = snapshot.source_claim.as_deref().and_then(|c| inventory.claim(ns, c));
        let labels = snapshot.meta.labels.into_iter().chain(claim.and_then(|c| c.meta.labels.clone())).collect();
        return (labels, claim);
    }
    (Vec::new(), None)
}

/// Where a location name stated by an object puts it (a region, or a multi-region of
/// `provider`), judged for the classes of one policy: a multi-region is within the
/// classes when every country of it is one they allow, and its regions there are where
/// it may be; otherwise it stays by name, outside.
pub(crate) fn named_location(
    name: &str,
    provider: Option<Provider>,
    policy: &CompiledPolicy,
    classes: &[&ClassRule],
) -> Reach {
    let multi = provider.map(|p| catalog::multi_region(name, &[p])).unwrap_or_default();
    if multi.is_empty() {
        return Reach::Within([name.to_string()].into());
    }
    let inside = classes.iter().all(|c| {
        let countries: Vec<String> = c.countries.iter().cloned().collect();
        c.allowed.contains(name) || multi.iter().all(|m| m.within(&countries))
    });
    if !inside {
        return Reach::Within([name.to_string()].into());
    }
    let countries: BTreeSet<&str> = multi.iter().flat_map(|m| m.countries.iter().copied()).collect();
    let regions = catalog::regions_in(&countries.iter().map(|c| c.to_string()).collect::<Vec<_>>(), &policy.providers);
    let allowed_by_all = |r: &String| classes.iter().all(|c| c.allowed.contains(r));
    Reach::Within(regions.into_iter().filter(allowed_by_all).collect())
}

/// The region an operator stated on a class or location by label: the policy's region
/// label (or its twins), else `topology.kubernetes.io/region`.
pub(crate) fn labelled_region(labels: Option<&Labels>, policy: &CompiledPolicy) -> Option<String> {
    let labels = labels?;
    let stated = RegionLabels { policy }.stated_region(labels).map(str::to_string);
    stated.or_else(|| labels.get(REGION_LABEL).cloned()).filter(|r| !r.is_empty())
}

/// A gap, for an unknown location.
pub(crate) fn gap(what: String, fix: String) -> Reach {
    Reach::Unknown(vec![Gap { what, fix }])
}
