//! Shared by the benchmarks (`benches/admission.rs`, `benches/tools/benchkit.rs`) and the
//! differential test (`tests/differential.rs`), which include it with `#[path]`.
#![allow(dead_code)]

pub mod engines;
pub mod fixtures;
