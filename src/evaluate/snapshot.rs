//! Where a volume snapshot is stored (SPEC §12), from its VolumeSnapshotClass, in this
//! order: the class's region label; the driver's location parameter (`storage-locations`
//! for `pd.csi.storage.gke.io`, a region or multi-region; `location` for
//! `disk.csi.azure.com`); the source volume's region for drivers that keep snapshots with
//! the volume (`ebs.csi.aws.com`, `disk.csi.azure.com` without `location`); otherwise
//! unknown. Google's driver without `storage-locations` stores snapshots in the nearest
//! multi-region, which sovereign cannot know.

use super::backup::of_policy;
use super::classify::classify;
use super::copies::{
    REGION_LABEL, gap, kept_snapshot, kept_snapshot_class, kept_snapshot_classes, labelled_region, named_location,
    source_classes,
};
use super::decision::{Holder, SnapshotStore};
use super::exposure::{Category, Exposure};
use super::judge::Judge;
use super::message::list;
use super::storage::{claim_reach, volume_reach};
use super::topology::{Reach, RegionLabels};
use crate::catalog::Provider;
use crate::inventory::copies::{Snapshot, SnapshotClass, SnapshotContent};
use crate::inventory::{Claim, Inventory, Volume};
use crate::policy::{ClassRule, CompiledPolicy, PolicySet};

/// Judges a VolumeSnapshot: the classes of its source claim (and what that claim was
/// cloned or restored from), its own labels and namespace, against where its class stores it.
pub(super) fn judge_snapshot<'a>(
    judge: &mut Judge<'a>,
    snapshot: &'a Snapshot,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
) {
    let ns = judge.namespace();
    let claim = snapshot.source_claim.as_deref().and_then(|c| inventory.claim(ns, c));
    let inherited = claim.map(|c| source_classes(c, ns, inventory, policies)).unwrap_or_default();
    let sets = [snapshot.meta.labels.as_ref(), claim.and_then(|c| c.meta.labels.as_ref())];
    let found = classify(&sets, Some(ns), &inherited, inventory, policies);
    let classes = found.classes.clone();
    let source = match snapshot.source_claim.as_deref() {
        Some(name) => Source::Claim { namespace: ns, name, claim },
        None => Source::None,
    };
    let class = snapshot.class.as_deref();
    judge.classes(found, |p| vec![snapshot_exposure(class, &source, p, &of_policy(&classes, p, policies), inventory)]);
}

/// Judges a VolumeSnapshotContent: classified through the snapshot it belongs to, or the
/// volume it is cut from (and that volume's claim); stored where its class says.
pub(super) fn judge_content<'a>(
    judge: &mut Judge<'a>,
    content: &'a SnapshotContent,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
) {
    let snapshot_ns = content.snapshot.namespace.as_deref().filter(|n| !n.is_empty());
    let snapshot = match (snapshot_ns, content.snapshot.name.as_deref()) {
        (Some(ns), Some(name)) => kept_snapshot(inventory, ns, name),
        _ => None,
    };
    let volume = content
        .volume_handle
        .as_deref()
        .and_then(|handle| inventory.volumes().find(|pv| pv.csi.as_ref().is_some_and(|(_, h)| h == handle)));
    let volume_claim = volume.and_then(|pv| pv.claim_ref.as_ref());
    let ns = snapshot_ns.or(volume_claim.and_then(|r| r.namespace.as_deref()));
    let claim_name =
        snapshot.as_ref().and_then(|s| s.source_claim.clone()).or_else(|| volume_claim.and_then(|r| r.name.clone()));
    let claim = ns.zip(claim_name.as_deref()).and_then(|(ns, name)| inventory.claim(ns, name));
    let inherited = ns.zip(claim).map(|(ns, c)| source_classes(c, ns, inventory, policies)).unwrap_or_default();
    let sets = [
        content.meta.labels.as_ref(),
        snapshot.as_ref().and_then(|s| s.meta.labels.as_ref()),
        claim.and_then(|c| c.meta.labels.as_ref()),
        volume.and_then(|pv| pv.meta.labels.as_ref()),
    ];
    let found = classify(&sets, ns, &inherited, inventory, policies);
    let classes = found.classes.clone();
    // A content belongs to its snapshot's namespace for exemptions.
    judge.exemption_namespace = ns;
    let source = match (content.volume_handle.as_deref(), ns, claim_name.as_deref()) {
        (Some(handle), _, _) => Source::Volume { handle, volume },
        (None, Some(namespace), Some(name)) => Source::Claim { namespace, name, claim },
        _ => Source::None,
    };
    let class = content.class.as_deref().or(snapshot.as_ref().and_then(|s| s.class.as_deref()));
    judge.classes(found, |p| vec![snapshot_exposure(class, &source, p, &of_policy(&classes, p, policies), inventory)]);
}

pub(crate) const GCE_PD_DRIVER: &str = "pd.csi.storage.gke.io";
pub(crate) const AZURE_DISK_DRIVER: &str = "disk.csi.azure.com";
pub(crate) const AWS_EBS_DRIVER: &str = "ebs.csi.aws.com";
pub(crate) const GCE_LOCATIONS: &str = "storage-locations";
pub(crate) const AZURE_LOCATION: &str = "location";

/// The volume a snapshot copies.
pub(crate) enum Source<'a> {
    /// A claim by namespace and name, and the claim when the inventory has it.
    Claim { namespace: &'a str, name: &'a str, claim: Option<&'a Claim> },
    /// A PersistentVolume by CSI volume handle, and the volume when the inventory has it.
    Volume { handle: &'a str, volume: Option<&'a Volume> },
    /// A snapshot taken outside Kubernetes, or no source named.
    None,
}

impl Source<'_> {
    /// The volume behind the source, when known.
    fn volume<'i>(&'i self, inventory: &'i Inventory) -> Option<&'i Volume> {
        match self {
            Source::Claim { claim, .. } => {
                let name = claim.as_ref()?.volume_name.as_deref()?;
                inventory.volume(name)
            }
            Source::Volume { volume, .. } => *volume,
            Source::None => None,
        }
    }

    fn reach(&self, labels: RegionLabels, inventory: &Inventory) -> Reach {
        match self {
            Source::Claim { namespace, name, claim: Some(claim) } => claim_reach(claim, labels, inventory)
                .unwrap_or_else(|| {
                    gap(
                        format!("its source PersistentVolumeClaim {namespace}/{name} is not yet provisioned, so its region is not known"),
                        format!("take the snapshot once PersistentVolumeClaim {namespace}/{name} is bound"),
                    )
                }),
            Source::Claim { namespace, name, claim: None } => gap(
                format!("its source PersistentVolumeClaim {namespace}/{name} is not in the inventory"),
                format!("create PersistentVolumeClaim {namespace}/{name} first (for sovereign check, pass it with -f)"),
            ),
            Source::Volume { volume: Some(pv), .. } => volume_reach(pv, labels, inventory),
            Source::Volume { handle, volume: None } => gap(
                format!("no PersistentVolume in the inventory has volumeHandle {handle}"),
                "name a snapshot whose source volume is known, or label its VolumeSnapshotClass with the region".into(),
            ),
            Source::None => gap(
                "it names no source volume whose region the snapshot would keep".into(),
                format!("label its VolumeSnapshotClass {REGION_LABEL} with the region its snapshots are stored in"),
            ),
        }
    }
}

/// The place a snapshot's data could be: one exposure.
pub(super) fn snapshot_exposure(
    class: Option<&str>,
    source: &Source,
    policy: &CompiledPolicy,
    classes: &[&ClassRule],
    inventory: &Inventory,
) -> Exposure {
    let labels = RegionLabels { policy };
    let (claim, volume) = match source {
        Source::Claim { namespace, name, .. } => (Some(format!("{namespace}/{name}")), None),
        Source::Volume { handle, .. } => (None, Some(handle.to_string())),
        Source::None => (None, None),
    };
    let source_driver = source.volume(inventory).and_then(|pv| pv.csi.as_ref()).map(|(d, _)| d.as_str());
    let resolved = resolve_class(class, source_driver, inventory, classes);
    let (reach, store, class_name, driver) = match resolved {
        Err(reach) => (reach, SnapshotStore::Unknown, class.map(str::to_string), None),
        Ok(class) => {
            let (reach, store) = class_reach(&class, source, policy, classes, labels, inventory);
            (reach, store, class.meta.name.clone(), Some(class.driver.clone()))
        }
    };
    let holder = Holder::Snapshot { claim, volume, class: class_name, driver, store };
    Exposure { category: Category::Copy, holder, reach, bound_volume: None, node: None }
}

/// The class a snapshot is taken through: the named one, else the default for the
/// source volume's driver (the only default when the driver is not known).
fn resolve_class(
    name: Option<&str>,
    source_driver: Option<&str>,
    inventory: &Inventory,
    classes: &[&ClassRule],
) -> Result<SnapshotClass, Reach> {
    let allowed = allowed_list(classes);
    if let Some(name) = name {
        return kept_snapshot_class(inventory, name).ok_or_else(|| {
            gap(
                format!("VolumeSnapshotClass {name} is not in the inventory"),
                format!(
                    "create VolumeSnapshotClass {name} (for sovereign check, pass it with -f), or name one that exists"
                ),
            )
        });
    }
    let defaults: Vec<SnapshotClass> = kept_snapshot_classes(inventory).into_iter().filter(|c| c.default).collect();
    let for_driver: Vec<&SnapshotClass> =
        defaults.iter().filter(|c| source_driver.is_none_or(|d| c.driver == d)).collect();
    match for_driver.as_slice() {
        [only] => Ok((*only).clone()),
        [] => Err(gap(
            "it names no VolumeSnapshotClass and no default one is marked for its volume's driver".into(),
            format!("set spec.volumeSnapshotClassName to a VolumeSnapshotClass that stores snapshots in [{allowed}]"),
        )),
        several => {
            let names: Vec<&str> = several.iter().filter_map(|c| c.meta.name.as_deref()).collect();
            Err(gap(
                format!("it names no VolumeSnapshotClass and several are marked default ({})", names.join(", ")),
                format!(
                    "set spec.volumeSnapshotClassName to a VolumeSnapshotClass that stores snapshots in [{allowed}]"
                ),
            ))
        }
    }
}

/// Where snapshots through `class` are stored, and what says so.
fn class_reach(
    class: &SnapshotClass,
    source: &Source,
    policy: &CompiledPolicy,
    classes: &[&ClassRule],
    labels: RegionLabels,
    inventory: &Inventory,
) -> (Reach, SnapshotStore) {
    let name = class.meta.name.as_deref().unwrap_or_default();
    let driver = class.driver.as_str();
    if let Some(region) = labelled_region(class.meta.labels.as_ref(), policy) {
        return (Reach::Within([region].into()), SnapshotStore::Label);
    }
    let parameter = |key: &str| class.parameters.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
    match driver {
        GCE_PD_DRIVER => match parameter(GCE_LOCATIONS) {
            Some(locations) => {
                let reaches =
                    locations.split(',').map(|l| named_location(l.trim(), Some(Provider::Gcp), policy, classes));
                (union(reaches), SnapshotStore::Parameter(GCE_LOCATIONS))
            }
            None => {
                let region = suggestion(Provider::Gcp, classes);
                let reach = gap(
                    format!(
                        "VolumeSnapshotClass {name} (driver {GCE_PD_DRIVER}) sets no {GCE_LOCATIONS}, so its snapshots are stored in the multi-region nearest the disk, which may lie outside"
                    ),
                    format!("set `{GCE_LOCATIONS}: {region}` on VolumeSnapshotClass {name}"),
                );
                (reach, SnapshotStore::Parameter(GCE_LOCATIONS))
            }
        },
        AZURE_DISK_DRIVER => match parameter(AZURE_LOCATION) {
            Some(location) => (
                named_location(location, Some(Provider::Azure), policy, classes),
                SnapshotStore::Parameter(AZURE_LOCATION),
            ),
            None => (source.reach(labels, inventory), SnapshotStore::SourceVolume),
        },
        AWS_EBS_DRIVER => (source.reach(labels, inventory), SnapshotStore::SourceVolume),
        _ => {
            let allowed = allowed_list(classes);
            let reach = gap(
                format!("VolumeSnapshotClass {name} (driver {driver}) does not say where its snapshots are stored"),
                format!(
                    "label VolumeSnapshotClass {name} {REGION_LABEL} with the region its driver stores snapshots in, if that is one of [{allowed}]; otherwise use a VolumeSnapshotClass that stores them there"
                ),
            );
            (reach, SnapshotStore::Unknown)
        }
    }
}

/// Several places at once: every region any of them reaches; unknown if any is.
fn union(reaches: impl Iterator<Item = Reach>) -> Reach {
    let mut regions = std::collections::BTreeSet::new();
    let mut gaps = Vec::new();
    for reach in reaches {
        match reach {
            Reach::Within(set) => regions.extend(set),
            Reach::Unknown(g) => gaps.extend(g),
            anywhere @ Reach::Anywhere(_) => return anywhere,
        }
    }
    if gaps.is_empty() { Reach::Within(regions) } else { Reach::Unknown(gaps) }
}

/// An allowed region of `provider` to name in a fix (the first the classes all allow).
pub(crate) fn suggestion(provider: Provider, classes: &[&ClassRule]) -> String {
    let first = classes.first().map(|c| c.allowed.iter()).into_iter().flatten();
    first
        .filter(|r| classes.iter().all(|c| c.allowed.contains(*r)) && provider.region(r).is_some())
        .map(String::to_string)
        .next()
        .unwrap_or_else(|| "<an allowed region>".to_string())
}

fn allowed_list(classes: &[&ClassRule]) -> String {
    let first = classes.first().map(|c| c.allowed.iter()).into_iter().flatten();
    list(first.filter(|r| classes.iter().all(|c| c.allowed.contains(*r))).map(String::as_str), 4)
}
