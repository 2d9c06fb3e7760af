//! Jurisdictions resolved through the region catalog: the countries one names, and the
//! multi-region locations its countries or regions hold whole.

use std::collections::BTreeSet;

use super::types::Jurisdiction;
use crate::catalog::{self, Provider};

/// The multi-region locations held whole by these countries, or named among `regions`
/// (without regard to case), on the consulted providers.
pub(super) fn locations_held(countries: &[String], regions: &[String], providers: &[Provider]) -> BTreeSet<String> {
    catalog::multi_regions()
        .iter()
        .filter(|m| catalog::consulted(providers).contains(&m.provider))
        .filter(|m| {
            (!countries.is_empty() && m.within(countries)) || regions.iter().any(|r| r.eq_ignore_ascii_case(m.name))
        })
        .map(|m| m.name.to_string())
        .collect()
}

/// The countries a jurisdiction names, itself and through its presets: upper case, sorted,
/// each once.
pub fn jurisdiction_countries(j: &Jurisdiction) -> Vec<String> {
    let mut out: Vec<String> = j.countries.iter().map(|c| c.to_ascii_uppercase()).collect();
    for preset in &j.presets {
        out.extend(preset.preset().members.iter().map(|c| c.to_string()));
    }
    out.sort_unstable();
    out.dedup();
    out
}
