//! What the audit found: the verdict of every classified object, kept between passes so
//! a change re-judges only the objects it can affect.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};

use super::status::Summary;
use super::subject::{Key, Subjects};
use crate::evaluate::{Caller, Context, Verdict, Violation, evaluate};
use crate::inventory::Inventory;
use crate::policy::{PolicySet, ViolatingObject};

/// How many violating objects a policy's status lists.
pub const LISTED: usize = 10;

/// The audit's view of one classified object.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub verdict: Verdict,
    pub classes: Vec<String>,
    /// The policies that define its classes.
    pub policies: BTreeSet<String>,
    pub violations: Vec<Violation>,
    /// The SovereigntyExceptions (`namespace/name`) it is let through under, each with the
    /// sentence that says so.
    pub exceptions: Vec<(String, String)>,
}

impl Finding {
    pub fn violates(&self) -> bool {
        !self.violations.is_empty()
    }

    /// Changes whenever what is wrong with the object changes; equal while it stays the same.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        for v in &self.violations {
            (&v.policy, &v.data_class, &v.message).hash(&mut hasher);
        }
        hasher.finish()
    }
}

/// Findings for every classified object; unclassified objects have none.
#[derive(Default)]
pub struct Findings {
    by_key: HashMap<Key, Finding>,
}

impl Findings {
    pub fn get(&self, key: &Key) -> Option<&Finding> {
        self.by_key.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Key, &Finding)> {
        self.by_key.iter()
    }

    /// Re-judges the given objects (those that no longer exist are forgotten). Returns the
    /// keys whose finding changed.
    pub fn judge<'k>(
        &mut self,
        keys: impl IntoIterator<Item = &'k Key>,
        subjects: &Subjects,
        inventory: &Inventory,
        policies: &PolicySet,
    ) -> Vec<Key> {
        let mut changed = Vec::new();
        for key in keys {
            let new = subjects.get(key).and_then(|s| {
                let ctx = Context {
                    namespace: (!key.namespace.is_empty()).then_some(key.namespace.as_str()),
                    now: Some(std::time::SystemTime::now()),
                    ..Context::of(Caller::Audit)
                };
                let decision = evaluate(&s.object, &ctx, inventory, policies);
                let violations: Vec<Violation> =
                    if decision.verdict == Verdict::Exempt { Vec::new() } else { decision.violations };
                if decision.classes.is_empty() && violations.is_empty() {
                    return None;
                }
                let policies_of = decision
                    .classes
                    .iter()
                    .filter_map(|c| policies.classes.get(c).map(|rule| policies.policy(rule).name.clone()));
                let mut exceptions: Vec<(String, String)> = decision
                    .excepted
                    .iter()
                    .map(|e| (format!("{}/{}", e.namespace, e.name), e.message.clone()))
                    .collect();
                exceptions.dedup_by(|a, b| a.0 == b.0);
                Some(Finding {
                    exceptions,
                    verdict: decision.verdict,
                    policies: policies_of.chain(violations.iter().map(|v| v.policy.clone())).collect(),
                    classes: decision.classes,
                    violations,
                })
            });
            let old = match new {
                Some(finding) => self.by_key.insert(key.clone(), finding),
                None => self.by_key.remove(key),
            };
            if old.as_ref() != self.by_key.get(key) {
                changed.push(key.clone());
            }
        }
        changed
    }

    /// Re-judges every object, forgetting findings for objects that are gone.
    pub fn judge_all(&mut self, subjects: &Subjects, inventory: &Inventory, policies: &PolicySet) -> Vec<Key> {
        let gone: Vec<Key> = self.by_key.keys().filter(|k| subjects.get(k).is_none()).cloned().collect();
        let mut changed = self.judge(&gone, subjects, inventory, policies);
        let keys: Vec<Key> = subjects.keys().cloned().collect();
        changed.extend(self.judge(&keys, subjects, inventory, policies));
        changed
    }

    /// Objects whose classes belong to the policy.
    pub fn attributed_to<'a>(&'a self, policy: &'a str) -> impl Iterator<Item = &'a Key> + 'a {
        self.by_key.iter().filter(move |(_, f)| f.policies.contains(policy)).map(|(k, _)| k)
    }

    /// For every policy with violating objects: how many, and the first [`LISTED`] by key.
    pub fn summaries(&self) -> HashMap<String, Summary> {
        let mut sorted: Vec<(&Key, &Finding)> = self.by_key.iter().filter(|(_, f)| f.violates()).collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        let mut out: HashMap<String, Summary> = HashMap::new();
        for (key, finding) in sorted {
            let by_policy: BTreeSet<&str> = finding.violations.iter().map(|v| v.policy.as_str()).collect();
            for policy in by_policy {
                let summary = out.entry(policy.to_string()).or_default();
                summary.violations += 1;
                if summary.listed.len() < LISTED {
                    let own: Vec<&Violation> = finding.violations.iter().filter(|v| v.policy == policy).collect();
                    let classes: BTreeSet<&str> = own.iter().map(|v| v.data_class.as_str()).collect();
                    summary.listed.push(ViolatingObject {
                        kind: key.kind.clone(),
                        namespace: (!key.namespace.is_empty()).then(|| key.namespace.clone()),
                        name: key.name.clone(),
                        data_classes: classes.into_iter().map(str::to_string).collect(),
                        message: own[0].short.clone(),
                    });
                }
            }
        }
        out
    }

    /// Violating objects by (policy, data class, kind), for the violations gauge.
    pub fn counts(&self) -> BTreeMap<(String, String, String), i64> {
        let mut out = BTreeMap::new();
        for (key, finding) in &self.by_key {
            let pairs: BTreeSet<(&str, &str)> =
                finding.violations.iter().map(|v| (v.policy.as_str(), v.data_class.as_str())).collect();
            for (policy, class) in pairs {
                *out.entry((policy.to_string(), class.to_string(), key.kind.clone())).or_default() += 1;
            }
        }
        out
    }
}
