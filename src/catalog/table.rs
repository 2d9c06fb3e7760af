//! The catalog's data files, parsed once: one TSV per provider, plus the zones that
//! decide a country on their own. Lines starting with `#` are comments.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::Provider;

/// One public region of one provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub provider: Provider,
    /// The value nodes carry in `topology.kubernetes.io/region`.
    pub name: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    pub city: &'static str,
    /// Where the fact comes from: the provider's published list.
    pub source: &'static str,
}

/// A zone whose country the catalog knows, because its region holds zones in more than one
/// country (AWS Local Zones abroad, IBM Cloud classic data centres).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Zone {
    pub provider: Provider,
    /// The region label its nodes carry.
    pub region: &'static str,
    /// The value nodes carry in `topology.kubernetes.io/zone`.
    pub name: &'static str,
    pub country: &'static str,
    pub city: &'static str,
    pub source: &'static str,
}

fn provider_file(provider: Provider) -> &'static str {
    match provider {
        Provider::Aws => include_str!("data/aws.tsv"),
        Provider::Gcp => include_str!("data/gcp.tsv"),
        Provider::Azure => include_str!("data/azure.tsv"),
        Provider::Alibaba => include_str!("data/alibaba.tsv"),
        Provider::Oracle => include_str!("data/oracle.tsv"),
        Provider::Ibm => include_str!("data/ibm.tsv"),
        Provider::Huawei => include_str!("data/huawei.tsv"),
        Provider::Tencent => include_str!("data/tencent.tsv"),
        Provider::Ovh => include_str!("data/ovh.tsv"),
        Provider::Scaleway => include_str!("data/scaleway.tsv"),
        Provider::Stackit => include_str!("data/stackit.tsv"),
        Provider::Ionos => include_str!("data/ionos.tsv"),
        Provider::Otc => include_str!("data/otc.tsv"),
        Provider::Hetzner => include_str!("data/hetzner.tsv"),
        Provider::Digitalocean => include_str!("data/digitalocean.tsv"),
        Provider::Linode => include_str!("data/linode.tsv"),
        Provider::Vultr => include_str!("data/vultr.tsv"),
        Provider::Exoscale => include_str!("data/exoscale.tsv"),
        Provider::Upcloud => include_str!("data/upcloud.tsv"),
    }
}

pub(super) const ZONES_FILE: &str = include_str!("data/zones.tsv");

/// The non-comment lines of a data file, split on tabs.
pub(super) fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(|l| l.split('\t').collect())
}

/// Every provider's regions, in file order (sorted by name; a test keeps them so).
pub(super) static REGIONS: LazyLock<Vec<Vec<Region>>> = LazyLock::new(|| {
    Provider::ALL
        .iter()
        .map(|&provider| {
            rows(provider_file(provider))
                .map(|cells| Region {
                    provider,
                    name: cells[0],
                    country: cells.get(1).copied().unwrap_or_default(),
                    city: cells.get(2).copied().unwrap_or_default(),
                    source: cells.get(3).copied().unwrap_or_default(),
                })
                .collect()
        })
        .collect()
});

pub(super) static ZONES: LazyLock<Vec<Zone>> = LazyLock::new(|| {
    rows(ZONES_FILE)
        .filter_map(|cells| {
            Some(Zone {
                provider: Provider::parse(cells[0])?,
                region: cells.get(1).copied().unwrap_or_default(),
                name: cells.get(2).copied().unwrap_or_default(),
                country: cells.get(3).copied().unwrap_or_default(),
                city: cells.get(4).copied().unwrap_or_default(),
                source: cells.get(5).copied().unwrap_or_default(),
            })
        })
        .collect()
});

/// Zones by name, and by the region that holds them.
pub(super) struct ZoneIndex {
    pub by_name: HashMap<&'static str, Vec<&'static Zone>>,
    pub by_region: HashMap<&'static str, Vec<&'static Zone>>,
}

pub(super) static ZONE_INDEX: LazyLock<ZoneIndex> = LazyLock::new(|| {
    let mut index = ZoneIndex { by_name: HashMap::new(), by_region: HashMap::new() };
    for zone in ZONES.iter() {
        index.by_name.entry(zone.name).or_default().push(zone);
        index.by_region.entry(zone.region).or_default().push(zone);
    }
    index
});
