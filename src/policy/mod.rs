//! Policies: the CRD types, their semantic validation and their compiled index.

mod compile;
mod selector;
mod stores;
mod types;

pub use compile::{ClassRule, ClassifyIndex, CompiledPolicy, PolicySet, RejectedPolicy, jurisdiction_countries};
pub use selector::Selector;
pub use stores::{CompiledStores, StoreKind, Stores, path_steps};
pub use types::*;
