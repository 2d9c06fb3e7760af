//! Which audited objects a cluster change can affect, so the audit re-judges those and
//! not the world. The periodic pass re-judges everything and catches what this misses.

use std::collections::BTreeSet;

use super::findings::Findings;
use super::subject::{Key, Subject, Subjects};
use crate::evaluate::DATA_CLASS_LABEL;
use crate::inventory::{Inventory, Labels};
use crate::kinds::Kind;
use crate::policy::{Placement, PolicySet, Selector, SovereigntyPolicy};

/// A change to something the verdicts read, seen after the inventory took it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Touched {
    Namespace(String),
    Node(String),
    PersistentVolume(String),
    PersistentVolumeClaim {
        namespace: String,
        name: String,
    },
    StorageClass(String),
    /// An object of a kind the inventory keeps whole (`namespace` "" when cluster-scoped).
    Kept {
        kind: &'static Kind,
        namespace: String,
        name: String,
    },
}

impl Touched {
    /// From a watched kind's name; `None` for kinds the audit does not follow.
    pub fn of(kind: &str, namespace: &str, name: &str) -> Option<Touched> {
        let name = name.to_string();
        Some(match kind {
            "Namespace" => Touched::Namespace(name),
            "Node" => Touched::Node(name),
            "PersistentVolume" => Touched::PersistentVolume(name),
            "PersistentVolumeClaim" => Touched::PersistentVolumeClaim { namespace: namespace.to_string(), name },
            "StorageClass" => Touched::StorageClass(name),
            _ => return None,
        })
    }
}

/// Objects whose verdict may change with `touched`.
pub fn touched(touched: &Touched, subjects: &Subjects, findings: &Findings, policies: &PolicySet) -> BTreeSet<Key> {
    let mut out: BTreeSet<Key> = BTreeSet::new();
    match touched {
        Touched::Namespace(ns) => {
            out.extend(subjects.in_namespace(ns).cloned());
            out.extend(super::copies::backing_up(subjects).cloned());
        }
        Touched::Node(node) => {
            out.extend(subjects.on_node(node).cloned());
            // Where nodes decide placement (Inventory policies) or pin local volumes, any
            // classified object may move with one node's labels.
            let inventory_policies: BTreeSet<&str> = policies
                .policies
                .iter()
                .filter(|p| p.placement == Placement::Inventory)
                .map(|p| p.name.as_str())
                .collect();
            for (key, finding) in findings.iter() {
                let volume = matches!(key.kind.as_str(), "PersistentVolume" | "PersistentVolumeClaim");
                if volume || finding.policies.iter().any(|p| inventory_policies.contains(p.as_str())) {
                    out.insert(key.clone());
                }
            }
        }
        Touched::PersistentVolume(name) => out.extend(subjects.around_volume(name)),
        Touched::PersistentVolumeClaim { namespace, name } => out.extend(subjects.around_claim(namespace, name)),
        Touched::StorageClass(name) => {
            // "" stands for claims without a class, which follow the default class.
            out.extend(subjects.using_storage_class(name).cloned());
            out.extend(subjects.using_storage_class("").cloned());
        }
        // Who reads an object kept whole depends on its kind; for a kind no file says, every
        // judgment may, and everything is re-judged (correct, if not cheap).
        Touched::Kept { kind, namespace, .. } => match super::copies::depending_on(kind, namespace, subjects) {
            Some(keys) => out.extend(keys),
            None => out.extend(subjects.keys().cloned()),
        },
    }
    with_dependents(out, subjects)
}

/// Objects whose classification may change with a policy's old or new version: those it
/// classified before, and those its classes or `classify` rules name now.
pub fn policy(
    versions: &[&SovereigntyPolicy],
    subjects: &Subjects,
    findings: &Findings,
    inventory: &Inventory,
) -> BTreeSet<Key> {
    let mut out: BTreeSet<Key> = BTreeSet::new();
    for version in versions {
        let name = version.metadata.name.as_deref().unwrap_or_default();
        out.extend(findings.attributed_to(name).cloned());
        let classes: BTreeSet<&str> = version.spec.data_classes.iter().map(|c| c.name.as_str()).collect();
        let rules: Vec<(Option<Selector>, Option<Selector>)> = version
            .spec
            .classify
            .iter()
            .map(|r| {
                // A malformed selector is rejected at compile time; here it only widens the search.
                let compile = |s: &Option<_>| s.as_ref().and_then(|s| Selector::compile(s).ok());
                (compile(&r.namespace_selector), compile(&r.object_selector))
            })
            .collect();
        for subject in subjects.iter() {
            if names(subject, inventory, &classes) || classified_by(subject, inventory, &rules) {
                out.insert(subject.key.clone());
            }
        }
    }
    with_dependents(out, subjects)
}

fn namespace_of(subject: &Subject) -> &str {
    subject.claim_ref.as_ref().map_or(subject.key.namespace.as_str(), |(ns, _)| ns.as_str())
}

fn names(subject: &Subject, inventory: &Inventory, classes: &BTreeSet<&str>) -> bool {
    let named = |labels: &Labels| labels.get(DATA_CLASS_LABEL).is_some_and(|c| classes.contains(c.as_str()));
    subject.label_sets.iter().any(named) || inventory.namespace_labels(namespace_of(subject)).is_some_and(named)
}

fn classified_by(subject: &Subject, inventory: &Inventory, rules: &[(Option<Selector>, Option<Selector>)]) -> bool {
    let empty = Labels::new();
    let ns_labels = inventory.namespace_labels(namespace_of(subject)).unwrap_or(&empty);
    rules.iter().any(|(ns, object)| {
        ns.as_ref().is_none_or(|s| s.matches(ns_labels))
            && object.as_ref().is_none_or(|s| {
                subject.label_sets.iter().any(|l| s.matches(l)) || (subject.label_sets.is_empty() && s.matches(&empty))
            })
    })
}

/// Adds what follows from a claim or a volume: pods and workloads take classes from the
/// claims they mount, and a volume from its claim.
fn with_dependents(mut keys: BTreeSet<Key>, subjects: &Subjects) -> BTreeSet<Key> {
    let more: Vec<Key> = keys
        .iter()
        .flat_map(|k| match k.kind.as_str() {
            "PersistentVolumeClaim" => subjects.around_claim(&k.namespace, &k.name),
            "PersistentVolume" => subjects.around_volume(&k.name),
            _ => Vec::new(),
        })
        .collect();
    keys.extend(more);
    keys
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn subjects() -> Subjects {
        let mut all = Subjects::default();
        let docs = [
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "on-n1", "namespace": "gov" },
                    "spec": { "nodeName": "n1", "containers": [] } }),
            json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": "on-n2", "namespace": "open" },
                    "spec": { "nodeName": "n2", "containers": [],
                              "volumes": [{ "name": "d", "persistentVolumeClaim": { "claimName": "data" } }] } }),
            json!({ "apiVersion": "v1", "kind": "PersistentVolumeClaim",
                    "metadata": { "name": "data", "namespace": "open", "labels": { DATA_CLASS_LABEL: "pii" } },
                    "spec": { "storageClassName": "fast" } }),
            json!({ "apiVersion": "apps/v1", "kind": "Deployment", "metadata": { "name": "web", "namespace": "open" },
                    "spec": { "selector": {}, "template": { "metadata": { "labels": { "tier": "db" } }, "spec": { "containers": [] } } } }),
        ];
        for doc in docs {
            all.insert(Subject::from_value(&doc).unwrap());
        }
        all
    }

    fn keys(set: &BTreeSet<Key>) -> Vec<String> {
        set.iter().map(|k| format!("{}/{}", k.kind, k.name)).collect()
    }

    #[test]
    fn a_node_touches_the_pods_on_it() {
        let s = subjects();
        let out = touched(&Touched::Node("n1".into()), &s, &Findings::default(), &PolicySet::default());
        assert_eq!(keys(&out), ["Pod/on-n1"]);
    }

    #[test]
    fn a_storage_class_touches_its_claims_and_what_mounts_them() {
        let s = subjects();
        let out = touched(&Touched::StorageClass("fast".into()), &s, &Findings::default(), &PolicySet::default());
        assert_eq!(keys(&out), ["PersistentVolumeClaim/data", "Pod/on-n2"]);
        let out = touched(&Touched::Namespace("gov".into()), &s, &Findings::default(), &PolicySet::default());
        assert_eq!(keys(&out), ["Pod/on-n1"]);
    }

    #[test]
    fn a_policy_touches_what_its_classes_and_rules_name() {
        let s = subjects();
        let p: SovereigntyPolicy = serde_yaml_ng::from_str(
            "
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: p }
spec:
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [ID] }]
  classify: [{ objectSelector: { matchLabels: { tier: db } }, dataClasses: [pii] }]
",
        )
        .unwrap();
        let out = policy(&[&p], &s, &Findings::default(), &Inventory::default());
        assert_eq!(keys(&out), ["Deployment/web", "PersistentVolumeClaim/data", "Pod/on-n2"]);
    }
}
