//! How an object's parts are read into the compact form evaluation reads, whatever reader
//! split them (a `serde_json::Value`, raw JSON text, or the one-pass admission reader):
//! containers, environment variables, managedFields and status are skipped, never built.
//! The kinds table says which shape each kind's spec has.

use serde::Deserialize;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::inventory::wire::{ClaimSpecWire, ClaimWire, PodSpecWire, VolumeSpecWire, VolumeWire};
use crate::inventory::{Claim, Meta, PodSpec, Volume};
use crate::kinds::{self, Kind, Reading, TemplateAt};
use crate::object::{Binding, Object, ObjectError, Store, Template};
use crate::policy::SovereigntyPolicy;

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
    fn read_spec(self, reading: Option<Reading>) -> Result<Spec, serde_json::Error>;
}

#[derive(Clone, Copy)]
pub(super) struct Tree<'a>(pub Option<&'a Value>);

impl Part for Tree<'_> {
    fn present(self) -> bool {
        self.0.is_some_and(|v| !v.is_null())
    }
    fn read<T: DeserializeOwned>(self) -> Result<T, serde_json::Error> {
        T::deserialize(self.0.unwrap_or(&Value::Null))
    }
    fn read_spec(self, reading: Option<Reading>) -> Result<Spec, serde_json::Error> {
        SpecSeed(reading).deserialize(self.0.unwrap_or(&Value::Null))
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
    fn read_spec(self, reading: Option<Reading>) -> Result<Spec, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_str(self.0.map_or("null", RawValue::get));
        let spec = SpecSeed(reading).deserialize(&mut de)?;
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
    /// A copy's spec, read whole (small) and then by `copies`.
    Whole(Value),
}

/// Reads a spec in the shape of a kind's reading: the one thing that needs the kind first.
pub(super) struct SpecSeed(pub Option<Reading>);

/// Whether the spec of a kind read this way is read at all.
pub(super) fn reads_spec(reading: Option<Reading>) -> bool {
    matches!(
        reading,
        Some(Reading::Pod | Reading::Workload { .. } | Reading::Claim | Reading::Volume | Reading::Copy(_))
    )
}

impl<'de> DeserializeSeed<'de> for SpecSeed {
    type Value = Spec;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Spec, D::Error> {
        fn or_absent<T>(spec: Option<T>, shape: fn(T) -> Spec) -> Spec {
            spec.map_or(Spec::Absent, shape)
        }
        Ok(match self.0 {
            Some(Reading::Pod) => or_absent(Option::deserialize(d)?, Spec::Pod),
            Some(Reading::Claim) => or_absent(Option::deserialize(d)?, Spec::Claim),
            Some(Reading::Volume) => or_absent(Option::deserialize(d)?, Spec::Volume),
            Some(Reading::Workload { .. }) => or_absent(Option::deserialize(d)?, Spec::Workload),
            Some(Reading::Copy(_)) => or_absent(Option::deserialize(d)?, Spec::Whole),
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

/// What an object says it is: its kind, and its API version when it gives one.
#[derive(Clone, Copy)]
pub struct TypeOf<'a> {
    pub api_version: Option<&'a str>,
    pub kind: &'a str,
}

impl TypeOf<'_> {
    /// The row of the kinds table, when sovereign knows the kind.
    pub fn known(self) -> Option<&'static Kind> {
        kinds::of(self.api_version, self.kind)
    }

    fn other(self, meta: Option<Meta>, whole: Option<Value>) -> Object {
        Object::Other {
            group: self.api_version.filter(|v| !v.is_empty()).map(|v| kinds::group_of(v).to_string()),
            kind: self.kind.to_string(),
            meta: meta.unwrap_or_default(),
            value: whole.map(Box::new),
        }
    }
}

/// The top-level parts of an object that sovereign reads.
pub(super) struct Parts<P> {
    pub metadata: P,
    pub spec: P,
    pub target: P,
}

/// Builds the object of a kind from its parts (a policy is read whole, by `policy`).
pub(super) fn build<P: Part>(
    of: TypeOf,
    parts: Parts<P>,
    policy: impl FnOnce() -> Result<SovereigntyPolicy, serde_json::Error>,
) -> Result<Object, ObjectError> {
    let reading = of.known().map(|k| k.reading);
    let spec = if !reads_spec(reading) {
        Spec::Unread
    } else if parts.spec.present() {
        parts.spec.read_spec(reading).map_err(malformed(of.kind, "spec"))?
    } else {
        Spec::Absent
    };
    let target = if reading == Some(Reading::Binding) { optional(of.kind, parts.target, "target")? } else { None };
    let meta = optional::<Meta, P>(of.kind, parts.metadata, "metadata");
    // Stores, and kinds a policy may declare stores, are kept whole: their location may be
    // anywhere in them.
    let whole = match reading {
        None | Some(Reading::Store(_)) => Some(whole(of, &parts)?),
        Some(_) => None,
    };
    assemble(of, meta, spec, target, whole, policy)
}

/// An object's metadata and spec as JSON, with its kind and apiVersion.
fn whole<P: Part>(of: TypeOf, parts: &Parts<P>) -> Result<Value, ObjectError> {
    let mut value = serde_json::Map::new();
    value.insert("kind".into(), Value::String(of.kind.to_string()));
    if let Some(api_version) = of.api_version {
        value.insert("apiVersion".into(), Value::String(api_version.to_string()));
    }
    for (key, part) in [("metadata", parts.metadata), ("spec", parts.spec)] {
        if let Some(read) = optional::<Value, P>(of.kind, part, key)? {
            value.insert(key.into(), read);
        }
    }
    Ok(Value::Object(value))
}

/// Builds the object of a kind from its parts, read.
pub(super) fn assemble(
    of: TypeOf,
    meta: Result<Option<Meta>, ObjectError>,
    spec: Spec,
    target: Option<TargetWire>,
    whole: Option<Value>,
    policy: impl FnOnce() -> Result<SovereigntyPolicy, serde_json::Error>,
) -> Result<Object, ObjectError> {
    let Some(known) = of.known() else { return Ok(of.other(meta.ok().flatten(), whole)) };
    let kind = known.kind;
    Ok(match (known.reading, spec) {
        (Reading::Workload { template: at, claim_templates }, spec) => {
            let Spec::Workload(spec) = spec else { return Err(missing(kind, at.path())) };
            let claim_templates = if claim_templates {
                spec.volume_claim_templates.into_iter().flatten().map(Claim::from).collect()
            } else {
                Vec::new()
            };
            let template = match at {
                TemplateAt::Spec => spec.template,
                TemplateAt::JobTemplate => spec.job_template.and_then(|j| j.spec).and_then(|s| s.template),
            }
            .ok_or_else(|| missing(kind, at.path()))?;
            let template = Template {
                meta: template.metadata.unwrap_or_default(),
                spec: template.spec.map(PodSpec::from).unwrap_or_default(),
            };
            Object::Workload { kind: known, meta: meta?.unwrap_or_default(), template, claim_templates }
        }
        (Reading::Pod, Spec::Pod(spec)) => Object::Pod { meta: meta?.unwrap_or_default(), spec: spec.into() },
        (Reading::Pod, _) => return Err(missing(kind, "spec")),
        (Reading::Claim, spec) => {
            let spec = if let Spec::Claim(s) = spec { Some(s) } else { None };
            Object::Claim(Claim::from(ClaimWire { metadata: meta?, spec }))
        }
        (Reading::Volume, spec) => {
            let spec = if let Spec::Volume(s) = spec { Some(s) } else { None };
            Object::Volume(Volume::from(VolumeWire { metadata: meta?, spec }))
        }
        (Reading::Binding, _) => {
            let target = target.ok_or_else(|| missing(kind, "target"))?;
            Object::Binding(Binding { meta: meta?.unwrap_or_default(), target: target.name })
        }
        (Reading::Policy, _) => {
            let policy = policy().map_err(malformed(kind, "."))?;
            Object::Policy { meta: policy.metadata.clone().into(), policy: Box::new(policy) }
        }
        (Reading::Copy(reading), spec) => {
            let spec = if let Spec::Whole(v) = spec { Some(v) } else { None };
            super::copies::copy(reading, kind, meta?.unwrap_or_default(), spec)?
        }
        (Reading::Store(_), _) => {
            let value = whole.ok_or_else(|| missing(kind, "metadata and spec"))?;
            Object::Store(Store { kind: known, meta: meta?.unwrap_or_default(), value })
        }
        (Reading::Metadata | Reading::StorageClass | Reading::Kept, _) => of.other(meta.ok().flatten(), None),
    })
}
