//! The text reader: an object's top-level parts kept as raw JSON text ([`TextField`]), read
//! into their shapes afterwards. The admission path falls back to it when the one-pass
//! reader cannot read an object (its kind came after its spec, or anything in it is
//! malformed): it says precisely what is wrong.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::parts::{Parts, Raw, TypeOf, build};
use crate::object::{Object, ObjectError};

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
pub(super) enum Key {
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
pub struct TextField<'a>(Option<RawParts<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for TextField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(FieldVisitor(PhantomData))
    }
}

struct FieldVisitor<'a>(PhantomData<&'a ()>);

impl<'de: 'a, 'a> Visitor<'de> for FieldVisitor<'a> {
    type Value = TextField<'a>;

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
        Ok(TextField(Some(parts)))
    }

    not_an_object!(TextField(None));
}

impl<'a> TextField<'a> {
    /// The object, if the value is one; `default` (what the request says it is) stands in
    /// for a missing or empty `kind` or `apiVersion`.
    pub fn object<'k>(self, default: impl Into<TypeOf<'k>>) -> Option<TextObject<'a>> {
        let default = default.into();
        let parts = self.0?;
        let text = |part: Option<&RawValue>| {
            part.and_then(|k| serde_json::from_str::<String>(k.get()).ok()).filter(|k| !k.is_empty())
        };
        let kind = text(parts.kind).unwrap_or_else(|| default.kind.to_string());
        let api_version = text(parts.api_version).or_else(|| default.api_version.map(str::to_string));
        Some(TextObject { kind, api_version, parts })
    }
}

/// An object split at its top level, its parts still JSON text.
pub struct TextObject<'a> {
    kind: String,
    api_version: Option<String>,
    parts: RawParts<'a>,
}

impl TextObject<'_> {
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
            Ok(Value::Object(value))
        };
        let parts = Parts { metadata: Raw(p.metadata), spec: Raw(p.spec), target: Raw(p.target) };
        build(TypeOf { api_version: self.api_version.as_deref(), kind: &self.kind }, parts, policy)
    }
}
