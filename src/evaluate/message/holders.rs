//! The words for what holds data: the holder of an exposure as the subject of a sentence
//! or a table row, and the fixes for copies and cloud stores kept outside allowed regions.

use std::fmt::Write;

use super::super::copies::REGION_LABEL as COPIES_REGION_LABEL;
use super::super::decision::{Confinement, Holder, Location, Replica, SnapshotStore};
use super::super::snapshot::GCE_LOCATIONS;
use super::{LISTED_REGIONS, list};
use crate::catalog;
use crate::policy::{ClassRule, CompiledPolicy};

/// What holds the data, as the subject of a sentence about the object.
pub(super) fn holder_phrase(holder: &Holder) -> String {
    match holder {
        Holder::Pod | Holder::CopiedRegion { .. } => "it".into(),
        Holder::Template => "its pod template".into(),
        Holder::ClaimVolume { volume, namespace, claim } => {
            format!("its volume {volume:?} (PersistentVolumeClaim {namespace}/{claim})")
        }
        Holder::EphemeralVolume { volume } => format!("its ephemeral volume {volume:?}"),
        Holder::NetworkVolume { volume, kind } => format!("its {kind} volume {volume:?}"),
        Holder::ClaimTemplate { name } => format!("its volumeClaimTemplate {name:?}"),
        Holder::Claim => "its storage".into(),
        Holder::Volume => "its data".into(),
        Holder::Binding { .. } => "the scheduler".into(),
        Holder::Snapshot { claim, volume, class, .. } => {
            let mut out = match (claim, volume) {
                (Some(claim), _) => format!("its copy of PersistentVolumeClaim {claim}"),
                (None, Some(volume)) => format!("its copy of volume {volume}"),
                (None, None) => "its copy".to_string(),
            };
            if let Some(class) = class {
                write!(out, " through VolumeSnapshotClass {class}").unwrap();
            }
            out
        }
        Holder::Backup { namespaces, location, snapshots, .. } => {
            let what = if *snapshots { "volume snapshots" } else { "backup" };
            let mut out = format!("its {what} of {}", namespaces_text(namespaces));
            match (location, snapshots) {
                (Some(l), false) => write!(out, " written to BackupStorageLocation {l}").unwrap(),
                (Some(l), true) => write!(out, " kept through VolumeSnapshotLocation {l}").unwrap(),
                (None, _) => {}
            }
            out
        }
        Holder::BackedUpBy { kind, namespace, name, namespaces } => {
            format!("the copy of {} that {kind} {namespace}/{name} writes to it", namespaces_text(namespaces))
        }
        Holder::Store { .. } => "it".into(),
        Holder::Replica(Replica::Paired { redundancy, region }) => {
            format!("its {redundancy} replica, in the region Azure pairs with {region},")
        }
        Holder::Replica(Replica::Destination { bucket }) => format!("its replica in bucket {bucket}"),
    }
}

/// `namespace gov-id` or `namespaces gov-id, shop`.
fn namespaces_text(namespaces: &[String]) -> String {
    match namespaces {
        [] => "no namespace".into(),
        [one] => format!("namespace {one}"),
        many => format!("namespaces {}", list(many.iter().map(String::as_str), LISTED_REGIONS)),
    }
}

/// The fix for a copy stored outside the allowed regions: where to store it instead.
pub(super) fn copy_fix(holder: &Holder, suggested: &[String]) -> String {
    let among = list(suggested.iter().map(String::as_str), 4);
    let of_cloud = |provider: catalog::Provider| {
        suggested.iter().find(|r| provider.region(r).is_some()).cloned().unwrap_or_else(|| "<an allowed region>".into())
    };
    let elsewhere = format!("use a VolumeSnapshotClass that stores snapshots in [{among}]");
    match holder {
        Holder::Snapshot { class: Some(class), store, .. } => match store {
            SnapshotStore::Label => format!(
                "{elsewhere}; VolumeSnapshotClass {class} is labelled {COPIES_REGION_LABEL} outside them (correct the label if it is wrong)"
            ),
            SnapshotStore::Parameter(key) => {
                let provider = if *key == GCE_LOCATIONS { catalog::Provider::Gcp } else { catalog::Provider::Azure };
                format!("set `{key}: {}` on VolumeSnapshotClass {class}", of_cloud(provider))
            }
            SnapshotStore::SourceVolume => format!(
                "its driver keeps snapshots with the source volume: snapshot a claim whose volume is in [{among}], or {elsewhere}"
            ),
            SnapshotStore::Unknown => elsewhere,
        },
        Holder::Backup { alternatives, snapshots, .. } => {
            let kind = if *snapshots { "VolumeSnapshotLocation" } else { "BackupStorageLocation" };
            match alternatives.first() {
                Some(alternative) => format!("use {kind} {alternative}"),
                None => format!(
                    "use a {kind} in [{among}] (labelled {COPIES_REGION_LABEL}, or with spec.config.region for the AWS plugin), or exclude the classified namespaces"
                ),
            }
        }
        Holder::BackedUpBy { kind, namespace, name, .. } => format!(
            "keep this location in [{among}], or point {kind} {namespace}/{name} at another location there first"
        ),
        _ => elsewhere,
    }
}

impl Holder {
    /// What holds the data, named plainly for a table row.
    pub fn label(&self) -> String {
        match self {
            Holder::Pod => "pod".into(),
            Holder::CopiedRegion { .. } => "pod (region copied at binding)".into(),
            Holder::Template => "pod template".into(),
            Holder::Claim => "claim".into(),
            Holder::Volume => "volume".into(),
            Holder::Binding { .. } => "binding".into(),
            Holder::Snapshot { .. } => "snapshot".into(),
            Holder::Backup { snapshots: false, .. } => "backup".into(),
            Holder::Backup { snapshots: true, .. } => "volume snapshots".into(),
            Holder::BackedUpBy { kind, namespace, name, .. } => format!("backups of {kind} {namespace}/{name}"),
            Holder::Store { noun, .. } => noun.clone(),
            Holder::Replica(Replica::Paired { redundancy, .. }) => format!("replica ({redundancy}, paired region)"),
            Holder::Replica(Replica::Destination { bucket }) => format!("replica (bucket {bucket})"),
            other => holder_phrase(other).trim_start_matches("its ").to_string(),
        }
    }
}

impl Location {
    /// Why the holder is not confined to known regions, when it is not.
    pub fn note(&self) -> Option<String> {
        match &self.confinement {
            Confinement::Within(_) => None,
            Confinement::Anywhere(reason) => Some(format!("any region: {reason}")),
            Confinement::Unknown(whats) => Some(whats.join("; ")),
        }
    }
}

/// How to keep a store, or its replica, where its data class may reside.
pub(super) fn store_fix(holder: &Holder, class: &ClassRule, policy: &CompiledPolicy) -> String {
    let places = |provider: catalog::Provider| -> Vec<&str> {
        let regions = class.allowed.iter().filter(|r| provider.region(r).is_some());
        let multi = class.locations.iter().filter(|m| !catalog::multi_region(m, &[provider]).is_empty());
        regions.chain(multi).map(String::as_str).collect()
    };
    match holder {
        Holder::Store { provider, location, .. } => match catalog::Provider::parse(provider) {
            Some(p) if !places(p).is_empty() => format!("set {location} to one of [{}]", list(places(p), 4)),
            Some(p) if !catalog::consulted(&policy.providers).contains(&p) => format!(
                "policy {} does not consult the {provider} catalog: add {provider} to its spec.providers if the data may stay on {provider} in an allowed country, or keep the data on another cloud",
                policy.name
            ),
            _ => format!(
                "the data class allows no {provider} location; keep the data on another cloud, or correct policy {}",
                policy.name
            ),
        },
        Holder::Replica(Replica::Paired { redundancy, region }) => format!(
            "use a redundancy that keeps every copy in {region} (Standard_LRS or Standard_ZRS instead of {redundancy}), or a location whose paired region is allowed"
        ),
        Holder::Replica(Replica::Destination { bucket }) => format!(
            "replicate only to buckets in [{}], or remove the replication rule for bucket {bucket}",
            list(places(catalog::Provider::Aws), 4)
        ),
        _ => String::new(),
    }
}
