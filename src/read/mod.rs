//! The object readers: how an object's JSON becomes an [`Object`].
//!
//! - the one-pass reader ([`OnePass`]) reads the request's object while the admission
//!   review itself is read, straight into the shape of its kind;
//! - the text reader ([`TextField`]) keeps an object's top-level parts as raw JSON text and
//!   reads them afterwards (the admission path's second pass, and `Object::from_json`);
//! - the value reader ([`Object::parse`]) reads a `serde_json::Value` (files, watchers).
//!
//! All three hand their parts to one set of reading rules ([`parts`]), chosen by the
//! kinds table.

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

mod copies;
mod labels;
mod one_pass;
mod parts;
mod text;

use serde_json::Value;

pub use self::copies::kept_copy;
pub use self::labels::OldLabels;
pub use self::one_pass::{OnePass, OnePassObject};
pub use self::parts::TypeOf;
use self::parts::{Parts, Tree, build};
pub use self::text::{TextField, TextObject};
use crate::object::{Object, ObjectError};

impl<'a> From<&'a str> for TypeOf<'a> {
    /// A kind name alone, without an API version.
    fn from(kind: &'a str) -> Self {
        TypeOf { api_version: None, kind }
    }
}

impl Object {
    /// Reads an object from a `serde_json::Value` (the value reader).
    pub fn parse(value: &Value) -> Result<Object, ObjectError> {
        let kind = value.get("kind").and_then(Value::as_str).filter(|k| !k.is_empty()).ok_or(ObjectError::NoKind)?;
        let api_version = value.get("apiVersion").and_then(Value::as_str);
        let parts = Parts {
            metadata: Tree(value.get("metadata")),
            spec: Tree(value.get("spec")),
            target: Tree(value.get("target")),
        };
        build(TypeOf { api_version, kind }, parts, || Ok(value.clone()))
    }

    /// Reads an object from its JSON text without building a `Value` of it (the text
    /// reader). `default_kind` stands in for a missing `kind`.
    pub fn from_json(json: &str, default_kind: &str) -> Result<Object, ObjectError> {
        let field: TextField = serde_json::from_str(json).map_err(|source| ObjectError::Malformed {
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
}

/// The request's object, however it was read. One per request, moved once or twice:
/// not worth an allocation to even out the variants.
#[allow(clippy::large_enum_variant)]
pub enum Incoming<'a> {
    OnePass(OnePassObject),
    Text(TextObject<'a>),
}

impl Incoming<'_> {
    pub fn kind(&self) -> &str {
        match self {
            Incoming::OnePass(o) => o.kind(),
            Incoming::Text(o) => o.kind(),
        }
    }

    pub fn deleting(&self) -> bool {
        match self {
            Incoming::OnePass(o) => o.deleting(),
            Incoming::Text(o) => o.deleting(),
        }
    }

    pub fn parse(self) -> Result<Object, ObjectError> {
        match self {
            Incoming::OnePass(o) => o.parse(),
            Incoming::Text(o) => o.parse(),
        }
    }
}
