//! What every admission handler is given: the shared state and the request limits.

use std::sync::Arc;
use std::time::Duration;

use crate::state::State;

#[derive(Clone)]
pub(super) struct Shared {
    pub(super) state: Arc<State>,
    pub(super) limits: Limits,
}

/// Bounds on one request.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Largest body accepted; larger ones get 413.
    pub max_body_bytes: usize,
    /// Time to answer, kept below the webhook's `timeoutSeconds`.
    pub deadline: Duration,
}
