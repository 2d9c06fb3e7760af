//! `sovereign regions`: the region catalog printed, so people can see what a jurisdiction
//! means before they apply it — every region, the regions of a country, what one name means
//! on each cloud, a preset's members, or exactly what each policy allows.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::ReportFormat;
use crate::catalog::{self, PresetName, Provider, Resolution, iso};
use crate::files::{self, FileError};
use crate::policy::{PolicySet, jurisdiction_countries};

/// `sovereign regions` arguments.
#[derive(Debug, clap::Args)]
pub struct RegionsArgs {
    /// A region, zone or multi-region name: what it means on each cloud, and whether it is
    /// ambiguous without `providers`.
    #[arg(value_name = "NAME", conflicts_with_all = ["country", "preset", "policies"])]
    pub name: Option<String>,
    /// Only the regions and zones located in these countries (ISO 3166-1 alpha-2; repeat or
    /// separate with commas).
    #[arg(long, value_name = "ID", value_delimiter = ',', value_parser = parse_country)]
    pub country: Vec<String>,
    /// Only these clouds' catalogs, e.g. `aws,gcp` (as a policy's spec.providers).
    #[arg(long, value_name = "KEYS", value_delimiter = ',', value_parser = parse_provider)]
    pub provider: Vec<Provider>,
    /// The member countries of a jurisdiction preset (EU, EEA, EU-ADEQUACY, ASEAN).
    #[arg(long, value_name = "NAME", value_parser = parse_preset, conflicts_with_all = ["country", "policies"])]
    pub preset: Option<PresetName>,
    /// SovereigntyPolicy files or directories: for each policy, jurisdiction and data class,
    /// the regions and zones it allows and the names it could not resolve.
    #[arg(short = 'p', long = "policies", value_name = "PATH", num_args = 1..)]
    pub policies: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = ReportFormat::Text)]
    pub output: ReportFormat,
}

fn parse_country(text: &str) -> Result<String, String> {
    let code = text.trim().to_ascii_uppercase();
    if iso::is_country(&code) {
        Ok(code)
    } else {
        let hint = iso::hint(&code).map(|h| format!(" ({h})")).unwrap_or_default();
        Err(format!("{text:?} is not an ISO 3166-1 alpha-2 country code such as ID or DE{hint}"))
    }
}

fn parse_provider(text: &str) -> Result<Provider, String> {
    Provider::parse(text).ok_or_else(|| {
        let keys: Vec<&str> = Provider::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown provider {text:?}; the catalog knows {}", keys.join(", "))
    })
}

fn parse_preset(text: &str) -> Result<PresetName, String> {
    PresetName::parse(text).ok_or_else(|| {
        let names: Vec<&str> = PresetName::ALL.iter().map(|p| p.as_str()).collect();
        format!("unknown preset {text:?}; the presets are {}", names.join(", "))
    })
}

/// Input `regions` cannot work with; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum RegionsError {
    #[error(transparent)]
    File(#[from] FileError),
}

/// What `regions` prints, and whether it found what was asked (exit 0) or not (exit 1:
/// an unknown name, or a policy that is invalid).
#[derive(Debug)]
pub struct RegionsOutput {
    pub text: String,
    pub found: bool,
}

/// One region, or one catalogued zone, of one cloud.
#[derive(Debug, Serialize)]
struct Row {
    provider: Provider,
    region: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    zone: Option<&'static str>,
    country: String,
    city: &'static str,
    /// For a region: the countries of its catalogued zones abroad.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    spans: Vec<&'static str>,
    /// Why a policy naming this region's country would not hold it whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    source: &'static str,
}

fn region_row(region: &'static catalog::Region) -> Row {
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

fn zone_row(zone: &'static catalog::Zone) -> Row {
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

pub fn run_regions(args: &RegionsArgs) -> Result<RegionsOutput, RegionsError> {
    if !args.policies.is_empty() {
        return policies(args);
    }
    if let Some(preset) = args.preset {
        return Ok(RegionsOutput { text: preset_text(preset, args.output), found: true });
    }
    if let Some(name) = &args.name {
        return Ok(name_meaning(name, &args.provider, args.output));
    }
    Ok(RegionsOutput { text: listing(&args.country, &args.provider, args.output), found: true })
}

/// Every region and catalogued zone of the consulted clouds, or those in `countries`.
fn listing(countries: &[String], providers: &[Provider], format: ReportFormat) -> String {
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

fn providers_clause(providers: &[Provider]) -> String {
    if providers.is_empty() {
        " and no providers".into()
    } else {
        format!(" and providers: [{}]", providers.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
    }
}

fn table(rows: &[Row]) -> String {
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

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

fn csv_line(fields: &[&str]) -> String {
    fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",") + "\n"
}

fn csv_rows(rows: &[Row]) -> String {
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

fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("catalog rows serialize") + "\n"
}

/// What a name means for policies: one country, ambiguous, or unknown.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Meaning {
    name: String,
    /// `country`, `ambiguous` or `unknown`.
    resolution: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    country: Option<&'static str>,
    /// Each cloud that knows it (region, zone or multi-region).
    meanings: Vec<Row>,
    summary: String,
}

fn name_meaning(name: &str, providers: &[Provider], format: ReportFormat) -> RegionsOutput {
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

fn preset_text(name: PresetName, format: ReportFormat) -> String {
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

/// What one jurisdiction or data class allows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Scope {
    /// `jurisdiction` or `dataClass`.
    kind: &'static str,
    name: String,
    /// The countries it names (its own and its presets').
    #[serde(skip_serializing_if = "Vec::is_empty")]
    countries: Vec<String>,
    /// Regions and zones it allows, each with the country the policy's catalogs give.
    allows: Vec<Place>,
    /// Names in its countries it does not hold whole, with the reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unresolved: Vec<catalog::Unresolved>,
}

#[derive(Debug, Serialize)]
struct Place {
    name: String,
    country: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct PolicyScopes {
    policy: String,
    providers: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<Scope>,
    /// Why the policy is invalid, when it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rejected: Vec<String>,
}

fn place_country(name: &str, providers: &[Provider]) -> String {
    match catalog::resolve(name, providers) {
        Resolution::Country(c) => c.to_string(),
        Resolution::Ambiguous(known) => {
            let each: Vec<String> = known.iter().map(|(p, c)| format!("{p}={c}")).collect();
            format!("ambiguous ({})", each.join(" "))
        }
        Resolution::Unknown => "not catalogued".into(),
    }
}

fn policies(args: &RegionsArgs) -> Result<RegionsOutput, RegionsError> {
    let read = files::read_policies(&args.policies)?;
    let specs: Vec<_> = read.into_iter().map(|(p, _)| p).collect();
    let set = PolicySet::compile(&specs);
    let mut out = Vec::new();
    for policy in &specs {
        let name = policy.metadata.name.clone().unwrap_or_default();
        let providers = policy.spec.providers.clone();
        let places = |names: &BTreeSet<String>| -> Vec<Place> {
            names.iter().map(|n| Place { name: n.clone(), country: place_country(n, &providers) }).collect()
        };
        if let Some(rejected) = set.rejected.iter().find(|r| r.name == name) {
            out.push(PolicyScopes { policy: name, providers, scopes: Vec::new(), rejected: rejected.reasons.clone() });
            continue;
        }
        let Some((index, compiled)) = set.policies.iter().enumerate().find(|(_, p)| p.name == name) else {
            continue;
        };
        let mut scopes = Vec::new();
        for j in &policy.spec.jurisdictions {
            let countries = jurisdiction_countries(j);
            let allowed =
                compiled.jurisdictions.iter().find(|(n, _)| *n == j.name).map(|(_, r)| r.clone()).unwrap_or_default();
            let unresolved = catalog::resolve_countries(&countries, &providers)
                .unresolved
                .into_iter()
                .filter(|u| !j.regions.iter().any(|r| r == u.name))
                .collect();
            scopes.push(Scope {
                kind: "jurisdiction",
                name: j.name.clone(),
                countries,
                allows: places(&allowed),
                unresolved,
            });
        }
        let mut classes: Vec<_> = set.classes.values().filter(|c| c.policy == index).collect();
        classes.sort_by(|a, b| a.name.cmp(&b.name));
        for class in classes {
            scopes.push(Scope {
                kind: "dataClass",
                name: class.name.clone(),
                countries: Vec::new(),
                allows: places(&class.allowed),
                unresolved: Vec::new(),
            });
        }
        out.push(PolicyScopes { policy: name, providers, scopes, rejected: Vec::new() });
    }
    let found = out.iter().all(|p| p.rejected.is_empty());
    let text = match args.output {
        ReportFormat::Json => json(&out),
        ReportFormat::Csv => {
            let mut text = csv_line(&["policy", "scope", "name", "place", "status", "country", "note"]);
            for p in &out {
                for reason in &p.rejected {
                    text += &csv_line(&[&p.policy, "policy", &p.policy, "", "invalid", "", reason]);
                }
                for s in &p.scopes {
                    for place in &s.allows {
                        text += &csv_line(&[&p.policy, s.kind, &s.name, &place.name, "allowed", &place.country, ""]);
                    }
                    for u in &s.unresolved {
                        let country = place_country(u.name, &p.providers);
                        text += &csv_line(&[&p.policy, s.kind, &s.name, u.name, "unresolved", &country, &u.reason]);
                    }
                }
            }
            text
        }
        ReportFormat::Text => {
            let mut text = String::new();
            for p in &out {
                let providers = if p.providers.is_empty() {
                    "every provider's catalog; names the catalogs disagree on are left out".to_string()
                } else {
                    format!("catalogs {}", p.providers.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
                };
                writeln!(text, "policy {} ({providers})", p.policy).unwrap();
                for reason in &p.rejected {
                    writeln!(text, "  INVALID: {reason}").unwrap();
                }
                for s in &p.scopes {
                    let kind = if s.kind == "jurisdiction" { "jurisdiction" } else { "data class" };
                    let countries = if s.countries.is_empty() {
                        String::new()
                    } else {
                        format!(" (countries {})", s.countries.join(", "))
                    };
                    writeln!(text, "  {kind} {}{countries}: allows {} regions and zones", s.name, s.allows.len())
                        .unwrap();
                    for place in &s.allows {
                        writeln!(text, "    {:<28} {}", place.name, place.country).unwrap();
                    }
                    if !s.unresolved.is_empty() {
                        writeln!(text, "    could not resolve:").unwrap();
                        for u in &s.unresolved {
                            writeln!(text, "    {}: {}", u.name, u.reason).unwrap();
                        }
                    }
                }
                text.push('\n');
            }
            text
        }
    };
    Ok(RegionsOutput { text, found })
}
