//! `POST /mutate`: the MutatingWebhook that pins classified Pods and pod templates to their
//! allowed regions (SPEC §15). A thin edge around [`crate::evaluate::pin`].
//!
//! The mutating webhook fails open (`failurePolicy: Ignore`): validation, which runs after it,
//! is what keeps unconfined objects out. So anything this endpoint cannot read is answered
//! "allowed, unchanged", and the reason is logged and counted, never a panic.

use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State as Extract;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::prelude::{BASE64_STANDARD, Engine as _};
use kube::core::Status;
use kube::core::admission::AdmissionResponse;
use serde_json::{Value, json};

use super::review::{BadReview, Request, Review, checked};
use super::shared::Shared;
use crate::evaluate::{Caller, Context, Object, ObjectError, PinOutcome, pin};
use crate::policy::REQUESTED_BY_ANNOTATION;
use crate::state::State;

/// What `/mutate` answered, for the log.
struct Mutation {
    response: AdmissionResponse,
    uid: String,
    kind: String,
    operation: String,
    namespace: String,
    name: String,
    /// "pinned", "recorded" (an exception's requester), "unchanged", "refused",
    /// "unreadable" or "unjudged".
    outcome: &'static str,
    dry_run: bool,
}

pub(super) async fn mutate(Extract(shared): Extract<Shared>, body: Bytes) -> Response {
    let started = Instant::now();
    let state = &shared.state;
    match answer(&body, state) {
        Err(bad) => {
            state.metrics.error(bad.metric_label());
            tracing::warn!(error = %bad, "rejected a malformed mutating admission request");
            (StatusCode::BAD_REQUEST, format!("{bad}\n")).into_response()
        }
        Ok(m) => {
            tracing::info!(
                uid = %m.uid,
                kind = %m.kind,
                operation = %m.operation,
                namespace = %m.namespace,
                name = %m.name,
                outcome = m.outcome,
                dry_run = m.dry_run,
                duration_us = started.elapsed().as_micros() as u64,
                "mutation"
            );
            match serde_json::to_value(m.response.into_review()).map(base64_patch).and_then(|r| serde_json::to_vec(&r))
            {
                Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
                Err(e) => {
                    state.metrics.error("serialize");
                    tracing::error!(error = %e, "could not serialize a mutating admission response");
                    (StatusCode::SERVICE_UNAVAILABLE, "sovereign could not write its answer\n").into_response()
                }
            }
        }
    }
}

fn answer(body: &[u8], state: &State) -> Result<Mutation, BadReview> {
    let review: Review<Value> = serde_json::from_slice(body).map_err(|e| BadReview::Malformed(e.to_string()))?;
    let request = checked(review)?;
    let mut m = Mutation {
        response: unchanged(&request.uid),
        uid: request.uid.clone(),
        kind: request.kind.kind.clone(),
        operation: request.operation.clone(),
        namespace: request.namespace.clone().unwrap_or_default(),
        name: String::new(),
        outcome: "unjudged",
        dry_run: request.dry_run.unwrap_or(false),
    };
    if request.kind.group == "sovereignty.io" && m.kind == "SovereigntyException" && request.sub_resource.is_none() {
        return Ok(record_requester(m, &request, body));
    }
    // A pod's affinity cannot change once it exists; workloads may be pinned on update too.
    let judged = match request.operation.as_str() {
        "CREATE" => request.sub_resource.is_none(),
        "UPDATE" => request.sub_resource.is_none() && m.kind != "Pod",
        _ => false,
    };
    let Some(mut value) = request.object.filter(|_| judged) else { return Ok(m) };
    // What the request says the object is stands in for what the object omits.
    if let Value::Object(map) = &mut value {
        let missing = |map: &serde_json::Map<String, Value>, key: &str| {
            map.get(key).and_then(Value::as_str).is_none_or(str::is_empty)
        };
        if missing(map, "kind") {
            map.insert("kind".into(), Value::String(m.kind.clone()));
        }
        if let (true, Some(api_version)) = (missing(map, "apiVersion"), request.kind.api_version()) {
            map.insert("apiVersion".into(), Value::String(api_version));
        }
    }
    let deleting = value.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
    if deleting {
        return Ok(m);
    }
    let object = match Object::parse(&value) {
        Ok(object) => object,
        Err(e) => return Ok(unreadable(m, state, &e)),
    };
    if !matches!(object, Object::Pod { .. } | Object::Workload { .. }) {
        return Ok(m);
    }
    m.name = object.display_name();
    let ctx = Context {
        namespace: request.namespace.as_deref(),
        user: request.user_info.username.as_deref(),
        groups: &request.user_info.groups,
        dry_run: request.dry_run.unwrap_or(false),
        now: Some(std::time::SystemTime::now()),
        ..Context::of(Caller::Admission)
    };
    let outcome = {
        let policies = state.policies.load();
        let inventory = state.read_inventory();
        pin(&value, &object, &ctx, &inventory, &policies)
    };
    match outcome {
        PinOutcome::Untouched => m.outcome = "unchanged",
        PinOutcome::Refused(why) => {
            m.outcome = "refused";
            tracing::info!(uid = %m.uid, reason = %why, "not pinned; validation judges it as it is");
        }
        PinOutcome::Pinned(pinning) => {
            let warning = pinning.warning();
            match m.response.clone().with_patch(pinning.patch.clone()) {
                Ok(mut response) => {
                    response.warnings = Some(vec![warning]);
                    m.response = response;
                    m.outcome = "pinned";
                    if !m.dry_run {
                        for p in &pinning.pinned {
                            state.metrics.pinned(&p.policy, &p.data_class, &m.kind);
                        }
                    }
                }
                Err(e) => {
                    state.metrics.error("serialize_patch");
                    tracing::error!(uid = %m.uid, error = %e, "could not serialize a pinning patch");
                }
            }
        }
    }
    Ok(m)
}

/// A SovereigntyException: its creator recorded in the `sovereignty.io/requested-by`
/// annotation on CREATE (from the request, whatever the object says), and kept as it was on
/// UPDATE, so that the audit can copy it into `status.requestedBy` and validation can refuse
/// an exception approved by whoever requested it (SPEC §14).
fn record_requester(mut m: Mutation, request: &Request<Value>, body: &[u8]) -> Mutation {
    let Some(object) = &request.object else { return m };
    m.name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
    let annotations = object.pointer("/metadata/annotations").and_then(Value::as_object);
    let current = annotations.and_then(|a| a.get(REQUESTED_BY_ANNOTATION)).and_then(Value::as_str);
    let wanted: Option<String> = match request.operation.as_str() {
        "CREATE" => request.user_info.username.clone(),
        "UPDATE" => {
            // The old annotations, in a pass of their own (exceptions change seldom).
            let review: Value = serde_json::from_slice(body).unwrap_or_default();
            let old =
                review.pointer("/request/oldObject/metadata/annotations").and_then(|a| a.get(REQUESTED_BY_ANNOTATION));
            old.and_then(Value::as_str).map(str::to_string)
        }
        _ => return m,
    };
    if current == wanted.as_deref() {
        m.outcome = "unchanged";
        return m;
    }
    let path = format!("/metadata/annotations/{}", REQUESTED_BY_ANNOTATION.replace('~', "~0").replace('/', "~1"));
    let operation = match (&wanted, annotations) {
        (Some(user), Some(_)) => json!({ "op": "add", "path": path, "value": user }),
        (Some(user), None) => {
            json!({ "op": "add", "path": "/metadata/annotations", "value": { REQUESTED_BY_ANNOTATION: user } })
        }
        (None, _) => json!({ "op": "remove", "path": path }),
    };
    let patch = serde_json::from_value(json!([operation])).expect("a JSON Patch of one operation");
    match m.response.clone().with_patch(patch) {
        Ok(response) => {
            m.response = response;
            m.outcome = "recorded";
        }
        Err(e) => tracing::error!(uid = %m.uid, error = %e, "could not serialize the requested-by patch"),
    }
    m
}

/// An object this endpoint cannot read: allowed unchanged, for validation to reject.
fn unreadable(mut m: Mutation, state: &State, error: &ObjectError) -> Mutation {
    state.metrics.error("malformed_object");
    tracing::warn!(uid = %m.uid, error = %error, "not pinned: the object cannot be read");
    m.response.warnings = Some(vec![format!("sovereign could not read this {} to pin it: {error}", m.kind)]);
    m.outcome = "unreadable";
    m
}

/// kube serializes `response.patch` as an array of bytes; the API server's own types (and every
/// client reading a review) expect a Go `[]byte`, i.e. a base64 string.
fn base64_patch(mut review: Value) -> Value {
    if let Some(patch) = review.pointer_mut("/response/patch")
        && let Some(bytes) = patch.as_array()
    {
        let bytes: Vec<u8> = bytes.iter().filter_map(Value::as_u64).map(|b| b as u8).collect();
        *patch = Value::String(BASE64_STANDARD.encode(&bytes));
    }
    review
}

fn unchanged(uid: &str) -> AdmissionResponse {
    let mut response = AdmissionResponse::invalid("");
    response.uid = uid.to_string();
    response.allowed = true;
    response.result = Status::default();
    response
}
