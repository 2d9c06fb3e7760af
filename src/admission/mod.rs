//! The admission HTTP edge: thin handlers around the evaluation core.

pub mod review;
mod router;

pub use router::{Limits, metrics_router, router};
