//! SovereigntyExceptions compiled against the policies they relax (SPEC §14): regions and
//! countries resolved through the policy's catalogs, selectors parsed, and every limit of
//! the policy checked. What depends on the time (expiry, the longest duration counted from
//! creation) is answered by [`CompiledException::standing`] at a time the caller gives.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use super::compile::{ClassRule, CompiledPolicy};
use super::exception::{ExceptionPhase, LegalBasis, SovereigntyException};
use super::selector::Selector;
use crate::catalog;
use crate::inventory::Labels;

/// One exception, ready to be matched against objects.
#[derive(Clone, Debug)]
pub struct CompiledException {
    pub namespace: String,
    pub name: String,
    /// The policy it names, as written.
    pub policy: String,
    /// Index of that policy in the policy set's `policies`, when it is loaded.
    pub policy_index: Option<usize>,
    pub classes: Vec<String>,
    pub namespaces: Vec<String>,
    pub selector: Option<Selector>,
    /// Kinds it covers; empty means every judged kind.
    pub kinds: Vec<String>,
    /// The regions it adds to its classes' allowed sets: its regions and those of its
    /// countries.
    pub regions: BTreeSet<String>,
    pub legal_basis: LegalBasis,
    pub approved_by: String,
    pub expires: SystemTime,
    /// `expires` as written (RFC 3339).
    pub expires_text: String,
    pub created: Option<SystemTime>,
    /// Who created it ([`SovereigntyException::requester`]), for its status.
    pub requested_by: Option<String>,
    /// The policy's `maxDuration`, when it sets one.
    max_duration: Option<(Duration, String)>,
    /// Every limit it breaks that does not depend on the time; empty when it keeps them.
    pub rejections: Vec<String>,
}

/// Where an exception stands at a given time, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    Active,
    /// Past its `expires`.
    Expired,
    /// It breaks a limit: each reason, written for the person who applied it.
    Rejected(Vec<String>),
}

impl Standing {
    pub fn phase(&self) -> ExceptionPhase {
        match self {
            Standing::Active => ExceptionPhase::Active,
            Standing::Expired => ExceptionPhase::Expired,
            Standing::Rejected(_) => ExceptionPhase::Rejected,
        }
    }
}

impl CompiledException {
    /// Where it stands at `now`. The longest duration counts from its creation, or from
    /// `now` when it has not been created yet (a file, or a request being admitted). Without
    /// a time nothing can be known to be unexpired: it does not apply.
    pub fn standing(&self, now: Option<SystemTime>) -> Standing {
        let mut reasons = self.rejections.clone();
        if let (Some((limit, text)), Some(start)) = (&self.max_duration, self.created.or(now))
            && self.expires.duration_since(start).is_ok_and(|runs| runs > *limit)
        {
            let runs = self.expires.duration_since(start).unwrap_or_default();
            reasons.push(format!(
                "it runs {} from its creation to its expiry ({}), longer than policy {}'s maxDuration {text}; set an earlier expires",
                days_text(runs),
                self.expires_text,
                self.policy
            ));
        }
        if !reasons.is_empty() {
            return Standing::Rejected(reasons);
        }
        match now {
            Some(now) if now < self.expires => Standing::Active,
            _ => Standing::Expired,
        }
    }

    /// Whether it covers an object of this kind in this namespace, with these label sets
    /// (its own, and a workload's pod template's).
    pub fn covers(&self, kind: &str, namespace: Option<&str>, label_sets: &[Option<&Labels>]) -> bool {
        let namespace_ok = namespace.is_some_and(|ns| self.namespaces.iter().any(|n| n == ns));
        let kind_ok = self.kinds.is_empty() || self.kinds.iter().any(|k| k == kind);
        let empty = Labels::new();
        let selector_ok =
            self.selector.as_ref().is_none_or(|sel| label_sets.iter().any(|l| sel.matches(l.unwrap_or(&empty))));
        namespace_ok && kind_ok && selector_ok
    }

    /// `namespace/name`.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// "120d", or hours, minutes or seconds when shorter than a day.
fn days_text(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 86_400 => format!("{:.1}d", s as f64 / 86_400.0),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Compiles one exception against compiled policies and the classes they define (a
/// [`super::PolicySet`]'s, see [`super::compile_exception`]).
pub(super) fn compile_against(
    exception: &SovereigntyException,
    policies: &[CompiledPolicy],
    classes: &HashMap<String, ClassRule>,
) -> CompiledException {
    let spec = &exception.spec;
    let namespace = exception.metadata.namespace.clone().unwrap_or_default();
    let name = exception.metadata.name.clone().unwrap_or_default();
    let mut rejections = Vec::new();
    let policy_index = policies.iter().position(|p| p.name == spec.policy);
    let policy: Option<&CompiledPolicy> = policy_index.map(|i| &policies[i]);

    let selector = spec.matches.object_selector.as_ref().and_then(|s| match Selector::compile(s) {
        Ok(s) => Some(s),
        Err(e) => {
            rejections.push(format!("match.objectSelector: {e}"));
            None
        }
    });
    if spec.matches.namespaces.is_empty() {
        rejections.push("match.namespaces must name at least one namespace".to_string());
    }
    for kind in &spec.matches.kinds {
        if !crate::kinds::KINDS.iter().any(|k| k.kind == kind && k.roles.judged) {
            rejections.push(format!("match.kinds: {kind:?} is not a kind sovereign judges"));
        }
    }
    if spec.justification.trim().chars().count() < 20 {
        rejections.push("justification must say why in at least 20 characters".to_string());
    }
    if spec.approved_by.trim().is_empty() {
        rejections.push("approvedBy must name who approved it".to_string());
    }
    if spec.legal_basis.reference.trim().is_empty() {
        rejections.push("legalBasis.reference must name the contract, decision or record".to_string());
    }
    if spec.allowed_regions.is_empty() && spec.allowed_countries.is_empty() {
        rejections.push("it allows no region and no country; give allowedRegions or allowedCountries".to_string());
    }
    for country in &spec.allowed_countries {
        if country.len() != 2 || !catalog::iso::is_country(&country.to_ascii_uppercase()) {
            rejections
                .push(format!("allowedCountries: {country:?} is not an ISO 3166-1 alpha-2 code such as US or DE"));
        }
    }
    if let Some(requester) = exception.requester()
        && requester == spec.approved_by
    {
        rejections
            .push(format!("it is approved by {requester}, who requested it; nobody approves their own exception"));
    }

    let mut regions = BTreeSet::new();
    let mut max_duration = None;
    match policy {
        None => rejections.push(format!("policy {} is not loaded (it does not exist or is invalid)", spec.policy)),
        Some(policy) => {
            let rules = &policy.exceptions;
            if !rules.allowed {
                rejections.push(format!(
                    "policy {} accepts no exceptions (its spec.exceptions.allowed is false)",
                    policy.name
                ));
            } else if !rules.namespaces.contains(&namespace) {
                rejections.push(format!(
                    "it lives in namespace {namespace}, and policy {} counts exceptions only in {}",
                    policy.name,
                    rules.namespaces.join(", ")
                ));
            }
            if !rules.legal_bases.is_empty() && !rules.legal_bases.contains(&spec.legal_basis.kind) {
                let accepted: Vec<&str> = rules.legal_bases.iter().map(|b| b.as_str()).collect();
                rejections.push(format!(
                    "legal basis {} is not one policy {} accepts ({})",
                    spec.legal_basis.kind.as_str(),
                    policy.name,
                    accepted.join(", ")
                ));
            }
            for class in &spec.data_classes {
                if classes.get(class).is_none_or(|c| Some(c.policy) != policy_index) {
                    rejections.push(format!("data class {class:?} is not defined by policy {}", policy.name));
                }
            }
            max_duration = rules
                .max_duration
                .as_ref()
                .and_then(|text| Some((super::duration::parse_max_duration(text).ok()?, text.clone())));
            let countries: Vec<String> = spec.allowed_countries.iter().map(|c| c.to_ascii_uppercase()).collect();
            regions = catalog::regions_in(&countries, &policy.providers);
            for region in &spec.allowed_regions {
                regions.extend(catalog::places_of_region(region, &policy.providers));
            }
        }
    }

    CompiledException {
        namespace,
        name,
        policy: spec.policy.clone(),
        policy_index,
        classes: spec.data_classes.clone(),
        namespaces: spec.matches.namespaces.clone(),
        selector,
        kinds: spec.matches.kinds.clone(),
        regions,
        legal_basis: spec.legal_basis.clone(),
        approved_by: spec.approved_by.clone(),
        expires: SystemTime::from(spec.expires.0),
        expires_text: spec.expires.0.to_string(),
        created: exception.metadata.creation_timestamp.as_ref().map(|t| SystemTime::from(t.0)),
        requested_by: exception.requester().map(str::to_string),
        max_duration,
        rejections,
    }
}
