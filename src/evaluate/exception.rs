//! Which SovereigntyExceptions apply to an object, and what they widen (SPEC §14). An
//! exception widens the allowed set of the data classes it names, for the objects it
//! matches, while it is active at `Context::now`; it never touches other classes.

use std::collections::BTreeSet;
use std::time::SystemTime;

use super::decision::ExceptionUse;
use crate::inventory::{Inventory, Labels};
use crate::object::Object;
use crate::policy::{ClassRule, CompiledException, PolicySet, Standing};

/// What an exception matches an object by: its kind, namespace and label sets.
pub(super) struct Facts<'a> {
    pub kind: &'a str,
    pub namespace: Option<&'a str>,
    pub label_sets: Vec<Option<&'a Labels>>,
}

impl<'a> Facts<'a> {
    /// `namespace` is where the object lives (for a volume, its claim's namespace).
    pub fn of(object: &'a Object, namespace: Option<&'a str>, inventory: &'a Inventory) -> Self {
        let label_sets = match object {
            Object::Workload { meta, template, .. } => vec![meta.labels.as_ref(), template.meta.labels.as_ref()],
            // A binding carries none of the pod's labels: the pod's come from the inventory.
            Object::Binding(b) => {
                let pod = namespace.zip(b.meta.name.as_deref()).and_then(|(ns, name)| inventory.pod(ns, name));
                vec![pod.and_then(|p| p.meta.labels.as_ref())]
            }
            other => vec![other.meta().labels.as_ref()],
        };
        let kind = match object {
            // An exception for Pods covers the binding of a covered pod.
            Object::Binding(_) => "Pod",
            other => other.kind(),
        };
        Facts { kind, namespace, label_sets }
    }
}

/// The exceptions active at `now` that cover this object for this class.
pub(super) fn applying<'s>(
    policies: &'s PolicySet,
    class: &ClassRule,
    facts: &Facts,
    now: Option<SystemTime>,
) -> Vec<&'s CompiledException> {
    policies
        .exceptions
        .iter()
        .filter(|e| e.policy_index == Some(class.policy) && e.classes.contains(&class.name))
        .filter(|e| e.covers(facts.kind, facts.namespace, &facts.label_sets))
        .filter(|e| e.standing(now) == Standing::Active)
        .collect()
}

/// The exceptions that cover this object for this class but do not apply at `now`, with
/// why: for the message that tells the developer why the record did not help.
pub(super) fn lapsed<'s>(
    policies: &'s PolicySet,
    class: &ClassRule,
    facts: &Facts,
    now: Option<SystemTime>,
) -> Vec<(&'s CompiledException, Standing)> {
    policies
        .exceptions
        .iter()
        .filter(|e| e.policy_index == Some(class.policy) && e.classes.contains(&class.name))
        .filter(|e| e.covers(facts.kind, facts.namespace, &facts.label_sets))
        .map(|e| (e, e.standing(now)))
        .filter(|(_, s)| *s != Standing::Active)
        .collect()
}

/// The class with its allowed set widened by the exceptions' regions.
pub(super) fn widen(class: &ClassRule, exceptions: &[&CompiledException]) -> ClassRule {
    let mut widened = class.clone();
    for e in exceptions {
        widened.allowed.extend(e.regions.iter().cloned());
        for region in &e.regions {
            if !widened.extra_regions.contains(region) && !class.allowed.contains(region) {
                widened.extra_regions.push(region.clone());
            }
        }
    }
    widened
}

/// The uses of the exceptions that permit some of `outside` (the regions the policy alone
/// does not allow).
pub(super) fn uses(class: &ClassRule, exceptions: &[&CompiledException], outside: &[&str]) -> Vec<ExceptionUse> {
    exceptions
        .iter()
        .filter_map(|e| {
            let regions: BTreeSet<&str> = outside.iter().copied().filter(|r| e.regions.contains(*r)).collect();
            (!regions.is_empty()).then(|| ExceptionUse {
                namespace: e.namespace.clone(),
                name: e.name.clone(),
                policy: e.policy.clone(),
                data_class: class.name.clone(),
                legal_basis: e.legal_basis.clone(),
                expires: e.expires_text.clone(),
                regions: regions.into_iter().map(str::to_string).collect(),
                message: String::new(),
                short: String::new(),
            })
        })
        .collect()
}

/// Adds uses to a list, merging the regions of the same exception and class.
pub(super) fn merge(into: &mut Vec<ExceptionUse>, more: Vec<ExceptionUse>) {
    for use_ in more {
        match into
            .iter_mut()
            .find(|u| u.namespace == use_.namespace && u.name == use_.name && u.data_class == use_.data_class)
        {
            Some(existing) => {
                for r in use_.regions {
                    if !existing.regions.contains(&r) {
                        existing.regions.push(r);
                    }
                }
                existing.regions.sort();
            }
            None => into.push(use_),
        }
    }
}
