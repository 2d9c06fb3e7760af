//! Which data classes an object holds: its own label, its namespace's label, and every
//! `classify` rule that matches.

use crate::inventory::{Inventory, Labels};
use crate::policy::{ClassRule, PolicySet};

/// The label that declares an object's (or a namespace's) data class.
pub const DATA_CLASS_LABEL: &str = "sovereignty.io/data-class";

/// The data classes found, and names that no policy defines.
#[derive(Debug, Default)]
pub(crate) struct Classification<'s> {
    pub classes: Vec<&'s ClassRule>,
    pub undefined: Vec<String>,
}

impl<'s> Classification<'s> {
    fn add(&mut self, policies: &'s PolicySet, name: &str) {
        match policies.classes.get(name) {
            Some(rule) => {
                if !self.classes.iter().any(|c| c.name == name) {
                    self.classes.push(rule);
                }
            }
            None => {
                if !self.undefined.iter().any(|u| u == name) {
                    self.undefined.push(name.to_string());
                }
            }
        }
    }
}

/// Classifies an object given its label sets (a workload: its own and its template's),
/// its namespace, and classes it inherits (a pod: those of the claims it mounts).
pub(crate) fn classify<'s>(
    label_sets: &[Option<&Labels>],
    namespace: Option<&str>,
    inherited: &[String],
    inventory: &Inventory,
    policies: &'s PolicySet,
) -> Classification<'s> {
    let empty = Labels::new();
    let ns_labels = namespace.map(|ns| inventory.namespace_labels(ns).unwrap_or(&empty));
    classify_labels(label_sets, ns_labels, inherited, policies)
}

/// [`classify`] given the namespace's labels rather than its name (`None`: the object lives
/// in no namespace): what the declassification guard asks of a namespace's labels before
/// and after an update.
pub(crate) fn classify_labels<'s>(
    label_sets: &[Option<&Labels>],
    namespace_labels: Option<&Labels>,
    inherited: &[String],
    policies: &'s PolicySet,
) -> Classification<'s> {
    let mut found = Classification::default();
    for labels in label_sets.iter().flatten() {
        if let Some(class) = labels.get(DATA_CLASS_LABEL) {
            found.add(policies, class);
        }
    }
    let empty = Labels::new();
    let ns_labels = namespace_labels.unwrap_or(&empty);
    if let Some(class) = ns_labels.get(DATA_CLASS_LABEL) {
        found.add(policies, class);
    }
    for name in inherited {
        found.add(policies, name);
    }
    let object_labels: Vec<&Labels> = label_sets.iter().flatten().copied().collect();
    for rule in
        policies.classify_lookup.candidates(ns_labels, &object_labels).into_iter().map(|i| &policies.classify[i])
    {
        let ns_ok = match &rule.namespace_selector {
            None => true,
            Some(sel) => namespace_labels.is_some_and(|labels| sel.matches(labels)),
        };
        let object_ok = rule.object_selector.as_ref().is_none_or(|sel| {
            let mut sets = label_sets.iter().map(|l| l.unwrap_or(&empty));
            sets.any(|l| sel.matches(l))
        });
        if ns_ok && object_ok {
            for class in &rule.classes {
                found.add(policies, class);
            }
        }
    }
    found
}
