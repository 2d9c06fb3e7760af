//! The objects sovereign judges, read from their JSON form whatever their API version.

use k8s_openapi::api::core::v1::{Binding, PersistentVolume, PersistentVolumeClaim, PodSpec, PodTemplateSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::Deserialize;
use serde_json::Value;

use crate::policy::SovereigntyPolicy;

/// Kinds whose pod template sovereign checks, with the path to the template.
const TEMPLATE_KINDS: &[(&str, &[&str])] = &[
    ("Deployment", &["spec", "template"]),
    ("ReplicaSet", &["spec", "template"]),
    ("StatefulSet", &["spec", "template"]),
    ("DaemonSet", &["spec", "template"]),
    ("Job", &["spec", "template"]),
    ("ReplicationController", &["spec", "template"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template"]),
];

/// An object, parsed as far as judging it requires. Built once per request and read in
/// place, so the size difference between variants costs nothing worth boxing for.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Object {
    Pod {
        meta: ObjectMeta,
        spec: PodSpec,
    },
    /// A workload that stamps out pods from a template.
    Workload {
        kind: String,
        meta: ObjectMeta,
        template: PodTemplateSpec,
        /// StatefulSet `volumeClaimTemplates`.
        claim_templates: Vec<PersistentVolumeClaim>,
    },
    Claim(PersistentVolumeClaim),
    Volume(PersistentVolume),
    Binding(Binding),
    Policy(Box<SovereigntyPolicy>),
    /// A kind sovereign does not judge.
    Other {
        kind: String,
        meta: ObjectMeta,
    },
}

/// Why an object could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    #[error("the object has no kind")]
    NoKind,
    #[error("{kind} has no {path}")]
    Missing { kind: String, path: String },
    #[error("{kind} is malformed at {path}: {source}")]
    Malformed {
        kind: String,
        path: String,
        #[source]
        source: serde_json::Error,
    },
}

impl Object {
    pub fn parse(value: &Value) -> Result<Object, ObjectError> {
        let kind = value.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(ObjectError::NoKind)?;
        let meta = || part::<ObjectMeta>(kind, value, &["metadata"], false);
        if let Some((_, path)) = TEMPLATE_KINDS.iter().find(|(k, _)| *k == kind) {
            let claim_templates = if kind == "StatefulSet" {
                part::<Option<Vec<PersistentVolumeClaim>>>(kind, value, &["spec", "volumeClaimTemplates"], false)?
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            return Ok(Object::Workload {
                kind: kind.to_string(),
                meta: meta()?,
                template: part(kind, value, path, true)?,
                claim_templates,
            });
        }
        Ok(match kind {
            "Pod" => Object::Pod { meta: meta()?, spec: part(kind, value, &["spec"], true)? },
            "PersistentVolumeClaim" => Object::Claim(whole(kind, value)?),
            "PersistentVolume" => Object::Volume(whole(kind, value)?),
            "Binding" => Object::Binding(whole(kind, value)?),
            "SovereigntyPolicy" => Object::Policy(Box::new(
                SovereigntyPolicy::deserialize(value).map_err(|source| ObjectError::Malformed {
                    kind: kind.to_string(),
                    path: ".".into(),
                    source,
                })?,
            )),
            _ => Object::Other { kind: kind.to_string(), meta: meta().unwrap_or_default() },
        })
    }

    pub fn kind(&self) -> &str {
        match self {
            Object::Pod { .. } => "Pod",
            Object::Workload { kind, .. } | Object::Other { kind, .. } => kind,
            Object::Claim(_) => "PersistentVolumeClaim",
            Object::Volume(_) => "PersistentVolume",
            Object::Binding(_) => "Binding",
            Object::Policy(_) => "SovereigntyPolicy",
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        match self {
            Object::Pod { meta, .. } | Object::Workload { meta, .. } | Object::Other { meta, .. } => meta,
            Object::Claim(o) => &o.metadata,
            Object::Volume(o) => &o.metadata,
            Object::Binding(o) => &o.metadata,
            Object::Policy(o) => &o.metadata,
        }
    }

    /// The name to show: the name, or the generateName prefix while the name is not yet set.
    pub fn display_name(&self) -> String {
        let meta = self.meta();
        match (&meta.name, &meta.generate_name) {
            (Some(n), _) if !n.is_empty() => n.clone(),
            (_, Some(g)) if !g.is_empty() => format!("{g}*"),
            _ => "(unnamed)".to_string(),
        }
    }

    /// Whether the kind lives in a namespace.
    pub fn namespaced(&self) -> bool {
        !matches!(self, Object::Volume(_) | Object::Policy(_))
            && !matches!(self.kind(), "Namespace" | "Node" | "StorageClass" | "PersistentVolume")
    }
}

/// Deserializes the whole object (typed resources check apiVersion and kind themselves,
/// so the apiVersion is normalised first: only the shape matters to sovereign).
fn whole<T>(kind: &str, value: &Value) -> Result<T, ObjectError>
where
    T: for<'de> Deserialize<'de> + k8s_openapi::Resource,
{
    let version_ok = value.get("apiVersion").and_then(Value::as_str) == Some(T::API_VERSION);
    let result = if version_ok {
        T::deserialize(value)
    } else {
        let mut copy = value.clone();
        copy["apiVersion"] = Value::String(T::API_VERSION.to_string());
        T::deserialize(copy)
    };
    result.map_err(|source| ObjectError::Malformed { kind: kind.to_string(), path: ".".into(), source })
}

fn part<T>(kind: &str, value: &Value, path: &[&str], required: bool) -> Result<T, ObjectError>
where
    T: for<'de> Deserialize<'de> + Default,
{
    let mut at = value;
    for key in path {
        match at.get(key) {
            Some(next) if !next.is_null() => at = next,
            _ if required => {
                return Err(ObjectError::Missing { kind: kind.to_string(), path: path.join(".") });
            }
            _ => return Ok(T::default()),
        }
    }
    T::deserialize(at).map_err(|source| ObjectError::Malformed { kind: kind.to_string(), path: path.join("."), source })
}
