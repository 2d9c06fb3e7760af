//! The request's object as the admission path reads it, in the same pass as the review.
//!
//! Objects from the API server name their kind before their spec, so the spec can be read
//! straight into the shape of its kind while the review is read ([`Fast`]): one pass over
//! the body. When that is not so, or anything in it is malformed, the review is read
//! again keeping the object's top-level parts as raw text ([`RawField`]), which reads the
//! parts afterwards and says precisely what is wrong.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::object::{Object, ObjectError, Parts, Raw, Spec, SpecSeed, TargetWire, assemble, build};
use crate::inventory::Meta;
use crate::policy::SovereigntyPolicy;

/// Visitor methods for every JSON value but an object: skipped, remembered as no object.
macro_rules! not_an_object {
    ($none:expr) => {
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($none)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($none)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($none)
        }
    };
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

    not_an_object!(RawField(None));
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

/// Metadata as the one-pass reading keeps it: what evaluation reads and whether the object
/// is being deleted.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaWire {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    generate_name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    labels: Option<crate::inventory::Labels>,
    #[serde(default)]
    deletion_timestamp: Option<IgnoredAny>,
}

/// The request's object read in the review's own pass. `None`: not an object.
pub struct Fast(Option<FastParts>);

struct FastParts {
    kind: Option<String>,
    meta: Option<Meta>,
    deleting: bool,
    spec: Spec,
    target: Option<TargetWire>,
    /// The spec came before the kind (or the kind twice): read the slow way.
    out_of_order: bool,
}

impl<'de> Deserialize<'de> for Fast {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FastVisitor)
    }
}

struct FastVisitor;

impl<'de> Visitor<'de> for FastVisitor {
    type Value = Fast;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fast, A::Error> {
        let mut parts = FastParts {
            kind: None,
            meta: None,
            deleting: false,
            spec: Spec::Absent,
            target: None,
            out_of_order: false,
        };
        let mut spec_seen = false;
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Kind => {
                    parts.out_of_order |= parts.kind.is_some() || spec_seen;
                    parts.kind = Some(map.next_value::<String>()?).filter(|k| !k.is_empty());
                }
                Key::Metadata => {
                    let wire = map.next_value::<Option<MetaWire>>()?;
                    parts.deleting = wire.as_ref().is_some_and(|m| m.deletion_timestamp.is_some());
                    parts.meta = wire.map(|m| Meta {
                        name: m.name,
                        generate_name: m.generate_name,
                        namespace: m.namespace,
                        labels: m.labels,
                    });
                }
                Key::Spec => {
                    spec_seen = true;
                    match &parts.kind {
                        Some(kind) => parts.spec = map.next_value_seed(SpecSeed(kind))?,
                        None => {
                            parts.out_of_order = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Key::Target => parts.target = map.next_value::<Option<TargetWire>>()?,
                Key::ApiVersion | Key::Status | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Fast(Some(parts)))
    }

    not_an_object!(Fast(None));
}

impl Fast {
    /// Whether the one pass could not read this object: its kind came too late, or it is
    /// a SovereigntyPolicy (read whole). `default_kind` stands in for a missing kind.
    pub fn needs_second_pass(&self, default_kind: &str) -> bool {
        self.0
            .as_ref()
            .is_some_and(|p| p.out_of_order || p.kind.as_deref().unwrap_or(default_kind) == "SovereigntyPolicy")
    }

    /// The object, if the value is one; `default_kind` stands in for a missing kind.
    pub fn object(self, default_kind: &str) -> Option<ReadObject> {
        let parts = self.0?;
        let kind = parts.kind.clone().unwrap_or_else(|| default_kind.to_string());
        Some(ReadObject { kind, parts })
    }
}

/// An object read in one pass, ready to assemble.
pub struct ReadObject {
    kind: String,
    parts: FastParts,
}

impl ReadObject {
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn deleting(&self) -> bool {
        self.parts.deleting
    }

    pub fn parse(self) -> Result<Object, ObjectError> {
        let p = self.parts;
        let target = if self.kind == "Binding" { p.target } else { None };
        // Policies take the second pass (`needs_second_pass`), so this is never called.
        let no_policy = || SovereigntyPolicy::deserialize(Value::Null);
        assemble(&self.kind, Ok(p.meta), p.spec, target, no_policy)
    }
}

/// The request's object, however it was read. One per request, moved once or twice:
/// not worth an allocation to even out the variants.
#[allow(clippy::large_enum_variant)]
pub enum Incoming<'a> {
    Read(ReadObject),
    Raw(RawObject<'a>),
}

impl Incoming<'_> {
    pub fn kind(&self) -> &str {
        match self {
            Incoming::Read(o) => o.kind(),
            Incoming::Raw(o) => o.kind(),
        }
    }

    pub fn deleting(&self) -> bool {
        match self {
            Incoming::Read(o) => o.deleting(),
            Incoming::Raw(o) => o.deleting(),
        }
    }

    pub fn parse(self) -> Result<Object, ObjectError> {
        match self {
            Incoming::Read(o) => o.parse(),
            Incoming::Raw(o) => o.parse(),
        }
    }
}
