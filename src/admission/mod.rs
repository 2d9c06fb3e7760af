//! The admission HTTP edge: thin handlers around the evaluation core.

mod declassify;
mod mutate;
pub mod review;
mod router;

pub use router::{Limits, metrics_router, router};
