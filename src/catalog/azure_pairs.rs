//! Azure region pairs: a geo-redundant storage account keeps a copy of its data in its
//! region's pair. The facts live in `data/azure-pairs.tsv`, each row with its source.

use std::sync::LazyLock;

use super::table::rows;

/// One region and the region Azure pairs it with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AzurePair {
    pub region: &'static str,
    pub paired: &'static str,
    pub source: &'static str,
}

static PAIRS: LazyLock<Vec<AzurePair>> = LazyLock::new(|| {
    rows(include_str!("data/azure-pairs.tsv"))
        .filter_map(|cells| {
            Some(AzurePair { region: cells.first()?, paired: cells.get(1)?, source: cells.get(2).copied()? })
        })
        .collect()
});

/// Every catalogued pair, sorted by region.
pub fn azure_pairs() -> &'static [AzurePair] {
    &PAIRS
}

/// The region Azure pairs `region` with; `None` when Azure publishes no pair for it.
pub fn azure_pair(region: &str) -> Option<&'static str> {
    PAIRS.binary_search_by(|p| p.region.cmp(region)).ok().map(|i| PAIRS[i].paired)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Provider;

    #[test]
    fn every_pair_joins_two_catalogued_azure_regions_and_has_a_source() {
        assert!(azure_pairs().len() >= 40);
        assert!(azure_pairs().windows(2).all(|w| w[0].region < w[1].region), "sorted, each region once");
        for pair in azure_pairs() {
            assert!(Provider::Azure.region(pair.region).is_some(), "{} is no Azure region", pair.region);
            assert!(Provider::Azure.region(pair.paired).is_some(), "{} is no Azure region", pair.paired);
            assert_ne!(pair.region, pair.paired);
            assert!(pair.source.starts_with("https://"), "{} has no source", pair.region);
        }
    }

    #[test]
    fn well_known_pairs() {
        assert_eq!(azure_pair("southeastasia"), Some("eastasia"));
        assert_eq!(azure_pair("westeurope"), Some("northeurope"));
        assert_eq!(azure_pair("brazilsouth"), Some("southcentralus"), "not symmetric");
        assert_eq!(azure_pair("southcentralus"), Some("northcentralus"));
        assert_eq!(azure_pair("indonesiacentral"), None, "no published pair: never guessed");
        assert_eq!(azure_pair("West Europe"), None, "display names are normalised before");
    }
}
