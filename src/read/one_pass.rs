//! The one-pass reader: the request's object read in the same pass as the review.
//!
//! Objects from the API server name their kind and apiVersion before their spec, so the
//! spec can be read straight into the shape of its kind while the review is read
//! ([`OnePass`]). When that is not so, the admission path reads the review again with the
//! text reader ([`super::TextField`]).

use std::fmt;

use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::parts::{Spec, SpecSeed, TargetWire, TypeOf, assemble};
use super::text::Key;
use crate::inventory::Meta;
use crate::kinds::Reading;
use crate::object::{Object, ObjectError};

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
pub struct OnePass(Option<OnePassParts>);

struct OnePassParts {
    kind: Option<String>,
    api_version: Option<String>,
    meta: Option<Meta>,
    deleting: bool,
    spec: Spec,
    target: Option<TargetWire>,
    /// How the spec was read, when there was one: by the kind and the apiVersion seen
    /// before it. The object needs the second pass when its final kind reads otherwise.
    spec_reading: Option<Option<Reading>>,
    /// The spec came before the kind (or the kind or apiVersion came twice): read the
    /// slow way.
    out_of_order: bool,
}

impl<'de> Deserialize<'de> for OnePass {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(OnePassVisitor)
    }
}

struct OnePassVisitor;

impl<'de> Visitor<'de> for OnePassVisitor {
    type Value = OnePass;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<OnePass, A::Error> {
        let mut parts = OnePassParts {
            kind: None,
            api_version: None,
            meta: None,
            deleting: false,
            spec: Spec::Absent,
            target: None,
            spec_reading: None,
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
                Key::ApiVersion => {
                    parts.out_of_order |= parts.api_version.is_some();
                    parts.api_version = Some(map.next_value::<String>()?).filter(|v| !v.is_empty());
                }
                Key::Spec => {
                    spec_seen = true;
                    match &parts.kind {
                        Some(kind) => {
                            let of = TypeOf { api_version: parts.api_version.as_deref(), kind };
                            let reading = of.known().map(|k| k.reading);
                            parts.spec_reading = Some(reading);
                            parts.spec = map.next_value_seed(SpecSeed(reading))?;
                        }
                        None => {
                            parts.out_of_order = true;
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Key::Target => parts.target = map.next_value::<Option<TargetWire>>()?,
                Key::Status | Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(OnePass(Some(parts)))
    }

    not_an_object!(OnePass(None));
}

impl OnePass {
    /// Whether the one pass could not read this object: its kind came too late, its spec
    /// was read before an apiVersion that makes it another kind, or it is read whole (a
    /// SovereigntyPolicy, a store, or a kind sovereign does not know, which a policy may
    /// declare a store). `default` stands in for a missing kind or apiVersion.
    pub fn needs_second_pass<'k>(&self, default: impl Into<TypeOf<'k>>) -> bool {
        let default = default.into();
        let Some(p) = &self.0 else { return false };
        let of = TypeOf {
            api_version: p.api_version.as_deref().or(default.api_version),
            kind: p.kind.as_deref().unwrap_or(default.kind),
        };
        let reading = of.known().map(|k| k.reading);
        let whole = matches!(reading, None | Some(Reading::Policy | Reading::Store(_) | Reading::Exception));
        p.out_of_order || whole || p.spec_reading.is_some_and(|read_as| read_as != reading)
    }

    /// The object, if the value is one; `default` (what the request says it is) stands in
    /// for a missing kind or apiVersion.
    pub fn object<'k>(self, default: impl Into<TypeOf<'k>>) -> Option<OnePassObject> {
        let default = default.into();
        let parts = self.0?;
        let kind = parts.kind.clone().unwrap_or_else(|| default.kind.to_string());
        let api_version = parts.api_version.clone().or_else(|| default.api_version.map(str::to_string));
        Some(OnePassObject { kind, api_version, parts })
    }
}

/// An object read in one pass, ready to assemble.
pub struct OnePassObject {
    kind: String,
    api_version: Option<String>,
    parts: OnePassParts,
}

impl OnePassObject {
    pub fn kind(&self) -> &str {
        &self.kind
    }

    pub fn deleting(&self) -> bool {
        self.parts.deleting
    }

    pub fn parse(self) -> Result<Object, ObjectError> {
        let p = self.parts;
        let of = TypeOf { api_version: self.api_version.as_deref(), kind: &self.kind };
        let target = if of.known().map(|k| k.reading) == Some(Reading::Binding) { p.target } else { None };
        // Policies and exceptions take the second pass (`needs_second_pass`), so this is
        // never called.
        let no_policy = || Ok(Value::Null);
        assemble(of, Ok(p.meta), p.spec, target, None, no_policy)
    }
}
