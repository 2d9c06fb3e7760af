//! `sovereign check`: the evaluation core over files, for CI pipelines.

use std::path::PathBuf;

use serde::Serialize;

use crate::evaluate::{Context, Decision, Location, Object, Pinned, Verdict, Violation, evaluate};
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
}

impl CheckReport {
    pub fn denied(&self) -> bool {
        self.outcomes.iter().any(|o| o.verdict == Verdict::Deny)
    }
}

/// Kinds that `check` judges; others in the manifests only join the inventory or are skipped.
fn judged(object: &Object) -> bool {
    !matches!(object, Object::Other { .. })
}

pub fn run_check(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
) -> Result<CheckReport, CheckError> {
    Ok(evaluate_files(policies, manifests, inventory, false)?.0)
}

/// Evaluates every judged object in the manifests; with `locate`, each outcome also says
/// where its data could end up. Returns the compiled policies alongside.
pub(crate) fn evaluate_files(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
    locate: bool,
) -> Result<(CheckReport, PolicySet), CheckError> {
    let set = compile_policies(policies)?;
    let mut inv = files::read_inventory(inventory)?;
    let docs = manifest::load(manifests)?;
    files::add_to_inventory(&mut inv, &docs)?;

    let ctx = Context { locate, ..Context::default() };
    let mut outcomes = Vec::new();
    for doc in docs {
        let object = Object::parse(&doc.value)
            .map_err(|e| CheckError::Document { origin: doc.origin.clone(), message: e.to_string() })?;
        if !judged(&object) {
            continue;
        }
        let decision = evaluate(&object, &ctx, &inv, &set);
        let (decision, pinned) = super::fix::remediate(&doc.value, &object, decision, &ctx, &inv, &set);
        let mut judged = outcome(&object, decision, doc.origin);
        judged.pinned = pinned;
        outcomes.push(judged);
    }
    Ok((CheckReport { outcomes }, set))
}

/// Compiles the policies; in CI an invalid policy is an input error, not something to skip.
pub(crate) fn compile_policies(paths: &[PathBuf]) -> Result<PolicySet, CheckError> {
    let read = files::read_policies(paths)?;
    let set = PolicySet::compile(&read.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>());
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

pub(crate) fn outcome(object: &Object, decision: Decision, origin: Origin) -> Outcome {
    let namespace = if object.namespaced() {
        object.meta().namespace.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "default".into())
    } else {
        String::new()
    };
    Outcome {
        kind: object.kind().to_string(),
        namespace,
        name: object.display_name(),
        verdict: decision.verdict,
        violations: decision.violations,
        pinned: Vec::new(),
        origin,
        classes: decision.classes,
        locations: decision.locations,
    }
}
