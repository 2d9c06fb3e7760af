//! Multi-region and dual-region locations (Google Cloud Storage `EU`, `NAM4`, ...; Compute
//! Engine snapshots in `eu`, `us`, `asia`): named places that spread over several countries.
//! Names match without regard to case, unlike region names.

use std::sync::LazyLock;

use serde::Serialize;

use super::Provider;
use super::table::rows;

/// A named location that may keep data in any of several countries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MultiRegion {
    pub provider: Provider,
    /// As the provider writes it (`EUR4`); matched without regard to case.
    pub name: &'static str,
    /// Every country it may use, sorted.
    pub countries: Vec<&'static str>,
    pub description: &'static str,
    pub source: &'static str,
}

impl MultiRegion {
    /// Whether every country the location may use is one of `countries` (upper case).
    pub fn within(&self, countries: &[String]) -> bool {
        self.countries.iter().all(|c| countries.iter().any(|allowed| allowed.eq_ignore_ascii_case(c)))
    }
}

static MULTI_REGIONS: LazyLock<Vec<MultiRegion>> = LazyLock::new(|| {
    rows(include_str!("data/multiregions.tsv"))
        .filter_map(|cells| {
            let mut countries: Vec<&'static str> = cells.get(2)?.split_whitespace().collect();
            countries.sort_unstable();
            Some(MultiRegion {
                provider: Provider::parse(cells[0])?,
                name: cells.get(1)?,
                countries,
                description: cells.get(3).copied().unwrap_or_default(),
                source: cells.get(4).copied().unwrap_or_default(),
            })
        })
        .collect()
});

/// Every catalogued multi-region location.
pub fn multi_regions() -> &'static [MultiRegion] {
    &MULTI_REGIONS
}

/// The multi-region locations called `name` (any case) on the consulted providers.
pub fn multi_region(name: &str, providers: &[Provider]) -> Vec<&'static MultiRegion> {
    let consulted = super::consulted(providers);
    MULTI_REGIONS.iter().filter(|m| m.name.eq_ignore_ascii_case(name) && consulted.contains(&m.provider)).collect()
}

/// Whether the location `name` lies inside `countries`: only when it is a known multi-region
/// and every country it may use is one of them. Unknown names are never inside.
pub fn location_within(name: &str, countries: &[String], providers: &[Provider]) -> bool {
    let found = multi_region(name, providers);
    !found.is_empty() && found.iter().all(|m| m.within(countries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::iso::is_country;

    fn strings(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn every_location_names_real_countries_once() {
        assert!(multi_regions().len() >= 9);
        for m in multi_regions() {
            assert!(!m.countries.is_empty() && m.countries.iter().all(|c| is_country(c)), "{}", m.name);
            assert!(m.countries.windows(2).all(|w| w[0] < w[1]), "{}", m.name);
        }
        for (i, m) in multi_regions().iter().enumerate() {
            assert!(
                multi_regions()[i + 1..]
                    .iter()
                    .all(|o| !o.name.eq_ignore_ascii_case(m.name) || o.provider != m.provider),
                "{} twice",
                m.name
            );
        }
    }

    #[test]
    fn names_match_without_regard_to_case() {
        let eu = multi_region("eu", &[]);
        assert_eq!(eu.len(), 1);
        assert_eq!(eu[0].countries.len(), 27);
        assert_eq!(multi_region("Eur4", &[Provider::Gcp])[0].name, "EUR4");
        assert!(multi_region("EU", &[Provider::Aws]).is_empty(), "gcp not consulted");
    }

    #[test]
    fn a_location_is_inside_a_jurisdiction_only_when_every_country_of_it_is() {
        let eu = crate::catalog::PresetName::Eu.preset().members.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(location_within("EU", &eu, &[]));
        assert!(location_within("EUR4", &eu, &[]));
        assert!(!location_within("EUR5", &eu, &[]), "London is outside the EU");
        assert!(!location_within("EU", &strings(&["DE"]), &[]));
        assert!(location_within("ASIA1", &strings(&["jp"]), &[]));
        assert!(location_within("us", &strings(&["US"]), &[]));
        assert!(!location_within("ASIA", &strings(&["JP", "SG"]), &[]));
        assert!(!location_within("nowhere", &strings(&["US"]), &[]));
    }
}
