//! The objects sovereign judges, read from their JSON form whatever their API version,
//! straight into the compact forms evaluation reads: containers, environment variables,
//! managedFields and status are skipped, never built.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
#[serde(rename_all = "camelCase")]
struct DeletionWire {
    #[serde(default)]
    deletion_timestamp: Option<serde::de::IgnoredAny>,
}

/// The top-level fields of an object in JSON text, each left unparsed until its kind says
/// how to read it.
#[derive(Default)]
struct RawParts<'a> {
    kind: Option<&'a RawValue>,
    api_version: Option<&'a RawValue>,
    metadata: Option<&'a RawValue>,
    spec: Option<&'a RawValue>,
    target: Option<&'a RawValue>,
    status: Option<&'a RawValue>,
}

/// A JSON value split at its top level when it is an object: how the admission path reads
/// the request's object in the same pass as the review, without building a
/// `serde_json::Value` of it. Anything but an object is skipped and remembered as such.
pub struct RawField<'a>(Option<RawParts<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for RawField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor(PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum Key {
    Kind,
    ApiVersion,
    Metadata,
    Spec,
    Target,
    Status,
    #[serde(other)]
    Other,
}

struct FieldVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FieldVisitor<'a> {
    type Value = RawField<'a>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut parts = RawParts::default();
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Kind => &mut parts.kind,
                Key::ApiVersion => &mut parts.api_version,
                Key::Metadata => &mut parts.metadata,
                Key::Spec => &mut parts.spec,
                Key::Target => &mut parts.target,
                Key::Status => &mut parts.status,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            // A repeated key: the last one wins, as in a serde_json::Value.
            *slot = Some(map.next_value::<&'a RawValue>()?);
        }
        Ok(RawField(Some(parts)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RawField(None))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(RawField(None))
    }
}

impl<'a> RawField<'a> {
    /// The object, if the value is one; `default_kind` stands in for a missing or empty
    /// `kind` (the request's kind).
    pub fn object(self, default_kind: &str) -> Option<RawObject<'a>> {
        let parts = self.0?;
        let kind = parts
            .kind
            .and_then(|k| serde_json::from_str::<String>(k.get()).ok())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| default_kind.to_string());
        Some(RawObject { kind, parts })
    }
}

/// An object split at its top level, its parts still JSON text.
pub struct RawObject<'a> {
    kind: String,
    parts: RawParts<'a>,
}

impl RawObject<'_> {
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// Whether `metadata.deletionTimestamp` is set: the object is on its way out.
    pub fn deleting(&self) -> bool {
        self.parts
            .metadata
            .and_then(|m| serde_json::from_str::<DeletionWire>(m.get()).ok())
            .is_some_and(|d| d.deletion_timestamp.is_some())
    }

    pub fn parse(&self) -> Result<Object, ObjectError> {
        let p = &self.parts;
        let policy = || {
            // Rare on this path: put the parts back together as a Value with the kind set.
            let mut value = serde_json::Map::new();
            value.insert("kind".into(), Value::String(self.kind.clone()));
            for (key, part) in [("apiVersion", p.api_version), ("metadata", p.metadata), ("spec", p.spec)]
                .into_iter()
                .chain([("status", p.status)])
            {
                if let Some(part) = part {
                    value.insert(key.into(), serde_json::from_str(part.get())?);
                }
            }
            SovereigntyPolicy::deserialize(Value::Object(value))
        };
        let parts = Parts { metadata: Raw(p.metadata), spec: Raw(p.spec), target: Raw(p.target) };
        build(&self.kind, parts, policy)
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

/// The top-level parts of an object that sovereign reads.
struct Parts<P> {
    metadata: P,
    spec: P,
    target: P,
}

/// Builds the object of a kind from its parts (a policy is read whole, by `policy`).
fn build<P: Part>(
    kind: &str,
    parts: Parts<P>,
    policy: impl FnOnce() -> Result<SovereigntyPolicy, serde_json::Error>,
) -> Result<Object, ObjectError> {
    let Parts { metadata, spec, target } = parts;
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
        "PersistentVolumeClaim" => {
            Object::Claim(Claim::from(ClaimWire { metadata: Some(meta()?), spec: optional(kind, spec, "spec")? }))
        }
        "PersistentVolume" => {
            Object::Volume(Volume::from(VolumeWire { metadata: Some(meta()?), spec: optional(kind, spec, "spec")? }))
        }
        "Binding" => {
            let target: TargetWire = optional(kind, target, "target")?.ok_or_else(|| missing(kind, "target"))?;
            Object::Binding(Binding { meta: meta()?, target: target.name })
        }
        "SovereigntyPolicy" => {
            let policy = policy().map_err(malformed(kind, "."))?;
            Object::Policy { meta: policy.metadata.clone().into(), policy: Box::new(policy) }
        }
        _ => Object::Other { kind: kind.to_string(), meta: meta().unwrap_or_default() },
    })
}

impl Object {
    pub fn parse(value: &Value) -> Result<Object, ObjectError> {
        let kind = value.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(ObjectError::NoKind)?;
        let parts = Parts {
            metadata: Tree(value.get("metadata")),
            spec: Tree(value.get("spec")),
            target: Tree(value.get("target")),
        };
        build(kind, parts, || SovereigntyPolicy::deserialize(value))
    }

    /// Reads an object from its JSON text without building a `Value` of it. `default_kind`
    /// stands in for a missing `kind`.
    pub fn from_json(json: &str, default_kind: &str) -> Result<Object, ObjectError> {
        let field: RawField = serde_json::from_str(json).map_err(|source| ObjectError::Malformed {
            kind: default_kind.to_string(),
            path: ".".into(),
            source,
        })?;
        let raw = field.object(default_kind).ok_or(ObjectError::NoKind)?;
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
