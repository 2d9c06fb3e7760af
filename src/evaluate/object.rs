//! The objects sovereign judges, read from their JSON form whatever their API version,
//! straight into the compact forms evaluation reads: containers, environment variables,
//! managedFields and status are skipped, never built.

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny};
use serde_json::Value;
use serde_json::value::RawValue;

use super::incoming::RawField;
use crate::inventory::wire::{ClaimSpecWire, ClaimWire, PodSpecWire, VolumeSpecWire, VolumeWire};
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
pub(super) struct TemplateWire {
    #[serde(default)]
    metadata: Option<Meta>,
    #[serde(default)]
    spec: Option<PodSpecWire>,
}

#[derive(Deserialize)]
pub(super) struct JobSpecWire {
    #[serde(default)]
    template: Option<TemplateWire>,
}

#[derive(Deserialize)]
pub(super) struct JobTemplateWire {
    #[serde(default)]
    spec: Option<JobSpecWire>,
}

/// The spec of any workload kind: the template where it is, and claim templates.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct WorkloadSpecWire {
    #[serde(default)]
    template: Option<TemplateWire>,
    #[serde(default)]
    job_template: Option<JobTemplateWire>,
    #[serde(default)]
    volume_claim_templates: Option<Vec<ClaimWire>>,
}

#[derive(Deserialize)]
pub(super) struct TargetWire {
    #[serde(default)]
    name: Option<String>,
}

/// A part of an object that can be deserialized: a `Value` or raw JSON text.
pub(super) trait Part: Copy {
    fn present(self) -> bool;
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error>;
    fn read_spec(self, kind: &str) -> Result<Spec, serde_json::Error>;
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
    fn read_spec(self, kind: &str) -> Result<Spec, serde_json::Error> {
        SpecSeed(kind).deserialize(self.0.unwrap_or(&Value::Null))
    }
}

#[derive(Clone, Copy)]
pub(super) struct Raw<'a>(pub Option<&'a RawValue>);

impl Part for Raw<'_> {
    fn present(self) -> bool {
        self.0.is_some_and(|v| v.get() != "null")
    }
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.0.map_or("null", RawValue::get))
    }
    fn read_spec(self, kind: &str) -> Result<Spec, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.0.map_or("null", RawValue::get));
        let spec = SpecSeed(kind).deserialize(&mut de)?;
        de.end()?;
        Ok(spec)
    }
}

/// The spec of an object, read into the shape its kind has. Read once per request and
/// taken apart at once: not worth an allocation to even out the variants.
#[allow(clippy::large_enum_variant)]
pub(super) enum Spec {
    /// No spec, or null.
    Absent,
    /// A kind whose spec sovereign does not read.
    Unread,
    Pod(PodSpecWire),
    Workload(WorkloadSpecWire),
    Claim(ClaimSpecWire),
    Volume(VolumeSpecWire),
}

/// Reads a spec in the shape of `kind`: the one thing that needs the kind first.
pub(super) struct SpecSeed<'k>(pub &'k str);

impl SpecSeed<'_> {
    /// Whether the kind's spec is read at all.
    pub(super) fn reads(kind: &str) -> bool {
        matches!(kind, "Pod" | "PersistentVolumeClaim" | "PersistentVolume")
            || TEMPLATE_KINDS.iter().any(|(k, _)| *k == kind)
    }
}

impl<'de> DeserializeSeed<'de> for SpecSeed<'_> {
    type Value = Spec;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Spec, D::Error> {
        fn or_absent<T>(spec: Option<T>, shape: fn(T) -> Spec) -> Spec {
            spec.map_or(Spec::Absent, shape)
        }
        Ok(match self.0 {
            "Pod" => or_absent(Option::deserialize(d)?, Spec::Pod),
            "PersistentVolumeClaim" => or_absent(Option::deserialize(d)?, Spec::Claim),
            "PersistentVolume" => or_absent(Option::deserialize(d)?, Spec::Volume),
            kind if TEMPLATE_KINDS.iter().any(|(k, _)| *k == kind) => {
                or_absent(Option::deserialize(d)?, Spec::Workload)
            }
            _ => {
                IgnoredAny::deserialize(d)?;
                Spec::Unread
            }
        })
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
pub(super) struct Parts<P> {
    pub metadata: P,
    pub spec: P,
    pub target: P,
}

/// Builds the object of a kind from its parts (a policy is read whole, by `policy`).
pub(super) fn build<P: Part>(
    kind: &str,
    parts: Parts<P>,
    policy: impl FnOnce() -> Result<SovereigntyPolicy, serde_json::Error>,
) -> Result<Object, ObjectError> {
    let spec = if !SpecSeed::reads(kind) {
        Spec::Unread
    } else if parts.spec.present() {
        parts.spec.read_spec(kind).map_err(malformed(kind, "spec"))?
    } else {
        Spec::Absent
    };
    let target = if kind == "Binding" { optional(kind, parts.target, "target")? } else { None };
    let meta = optional::<Meta, P>(kind, parts.metadata, "metadata");
    assemble(kind, meta, spec, target, policy)
}

/// Builds the object of a kind from its parts, read.
pub(super) fn assemble(
    kind: &str,
    meta: Result<Option<Meta>, ObjectError>,
    spec: Spec,
    target: Option<TargetWire>,
    policy: impl FnOnce() -> Result<SovereigntyPolicy, serde_json::Error>,
) -> Result<Object, ObjectError> {
    if let Some((_, path)) = TEMPLATE_KINDS.iter().find(|(k, _)| *k == kind) {
        let Spec::Workload(spec) = spec else { return Err(missing(kind, path)) };
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
        return Ok(Object::Workload {
            kind: kind.to_string(),
            meta: meta?.unwrap_or_default(),
            template,
            claim_templates,
        });
    }
    Ok(match (kind, spec) {
        ("Pod", Spec::Pod(spec)) => Object::Pod { meta: meta?.unwrap_or_default(), spec: spec.into() },
        ("Pod", _) => return Err(missing(kind, "spec")),
        ("PersistentVolumeClaim", spec) => {
            let spec = if let Spec::Claim(s) = spec { Some(s) } else { None };
            Object::Claim(Claim::from(ClaimWire { metadata: meta?, spec }))
        }
        ("PersistentVolume", spec) => {
            let spec = if let Spec::Volume(s) = spec { Some(s) } else { None };
            Object::Volume(Volume::from(VolumeWire { metadata: meta?, spec }))
        }
        ("Binding", _) => {
            let target = target.ok_or_else(|| missing(kind, "target"))?;
            Object::Binding(Binding { meta: meta?.unwrap_or_default(), target: target.name })
        }
        ("SovereigntyPolicy", _) => {
            let policy = policy().map_err(malformed(kind, "."))?;
            Object::Policy { meta: policy.metadata.clone().into(), policy: Box::new(policy) }
        }
        _ => Object::Other { kind: kind.to_string(), meta: meta.ok().flatten().unwrap_or_default() },
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
        if raw.kind().is_empty() {
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
