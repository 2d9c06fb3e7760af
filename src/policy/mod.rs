//! Policies: the CRD types, their semantic validation and their compiled index.

mod compile;
mod exception;
mod exception_index;
mod selector;
mod stores;
mod types;

pub use compile::{ClassRule, ClassifyIndex, CompiledPolicy, PolicySet, RejectedPolicy, jurisdiction_countries};
pub use exception::*;
pub use exception_index::{CompiledException, Standing, compile_exception, parse_max_duration};
pub use selector::Selector;
pub use stores::{CompiledStores, StoreKind, Stores, path_steps};
pub use types::*;
