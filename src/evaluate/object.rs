//! The objects sovereign judges, read from their JSON form whatever their API version,
//! straight into the compact forms evaluation reads: containers, environment variables,
//! managedFields and status are skipped, never built.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::inventory::wire::{ClaimWire, PodSpecWire, VolumeWire};
use crate::inventory::{Claim, Meta, PodSpec, Volume};
use crate::policy::SovereigntyPolicy;

/// Kinds whose pod template sovereign checks, with the path to the template.
const TEMPLATE_KINDS: &[(&str, &str)] = &[
    ("Deployment", "spec.template"),
    ("ReplicaSet", "spec.template"),
    ("StatefulSet", "spec.template"),
    ("DaemonSet", "spec.template"),
    ("Job", "spec.template"),
    ("ReplicationController", "spec.template"),
    ("CronJob", "spec.jobTemplate.spec.template"),
];

/// An object, parsed as far as judging it requires.
#[derive(Debug)]
pub enum Object {
    Pod {
        meta: Meta,
        spec: PodSpec,
    },
    /// A workload that stamps out pods from a template.
    Workload {
        kind: String,
        meta: Meta,
        template: Template,
        /// StatefulSet `volumeClaimTemplates`.
        claim_templates: Vec<Claim>,
    },
    Claim(Claim),
    Volume(Volume),
    Binding(Binding),
    Policy {
        meta: Meta,
        policy: Box<SovereigntyPolicy>,
    },
    /// A kind sovereign does not judge.
    Other {
        kind: String,
        meta: Meta,
    },
}

/// A workload's pod template.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Template {
    pub meta: Meta,
    pub spec: PodSpec,
}

/// A Binding: a pod (named by the metadata) and the node the scheduler chose.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Binding {
    pub meta: Meta,
    pub target: Option<String>,
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TemplateWire {
    #[serde(default)]
    metadata: Option<Meta>,
    #[serde(default)]
    spec: Option<PodSpecWire>,
}

#[derive(Deserialize)]
struct JobSpecWire {
    #[serde(default)]
    template: Option<TemplateWire>,
}

#[derive(Deserialize)]
struct JobTemplateWire {
    #[serde(default)]
    spec: Option<JobSpecWire>,
}

/// The spec of any workload kind: the template where it is, and claim templates.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WorkloadSpecWire {
    #[serde(default)]
    template: Option<TemplateWire>,
    #[serde(default)]
    job_template: Option<JobTemplateWire>,
    #[serde(default)]
    volume_claim_templates: Option<Vec<ClaimWire>>,
}

#[derive(Deserialize)]
struct TargetWire {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
struct BindingWire {
    #[serde(default)]
    metadata: Option<Meta>,
    target: TargetWire,
}

/// The top-level fields of an object in JSON text, each left unparsed until its kind says
/// how to read it.
#[derive(Deserialize)]
struct RawParts<'a> {
    #[serde(borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    metadata: Option<&'a RawValue>,
    #[serde(borrow, default)]
    spec: Option<&'a RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeletionWire {
    #[serde(default)]
    deletion_timestamp: Option<serde::de::IgnoredAny>,
}

/// An object as JSON text, split at its top level: how the admission path reads the
/// request's object without building a `serde_json::Value` of it.
pub struct RawObject<'a> {
    kind: String,
    whole: &'a RawValue,
    metadata: Option<&'a RawValue>,
    spec: Option<&'a RawValue>,
}

impl<'a> RawObject<'a> {
    /// Splits an object; `default_kind` stands in for a missing or empty `kind` (the
    /// request's kind). `None` when the text is not a JSON object.
    pub fn split(whole: &'a RawValue, default_kind: &str) -> Option<Self> {
        if !whole.get().starts_with('{') {
            return None;
        }
        let parts: RawParts<'a> = serde_json::from_str(whole.get()).ok()?;
        let kind = parts
            .kind
            .and_then(|k| serde_json::from_str::<String>(k.get()).ok())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| default_kind.to_string());
        Some(RawObject { kind, whole, metadata: parts.metadata, spec: parts.spec })
    }

    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether `metadata.deletionTimestamp` is set: the object is on its way out.
    pub fn deleting(&self) -> bool {
        self.metadata
            .and_then(|m| serde_json::from_str::<DeletionWire>(m.get()).ok())
            .is_some_and(|d| d.deletion_timestamp.is_some())
    }

    pub fn parse(&self) -> Result<Object, ObjectError> {
        if self.kind == "SovereigntyPolicy" {
            // Rare on this path, and read whole: go through a Value with the kind set.
            let mut value: Value = serde_json::from_str(self.whole.get()).map_err(|source| ObjectError::Malformed {
                kind: self.kind.clone(),
                path: ".".into(),
                source,
            })?;
            value["kind"] = Value::String(self.kind.clone());
            return Object::parse(&value);
        }
        build(&self.kind, Raw(Some(self.whole)), Raw(self.metadata), Raw(self.spec))
    }
}

/// A part of an object that can be deserialized: a `Value` or raw JSON text.
trait Part: Copy {
    fn present(self) -> bool;
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error>;
}

#[derive(Clone, Copy)]
struct Tree<'a>(Option<&'a Value>);

impl Part for Tree<'_> {
    fn present(self) -> bool {
        self.0.is_some_and(|v| !v.is_null())
    }
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        T::deserialize(self.0.unwrap_or(&Value::Null))
    }
}

#[derive(Clone, Copy)]
struct Raw<'a>(Option<&'a RawValue>);

impl Part for Raw<'_> {
    fn present(self) -> bool {
        self.0.is_some_and(|v| v.get() != "null")
    }
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.map_or("null", RawValue::get))
    }
}

fn malformed(kind: &str, path: &str) -> impl FnOnce(serde_json::Error) -> ObjectError {
    move |source| ObjectError::Malformed { kind: kind.to_string(), path: path.to_string(), source }
}

/// Reads an optional part (`None` when absent or null).
fn optional<T: DeserializeOwned, P: Part>(kind: &str, part: P, path: &str) -> Result<Option<T>, ObjectError> {
    if !part.present() {
        return Ok(None);
    }
    part.read().map(Some).map_err(malformed(kind, path))
}

fn missing(kind: &str, path: &str) -> ObjectError {
    ObjectError::Missing { kind: kind.to_string(), path: path.to_string() }
}

/// Builds the object of a kind from its parts.
fn build<P: Part>(kind: &str, whole: P, metadata: P, spec: P) -> Result<Object, ObjectError> {
    let meta = || optional::<Meta, P>(kind, metadata, "metadata").map(Option::unwrap_or_default);
    if let Some((_, path)) = TEMPLATE_KINDS.iter().find(|(k, _)| *k == kind) {
        let spec: WorkloadSpecWire = optional(kind, spec, "spec")?.ok_or_else(|| missing(kind, path))?;
        let claim_templates = if kind == "StatefulSet" {
            spec.volume_claim_templates.into_iter().flatten().map(Claim::from).collect()
        } else {
            Vec::new()
        };
        let template = if kind == "CronJob" {
            spec.job_template.and_then(|j| j.spec).and_then(|s| s.template)
        } else {
            spec.template
        }
        .ok_or_else(|| missing(kind, path))?;
        let template = Template {
            meta: template.metadata.unwrap_or_default(),
            spec: template.spec.map(PodSpec::from).unwrap_or_default(),
        };
        return Ok(Object::Workload { kind: kind.to_string(), meta: meta()?, template, claim_templates });
    }
    Ok(match kind {
        "Pod" => {
            let spec: PodSpecWire = optional(kind, spec, "spec")?.ok_or_else(|| missing(kind, "spec"))?;
            Object::Pod { meta: meta()?, spec: spec.into() }
        }
        "PersistentVolumeClaim" => Object::Claim(whole.read::<ClaimWire>().map_err(malformed(kind, "."))?.into()),
        "PersistentVolume" => Object::Volume(whole.read::<VolumeWire>().map_err(malformed(kind, "."))?.into()),
        "Binding" => {
            let wire: BindingWire = whole.read().map_err(malformed(kind, "."))?;
            Object::Binding(Binding { meta: wire.metadata.unwrap_or_default(), target: wire.target.name })
        }
        "SovereigntyPolicy" => {
            let policy: SovereigntyPolicy = whole.read().map_err(malformed(kind, "."))?;
            Object::Policy { meta: policy.metadata.clone().into(), policy: Box::new(policy) }
        }
        _ => Object::Other { kind: kind.to_string(), meta: meta().unwrap_or_default() },
    })
}

impl Object {
    pub fn parse(value: &Value) -> Result<Object, ObjectError> {
        let kind = value.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(ObjectError::NoKind)?;
        build(kind, Tree(Some(value)), Tree(value.get("metadata")), Tree(value.get("spec")))
    }

    /// Reads an object from its JSON text without building a `Value` of it. `default_kind`
    /// stands in for a missing `kind`.
    pub fn from_json(json: &str, default_kind: &str) -> Result<Object, ObjectError> {
        let whole: &RawValue = serde_json::from_str(json).map_err(|source| ObjectError::Malformed {
            kind: default_kind.to_string(),
            path: ".".into(),
            source,
        })?;
        let raw = RawObject::split(whole, default_kind).ok_or(ObjectError::NoKind)?;
        if raw.kind.is_empty() {
            return Err(ObjectError::NoKind);
        }
        raw.parse()
    }

    pub fn kind(&self) -> &str {
        match self {
            Object::Pod { .. } => "Pod",
            Object::Workload { kind, .. } | Object::Other { kind, .. } => kind,
            Object::Claim(_) => "PersistentVolumeClaim",
            Object::Volume(_) => "PersistentVolume",
            Object::Binding(_) => "Binding",
            Object::Policy { .. } => "SovereigntyPolicy",
        }
    }

    pub fn meta(&self) -> &Meta {
        match self {
            Object::Pod { meta, .. }
            | Object::Workload { meta, .. }
            | Object::Other { meta, .. }
            | Object::Policy { meta, .. } => meta,
            Object::Claim(o) => &o.meta,
            Object::Volume(o) => &o.meta,
            Object::Binding(o) => &o.meta,
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
        !matches!(self, Object::Volume(_) | Object::Policy { .. })
            && !matches!(self.kind(), "Namespace" | "Node" | "StorageClass" | "PersistentVolume")
    }
}
