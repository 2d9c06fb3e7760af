//! Policies: the CRD types, their semantic validation and their compiled index.

mod classify;
mod compile;
mod exception;
mod exception_index;
mod jurisdiction;
mod selector;
mod set;
mod stores;
mod types;

pub use classify::ClassifyIndex;
pub use compile::{ClassRule, CompiledPolicy};
pub use exception::*;
pub use exception_index::{CompiledException, Standing, compile_exception, parse_max_duration};
pub use jurisdiction::jurisdiction_countries;
pub use selector::Selector;
pub use set::{PolicySet, RejectedPolicy};
pub use stores::{CompiledStores, StoreKind, Stores, path_steps};
pub use types::*;
