//! Declassification needs a reason too (SPEC §14). Taking data out of a class is the
//! quietest way around a policy, so an UPDATE that drops a class from a judged object, a
//! Namespace relabel that drops a class from what it holds, and a SovereigntyPolicy DELETE
//! (or an UPDATE removing a class) while objects of its classes exist are refused, unless
//! the requester is exempt under the class's policy or an active exception covers the
//! object. An update that drops no class is never held up.
//!
//! The guard is pure like the rest of the core: what exists (the pods of a namespace, say)
//! comes in as [`Held`] objects the adapter listed, after [`holdings_needed`] said which.

use std::collections::BTreeSet;

use super::classify::{classify, classify_labels};
use super::decision::{Context, Decision, Declassified, Outcome, Verdict, Violation};
use super::exception::{Facts, applying};
use super::message;
use crate::inventory::{Inventory, Labels};
use crate::object::Object;
use crate::policy::{ClassRule, CompiledPolicy, PolicySet, SovereigntyPolicy};

/// What an update or delete changes, as the guard sees it.
pub enum Change<'a> {
    /// A judged object updated: its label sets as they were ([`label_sets`] of the object
    /// as it was: its own, and a workload's template's) and the object as it would be.
    Relabel { old: Vec<Option<&'a Labels>>, new: &'a Object },
    /// A Namespace's labels before and after an update.
    Namespace { name: &'a str, old: Option<&'a Labels>, new: Option<&'a Labels> },
    /// A SovereigntyPolicy deleted (`new` is `None`) or updated.
    Policy { old: &'a SovereigntyPolicy, new: Option<&'a SovereigntyPolicy> },
}

/// An object that exists in the cluster, as far as the guard needs: kind, place, labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub labels: Labels,
}

impl Held {
    fn who(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// Which objects the guard must be told of before it can answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holdings<'a> {
    /// None: nothing is dropped, or every dropped class is exempt or excepted.
    Nothing,
    /// The objects of one namespace.
    Namespace(&'a str),
    /// The objects of every namespace (a policy going away).
    Cluster,
}

/// Which objects must be listed to judge the change.
pub fn holdings_needed<'a>(change: &Change<'a>, ctx: &Context, policies: &PolicySet) -> Holdings<'a> {
    match change {
        Change::Relabel { .. } => Holdings::Nothing,
        Change::Namespace { name, old, new } => {
            let guarded = namespace_candidates(*old, *new, policies)
                .into_iter()
                .any(|class| standing(class, policies, ctx, Some(name), Some(&namespace_facts(name, *old))).is_none());
            if guarded { Holdings::Namespace(name) } else { Holdings::Nothing }
        }
        Change::Policy { old, new } => {
            let guarded = removed_classes(old, *new, policies)
                .into_iter()
                .any(|class| standing(class, policies, ctx, None, None).is_none());
            if guarded { Holdings::Cluster } else { Holdings::Nothing }
        }
    }
}

/// Judges an update or delete for declassification. `held`: the objects listed as
/// [`holdings_needed`] asked (ignored for a relabel), or why they could not be listed, in
/// which case a guarded change is refused: what cannot be seen is not taken to be empty.
pub fn declassification(
    change: &Change,
    ctx: &Context,
    inventory: &Inventory,
    policies: &PolicySet,
    held: Result<&[Held], &str>,
) -> Decision {
    let mut out = Guard { policies, violations: Vec::new(), declassified: Vec::new(), exempted_by: Vec::new() };
    match change {
        Change::Relabel { old, new } => out.relabel(old, new, ctx, inventory),
        Change::Namespace { name, old, new } => out.namespace(name, *old, *new, ctx, held),
        Change::Policy { old, new } => out.policy_change(old, *new, ctx, inventory, held),
    }
    out.finish()
}

struct Guard<'s> {
    policies: &'s PolicySet,
    violations: Vec<Violation>,
    declassified: Vec<Declassified>,
    exempted_by: Vec<String>,
}

impl<'s> Guard<'s> {
    fn relabel(&mut self, old: &[Option<&Labels>], new: &Object, ctx: &Context, inventory: &Inventory) {
        let namespace = new.namespace_in(ctx.namespace);
        let new_facts = Facts::of(new, namespace, inventory);
        let old_facts = Facts { label_sets: old.to_vec(), ..Facts::of(new, namespace, inventory) };
        let before = classify(&old_facts.label_sets, namespace, &[], inventory, self.policies);
        let after = classify(&new_facts.label_sets, namespace, &[], inventory, self.policies);
        let who = message::who(new, namespace);
        for class in lost(&before.classes, &after.classes) {
            match standing(class, self.policies, ctx, namespace, Some(&old_facts)) {
                Some(outcome) => self.allowed(class, outcome),
                None => {
                    let (short, text) = message::declassified_object(&who, class, self.policy(class));
                    self.refuse(class, short, text);
                }
            }
        }
    }

    fn namespace(
        &mut self,
        name: &str,
        old: Option<&Labels>,
        new: Option<&Labels>,
        ctx: &Context,
        held: Result<&[Held], &str>,
    ) {
        let facts = namespace_facts(name, old);
        for class in namespace_candidates(old, new, self.policies) {
            if let Some(outcome) = standing(class, self.policies, ctx, Some(name), Some(&facts)) {
                self.allowed(class, outcome);
                continue;
            }
            let who = format!("Namespace {name}");
            match held {
                Err(why) => {
                    let (short, text) = message::declassified_unseen(&who, class, self.policy(class), why);
                    self.refuse(class, short, text);
                }
                Ok(held) => {
                    // Each object in the namespace, classified under the old labels and the
                    // new: those that lose the class are what the relabel would declassify.
                    let losing: Vec<String> = held
                        .iter()
                        .filter(|h| h.namespace.as_deref() == Some(name))
                        .filter(|h| {
                            let sets = [Some(&h.labels)];
                            let before =
                                classify_labels(&sets, Some(old.unwrap_or(&Labels::new())), &[], self.policies);
                            let after = classify_labels(&sets, Some(new.unwrap_or(&Labels::new())), &[], self.policies);
                            lost(&before.classes, &after.classes).any(|c| c.name == class.name)
                        })
                        .map(Held::who)
                        .collect();
                    if !losing.is_empty() {
                        let (short, text) = message::declassified_namespace(&who, class, self.policy(class), &losing);
                        self.refuse(class, short, text);
                    }
                }
            }
        }
    }

    fn policy_change(
        &mut self,
        old: &SovereigntyPolicy,
        new: Option<&SovereigntyPolicy>,
        ctx: &Context,
        inventory: &Inventory,
        held: Result<&[Held], &str>,
    ) {
        let name = old.metadata.name.as_deref().unwrap_or_default();
        let who = format!("SovereigntyPolicy {name}");
        for class in removed_classes(old, new, self.policies) {
            if let Some(outcome) = standing(class, self.policies, ctx, None, None) {
                self.allowed(class, outcome);
                continue;
            }
            let policy = self.policy(class);
            let deleted = new.is_none();
            match held {
                Err(why) => {
                    let (short, text) = message::declassified_unseen(&who, class, policy, why);
                    self.refuse(class, short, text);
                }
                Ok(held) => {
                    let exempt_namespaces = &policy.exemptions.namespaces;
                    let holding: Vec<String> = held
                        .iter()
                        .filter(|h| h.namespace.as_ref().is_none_or(|ns| !exempt_namespaces.contains(ns)))
                        .filter(|h| {
                            classify(&[Some(&h.labels)], h.namespace.as_deref(), &[], inventory, self.policies)
                                .classes
                                .iter()
                                .any(|c| c.name == class.name)
                        })
                        .map(Held::who)
                        .collect();
                    if !holding.is_empty() {
                        let (short, text) = message::declassified_policy(&who, class, policy, deleted, &holding);
                        self.refuse(class, short, text);
                    }
                }
            }
        }
    }

    fn policy(&self, class: &ClassRule) -> &'s CompiledPolicy {
        self.policies.policy(class)
    }

    fn allowed(&mut self, class: &ClassRule, outcome: Outcome) {
        let policy = self.policy(class).name.clone();
        if outcome == Outcome::Exempt && !self.exempted_by.contains(&policy) {
            self.exempted_by.push(policy.clone());
        }
        self.declassified.push(Declassified { policy, data_class: class.name.clone(), outcome });
    }

    fn refuse(&mut self, class: &ClassRule, short: String, message: String) {
        let policy = self.policy(class);
        self.declassified.push(Declassified {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            outcome: Outcome::Refused,
        });
        self.violations.push(Violation {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            short,
            message,
            enforcement: policy.enforcement,
        });
    }

    fn finish(self) -> Decision {
        let otherwise = if self.exempted_by.is_empty() { Verdict::Allow } else { Verdict::Exempt };
        let verdict = Verdict::of(&self.violations, otherwise);
        Decision {
            verdict,
            classes: Vec::new(),
            violations: self.violations,
            exempted_by: self.exempted_by,
            locations: Vec::new(),
            excepted: Vec::new(),
            declassified: self.declassified,
        }
    }
}

/// The label sets classes are read from: an object's own, and a workload's pod template's.
pub fn label_sets(object: &Object) -> Vec<Option<&Labels>> {
    match object {
        Object::Workload { meta, template, .. } => vec![meta.labels.as_ref(), template.meta.labels.as_ref()],
        other => vec![other.meta().labels.as_ref()],
    }
}

/// The classes in `before` that are not in `after`.
fn lost<'s, 'b>(before: &'b [&'s ClassRule], after: &'b [&'s ClassRule]) -> impl Iterator<Item = &'s ClassRule> + 'b {
    before.iter().copied().filter(|b| !after.iter().any(|a| a.name == b.name))
}

/// Whether dropping `class` here is let through, and why: the requester or the namespace
/// is exempt under the class's policy, or an active exception covers the object as it was.
fn standing(
    class: &ClassRule,
    policies: &PolicySet,
    ctx: &Context,
    namespace: Option<&str>,
    facts: Option<&Facts>,
) -> Option<Outcome> {
    let ex = &policies.policy(class).exemptions;
    let exempt = namespace.is_some_and(|ns| ex.namespaces.iter().any(|n| n == ns))
        || ctx.user.is_some_and(|u| ex.users.iter().any(|x| x == u))
        || ctx.groups.iter().any(|g| ex.groups.contains(g));
    if exempt {
        return Some(Outcome::Exempt);
    }
    let excepted = facts.is_some_and(|facts| !applying(policies, class, facts, ctx.now).is_empty());
    excepted.then_some(Outcome::Excepted)
}

/// What an exception is matched against for a namespace: the Namespace as it was.
fn namespace_facts<'a>(name: &'a str, old: Option<&'a Labels>) -> Facts<'a> {
    Facts { kind: "Namespace", namespace: Some(name), label_sets: vec![old] }
}

/// The classes a namespace's old labels give (its label, and `classify` rules that select
/// namespaces) that its new labels do not give every object in it.
fn namespace_candidates<'s>(old: Option<&Labels>, new: Option<&Labels>, policies: &'s PolicySet) -> Vec<&'s ClassRule> {
    let empty = Labels::new();
    let given = |labels: &Labels, whole: bool| -> BTreeSet<&'s str> {
        let mut names: BTreeSet<&'s str> = BTreeSet::new();
        if let Some(rule) = labels.get(super::DATA_CLASS_LABEL).and_then(|c| policies.classes.get(c)) {
            names.insert(&rule.name);
        }
        for rule in &policies.classify {
            let Some(sel) = &rule.namespace_selector else { continue };
            // `whole`: only rules that classify every object of the namespace.
            if sel.matches(labels) && (!whole || rule.object_selector.is_none()) {
                for name in &rule.classes {
                    if let Some((key, _)) = policies.classes.get_key_value(name) {
                        names.insert(key);
                    }
                }
            }
        }
        names
    };
    let before = given(old.unwrap_or(&empty), false);
    let after = given(new.unwrap_or(&empty), true);
    before.difference(&after).filter_map(|name| policies.classes.get(*name)).collect()
}

/// The classes a policy defines (as compiled) that its new version, if any, does not.
fn removed_classes<'s>(
    old: &SovereigntyPolicy,
    new: Option<&SovereigntyPolicy>,
    policies: &'s PolicySet,
) -> Vec<&'s ClassRule> {
    let name = old.metadata.name.as_deref().unwrap_or_default();
    let Some(index) = policies.policies.iter().position(|p| p.name == name) else { return Vec::new() };
    let kept: BTreeSet<&str> =
        new.map(|p| p.spec.data_classes.iter().map(|c| c.name.as_str()).collect()).unwrap_or_default();
    let mut removed: Vec<&ClassRule> =
        policies.classes.values().filter(|c| c.policy == index && !kept.contains(c.name.as_str())).collect();
    removed.sort_by(|a, b| a.name.cmp(&b.name));
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_is_what_before_has_and_after_lacks() {
        let set = PolicySet::compile(&[serde_yaml_ng::from_str(POLICY).unwrap()]);
        let a = set.classes.get("a").unwrap();
        let b = set.classes.get("b").unwrap();
        let names = |v: Vec<&ClassRule>| v.into_iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(lost(&[a, b], &[b]).collect()), ["a"]);
        assert!(lost(&[a], &[a, b]).next().is_none());
        assert!(lost(&[], &[a]).next().is_none());
    }

    const POLICY: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: p }
spec:
  providers: [aws]
  jurisdictions: [ { name: ID, countries: [ID] } ]
  dataClasses:
    - { name: a, allowedJurisdictions: [ID] }
    - { name: b, allowedJurisdictions: [ID] }
"#;
}
