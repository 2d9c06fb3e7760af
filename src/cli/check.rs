//! `sovereign check`: the evaluation core over files, for CI pipelines.

use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use crate::evaluate::{
    Caller, Context, Decision, ExceptionUse, Location, Object, Pinned, Verdict, Violation, evaluate,
};
use crate::files::{self, FileError};
use crate::manifest::{self, Origin};
use crate::policy::PolicySet;

/// Input that `check` cannot work with; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error(transparent)]
    Manifest(#[from] manifest::ManifestError),
    #[error("{origin}: {message}")]
    Document { origin: Origin, message: String },
    #[error("policy {name} ({origin}) is invalid:\n  - {}", reasons.join("\n  - "))]
    InvalidPolicy { name: String, origin: String, reasons: Vec<String> },
}

/// One evaluated object, as `-o json` prints it.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub kind: String,
    /// "" for cluster-scoped objects.
    pub namespace: String,
    pub name: String,
    pub verdict: Verdict,
    pub violations: Vec<Violation>,
    /// What pinning (SPEC §15) adds to it, as the mutating webhook would.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pinned: Vec<Pinned>,
    /// The SovereigntyExceptions it is allowed under (verdict `excepted`, SPEC §14).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exceptions: Vec<ExceptionUse>,
    #[serde(skip)]
    pub origin: Origin,
    #[serde(skip)]
    pub classes: Vec<String>,
    #[serde(skip)]
    pub locations: Vec<Location>,
}

/// Everything `check` found.
#[derive(Debug)]
pub struct CheckReport {
    pub outcomes: Vec<Outcome>,
    /// Objects of kinds sovereign does not judge, left alone: `Job.batch.volcano.sh x/y`.
    pub not_judged: Vec<String>,
}

impl CheckReport {
    pub fn denied(&self) -> bool {
        self.outcomes.iter().any(|o| o.verdict == Verdict::Deny)
    }
}

pub fn run_check(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
) -> Result<CheckReport, CheckError> {
    run_check_at(policies, manifests, inventory, SystemTime::now())
}

/// `check` as at a given time (`--now`): which SovereigntyExceptions are in force.
pub fn run_check_at(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
    now: SystemTime,
) -> Result<CheckReport, CheckError> {
    Ok(evaluate_files(policies, manifests, inventory, false, now)?.0)
}

/// Evaluates every judged object in the manifests; with `locate`, each outcome also says
/// where its data could end up. Returns the compiled policies alongside.
pub(crate) fn evaluate_files(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
    locate: bool,
    now: SystemTime,
) -> Result<(CheckReport, PolicySet), CheckError> {
    let set = compile_policies(policies)?;
    let mut inv = files::read_inventory(inventory)?;
    let docs = manifest::load(manifests)?;
    files::add_to_inventory(&mut inv, &docs)?;

    let ctx = Context { now: Some(now), ..Context::of(if locate { Caller::Report } else { Caller::Check }) };
    let mut outcomes = Vec::new();
    let mut not_judged = Vec::new();
    for doc in docs {
        let object = Object::parse(&doc.value)
            .map_err(|e| CheckError::Document { origin: doc.origin.clone(), message: e.to_string() })?;
        if !object.judged() {
            // Objects that only describe the cluster (Nodes, Namespaces, ...) joined the
            // inventory above; anything else is a kind sovereign leaves alone.
            if object.known_kind().is_none() {
                not_judged.push(unjudged_name(&object, &doc.value));
            }
            continue;
        }
        let decision = evaluate(&object, &ctx, &inv, &set);
        let (decision, pinned) = super::remediate::remediate(&doc.value, &object, decision, &ctx, &inv, &set);
        let mut judged = outcome(&object, decision, doc.origin);
        judged.pinned = pinned;
        outcomes.push(judged);
    }
    Ok((CheckReport { outcomes, not_judged }, set))
}

/// Compiles the policies, and the SovereigntyExceptions beside them; in CI an invalid
/// policy is an input error, not something to skip. An exception that breaks a limit is
/// kept: it applies to nothing, and the violations it would have covered say why.
pub(crate) fn compile_policies(paths: &[PathBuf]) -> Result<PolicySet, CheckError> {
    let read = files::read_policies(paths)?;
    let exceptions: Vec<_> = files::read_exceptions(paths)?.into_iter().map(|(e, _)| e).collect();
    let set = PolicySet::compile(&read.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>()).with_exceptions(&exceptions);
    if let Some(rejected) = set.rejected.first() {
        let origin = read
            .iter()
            .find(|(p, _)| p.metadata.name.as_deref() == Some(rejected.name.as_str()))
            .map(|(_, o)| o.to_string())
            .unwrap_or_default();
        return Err(CheckError::InvalidPolicy {
            name: rejected.name.clone(),
            origin,
            reasons: rejected.reasons.clone(),
        });
    }
    Ok(set)
}

/// `Job.batch.volcano.sh ns/name`: a kind sovereign does not judge, named with its group.
fn unjudged_name(object: &Object, value: &serde_json::Value) -> String {
    let api_version = value.get("apiVersion").and_then(serde_json::Value::as_str).unwrap_or_default();
    let group = crate::kinds::group_of(api_version);
    let kind = if group.is_empty() { object.kind().to_string() } else { format!("{}.{group}", object.kind()) };
    match object.namespace_in(None) {
        Some(ns) => format!("{kind} {ns}/{}", object.display_name()),
        None => format!("{kind} {}", object.display_name()),
    }
}

pub(crate) fn outcome(object: &Object, decision: Decision, origin: Origin) -> Outcome {
    let namespace = object.namespace_in(None).unwrap_or_default().to_string();
    Outcome {
        kind: object.kind().to_string(),
        namespace,
        name: object.display_name(),
        verdict: decision.verdict,
        violations: decision.violations,
        pinned: Vec::new(),
        exceptions: decision.excepted,
        origin,
        classes: decision.classes,
        locations: decision.locations,
    }
}
