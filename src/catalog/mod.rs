//! The built-in catalog of public cloud regions: the country and city of each, the zones
//! that lie in another country than their region, multi-region locations and country
//! presets. The facts live in `data/` (one TSV per provider, each row with its source);
//! `docs/catalog.md` says how they are kept.
//!
//! Region names are not unique across clouds (`ap-southeast-3` is Jakarta on AWS,
//! Singapore on Huawei Cloud and Kuala Lumpur on Alibaba Cloud), so every table belongs
//! to one provider, and a name only resolves to a country when every catalog consulted
//! agrees on it. Some regions hold zones abroad (AWS Local Zones, IBM Cloud classic data
//! centres); such a zone's country counts for the nodes in it, and a region that spans
//! countries is inside a jurisdiction only for the zones that are.

mod azure_pairs;
pub mod iso;
mod multiregion;
mod presets;
mod table;

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use azure_pairs::{AzurePair, azure_pair, azure_pairs};
pub use multiregion::{MultiRegion, location_within, multi_region, multi_regions};
pub use presets::{Preset, PresetName, presets};
pub use table::{Region, Zone};

use table::{REGIONS, ZONE_INDEX, ZONES};

/// A cloud whose public regions the catalog knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Aws,
    Gcp,
    Azure,
    Alibaba,
    Oracle,
    Ibm,
    Huawei,
    Tencent,
    /// OVHcloud.
    Ovh,
    Scaleway,
    Stackit,
    Ionos,
    /// Open Telekom Cloud.
    Otc,
    Hetzner,
    Digitalocean,
    /// Akamai Cloud (Linode).
    Linode,
    Vultr,
    Exoscale,
    Upcloud,
}

impl Provider {
    pub const ALL: [Provider; 19] = [
        Provider::Aws,
        Provider::Gcp,
        Provider::Azure,
        Provider::Alibaba,
        Provider::Oracle,
        Provider::Ibm,
        Provider::Huawei,
        Provider::Tencent,
        Provider::Ovh,
        Provider::Scaleway,
        Provider::Stackit,
        Provider::Ionos,
        Provider::Otc,
        Provider::Hetzner,
        Provider::Digitalocean,
        Provider::Linode,
        Provider::Vultr,
        Provider::Exoscale,
        Provider::Upcloud,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Aws => "aws",
            Provider::Gcp => "gcp",
            Provider::Azure => "azure",
            Provider::Alibaba => "alibaba",
            Provider::Oracle => "oracle",
            Provider::Ibm => "ibm",
            Provider::Huawei => "huawei",
            Provider::Tencent => "tencent",
            Provider::Ovh => "ovh",
            Provider::Scaleway => "scaleway",
            Provider::Stackit => "stackit",
            Provider::Ionos => "ionos",
            Provider::Otc => "otc",
            Provider::Hetzner => "hetzner",
            Provider::Digitalocean => "digitalocean",
            Provider::Linode => "linode",
            Provider::Vultr => "vultr",
            Provider::Exoscale => "exoscale",
            Provider::Upcloud => "upcloud",
        }
    }

    /// The provider with this key (`aws`, `otc`, ...), without regard to case.
    pub fn parse(key: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(key.trim()))
    }

    fn index(self) -> usize {
        Provider::ALL.iter().position(|p| *p == self).expect("ALL lists every provider")
    }

    /// This provider's public regions, sorted by name (a test keeps them so).
    pub fn regions(self) -> &'static [Region] {
        &REGIONS[self.index()]
    }

    /// The region called `name` in this provider's catalog.
    pub fn region(self, name: &str) -> Option<&'static Region> {
        let table = self.regions();
        table.binary_search_by(|r| r.name.cmp(name)).ok().map(|i| &table[i])
    }

    /// The country of `region` in this provider's catalog.
    pub fn country_of(self, region: &str) -> Option<&'static str> {
        self.region(region).map(|r| r.country)
    }

    /// The catalogued zones of `region` on this provider.
    pub fn zones_of(self, region: &str) -> impl Iterator<Item = &'static Zone> + use<> {
        ZONE_INDEX.by_region.get(region).into_iter().flatten().copied().filter(move |z| z.provider == self)
    }

    /// Catalogued zones of `region` that lie in another country than the region.
    pub fn zones_abroad(self, region: &str) -> Vec<&'static Zone> {
        let home = self.country_of(region);
        self.zones_of(region).filter(|z| Some(z.country) != home).collect()
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every catalogued zone (those that decide a country on their own).
pub fn zones() -> &'static [Zone] {
    &ZONES
}

/// The catalogs a policy consults: the ones it names, or all of them.
pub fn consulted(providers: &[Provider]) -> &[Provider] {
    if providers.is_empty() { &Provider::ALL } else { providers }
}

/// The catalogued zone `zone` of `region` on a consulted provider: then the zone's country,
/// not the region's, is where a node labelled with both is.
pub fn zone_in_region(region: &str, zone: &str, providers: &[Provider]) -> Option<&'static Zone> {
    let consulted = consulted(providers);
    ZONE_INDEX.by_name.get(zone)?.iter().copied().find(|z| z.region == region && consulted.contains(&z.provider))
}

/// Whether `name` is a catalogued zone on a consulted provider.
pub fn is_zone(name: &str, providers: &[Provider]) -> bool {
    let consulted = consulted(providers);
    ZONE_INDEX.by_name.get(name).is_some_and(|zs| zs.iter().any(|z| consulted.contains(&z.provider)))
}

/// The catalogued zone called `name` on a consulted provider.
pub fn zone(name: &str, providers: &[Provider]) -> Option<&'static Zone> {
    let consulted = consulted(providers);
    ZONE_INDEX.by_name.get(name)?.iter().copied().find(|z| consulted.contains(&z.provider))
}

/// Every place a node confined only by the region label `region` may be in: the region
/// itself (its zones the catalog does not list) and each catalogued zone of it.
pub fn places_of_region(region: &str, providers: &[Provider]) -> Vec<String> {
    let consulted = consulted(providers);
    let mut out = vec![region.to_string()];
    if let Some(zones) = ZONE_INDEX.by_region.get(region) {
        out.extend(zones.iter().filter(|z| consulted.contains(&z.provider)).map(|z| z.name.to_string()));
    }
    out
}

/// Catalogued zones of `region`, on the consulted providers, in another country than the
/// region: a pod confined only by the region label may land in them.
pub fn zones_abroad(region: &str, providers: &[Provider]) -> Vec<&'static Zone> {
    consulted(providers).iter().flat_map(|p| p.zones_abroad(region)).collect()
}

/// What the consulted catalogs say about one region or zone name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// No consulted catalog knows the name.
    Unknown,
    /// Every consulted catalog that knows the name puts it in this country.
    Country(&'static str),
    /// The consulted catalogs disagree: each provider that knows it, with its country.
    Ambiguous(Vec<(Provider, &'static str)>),
}

/// Every consulted provider that knows `name` as a region or a catalogued zone, with the
/// country it puts it in.
pub fn meanings(name: &str, providers: &[Provider]) -> Vec<(Provider, &'static str)> {
    let consulted = consulted(providers);
    let mut known: Vec<(Provider, &'static str)> =
        consulted.iter().filter_map(|p| p.country_of(name).map(|c| (*p, c))).collect();
    if let Some(zones) = ZONE_INDEX.by_name.get(name) {
        known.extend(zones.iter().filter(|z| consulted.contains(&z.provider)).map(|z| (z.provider, z.country)));
    }
    known
}

/// Resolves a region (or catalogued zone) name to a country through the consulted
/// catalogs; never guesses. A region that spans countries resolves to its own country:
/// the country of its zones the catalog does not list.
pub fn resolve(name: &str, providers: &[Provider]) -> Resolution {
    let known = meanings(name, providers);
    match known.first() {
        None => Resolution::Unknown,
        Some((_, first)) if known.iter().all(|(_, c)| c == first) => Resolution::Country(first),
        Some(_) => Resolution::Ambiguous(known),
    }
}

/// A name the catalogs know in the countries asked for, that a jurisdiction nevertheless
/// does not hold whole, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unresolved {
    pub name: &'static str,
    pub reason: String,
}

/// What a list of countries means through the consulted catalogs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CountryResolution {
    /// Region names and catalogued zone names inside the countries.
    pub places: BTreeSet<String>,
    /// Names left out, or held only in part (a region spanning countries), with the reason.
    pub unresolved: Vec<Unresolved>,
}

fn zone_list(zones: &[&Zone]) -> String {
    zones.iter().map(|z| format!("{} ({}, {})", z.name, z.city, z.country)).collect::<Vec<_>>().join(", ")
}

/// The regions and zones located in `countries` (ISO codes, any case), through the
/// consulted catalogs. A name the catalogs disagree on counts only when every country they
/// give is asked for; a region spanning countries counts for its zones that are.
pub fn resolve_countries(countries: &[String], providers: &[Provider]) -> CountryResolution {
    let wanted = |c: &str| countries.iter().any(|w| w.eq_ignore_ascii_case(c));
    let mut out = CountryResolution::default();
    let mut note = |name: &'static str, reason: String| {
        if !out.unresolved.iter().any(|u| u.name == name && u.reason == reason) {
            out.unresolved.push(Unresolved { name, reason });
        }
    };
    let mut places = BTreeSet::new();
    for provider in consulted(providers) {
        for region in provider.regions() {
            let zones: Vec<&Zone> = provider.zones_of(region.name).collect();
            if wanted(region.country) {
                let known = meanings(region.name, providers);
                if known.iter().all(|(_, c)| wanted(c)) {
                    places.insert(region.name.to_string());
                    let abroad: Vec<&Zone> = zones.iter().copied().filter(|z| !wanted(z.country)).collect();
                    if !abroad.is_empty() {
                        let names: Vec<&str> = abroad.iter().map(|z| z.name).collect();
                        note(
                            region.name,
                            format!(
                                "spans countries: on {provider} it also holds {}, outside; only its other zones are allowed, so a pod confined only by the region label is not (keep it off them with topology.kubernetes.io/zone NotIn [{}])",
                                zone_list(&abroad),
                                names.join(", ")
                            ),
                        );
                    }
                } else {
                    let each: Vec<String> = known.iter().map(|(p, c)| format!("{p} says {c}")).collect();
                    note(
                        region.name,
                        format!(
                            "ambiguous across clouds ({}); name your cloud in spec.providers, or list it under a jurisdiction's regions",
                            each.join(", ")
                        ),
                    );
                }
            }
            for zone in zones.iter().filter(|z| wanted(z.country)) {
                if meanings(zone.name, providers).iter().all(|(_, c)| wanted(c)) {
                    places.insert(zone.name.to_string());
                }
                if !wanted(region.country) {
                    note(
                        region.name,
                        format!(
                            "spans countries: it is in {} ({provider}), and only its zone {} ({}, {}) is inside",
                            region.country, zone.name, zone.city, zone.country
                        ),
                    );
                }
            }
        }
    }
    out.places = places;
    out
}

/// Every region and zone name that lies in `countries`; see [`resolve_countries`].
pub fn regions_in(countries: &[String], providers: &[Provider]) -> BTreeSet<String> {
    resolve_countries(countries, providers).places
}

#[cfg(test)]
mod tests;
