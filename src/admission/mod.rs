//! The admission HTTP edge: thin handlers around the evaluation core.

mod declassify;
mod mutate;
pub mod review;
mod router;
mod shared;

pub use router::{metrics_router, router};
pub use shared::Limits;
