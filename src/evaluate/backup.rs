//! Velero backups (SPEC §12): a Backup or Schedule holds the data classes of everything it
//! may include (its namespaces, `*` meaning all, minus the excluded ones, narrowed by its
//! label selector), and is stored where its BackupStorageLocation and
//! VolumeSnapshotLocations are. A location's region is its region label, else
//! `spec.config.region` for the AWS plugin, else unknown. A location that moves is judged
//! with everything that backs up to it.

use std::collections::BTreeSet;

use super::classify::{DATA_CLASS_LABEL, classify};
use super::copies::{REGION_LABEL, gap, kind, labelled_region};
use super::decision::Holder;
use super::exposure::{Category, Exposure};
use super::judge::Judge;
use super::topology::Reach;
use crate::inventory::copies::{Backup, BackupLocation, DataCopy, VELERO_GROUP};
use crate::inventory::{Inventory, Labels};
use crate::policy::{ClassRule, CompiledPolicy, PolicySet, Selector};
use crate::read::kept_copy;

/// Providers whose `spec.config.region` says where the location is (the AWS plugin).
const AWS_PROVIDERS: &[&str] = &["aws", "velero.io/aws"];

/// What a backup copies: the included namespaces that hold data classes, and the names.
pub(crate) struct Included {
    pub namespaces: Vec<String>,
    pub classes: Vec<String>,
}

/// The data classes of everything a backup may include, resolved against the inventory's
/// namespaces (and the claims and pods in them) and the policies' `classify` rules.
pub(crate) fn included(backup: &Backup, inventory: &Inventory, policies: &PolicySet) -> Included {
    let selectors: Vec<Selector> = backup
        .label_selector
        .iter()
        .chain(&backup.or_label_selectors)
        .filter_map(|s| Selector::compile(s).ok())
        .collect();
    let unselective = backup.label_selector.is_none() && backup.or_label_selectors.is_empty();
    let selected = |labels: &Labels| unselective || selectors.iter().any(|s| s.matches(labels));
    // Labels every object a selector picks must carry: its matchLabels.
    let required: Vec<Labels> = backup
        .label_selector
        .iter()
        .chain(&backup.or_label_selectors)
        .map(|s| s.match_labels.clone().unwrap_or_default())
        .collect();
    let mut namespaces: Vec<&String> =
        inventory.namespaces().map(|(n, _)| n).filter(|n| backup.includes_namespace(n)).collect();
    namespaces.sort();
    let mut out = Included { namespaces: Vec::new(), classes: Vec::new() };
    let empty = Labels::new();
    for ns in namespaces {
        let ns_labels = inventory.namespace_labels(ns).unwrap_or(&empty);
        let mut names: BTreeSet<String> = BTreeSet::new();
        // The namespace's own class covers every object in it.
        names.extend(ns_labels.get(DATA_CLASS_LABEL).cloned());
        // Objects the inventory knows in it, as far as the selector takes them.
        let claims = inventory.claims_in(ns).map(|c| &c.meta);
        let pods = inventory.pods_in(ns).map(|p| &p.meta);
        let objects: Vec<&Labels> =
            claims.chain(pods).filter_map(|m| m.labels.as_ref()).filter(|l| selected(l)).collect();
        for labels in objects.iter().chain(required.iter().collect::<Vec<_>>().iter()) {
            names.extend(labels.get(DATA_CLASS_LABEL).cloned());
        }
        for rule in &policies.classify {
            let ns_ok = rule.namespace_selector.as_ref().is_none_or(|s| s.matches(ns_labels));
            // Without a selector any object may be included, whatever labels it carries.
            let object_ok = rule.object_selector.as_ref().is_none_or(|s| {
                unselective || objects.iter().any(|l| s.matches(l)) || required.iter().any(|l| s.matches(l))
            });
            if ns_ok && object_ok {
                names.extend(rule.classes.iter().cloned());
            }
        }
        if !names.is_empty() {
            out.namespaces.push(ns.clone());
            out.classes.extend(names);
        }
    }
    out.classes.sort();
    out.classes.dedup();
    out
}

/// The locations kept in the inventory: BackupStorageLocations, or VolumeSnapshotLocations.
fn locations(inventory: &Inventory, snapshots: bool) -> Vec<BackupLocation> {
    let name = if snapshots { "VolumeSnapshotLocation" } else { "BackupStorageLocation" };
    inventory
        .kept_all(kind(VELERO_GROUP, name))
        .filter_map(kept_copy)
        .filter_map(|c| match c {
            DataCopy::Location(l) => Some(l),
            _ => None,
        })
        .collect()
}

/// Every Backup and Schedule kept in the inventory.
fn backups(inventory: &Inventory) -> Vec<Backup> {
    ["Backup", "Schedule"]
        .iter()
        .flat_map(|k| inventory.kept_all(kind(VELERO_GROUP, k)))
        .filter_map(kept_copy)
        .filter_map(|c| match c {
            DataCopy::Backup(b) => Some(b),
            _ => None,
        })
        .collect()
}

fn kind_name(snapshots: bool) -> &'static str {
    if snapshots { "VolumeSnapshotLocation" } else { "BackupStorageLocation" }
}

/// Where a location stores what is written to it.
pub(crate) fn location_reach(location: &BackupLocation, policy: &CompiledPolicy) -> Reach {
    let kind = kind_name(location.snapshots);
    let name = location.meta.name.as_deref().unwrap_or_default();
    if let Some(region) = labelled_region(location.meta.labels.as_ref(), policy) {
        return Reach::Within([region].into());
    }
    let provider = location.provider.as_deref().unwrap_or_default();
    if AWS_PROVIDERS.contains(&provider)
        && let Some(region) = &location.config_region
    {
        return Reach::Within([region.clone()].into());
    }
    gap(
        format!(
            "{kind} {name} (provider {}) states no region: no {REGION_LABEL} label{}",
            if provider.is_empty() { "not set" } else { provider },
            if AWS_PROVIDERS.contains(&provider) { " and no spec.config.region" } else { "" }
        ),
        format!("label {kind} {name} {REGION_LABEL} with the region its storage is in"),
    )
}

/// A location a backup writes to that could not be found: its name when it has one, what
/// is missing, and the fix.
struct Missing {
    name: Option<String>,
    what: String,
    fix: String,
}

/// One location a backup writes to: whether it keeps volume snapshots, and the location.
type Target = (bool, Result<BackupLocation, Missing>);

/// The locations a backup writes to: its storage location (named, else the default) and
/// its volume snapshot locations (named, else any in its namespace), each as found or as
/// a gap.
fn written_to(backup: &Backup, ns: &str, inventory: &Inventory) -> Vec<Target> {
    let storage = locations(inventory, false);
    let in_ns = |l: &&BackupLocation| l.meta.namespace.as_deref().unwrap_or("default") == ns;
    let named = |all: &[BackupLocation], name: &str| {
        all.iter().filter(in_ns).find(|l| l.meta.name.as_deref() == Some(name)).cloned()
    };
    let mut out = Vec::new();
    let bsl = match &backup.storage_location {
        Some(name) => named(&storage, name).ok_or_else(|| Missing {
            name: Some(name.clone()),
            what: format!("BackupStorageLocation {ns}/{name} is not in the inventory"),
            fix: format!("create BackupStorageLocation {ns}/{name} first (for sovereign check, pass it with -f)"),
        }),
        None => {
            let defaults: Vec<&BackupLocation> = storage.iter().filter(in_ns).filter(|l| l.default).collect();
            match defaults.as_slice() {
                [one] => Ok((*one).clone()),
                _ => Err(Missing {
                    name: None,
                    what: format!(
                        "it names no storageLocation and namespace {ns} has no single BackupStorageLocation marked spec.default: true"
                    ),
                    fix: "set spec.storageLocation to a BackupStorageLocation in an allowed region".to_string(),
                }),
            }
        }
    };
    out.push((false, bsl));
    if backup.snapshot_volumes != Some(false) {
        let snapshot = locations(inventory, true);
        if backup.snapshot_locations.is_empty() {
            out.extend(snapshot.iter().filter(in_ns).map(|l| (true, Ok(l.clone()))));
        } else {
            for name in &backup.snapshot_locations {
                out.push((
                    true,
                    named(&snapshot, name).ok_or_else(|| Missing {
                        name: Some(name.clone()),
                        what: format!("VolumeSnapshotLocation {ns}/{name} is not in the inventory"),
                        fix: format!(
                            "create VolumeSnapshotLocation {ns}/{name} first (for sovereign check, pass it with -f)"
                        ),
                    }),
                ));
            }
        }
    }
    out
}

/// The classes of one policy among those found.
pub(crate) fn of_policy<'s>(
    classes: &[&'s ClassRule],
    policy: &CompiledPolicy,
    policies: &PolicySet,
) -> Vec<&'s ClassRule> {
    classes.iter().copied().filter(|c| std::ptr::eq(policies.policy(c), policy)).collect()
}

/// Whether a reach is inside every class.
fn inside(reach: &Reach, classes: &[&ClassRule]) -> bool {
    classes.iter().all(|c| reach.outside(&c.allowed).is_some_and(|o| o.is_empty()))
}

/// Judges a Backup or Schedule.
pub(super) fn judge_backup<'a>(
    judge: &mut Judge<'a>,
    backup: &'a Backup,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
) {
    let ns = judge.namespace();
    let included = included(backup, inventory, policies);
    let found = classify(&[backup.meta.labels.as_ref()], Some(ns), &included.classes, inventory, policies);
    let classes = found.classes.clone();
    let targets = written_to(backup, ns, inventory);
    judge.classes(found, |p| {
        let classes = of_policy(&classes, p, policies);
        targets
            .iter()
            .map(|(snapshots, target)| {
                let (reach, location) = match target {
                    Ok(l) => (location_reach(l, p), l.meta.name.clone()),
                    Err(missing) => (gap(missing.what.clone(), missing.fix.clone()), missing.name.clone()),
                };
                let alternatives = locations(inventory, *snapshots)
                    .iter()
                    .filter(|l| l.meta.namespace.as_deref().unwrap_or("default") == ns)
                    .filter(|l| inside(&location_reach(l, p), &classes))
                    .filter_map(|l| l.meta.name.clone())
                    .collect();
                let holder = Holder::Backup {
                    namespaces: included.namespaces.clone(),
                    location,
                    snapshots: *snapshots,
                    alternatives,
                };
                Exposure { category: Category::Copy, holder, reach, bound_volume: None, node: None }
            })
            .collect()
    });
}

/// Judges a BackupStorageLocation or VolumeSnapshotLocation with everything that backs up
/// to it: the classes of every Backup and Schedule writing to it, against its region.
pub(super) fn judge_location<'a>(
    judge: &mut Judge<'a>,
    location: &'a BackupLocation,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
) {
    let ns = judge.namespace();
    let name = location.meta.name.as_deref().unwrap_or_default();
    let writers: Vec<(Backup, Included)> = backups(inventory)
        .into_iter()
        .filter(|b| b.meta.namespace.as_deref().unwrap_or("default") == ns)
        .filter(|b| {
            if location.snapshots {
                b.snapshot_volumes != Some(false)
                    && (b.snapshot_locations.is_empty() || b.snapshot_locations.iter().any(|l| l == name))
            } else {
                match &b.storage_location {
                    Some(l) => l == name,
                    None => location.default,
                }
            }
        })
        .map(|b| {
            let included = included(&b, inventory, policies);
            (b, included)
        })
        .filter(|(_, i)| !i.classes.is_empty())
        .collect();
    let names: Vec<String> = writers.iter().flat_map(|(_, i)| i.classes.iter().cloned()).collect();
    let found = classify(&[location.meta.labels.as_ref()], Some(ns), &names, inventory, policies);
    judge.classes(found, |p| {
        let reach = location_reach(location, p);
        let of_this: BTreeSet<&str> = policies
            .classes
            .values()
            .filter(|c| std::ptr::eq(policies.policy(c), p))
            .map(|c| c.name.as_str())
            .collect();
        writers
            .iter()
            .filter(|(_, i)| i.classes.iter().any(|c| of_this.contains(c.as_str())))
            .map(|(b, i)| {
                let holder = Holder::BackedUpBy {
                    kind: b.kind().kind.to_string(),
                    namespace: ns.to_string(),
                    name: b.meta.name.clone().unwrap_or_default(),
                    namespaces: i.namespaces.clone(),
                };
                Exposure { category: Category::Copy, holder, reach: reach.clone(), bound_volume: None, node: None }
            })
            .collect()
    });
}
