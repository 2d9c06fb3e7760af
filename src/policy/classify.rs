//! The `classify` rules compiled (selectors parsed), and the lookup that offers a request
//! only the rules its labels could satisfy.

use std::collections::HashMap;

use super::selector::Selector;

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
    /// Label key → value → indices (in [`PolicySet::classify`](super::PolicySet::classify))
    /// of the rules whose namespace selector requires it.
    by_namespace_label: HashMap<String, HashMap<String, Vec<usize>>>,
    /// The same, for rules whose object selector requires a label (and the namespace
    /// selector none).
    by_object_label: HashMap<String, HashMap<String, Vec<usize>>>,
    /// Rules that require no label: always looked at.
    unindexed: Vec<usize>,
}

type Labels = std::collections::BTreeMap<String, String>;

impl ClassifyLookup {
    pub(super) fn build(rules: &[ClassifyIndex]) -> Self {
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
