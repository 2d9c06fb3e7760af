//! The set of every valid policy, indexed for evaluation.
//!
//! Each policy is compiled once; requests then look data classes up by name instead of
//! scanning policies. When two policies define the same data class, the set decides which
//! one wins.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::classify::{ClassifyIndex, ClassifyLookup};
use super::compile::{ClassRule, CompiledPolicy, compile_policy};
use super::exception::SovereigntyException;
use super::exception_index::{CompiledException, Standing, compile_against};
use super::types::*;

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
    /// SovereigntyExceptions compiled against these policies ([`PolicySet::with_exceptions`]).
    pub exceptions: Vec<super::exception_index::CompiledException>,
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

/// Compiles one exception against the policies in `set`.
pub fn compile_exception(exception: &SovereigntyException, set: &PolicySet) -> CompiledException {
    compile_against(exception, &set.policies, &set.classes)
}

impl PolicySet {
    /// The same set, with these exceptions compiled against its policies (replacing any it had).
    pub fn with_exceptions(mut self, exceptions: &[SovereigntyException]) -> Self {
        let mut compiled: Vec<CompiledException> = exceptions.iter().map(|e| compile_exception(e, &self)).collect();
        compiled.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        self.exceptions = compiled;
        self
    }

    /// Whether an exception may be created or updated: the limits it breaks, at `now`, for
    /// the user who asks (nobody approves their own exception).
    pub fn admit_exception(
        &self,
        exception: &SovereigntyException,
        user: Option<&str>,
        now: Option<SystemTime>,
    ) -> Result<(), Vec<String>> {
        let compiled = compile_exception(exception, self);
        let mut reasons = match compiled.standing(now) {
            Standing::Rejected(reasons) => reasons,
            Standing::Active => Vec::new(),
            Standing::Expired => vec![format!(
                "it expires at {}, which is not in the future; set a later expires",
                compiled.expires_text
            )],
        };
        if let Some(user) = user
            && user == compiled.approved_by
            && !reasons.iter().any(|r| r.contains("nobody approves their own exception"))
        {
            reasons.push(format!(
                "it is approved by {user}, who is requesting it; nobody approves their own exception: ask the approver named in approvedBy or another to apply it"
            ));
        }
        if reasons.is_empty() { Ok(()) } else { Err(reasons) }
    }
}
