//! What the audit judges: existing objects of every audited kind (the kinds table), each
//! kept parsed with the references that say which cluster changes can alter its verdict.
//! ReplicaSets and Jobs owned by a controller are skipped: their owner carries the same
//! pod template.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use serde_json::Value;

use crate::inventory::copies::DataCopy;
use crate::inventory::{Labels, PodSpec, VolumeSource};
use crate::kinds;
use crate::object::{Object, ObjectError};

/// Identifies an audited object. The namespace is empty for cluster-scoped kinds.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(kind: &str, namespace: &str, name: &str) -> Key {
        Key { kind: kind.to_string(), namespace: namespace.to_string(), name: name.to_string() }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// An audited object and what its verdict depends on besides itself.
#[derive(Debug)]
pub struct Subject {
    pub key: Key,
    pub api_version: String,
    pub uid: String,
    pub object: Object,
    /// Its own labels, and its pod template's and claim templates' labels.
    pub label_sets: Vec<Labels>,
    /// The node a pod runs on.
    pub node: Option<String>,
    /// Claims (in its namespace) it mounts.
    pub claims: Vec<String>,
    /// StorageClasses it may provision through ("" for the default class).
    pub storage_classes: Vec<String>,
    /// A claim's bound volume.
    pub volume: Option<String>,
    /// A volume's claim: (namespace, name).
    pub claim_ref: Option<(String, String)>,
}

/// Why an object is not audited.
#[derive(Debug, thiserror::Error)]
pub enum SubjectError {
    #[error("{0} is owned by a controller whose template is audited instead")]
    Owned(String),
    #[error("not an audited kind: {0}")]
    NotAudited(String),
    #[error("the object has no name")]
    Unnamed,
    #[error(transparent)]
    Object(#[from] ObjectError),
}

fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |at, key| at.get(key))?.as_str().filter(|s| !s.is_empty())
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.clone().filter(|s| !s.is_empty())
}

impl Subject {
    /// Reads an object as the API server returns it (the `kind` must be set). What it
    /// depends on is read from the parsed [`Object`], the same form evaluation reads.
    pub fn from_value(value: &Value) -> Result<Subject, SubjectError> {
        let kind = str_at(value, &["kind"]).unwrap_or_default();
        let api_version = str_at(value, &["apiVersion"]);
        let Some(known) = kinds::of(api_version, kind).filter(|k| k.roles.audited) else {
            return Err(SubjectError::NotAudited(kind.to_string()));
        };
        let owned = value
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|refs| refs.iter().any(|r| r.get("controller").and_then(Value::as_bool) == Some(true)));
        if owned && known.owned_by_controller_skipped {
            return Err(SubjectError::Owned(kind.to_string()));
        }
        let object = Object::parse(value)?;
        let meta = object.meta();
        let name = non_empty(&meta.name).ok_or(SubjectError::Unnamed)?;
        let namespace = object.namespace_in(None).unwrap_or_default().to_string();

        // Qualified by group where kinds share a name (`Bucket.s3.aws.upbound.io`).
        let key = Key { kind: known.cache_name().to_string(), namespace, name };
        let mut label_sets: Vec<Labels> = meta.labels.iter().cloned().collect();
        let (mut node, mut volume, mut claim_ref) = (None, None, None);
        let mut claims = BTreeSet::new();
        let mut classes = BTreeSet::new();
        let mut pod_spec = |spec: &PodSpec| {
            for volume in &spec.volumes {
                match &volume.source {
                    VolumeSource::Claim(claim) => {
                        claims.insert(claim.clone());
                    }
                    VolumeSource::Ephemeral(class) => {
                        classes.insert(class.clone().unwrap_or_default());
                    }
                    VolumeSource::FollowsPod | VolumeSource::Network(_) => {}
                }
            }
        };
        match &object {
            Object::Pod { spec, .. } => {
                pod_spec(spec);
                node = non_empty(&spec.node_name);
            }
            Object::Workload { template, claim_templates, .. } => {
                pod_spec(&template.spec);
                label_sets.extend(template.meta.labels.iter().cloned());
                for claim in claim_templates {
                    label_sets.extend(claim.meta.labels.iter().cloned());
                    classes.insert(claim.storage_class_name.clone().unwrap_or_default());
                }
            }
            Object::Claim(claim) => {
                if let Some(source) = claim.data_source.as_ref().filter(|s| s.is_claim() && s.namespace.is_none()) {
                    claims.insert(source.name.clone());
                }
                classes.insert(claim.storage_class_name.clone().unwrap_or_default());
                volume = non_empty(&claim.volume_name);
            }
            Object::Volume(pv) => {
                classes.insert(pv.storage_class_name.clone().unwrap_or_default());
                claim_ref = pv.claim_ref.as_ref().and_then(|r| Some((non_empty(&r.namespace)?, non_empty(&r.name)?)));
            }
            // A snapshot is re-judged when its source claim changes; what else a copy reads
            // (classes, locations, backups) is kept whole, and a change to it re-judges all.
            Object::Copy(DataCopy::Snapshot(snapshot)) => claims.extend(snapshot.source_claim.clone()),
            Object::Binding(_) | Object::Policy { .. } | Object::Store(_) | Object::Other { .. } | Object::Copy(_) => {}
        }
        Ok(Subject {
            key,
            api_version: api_version.map_or_else(|| known.api_version(), str::to_string),
            uid: str_at(value, &["metadata", "uid"]).unwrap_or_default().to_string(),
            label_sets,
            node,
            claims: claims.into_iter().collect(),
            storage_classes: classes.into_iter().collect(),
            volume,
            claim_ref,
            object,
        })
    }
}

/// Every audited object, with reverse indexes from what it depends on.
#[derive(Default)]
pub struct Subjects {
    by_key: BTreeMap<Key, Subject>,
    by_node: HashMap<String, HashSet<Key>>,
    /// (namespace, claim) → objects mounting it, and the volume bound to it.
    by_claim: HashMap<(String, String), HashSet<Key>>,
    /// Volume name → the claim bound to it.
    by_volume: HashMap<String, HashSet<Key>>,
    by_namespace: HashMap<String, HashSet<Key>>,
    by_storage_class: HashMap<String, HashSet<Key>>,
}

impl Subjects {
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    pub fn get(&self, key: &Key) -> Option<&Subject> {
        self.by_key.get(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.by_key.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Subject> {
        self.by_key.values()
    }

    pub fn insert(&mut self, subject: Subject) {
        self.remove(&subject.key.clone());
        let key = subject.key.clone();
        fn index<Q: std::hash::Hash + Eq>(map: &mut HashMap<Q, HashSet<Key>>, at: Q, key: &Key) {
            map.entry(at).or_default().insert(key.clone());
        }
        if let Some(node) = &subject.node {
            index(&mut self.by_node, node.clone(), &key);
        }
        for claim in &subject.claims {
            index(&mut self.by_claim, (key.namespace.clone(), claim.clone()), &key);
        }
        if let Some(claim) = &subject.claim_ref {
            index(&mut self.by_claim, claim.clone(), &key);
        }
        if let Some(volume) = &subject.volume {
            index(&mut self.by_volume, volume.clone(), &key);
        }
        let namespace = subject.claim_ref.as_ref().map_or(&key.namespace, |(ns, _)| ns);
        index(&mut self.by_namespace, namespace.clone(), &key);
        for class in &subject.storage_classes {
            index(&mut self.by_storage_class, class.clone(), &key);
        }
        self.by_key.insert(key, subject);
    }

    pub fn remove(&mut self, key: &Key) -> Option<Subject> {
        let subject = self.by_key.remove(key)?;
        fn unindex<Q: std::hash::Hash + Eq>(map: &mut HashMap<Q, HashSet<Key>>, at: Q, key: &Key) {
            if let Some(set) = map.get_mut(&at) {
                set.remove(key);
                if set.is_empty() {
                    map.remove(&at);
                }
            }
        }
        if let Some(node) = &subject.node {
            unindex(&mut self.by_node, node.clone(), key);
        }
        for claim in &subject.claims {
            unindex(&mut self.by_claim, (key.namespace.clone(), claim.clone()), key);
        }
        if let Some(claim) = &subject.claim_ref {
            unindex(&mut self.by_claim, claim.clone(), key);
        }
        if let Some(volume) = &subject.volume {
            unindex(&mut self.by_volume, volume.clone(), key);
        }
        let namespace = subject.claim_ref.as_ref().map_or(&key.namespace, |(ns, _)| ns);
        unindex(&mut self.by_namespace, namespace.clone(), key);
        for class in &subject.storage_classes {
            unindex(&mut self.by_storage_class, class.clone(), key);
        }
        Some(subject)
    }

    /// Replaces every object of one kind (after a relist).
    pub fn replace_kind(&mut self, kind: &str, subjects: Vec<Subject>) {
        let stale: Vec<Key> = self.by_key.keys().filter(|k| k.kind == kind).cloned().collect();
        for key in &stale {
            self.remove(key);
        }
        for subject in subjects {
            self.insert(subject);
        }
    }

    fn lookup<'a, Q>(map: &'a HashMap<Q, HashSet<Key>>, at: &Q) -> impl Iterator<Item = &'a Key> + use<'a, Q>
    where
        Q: std::hash::Hash + Eq,
    {
        map.get(at).into_iter().flatten()
    }

    pub fn on_node(&self, node: &str) -> impl Iterator<Item = &Key> {
        Self::lookup(&self.by_node, &node.to_string())
    }

    pub fn in_namespace(&self, namespace: &str) -> impl Iterator<Item = &Key> {
        Self::lookup(&self.by_namespace, &namespace.to_string())
    }

    pub fn using_storage_class(&self, class: &str) -> impl Iterator<Item = &Key> {
        Self::lookup(&self.by_storage_class, &class.to_string())
    }

    /// The claim itself, what mounts it, and the volume bound to it.
    pub fn around_claim(&self, namespace: &str, name: &str) -> Vec<Key> {
        let mut out: Vec<Key> =
            Self::lookup(&self.by_claim, &(namespace.to_string(), name.to_string())).cloned().collect();
        out.push(Key::new("PersistentVolumeClaim", namespace, name));
        out
    }

    /// The volume itself, and the claims bound to it with everything around them.
    pub fn around_volume(&self, name: &str) -> Vec<Key> {
        let mut out = vec![Key::new("PersistentVolume", "", name)];
        for claim in Self::lookup(&self.by_volume, &name.to_string()) {
            out.extend(self.around_claim(&claim.namespace, &claim.name));
        }
        if let Some(Subject { claim_ref: Some((ns, claim)), .. }) = self.get(&Key::new("PersistentVolume", "", name)) {
            out.extend(self.around_claim(ns, claim));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(name: &str, node: Option<&str>, claim: &str) -> Value {
        json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": { "name": name, "namespace": "gov", "uid": "u1", "labels": { "app": "x" } },
            "spec": {
                "nodeName": node,
                "containers": [{ "name": "c", "image": "i" }],
                "volumes": [
                    { "name": "d", "persistentVolumeClaim": { "claimName": claim } },
                    { "name": "e", "ephemeral": { "volumeClaimTemplate": { "spec": { "storageClassName": "fast" } } } }
                ]
            }
        })
    }

    #[test]
    fn a_pod_is_indexed_by_node_claim_namespace_and_class() {
        let mut all = Subjects::default();
        all.insert(Subject::from_value(&pod("p", Some("n1"), "data")).unwrap());
        let key = Key::new("Pod", "gov", "p");
        assert_eq!(all.on_node("n1").collect::<Vec<_>>(), [&key]);
        assert!(all.around_claim("gov", "data").contains(&key));
        assert_eq!(all.in_namespace("gov").count(), 1);
        assert_eq!(all.using_storage_class("fast").count(), 1);

        all.insert(Subject::from_value(&pod("p", Some("n2"), "other")).unwrap());
        assert_eq!(all.on_node("n1").count(), 0, "a re-inserted pod leaves its old indexes");
        assert!(!all.around_claim("gov", "data").contains(&key));
        all.remove(&key);
        assert!(all.is_empty() && all.on_node("n2").count() == 0 && all.in_namespace("gov").count() == 0);
    }

    #[test]
    fn volumes_lead_to_their_claims_and_the_pods_that_mount_them() {
        let mut all = Subjects::default();
        all.insert(Subject::from_value(&pod("p", None, "data")).unwrap());
        let pvc = json!({ "apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": { "name": "data", "namespace": "gov" }, "spec": { "volumeName": "pv-1" } });
        let pv = json!({ "apiVersion": "v1", "kind": "PersistentVolume", "metadata": { "name": "pv-1" },
            "spec": { "claimRef": { "namespace": "gov", "name": "data" } } });
        all.insert(Subject::from_value(&pvc).unwrap());
        all.insert(Subject::from_value(&pv).unwrap());
        let around = all.around_volume("pv-1");
        assert!(around.contains(&Key::new("Pod", "gov", "p")));
        assert!(around.contains(&Key::new("PersistentVolumeClaim", "gov", "data")));
        assert_eq!(all.in_namespace("gov").count(), 3, "a volume belongs to its claim's namespace");
    }

    #[test]
    fn owned_replica_sets_are_left_to_their_deployment() {
        let rs = json!({ "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": { "name": "web-1", "namespace": "a", "ownerReferences": [{ "controller": true, "kind": "Deployment", "name": "web", "apiVersion": "apps/v1", "uid": "x" }] },
            "spec": { "selector": {}, "template": { "spec": { "containers": [] } } } });
        assert!(matches!(Subject::from_value(&rs), Err(SubjectError::Owned(_))));
        let cronjob = json!({ "apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": { "name": "nightly", "namespace": "a", "labels": { "a": "1" } },
            "spec": { "schedule": "@daily", "jobTemplate": { "spec": { "template": {
                "metadata": { "labels": { "b": "2" } },
                "spec": { "containers": [], "volumes": [{ "name": "v", "persistentVolumeClaim": { "claimName": "c" } }] } } } } } });
        let s = Subject::from_value(&cronjob).unwrap();
        assert_eq!(s.label_sets.len(), 2, "its own labels and its template's");
        assert_eq!(s.claims, ["c"]);
        assert!(matches!(Subject::from_value(&json!({ "kind": "Service" })), Err(SubjectError::NotAudited(_))));
    }
}
