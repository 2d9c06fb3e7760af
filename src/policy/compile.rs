//! One policy validated and compiled: jurisdictions resolved through the region catalog,
//! data classes given their allowed regions, classify selectors parsed. Validation happens
//! along the way; a policy with any reason against it is not compiled at all.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::classify::ClassifyIndex;
use super::jurisdiction::{jurisdiction_countries, locations_held};
use super::selector::Selector;
use super::stores::{CompiledStores, compile_stores};
use super::types::*;
use crate::catalog::{self, Provider};

/// A policy ready for evaluation.
#[derive(Debug)]
pub struct CompiledPolicy {
    pub name: String,
    pub enforcement: Enforcement,
    pub placement: Placement,
    pub providers: Vec<Provider>,
    pub region_label: String,
    pub trusted_region_label: Option<String>,
    pub zones: HashMap<String, String>,
    pub volumes: VolumeRules,
    pub exemptions: Exemptions,
    /// `spec.remediation`: the default for its data classes.
    pub remediation: Remediation,
    /// Resolved jurisdictions: name and regions.
    pub jurisdictions: Vec<(String, BTreeSet<String>)>,
    /// Multi-region locations (GCS `EU`, `NAM4`, ...) each jurisdiction holds whole: every
    /// country of them is in it, or it names them under `regions`.
    pub jurisdiction_locations: Vec<(String, BTreeSet<String>)>,
    /// `spec.stores`: store kinds of its own, and ACK's default region.
    pub stores: CompiledStores,
    /// `spec.exceptions`: whether and how SovereigntyExceptions may relax it.
    pub exceptions: ExceptionRules,
}

/// One data class, with the regions it may reside in.
#[derive(Clone, Debug)]
pub struct ClassRule {
    pub name: String,
    /// Index of the defining policy in [`PolicySet::policies`](super::PolicySet::policies).
    pub policy: usize,
    pub description: Option<String>,
    pub jurisdictions: Vec<String>,
    /// Regions allowed individually (`allowedRegions`).
    pub extra_regions: Vec<String>,
    /// Every allowed region: the jurisdictions' and the extra ones.
    pub allowed: BTreeSet<String>,
    /// The countries its jurisdictions name (upper case): a multi-region location is
    /// allowed only when every country of it is one of these (SPEC §11).
    pub countries: BTreeSet<String>,
    /// Multi-region locations allowed whole (catalog spelling): a store there is inside.
    pub locations: BTreeSet<String>,
    /// The class's own remediation, else its policy's.
    pub remediation: Remediation,
}

/// One policy compiled, before it joins a set.
pub(super) struct Compiled {
    pub policy: CompiledPolicy,
    pub classes: Vec<ClassRule>,
    pub classify: Vec<ClassifyIndex>,
}

/// Validates and compiles one policy (`index`: its place in the set); every reason it is
/// rejected when it is not valid.
pub(super) fn compile_policy(name: &str, spec: &SovereigntyPolicySpec, index: usize) -> Result<Compiled, Vec<String>> {
    let mut errors = Vec::new();
    if spec.region_label.trim().is_empty() {
        errors.push("spec.regionLabel must not be empty".to_string());
    }
    if let Some(trusted) = &spec.trusted_region_label {
        if trusted.trim().is_empty() {
            errors.push("spec.trustedRegionLabel must not be empty when set".to_string());
        } else if *trusted == spec.region_label {
            errors.push(format!(
                "spec.trustedRegionLabel must differ from spec.regionLabel ({trusted}); use a label kubelets cannot set, such as node-restriction.kubernetes.io/region"
            ));
        }
    }
    for (zone, region) in &spec.zones {
        if zone.is_empty() || region.is_empty() {
            errors.push(format!("spec.zones entry {zone:?}: {region:?} needs both a zone and a region"));
        }
    }

    let mut jurisdictions: Vec<(String, BTreeSet<String>)> = Vec::new();
    let mut jurisdiction_locations: Vec<(String, BTreeSet<String>)> = Vec::new();
    for (i, j) in spec.jurisdictions.iter().enumerate() {
        let at = format!("spec.jurisdictions[{i}]");
        if j.name.is_empty() {
            errors.push(format!("{at}.name must not be empty"));
        }
        if jurisdictions.iter().any(|(n, _)| *n == j.name) {
            errors.push(format!("{at}: jurisdiction {:?} is defined twice", j.name));
        }
        for country in &j.countries {
            let code = country.to_ascii_uppercase();
            if country.len() != 2 || !catalog::iso::is_country(&code) {
                let hint = catalog::iso::hint(&code).map(|h| format!(" ({h})")).unwrap_or_default();
                errors.push(format!(
                    "{at}.countries: {country:?} is not an ISO 3166-1 alpha-2 code such as ID or DE{hint}"
                ));
            }
        }
        if j.countries.is_empty() && j.regions.is_empty() && j.presets.is_empty() {
            errors.push(format!("{at}: jurisdiction {:?} needs at least one country, preset or region", j.name));
        }
        let countries = jurisdiction_countries(j);
        let mut regions = catalog::regions_in(&countries, &spec.providers);
        for region in &j.regions {
            regions.extend(catalog::places_of_region(region, &spec.providers));
        }
        if regions.is_empty() && !countries.is_empty() {
            errors.push(format!(
                "{at}: jurisdiction {:?} resolves to no region: the catalogs of {} know no unambiguous region in {}; list its regions under regions",
                j.name,
                providers_text(&spec.providers),
                countries.join(", ")
            ));
        }
        jurisdiction_locations.push((j.name.clone(), locations_held(&countries, &j.regions, &spec.providers)));
        jurisdictions.push((j.name.clone(), regions));
    }
    let stores = compile_stores(spec.stores.as_ref(), &mut errors);

    let mut classes = Vec::new();
    let mut seen = HashSet::new();
    for (i, c) in spec.data_classes.iter().enumerate() {
        let at = format!("spec.dataClasses[{i}]");
        if !is_label_value(&c.name) {
            errors.push(format!(
                "{at}.name {:?} must be a valid label value (letters, digits, '-', '_', '.', at most 63)",
                c.name
            ));
        }
        if !seen.insert(c.name.as_str()) {
            errors.push(format!("{at}: data class {:?} is defined twice", c.name));
        }
        if c.allowed_jurisdictions.is_empty() && c.allowed_regions.is_empty() {
            errors.push(format!(
                "{at}: data class {:?} allows no jurisdiction and no region; give allowedJurisdictions or allowedRegions",
                c.name
            ));
        }
        let mut allowed: BTreeSet<String> =
            c.allowed_regions.iter().flat_map(|r| catalog::places_of_region(r, &spec.providers)).collect();
        let countries: BTreeSet<String> = spec
            .jurisdictions
            .iter()
            .filter(|j| c.allowed_jurisdictions.contains(&j.name))
            .flat_map(jurisdiction_countries)
            .collect();
        let mut locations = locations_held(&[], &c.allowed_regions, &spec.providers);
        for j in &c.allowed_jurisdictions {
            if let Some((_, held)) = jurisdiction_locations.iter().find(|(n, _)| n == j) {
                locations.extend(held.iter().cloned());
            }
            match jurisdictions.iter().find(|(n, _)| n == j) {
                Some((_, regions)) => allowed.extend(regions.iter().cloned()),
                None => errors.push(format!(
                    "{at}: data class {:?} allows jurisdiction {j:?}, which this policy does not define (defined: {})",
                    c.name,
                    list_or_none(spec.jurisdictions.iter().map(|j| j.name.as_str()))
                )),
            }
        }
        classes.push(ClassRule {
            name: c.name.clone(),
            policy: index,
            description: c.description.clone(),
            jurisdictions: c.allowed_jurisdictions.clone(),
            extra_regions: c.allowed_regions.clone(),
            allowed,
            countries,
            locations,
            remediation: c.remediation.unwrap_or(spec.remediation),
        });
    }

    let mut classify = Vec::new();
    for (i, rule) in spec.classify.iter().enumerate() {
        let at = format!("spec.classify[{i}]");
        let mut compile_selector = |sel: &Option<_>, field: &str| {
            sel.as_ref().and_then(|s| match Selector::compile(s) {
                Ok(s) => Some(s),
                Err(e) => {
                    errors.push(format!("{at}.{field}: {e}"));
                    None
                }
            })
        };
        let namespace_selector = compile_selector(&rule.namespace_selector, "namespaceSelector");
        let object_selector = compile_selector(&rule.object_selector, "objectSelector");
        if rule.data_classes.is_empty() {
            errors.push(format!("{at}.dataClasses must name at least one data class"));
        }
        for class in &rule.data_classes {
            if !spec.data_classes.iter().any(|c| c.name == *class) {
                errors.push(format!(
                    "{at}: data class {class:?} is not defined in this policy (defined: {})",
                    list_or_none(spec.data_classes.iter().map(|c| c.name.as_str()))
                ));
            }
        }
        classify.push(ClassifyIndex {
            policy: index,
            namespace_selector,
            object_selector,
            classes: rule.data_classes.clone(),
        });
    }

    let rules = &spec.exceptions;
    if let Some(max) = &rules.max_duration
        && let Err(e) = super::duration::parse_max_duration(max)
    {
        errors.push(format!("spec.exceptions: {e}"));
    }
    if rules.allowed && rules.namespaces.is_empty() {
        errors.push(
            "spec.exceptions.allowed needs spec.exceptions.namespaces: the namespaces exceptions may live in"
                .to_string(),
        );
    }

    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Compiled {
        policy: CompiledPolicy {
            name: name.to_string(),
            enforcement: spec.enforcement,
            placement: spec.placement,
            providers: spec.providers.clone(),
            region_label: spec.region_label.clone(),
            trusted_region_label: spec.trusted_region_label.clone(),
            zones: spec.zones.iter().map(|(z, r)| (z.clone(), r.clone())).collect(),
            volumes: spec.volumes.clone(),
            exemptions: spec.exemptions.clone(),
            remediation: spec.remediation,
            jurisdictions,
            jurisdiction_locations,
            stores,
            exceptions: spec.exceptions.clone(),
        },
        classes,
        classify,
    })
}

fn is_label_value(s: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(ok_char)
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn providers_text(providers: &[Provider]) -> String {
    if providers.is_empty() {
        "every provider".to_string()
    } else {
        providers.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
    }
}

fn list_or_none<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() { "none".to_string() } else { names.join(", ") }
}
