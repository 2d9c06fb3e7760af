//! Validation and compilation of policies into an immutable index.
//!
//! A policy is compiled once (jurisdictions resolved through the region catalog,
//! selectors parsed); requests then look data classes up by name instead of scanning
//! policies.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

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
}

/// One data class, with the regions it may reside in.
#[derive(Debug)]
pub struct ClassRule {
    pub name: String,
    /// Index of the defining policy in [`PolicySet::policies`].
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

/// A `classify` rule with its selectors compiled.
#[derive(Debug)]
pub struct ClassifyIndex {
    pub policy: usize,
    pub namespace_selector: Option<Selector>,
    pub object_selector: Option<Selector>,
    pub classes: Vec<String>,
}

/// The `classify` rules indexed by a label each requires (of the namespace or of the
/// object), so classifying a request looks only at the rules its labels could satisfy
/// instead of at every rule of every policy.
#[derive(Debug, Default)]
pub struct ClassifyLookup {
    /// Label key → value → indices (in [`PolicySet::classify`]) of the rules whose
    /// namespace selector requires it.
    by_namespace_label: HashMap<String, HashMap<String, Vec<usize>>>,
    /// The same, for rules whose object selector requires a label (and the namespace
    /// selector none).
    by_object_label: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Rules that require no label: always looked at.
    unindexed: Vec<usize>,
}

type Labels = std::collections::BTreeMap<String, String>;

impl ClassifyLookup {
    fn build(rules: &[ClassifyIndex]) -> Self {
        let mut lookup = ClassifyLookup::default();
        for (i, rule) in rules.iter().enumerate() {
            let by_namespace = rule.namespace_selector.as_ref().and_then(Selector::required_label);
            let by_object = rule.object_selector.as_ref().and_then(Selector::required_label);
            let (index, (key, values)) = match (by_namespace, by_object) {
                (Some(required), _) => (&mut lookup.by_namespace_label, required),
                (None, Some(required)) => (&mut lookup.by_object_label, required),
                (None, None) => {
                    lookup.unindexed.push(i);
                    continue;
                }
            };
            let by_value = index.entry(key.to_string()).or_default();
            for value in values {
                by_value.entry(value.clone()).or_default().push(i);
            }
        }
        lookup
    }

    /// Indices of the rules that may match a request with these namespace and object
    /// labels, in rule order; every other rule lacks a label it requires.
    pub fn candidates(&self, namespace_labels: &Labels, object_labels: &[&Labels]) -> Vec<usize> {
        fn add(out: &mut Vec<usize>, index: &HashMap<String, HashMap<String, Vec<usize>>>, labels: &Labels) {
            // Walk the smaller side: policies usually select on one or two label keys, and
            // hashing every label of every object costs more than the rest of evaluation.
            if index.len() <= labels.len() {
                for (key, by_value) in index {
                    if let Some(rules) = labels.get(key).and_then(|value| by_value.get(value)) {
                        out.extend_from_slice(rules);
                    }
                }
            } else {
                for (key, value) in labels {
                    if let Some(rules) = index.get(key).and_then(|by_value| by_value.get(value)) {
                        out.extend_from_slice(rules);
                    }
                }
            }
        }
        let mut out = self.unindexed.clone();
        add(&mut out, &self.by_namespace_label, namespace_labels);
        for labels in object_labels {
            add(&mut out, &self.by_object_label, labels);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A policy that failed validation; it is ignored, never partly applied.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectedPolicy {
    pub name: String,
    pub reasons: Vec<String>,
}

/// Every valid policy, indexed. Immutable: build a new one when policies change.
#[derive(Debug, Default)]
pub struct PolicySet {
    pub policies: Vec<CompiledPolicy>,
    pub classes: HashMap<String, ClassRule>,
    pub classify: Vec<ClassifyIndex>,
    /// [`PolicySet::classify`] indexed by required labels.
    pub classify_lookup: ClassifyLookup,
    pub rejected: Vec<RejectedPolicy>,
}

struct Compiled {
    policy: CompiledPolicy,
    classes: Vec<ClassRule>,
    classify: Vec<ClassifyIndex>,
}

impl PolicySet {
    /// Compiles policies in order of creation, then name (timestamps have one-second
    /// precision, and every replica must pick the same winner): when two define the same
    /// data class, the later one is rejected as a whole.
    pub fn compile(policies: &[SovereigntyPolicy]) -> Self {
        let mut ordered: Vec<&SovereigntyPolicy> = policies.iter().collect();
        ordered.sort_by(|a, b| {
            let key = |p: &'_ SovereigntyPolicy| {
                (p.metadata.creation_timestamp.as_ref().map(|t| t.0), p.metadata.name.clone())
            };
            key(a).cmp(&key(b))
        });
        let mut set = PolicySet::default();
        for policy in ordered {
            let name = policy.metadata.name.clone().unwrap_or_default();
            match compile_policy(&name, &policy.spec, set.policies.len()) {
                Err(reasons) => set.rejected.push(RejectedPolicy { name, reasons }),
                Ok(compiled) => {
                    let clashes = set.clashes(&compiled.classes, &name);
                    if !clashes.is_empty() {
                        set.rejected.push(RejectedPolicy { name, reasons: clashes });
                        continue;
                    }
                    for class in compiled.classes {
                        set.classes.insert(class.name.clone(), class);
                    }
                    set.classify.extend(compiled.classify);
                    set.policies.push(compiled.policy);
                }
            }
        }
        set.classify_lookup = ClassifyLookup::build(&set.classify);
        set
    }

    /// Wraps the set for sharing between requests.
    pub fn shared(self) -> Arc<Self> {
        Arc::new(self)
    }

    /// Whether `policy` may be created or updated next to the policies already in the set:
    /// the reasons it may not, written for the person applying it.
    pub fn admit(&self, policy: &SovereigntyPolicy) -> Result<(), Vec<String>> {
        let name = policy.metadata.name.clone().unwrap_or_default();
        let compiled = compile_policy(&name, &policy.spec, usize::MAX)?;
        let clashes = self.clashes(&compiled.classes, &name);
        if clashes.is_empty() { Ok(()) } else { Err(clashes) }
    }

    fn clashes(&self, classes: &[ClassRule], policy_name: &str) -> Vec<String> {
        classes
            .iter()
            .filter_map(|class| {
                let existing = self.classes.get(&class.name)?;
                let owner = &self.policies[existing.policy].name;
                (owner != policy_name).then(|| {
                    format!(
                        "data class {:?} is already defined by policy {owner}; data class names are global, rename it or extend policy {owner}",
                        class.name
                    )
                })
            })
            .collect()
    }

    pub fn policy(&self, class: &ClassRule) -> &CompiledPolicy {
        &self.policies[class.policy]
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }
}

fn compile_policy(name: &str, spec: &SovereigntyPolicySpec, index: usize) -> Result<Compiled, Vec<String>> {
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
        },
        classes,
        classify,
    })
}

/// The multi-region locations held whole by these countries, or named among `regions`
/// (without regard to case), on the consulted providers.
fn locations_held(countries: &[String], regions: &[String], providers: &[Provider]) -> BTreeSet<String> {
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

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;

    use super::*;

    fn selector(key: &str, value: &str) -> Option<Selector> {
        let labels = [(key.to_string(), value.to_string())].into();
        Some(Selector::compile(&LabelSelector { match_labels: Some(labels), ..Default::default() }).unwrap())
    }

    fn rule(namespace_selector: Option<Selector>, object_selector: Option<Selector>) -> ClassifyIndex {
        ClassifyIndex { policy: 0, namespace_selector, object_selector, classes: vec!["c".into()] }
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_classify_lookup_offers_every_rule_that_could_match_in_rule_order() {
        let rules = [
            rule(selector("tenant", "gov-id"), None),
            rule(None, None),
            rule(None, selector("app", "db")),
            rule(selector("tenant", "gov-eu"), selector("app", "db")),
            rule(Some(Selector::default()), None),
        ];
        let lookup = ClassifyLookup::build(&rules);
        let ns = labels(&[("tenant", "gov-id")]);
        let db = labels(&[("app", "db")]);
        assert_eq!(lookup.candidates(&ns, &[&db]), [0, 1, 2, 4]);
        assert_eq!(lookup.candidates(&labels(&[("tenant", "gov-eu")]), &[&labels(&[])]), [1, 3, 4]);
        assert_eq!(lookup.candidates(&labels(&[]), &[]), [1, 4]);
    }
}
