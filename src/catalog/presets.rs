//! Jurisdiction presets: built-in country groups a policy can name instead of listing
//! countries (`{ name: EU, presets: [EU] }`), each with the date it was last checked.

use std::sync::LazyLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::table::rows;

/// A built-in country group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
pub enum PresetName {
    /// The 27 member states of the European Union.
    #[serde(rename = "EU")]
    Eu,
    /// The European Economic Area: the EU and Iceland, Liechtenstein, Norway.
    #[serde(rename = "EEA")]
    Eea,
    /// Third countries with a European Commission adequacy decision (GDPR Art. 45) that
    /// covers the whole country, not only certified organisations.
    #[serde(rename = "EU-ADEQUACY")]
    EuAdequacy,
    /// The member states of the Association of Southeast Asian Nations.
    #[serde(rename = "ASEAN")]
    Asean,
}

impl PresetName {
    pub const ALL: [PresetName; 4] = [PresetName::Eu, PresetName::Eea, PresetName::EuAdequacy, PresetName::Asean];

    pub fn as_str(self) -> &'static str {
        match self {
            PresetName::Eu => "EU",
            PresetName::Eea => "EEA",
            PresetName::EuAdequacy => "EU-ADEQUACY",
            PresetName::Asean => "ASEAN",
        }
    }

    /// The preset of that name, without regard to case.
    pub fn parse(name: &str) -> Option<PresetName> {
        PresetName::ALL.into_iter().find(|p| p.as_str().eq_ignore_ascii_case(name))
    }

    pub fn preset(self) -> &'static Preset {
        PRESETS.iter().find(|p| p.name == self).expect("every preset name has a row in data/presets.tsv (tested)")
    }
}

impl std::fmt::Display for PresetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A country group, as `data/presets.tsv` holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Preset {
    pub name: PresetName,
    /// When the member list was last compared with its source (YYYY-MM-DD).
    pub checked: &'static str,
    pub source: &'static str,
    /// ISO 3166-1 alpha-2, sorted.
    pub members: Vec<&'static str>,
    pub note: &'static str,
}

static PRESETS: LazyLock<Vec<Preset>> = LazyLock::new(|| {
    rows(include_str!("data/presets.tsv"))
        .filter_map(|cells| {
            let mut members: Vec<&'static str> = cells.get(3)?.split_whitespace().collect();
            members.sort_unstable();
            Some(Preset {
                name: PresetName::parse(cells[0])?,
                checked: cells.get(1).copied().unwrap_or_default(),
                source: cells.get(2).copied().unwrap_or_default(),
                members,
                note: cells.get(4).copied().unwrap_or_default(),
            })
        })
        .collect()
});

/// Every preset, in the order of [`PresetName::ALL`].
pub fn presets() -> Vec<&'static Preset> {
    PresetName::ALL.iter().map(|p| p.preset()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::iso::is_country;

    fn members(name: PresetName) -> &'static [&'static str] {
        &name.preset().members
    }

    #[test]
    fn every_preset_has_exactly_one_row_of_real_country_codes() {
        assert_eq!(PRESETS.len(), PresetName::ALL.len());
        for preset in presets() {
            assert!(preset.members.iter().all(|c| is_country(c)), "{}: {:?}", preset.name, preset.members);
            assert!(preset.members.windows(2).all(|w| w[0] < w[1]), "{}: duplicate member", preset.name);
            assert!(preset.source.starts_with("https://"), "{}", preset.name);
            assert_eq!(preset.checked.len(), 10, "{}: checked must be YYYY-MM-DD", preset.name);
        }
    }

    #[test]
    fn the_eu_has_27_members_and_the_eea_adds_iceland_liechtenstein_norway() {
        let eu = members(PresetName::Eu);
        assert_eq!(eu.len(), 27);
        assert!(eu.contains(&"GR") && eu.contains(&"HR") && !eu.contains(&"GB") && !eu.contains(&"CH"));
        let eea = members(PresetName::Eea);
        assert_eq!(eea.len(), 30);
        assert!(eu.iter().all(|c| eea.contains(c)));
        assert!(["IS", "LI", "NO"].iter().all(|c| eea.contains(c)));
    }

    #[test]
    fn adequacy_leaves_out_the_united_states_whose_framework_covers_only_certified_organisations() {
        let adequate = members(PresetName::EuAdequacy);
        assert!(!adequate.contains(&"US"));
        for country in ["JP", "KR", "GB", "CH", "NZ", "IL", "UY", "AR", "CA", "BR"] {
            assert!(adequate.contains(&country), "{country}");
        }
        assert!(members(PresetName::Eu).iter().all(|c| !adequate.contains(c)), "EU states need no adequacy");
    }

    #[test]
    fn asean_holds_indonesia_and_its_neighbours() {
        let asean = members(PresetName::Asean);
        for country in ["BN", "ID", "KH", "LA", "MM", "MY", "PH", "SG", "TH", "VN"] {
            assert!(asean.contains(&country), "{country}");
        }
        assert!(!asean.contains(&"CN") && !asean.contains(&"AU"));
    }

    #[test]
    fn preset_names_parse_without_regard_to_case() {
        assert_eq!(PresetName::parse("eu-adequacy"), Some(PresetName::EuAdequacy));
        assert_eq!(PresetName::parse("EU"), Some(PresetName::Eu));
        assert_eq!(PresetName::parse("EFTA"), None);
    }
}
