//! Routes: `POST /validate`, `POST /mutate`, `GET /healthz`, `GET /readyz` (HTTPS); `GET /metrics` (plain).

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State as Extract};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use super::review::answer;
use super::shared::{Limits, Shared};
use crate::state::State;

pub fn router(state: Arc<State>, limits: Limits) -> Router {
    Router::new()
        .route("/validate", post(validate))
        .route("/mutate", post(super::mutate::mutate))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        .with_state(Shared { state, limits })
}

pub fn metrics_router(state: Arc<State>) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(state)
}

async fn validate(Extract(shared): Extract<Shared>, body: Bytes) -> Response {
    let started = Instant::now();
    let state = &shared.state;
    // The one live read a binding may need gets most of the budget; evaluation is microseconds.
    let lookup_budget = shared.limits.deadline.mul_f32(0.8);
    match tokio::time::timeout(shared.limits.deadline, answer(&body, state, lookup_budget)).await {
        Err(_) => {
            state.metrics.error("deadline");
            tracing::error!(deadline = ?shared.limits.deadline, "admission review exceeded its deadline");
            (StatusCode::SERVICE_UNAVAILABLE, "sovereign could not answer within its deadline\n").into_response()
        }
        Ok(Err(bad)) => {
            state.metrics.error(bad.metric_label());
            tracing::warn!(error = %bad, "rejected a malformed admission request");
            (StatusCode::BAD_REQUEST, format!("{bad}\n")).into_response()
        }
        Ok(Ok(a)) => {
            tracing::info!(
                uid = %a.uid,
                kind = %a.kind,
                operation = %a.operation,
                namespace = %a.namespace,
                name = %a.name,
                verdict = a.verdict,
                dry_run = a.dry_run,
                duration_us = started.elapsed().as_micros() as u64,
                "admission"
            );
            let review = a.response.into_review();
            match serde_json::to_vec(&review) {
                Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
                Err(e) => {
                    state.metrics.error("serialize");
                    tracing::error!(error = %e, "could not serialize an admission response");
                    (StatusCode::SERVICE_UNAVAILABLE, "sovereign could not write its answer\n").into_response()
                }
            }
        }
    }
}

async fn readyz(Extract(shared): Extract<Shared>) -> Response {
    match shared.state.readiness.check() {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(problems) => {
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready:\n- {}\n", problems.join("\n- "))).into_response()
        }
    }
}

async fn metrics(Extract(state): Extract<Arc<State>>) -> Response {
    for (kind, count) in state.read_inventory().sizes() {
        state.metrics.set_inventory(kind, count);
    }
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
        .into_response()
}
