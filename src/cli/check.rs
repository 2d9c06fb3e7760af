//! `sovereign check`: the evaluation core over files, for CI pipelines.

use std::path::PathBuf;

use serde::Serialize;

use crate::evaluate::{Context, Decision, Object, Verdict, Violation, evaluate};
use crate::inventory::Inventory;
use crate::manifest::{self, Document, ManifestError, Origin};
use crate::policy::{PolicySet, SovereigntyPolicy};

/// Input that `check` cannot work with; the CLI exits 2.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
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
    #[serde(skip)]
    pub origin: Origin,
    #[serde(skip)]
    pub classes: Vec<String>,
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
    let policy_docs = manifest::load(policies)?;
    let set = compile_policies(&policy_docs)?;

    let mut inv = Inventory::default();
    for doc in manifest::load(inventory)? {
        add_to_inventory(&mut inv, &doc)?;
    }
    let docs = manifest::load(manifests)?;
    for doc in &docs {
        add_to_inventory(&mut inv, doc)?;
    }

    let mut outcomes = Vec::new();
    for doc in docs {
        let object = Object::parse(&doc.value)
            .map_err(|e| CheckError::Document { origin: doc.origin.clone(), message: e.to_string() })?;
        if !judged(&object) {
            continue;
        }
        let decision = evaluate(&object, &Context::default(), &inv, &set);
        outcomes.push(outcome(&object, decision, doc.origin));
    }
    Ok(CheckReport { outcomes })
}

fn compile_policies(docs: &[Document]) -> Result<PolicySet, CheckError> {
    let mut policies = Vec::new();
    let mut origins = Vec::new();
    for doc in docs {
        let kind = doc.value.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
        if kind != "SovereigntyPolicy" {
            return Err(CheckError::Document {
                origin: doc.origin.clone(),
                message: format!("expected a SovereigntyPolicy, found {kind}"),
            });
        }
        let policy: SovereigntyPolicy = serde_json::from_value(doc.value.clone()).map_err(|e| {
            CheckError::Document { origin: doc.origin.clone(), message: format!("not a valid SovereigntyPolicy: {e}") }
        })?;
        origins.push((policy.metadata.name.clone().unwrap_or_default(), doc.origin.clone()));
        policies.push(policy);
    }
    let set = PolicySet::compile(&policies);
    if let Some(rejected) = set.rejected.first() {
        let origin = origins.iter().find(|(n, _)| *n == rejected.name).map(|(_, o)| o.to_string()).unwrap_or_default();
        return Err(CheckError::InvalidPolicy {
            name: rejected.name.clone(),
            origin,
            reasons: rejected.reasons.clone(),
        });
    }
    Ok(set)
}

fn add_to_inventory(inv: &mut Inventory, doc: &Document) -> Result<(), CheckError> {
    inv.add(&doc.value)
        .map(|_| ())
        .map_err(|e| CheckError::Document { origin: doc.origin.clone(), message: e.to_string() })
}

fn outcome(object: &Object, decision: Decision, origin: Origin) -> Outcome {
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
        origin,
        classes: decision.classes,
    }
}
