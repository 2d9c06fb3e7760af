//! The objects sovereign judges, in the compact form evaluation reads. The readers that
//! build them from JSON live in [`crate::read`]; the table that says what each kind is, in
//! [`crate::kinds`].

use crate::inventory::copies::DataCopy;
use serde_json::Value;

use crate::inventory::{Claim, Meta, PodSpec, Volume};
use crate::kinds::{self, Kind};
use crate::policy::{SovereigntyException, SovereigntyPolicy};

pub use crate::inventory::DEFAULT_NAMESPACE;

/// An object, parsed as far as judging it requires.
#[derive(Debug)]
pub enum Object {
    Pod {
        meta: Meta,
        spec: PodSpec,
    },
    /// A workload that stamps out pods from a template.
    Workload {
        kind: &'static Kind,
        meta: Meta,
        template: Template,
        /// StatefulSet `volumeClaimTemplates`.
        claim_templates: Vec<Claim>,
    },
    Claim(Claim),
    Volume(Volume),
    Binding(Binding),
    /// A copy of data, or a place copies are kept (SPEC §12).
    Copy(DataCopy),
    Policy {
        meta: Meta,
        policy: Box<SovereigntyPolicy>,
    },
    /// A cloud data store of a built-in store kind (SPEC §13).
    Store(Store),
    Exception {
        meta: Meta,
        exception: Box<SovereigntyException>,
    },
    /// A kind sovereign does not judge, with its API group when it was given. `value` is
    /// the object (metadata and spec) when a reader had it whole: a policy may declare the
    /// kind a store (`stores.kinds`).
    Other {
        group: Option<String>,
        kind: String,
        meta: Meta,
        value: Option<Box<Value>>,
    },
}

/// A store kept whole: where its location is read from depends on its kind, and on
/// policies for the kinds they declare.
#[derive(Debug)]
pub struct Store {
    pub kind: &'static Kind,
    pub meta: Meta,
    /// `metadata` and `spec`, as JSON.
    pub value: Value,
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

impl Object {
    /// The row of the kinds table, for every kind sovereign knows.
    pub fn known_kind(&self) -> Option<&'static Kind> {
        let (group, kind) = match self {
            Object::Workload { kind, .. } | Object::Store(Store { kind, .. }) => return Some(kind),
            Object::Copy(copy) => return Some(copy.kind()),
            Object::Other { group, kind, .. } => {
                return match group {
                    Some(group) => kinds::find(group, kind),
                    None => kinds::of(None, kind),
                };
            }
            Object::Pod { .. } => ("", "Pod"),
            Object::Claim(_) => ("", "PersistentVolumeClaim"),
            Object::Volume(_) => ("", "PersistentVolume"),
            Object::Binding(_) => ("", "Binding"),
            Object::Policy { .. } => ("sovereignty.io", "SovereigntyPolicy"),
            Object::Exception { .. } => ("sovereignty.io", "SovereigntyException"),
        };
        kinds::find(group, kind)
    }

    pub fn kind(&self) -> &str {
        match self {
            Object::Other { kind, .. } => kind,
            known => known.known_kind().map_or("", |k| k.kind),
        }
    }

    /// Whether sovereign judges objects of this kind.
    pub fn judged(&self) -> bool {
        self.known_kind().is_some_and(|k| k.roles.judged)
    }

    pub fn meta(&self) -> &Meta {
        match self {
            Object::Pod { meta, .. }
            | Object::Workload { meta, .. }
            | Object::Other { meta, .. }
            | Object::Policy { meta, .. }
            | Object::Exception { meta, .. } => meta,
            Object::Claim(o) => &o.meta,
            Object::Volume(o) => &o.meta,
            Object::Binding(o) => &o.meta,
            Object::Copy(o) => o.meta(),
            Object::Store(o) => &o.meta,
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

    /// Whether the kind lives in a namespace (a kind sovereign does not know is taken as
    /// namespaced).
    pub fn namespaced(&self) -> bool {
        self.known_kind().is_none_or(Kind::namespaced)
    }

    /// The namespace the object lives in: the request's when it names one (an object may
    /// come without one on create), else its own, else `default`. `None` for cluster-scoped
    /// kinds. This is the one place that default is decided.
    pub fn namespace_in<'a>(&'a self, request: Option<&'a str>) -> Option<&'a str> {
        if !self.namespaced() {
            return None;
        }
        let own = self.meta().namespace.as_deref();
        Some(request.filter(|n| !n.is_empty()).or(own.filter(|n| !n.is_empty())).unwrap_or(DEFAULT_NAMESPACE))
    }
}
