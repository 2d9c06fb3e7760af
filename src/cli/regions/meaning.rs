//! What one name means on each cloud, and what a preset holds.

use std::fmt::Write;

use serde::Serialize;

use super::super::ReportFormat;
use super::RegionsOutput;
use super::rows::{Row, csv_line, csv_rows, json, providers_clause, region_row, table, zone_row};

use crate::catalog::{self, PresetName, Provider, Resolution};

/// What a name means for policies: one country, ambiguous, or unknown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Meaning {
    name: String,
    /// `country`, `ambiguous` or `unknown`.
    resolution: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'static str>,
    /// Each cloud that knows it (region, zone or multi-region).
    meanings: Vec<Row>,
    summary: String,
}

pub(super) fn name_meaning(name: &str, providers: &[Provider], format: ReportFormat) -> RegionsOutput {
    let consulted = catalog::consulted(providers);
    let mut rows: Vec<Row> = consulted.iter().filter_map(|p| p.region(name)).map(region_row).collect();
    rows.extend(catalog::zones().iter().filter(|z| z.name == name && consulted.contains(&z.provider)).map(zone_row));
    let multi = catalog::multi_region(name, providers);
    rows.extend(multi.iter().map(|m| Row {
        provider: m.provider,
        region: m.name,
        zone: None,
        country: m.countries.join(" "),
        city: m.description,
        spans: Vec::new(),
        note: None,
        source: m.source,
    }));
    let resolution = catalog::resolve(name, providers);
    let each = |known: &[(Provider, &str)]| -> String {
        known
            .iter()
            .map(|(p, c)| {
                let city = p.region(name).map(|r| r.city).or_else(|| catalog::zone(name, &[*p]).map(|z| z.city));
                format!("{p} says {c}{}", city.map(|c| format!(" ({c})")).unwrap_or_default())
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let scope = if providers.is_empty() {
        "without providers".to_string()
    } else {
        format!("with providers: [{}]", providers.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
    };
    let mut summary = match &resolution {
        Resolution::Unknown if !multi.is_empty() => format!(
            "{name} is a multi-region location: it is inside a jurisdiction only when every country it may use is ({}).",
            multi.iter().map(|m| m.countries.join(" ")).collect::<Vec<_>>().join("; ")
        ),
        Resolution::Unknown => format!(
            "{name} is in no catalog{}: a policy never guesses it; list it under a jurisdiction's regions (a private data centre) or check the spelling.",
            if providers.is_empty() {
                String::new()
            } else {
                format!(" of {}", providers_clause(providers).trim_start_matches(" and "))
            }
        ),
        Resolution::Country(c) => {
            let clouds: Vec<&str> = catalog::meanings(name, providers).iter().map(|(p, _)| p.as_str()).collect();
            let whole =
                if catalog::zones_abroad(name, providers).is_empty() { "" } else { " (its zones in that country)" };
            format!(
                "{name} is in {c} on every cloud that knows it ({}): not ambiguous {scope}; countries: [{c}] includes it{whole}.",
                clouds.join(", ")
            )
        }
        Resolution::Ambiguous(known) => format!(
            "{name} is ambiguous {scope}: {}. A policy resolves it through countries only when its spec.providers names clouds that agree on it (e.g. providers: [{}]); otherwise it is outside every jurisdiction unless listed under regions.",
            each(known),
            known[0].0
        ),
    };
    for provider in consulted {
        let abroad = provider.zones_abroad(name);
        if !abroad.is_empty() {
            let zones: Vec<String> = abroad.iter().map(|z| format!("{} ({}, {})", z.name, z.city, z.country)).collect();
            write!(
                summary,
                " On {provider}, {name} spans countries: it also holds {}; a pod confined only by its region label may run there, and a zone label naming one of them counts as that country.",
                zones.join(", ")
            )
            .unwrap();
        }
    }
    let found = !rows.is_empty();
    let text = match format {
        ReportFormat::Json => json(&Meaning {
            name: name.to_string(),
            resolution: match resolution {
                Resolution::Unknown => "unknown",
                Resolution::Country(_) => "country",
                Resolution::Ambiguous(_) => "ambiguous",
            },
            country: match resolution {
                Resolution::Country(c) => Some(c),
                _ => None,
            },
            meanings: rows,
            summary,
        }),
        ReportFormat::Csv => csv_rows(&rows),
        ReportFormat::Text => {
            let mut out = if rows.is_empty() { String::new() } else { table(&rows) + "\n" };
            out.push_str(&summary);
            out.push('\n');
            out
        }
    };
    RegionsOutput { text, found }
}

pub(super) fn preset_text(name: PresetName, format: ReportFormat) -> String {
    let preset = name.preset();
    match format {
        ReportFormat::Json => json(preset),
        ReportFormat::Csv => {
            let mut out = csv_line(&["preset", "member", "checked", "source"]);
            for m in &preset.members {
                out += &csv_line(&[preset.name.as_str(), m, preset.checked, preset.source]);
            }
            out
        }
        ReportFormat::Text => format!(
            "{} — {} members, checked {} against {}\n{}\n{}\n",
            preset.name,
            preset.members.len(),
            preset.checked,
            preset.source,
            preset.note,
            preset.members.join(" ")
        ),
    }
}
