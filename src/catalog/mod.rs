//! The built-in catalog of public cloud regions and the country each one is in.
//!
//! Region names are not unique across clouds (`ap-southeast-3` is Jakarta on AWS,
//! Singapore on Huawei Cloud and Kuala Lumpur on Alibaba Cloud), so every table belongs
//! to one provider, and a name only resolves to a country when every catalog consulted
//! agrees on it.

mod alibaba;
mod aws;
mod azure;
mod gcp;
mod huawei;
mod ibm;
mod oracle;
mod tencent;

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
}

impl Provider {
    pub const ALL: [Provider; 8] = [
        Provider::Aws,
        Provider::Gcp,
        Provider::Azure,
        Provider::Alibaba,
        Provider::Oracle,
        Provider::Ibm,
        Provider::Huawei,
        Provider::Tencent,
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
        }
    }

    /// `(region, country)` pairs of this provider's public regions.
    pub fn regions(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Provider::Aws => aws::REGIONS,
            Provider::Gcp => gcp::REGIONS,
            Provider::Azure => azure::REGIONS,
            Provider::Alibaba => alibaba::REGIONS,
            Provider::Oracle => oracle::REGIONS,
            Provider::Ibm => ibm::REGIONS,
            Provider::Huawei => huawei::REGIONS,
            Provider::Tencent => tencent::REGIONS,
        }
    }

    /// The country of `region` in this provider's catalog (tables are sorted; a test keeps them so).
    pub fn country_of(self, region: &str) -> Option<&'static str> {
        let table = self.regions();
        table.binary_search_by(|(name, _)| (*name).cmp(region)).ok().map(|i| table[i].1)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The catalogs a policy consults: the ones it names, or all of them.
pub fn consulted(providers: &[Provider]) -> &[Provider] {
    if providers.is_empty() { &Provider::ALL } else { providers }
}

/// What the consulted catalogs say about one region name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// No consulted catalog knows the name.
    Unknown,
    /// Every consulted catalog that knows the name puts it in this country.
    Country(&'static str),
    /// The consulted catalogs disagree: each provider that knows it, with its country.
    Ambiguous(Vec<(Provider, &'static str)>),
}

/// Resolves a region name to a country through the consulted catalogs; never guesses.
pub fn resolve(region: &str, providers: &[Provider]) -> Resolution {
    let known: Vec<(Provider, &'static str)> =
        consulted(providers).iter().filter_map(|p| p.country_of(region).map(|c| (*p, c))).collect();
    match known.first() {
        None => Resolution::Unknown,
        Some((_, first)) if known.iter().all(|(_, c)| c == first) => Resolution::Country(first),
        Some(_) => Resolution::Ambiguous(known),
    }
}

/// Every region name that resolves unambiguously to one of `countries`.
pub fn regions_in(countries: &[String], providers: &[Provider]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for provider in consulted(providers) {
        for (region, country) in provider.regions() {
            if countries.iter().any(|c| c == country) && matches!(resolve(region, providers), Resolution::Country(_)) {
                out.insert((*region).to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_regions_map_to_their_country() {
        let cases = [
            (Provider::Aws, "ap-southeast-3", "ID"),
            (Provider::Aws, "eu-central-1", "DE"),
            (Provider::Aws, "us-east-1", "US"),
            (Provider::Aws, "eu-west-1", "IE"),
            (Provider::Aws, "ap-southeast-1", "SG"),
            (Provider::Gcp, "asia-southeast2", "ID"),
            (Provider::Gcp, "europe-west3", "DE"),
            (Provider::Gcp, "europe-west1", "BE"),
            (Provider::Azure, "indonesiacentral", "ID"),
            (Provider::Azure, "germanywestcentral", "DE"),
            (Provider::Alibaba, "ap-southeast-5", "ID"),
            (Provider::Alibaba, "ap-southeast-3", "MY"),
            (Provider::Oracle, "ap-batam-1", "ID"),
            (Provider::Huawei, "ap-southeast-3", "SG"),
            (Provider::Huawei, "ap-southeast-4", "ID"),
            (Provider::Tencent, "ap-jakarta", "ID"),
        ];
        for (provider, region, country) in cases {
            assert_eq!(provider.country_of(region), Some(country), "{provider} {region}");
        }
    }

    #[test]
    fn every_table_is_sorted_unique_and_uses_iso_codes() {
        for provider in Provider::ALL {
            let table = provider.regions();
            assert!(table.len() >= 5, "{provider} has too few regions");
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{provider}: {} before {}", pair[0].0, pair[1].0);
            }
            for (region, country) in table {
                assert!(
                    country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase()),
                    "{provider} {region}: {country}"
                );
            }
        }
    }

    #[test]
    fn a_colliding_name_is_ambiguous_without_providers() {
        match resolve("ap-southeast-3", &[]) {
            Resolution::Ambiguous(known) => {
                assert!(known.contains(&(Provider::Aws, "ID")));
                assert!(known.contains(&(Provider::Huawei, "SG")));
                assert!(known.contains(&(Provider::Alibaba, "MY")));
            }
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn naming_the_provider_resolves_a_colliding_name() {
        assert_eq!(resolve("ap-southeast-3", &[Provider::Aws]), Resolution::Country("ID"));
        assert_eq!(resolve("ap-southeast-3", &[Provider::Huawei]), Resolution::Country("SG"));
    }

    #[test]
    fn selected_catalogs_that_disagree_stay_ambiguous() {
        assert!(matches!(resolve("ap-southeast-3", &[Provider::Aws, Provider::Huawei]), Resolution::Ambiguous(_)));
    }

    #[test]
    fn unknown_names_are_never_guessed() {
        assert_eq!(resolve("onprem-jakarta", &[]), Resolution::Unknown);
    }

    #[test]
    fn countries_expand_to_unambiguous_regions_only() {
        let all = regions_in(&["ID".into()], &[]);
        assert!(all.contains("asia-southeast2"));
        assert!(all.contains("ap-jakarta"));
        assert!(!all.contains("ap-southeast-3"), "ambiguous name must be excluded");
        let aws = regions_in(&["ID".into()], &[Provider::Aws]);
        assert!(aws.contains("ap-southeast-3"));
        assert!(!aws.contains("asia-southeast2"), "gcp not consulted");
    }
}
