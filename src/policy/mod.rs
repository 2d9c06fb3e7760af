//! Policies: the CRD types, their semantic validation and their compiled index.

mod classify;
mod compile;
mod duration;
mod exception;
mod exception_index;
mod jurisdiction;
mod selector;
mod set;
mod stores;
mod types;

pub use classify::ClassifyIndex;
pub use compile::{ClassRule, CompiledPolicy};
pub use duration::parse_max_duration;
pub use exception::*;
pub use exception_index::{CompiledException, Standing};
pub use jurisdiction::jurisdiction_countries;
pub use selector::Selector;
pub use set::{PolicySet, RejectedPolicy, compile_exception};
pub use stores::{CompiledStores, StoreKind, Stores, path_steps};
pub use types::*;
