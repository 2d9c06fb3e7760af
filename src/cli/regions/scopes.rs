//! What each policy's jurisdictions and data classes allow, region by region.

use std::collections::BTreeSet;
use std::fmt::Write;

use serde::Serialize;

use super::super::ReportFormat;
use super::rows::{csv_line, json};
use super::{RegionsArgs, RegionsError, RegionsOutput};

use crate::catalog::{self, Provider, Resolution};
use crate::files;
use crate::policy::{PolicySet, jurisdiction_countries};

/// What one jurisdiction or data class allows.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Scope {
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
pub(super) struct Place {
    name: String,
    country: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PolicyScopes {
    policy: String,
    providers: Vec<Provider>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    scopes: Vec<Scope>,
    /// Why the policy is invalid, when it is.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rejected: Vec<String>,
}

pub(super) fn place_country(name: &str, providers: &[Provider]) -> String {
    match catalog::resolve(name, providers) {
        Resolution::Country(c) => c.to_string(),
        Resolution::Ambiguous(known) => {
            let each: Vec<String> = known.iter().map(|(p, c)| format!("{p}={c}")).collect();
            format!("ambiguous ({})", each.join(" "))
        }
        Resolution::Unknown => "not catalogued".into(),
    }
}

pub(super) fn policies(args: &RegionsArgs) -> Result<RegionsOutput, RegionsError> {
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
