//! The catalog as rows: one per region or zone of a cloud, as a table, CSV or JSON.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use super::super::ReportFormat;
use crate::catalog::{self, Provider};

/// One region, or one catalogued zone, of one cloud.
#[derive(Debug, Serialize)]
pub(super) struct Row {
    pub(super) provider: Provider,
    pub(super) region: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) zone: Option<&'static str>,
    pub(super) country: String,
    pub(super) city: &'static str,
    /// For a region: the countries of its catalogued zones abroad.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(super) spans: Vec<&'static str>,
    /// Why a policy naming this region's country would not hold it whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) note: Option<String>,
    pub(super) source: &'static str,
}

pub(super) fn region_row(region: &'static catalog::Region) -> Row {
    let mut spans: Vec<&str> = region.provider.zones_abroad(region.name).iter().map(|z| z.country).collect();
    spans.sort_unstable();
    spans.dedup();
    Row {
        provider: region.provider,
        region: region.name,
        zone: None,
        country: region.country.to_string(),
        city: region.city,
        spans,
        note: None,
        source: region.source,
    }
}

pub(super) fn zone_row(zone: &'static catalog::Zone) -> Row {
    Row {
        provider: zone.provider,
        region: zone.region,
        zone: Some(zone.name),
        country: zone.country.to_string(),
        city: zone.city,
        spans: Vec::new(),
        note: None,
        source: zone.source,
    }
}

/// Every region and catalogued zone of the consulted clouds, or those in `countries`.
pub(super) fn listing(countries: &[String], providers: &[Provider], format: ReportFormat) -> String {
    let wanted = |c: &str| countries.is_empty() || countries.iter().any(|w| w == c);
    let consulted = catalog::consulted(providers);
    let mut rows: Vec<Row> = Vec::new();
    for provider in consulted {
        rows.extend(provider.regions().iter().filter(|r| wanted(r.country)).map(region_row));
        rows.extend(catalog::zones().iter().filter(|z| z.provider == *provider && wanted(z.country)).map(zone_row));
    }
    let unresolved =
        if countries.is_empty() { Vec::new() } else { catalog::resolve_countries(countries, providers).unresolved };
    for row in &mut rows {
        if row.zone.is_none() {
            row.note = unresolved.iter().find(|u| u.name == row.region).map(|u| u.reason.clone());
        }
    }
    match format {
        ReportFormat::Json => json(&rows),
        ReportFormat::Csv => csv_rows(&rows),
        ReportFormat::Text => {
            let mut out = table(&rows);
            let regions = rows.iter().filter(|r| r.zone.is_none()).count();
            let clouds: BTreeSet<Provider> = rows.iter().map(|r| r.provider).collect();
            writeln!(
                out,
                "\n{regions} regions and {} zones on {} clouds{}",
                rows.len() - regions,
                clouds.len(),
                if countries.is_empty() { String::new() } else { format!(" in {}", countries.join(", ")) }
            )
            .unwrap();
            if !countries.is_empty() {
                let in_policy = catalog::regions_in(countries, providers);
                writeln!(
                    out,
                    "A policy with countries: [{}]{} allows {} of these names:",
                    countries.join(", "),
                    providers_clause(providers),
                    in_policy.len()
                )
                .unwrap();
                writeln!(out, "  {}", in_policy.iter().cloned().collect::<Vec<_>>().join(", ")).unwrap();
                if !unresolved.is_empty() {
                    writeln!(out, "Not held whole:").unwrap();
                    for u in &unresolved {
                        writeln!(out, "  {}: {}", u.name, u.reason).unwrap();
                    }
                }
            }
            out
        }
    }
}

pub(super) fn providers_clause(providers: &[Provider]) -> String {
    if providers.is_empty() {
        " and no providers".into()
    } else {
        format!(" and providers: [{}]", providers.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
    }
}

pub(super) fn table(rows: &[Row]) -> String {
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                r.provider.to_string(),
                r.region.to_string(),
                r.zone.unwrap_or("-").to_string(),
                r.country.clone(),
                r.city.to_string(),
                if r.spans.is_empty() { String::new() } else { format!("zones also in {}", r.spans.join(" ")) },
            ]
        })
        .collect();
    let header = ["PROVIDER", "REGION", "ZONE", "COUNTRY", "CITY", "SPANS"];
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, row: &[&str]| {
        let mut text = String::new();
        for (i, (cell, w)) in row.iter().zip(widths).enumerate() {
            if i + 1 == row.len() {
                text.push_str(cell);
            } else {
                write!(text, "{cell:<w$}  ").unwrap();
            }
        }
        writeln!(out, "{}", text.trim_end()).unwrap();
    };
    line(&mut out, &header);
    for row in &cells {
        line(&mut out, &row.iter().map(String::as_str).collect::<Vec<_>>());
    }
    out
}

pub(super) fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

pub(super) fn csv_line(fields: &[&str]) -> String {
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\n"
}

pub(super) fn csv_rows(rows: &[Row]) -> String {
    let mut out = csv_line(&["provider", "region", "zone", "country", "city", "spans", "note", "source"]);
    for r in rows {
        out += &csv_line(&[
            r.provider.as_str(),
            r.region,
            r.zone.unwrap_or_default(),
            &r.country,
            r.city,
            &r.spans.join(" "),
            r.note.as_deref().unwrap_or_default(),
            r.source,
        ]);
    }
    out
}

pub(super) fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("catalog rows serialize") + "\n"
}
