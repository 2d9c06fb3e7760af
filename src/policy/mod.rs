//! Policies: the CRD types, their semantic validation and their compiled index.

mod compile;
mod selector;
mod types;

pub use compile::{ClassRule, ClassifyIndex, CompiledPolicy, PolicySet, RejectedPolicy, jurisdiction_countries};
pub use selector::Selector;
pub use types::*;
