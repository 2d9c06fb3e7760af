//! AdmissionReview v1 in, AdmissionResponse out: the request is read once, judged by the
//! evaluation core, and answered with a reply written for the developer who sent it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::declassify;
use crate::evaluate::{Caller, Change, Context, Decision, Object, ObjectError, Verdict, evaluate};
use crate::kinds;
use crate::policy::SovereigntyPolicy;
use crate::read::{Incoming, OldLabels, OnePass, TextField, TypeOf};
use crate::state::State;
use kube::core::Status;
use kube::core::admission::AdmissionResponse;
use serde::Deserialize;

pub const API_VERSION: &str = "admission.k8s.io/v1";

/// Why a review could not be answered; the API server applies its failurePolicy.
#[derive(Debug, thiserror::Error)]
pub enum BadReview {
    #[error("malformed AdmissionReview: {0}")]
    Malformed(String),
    #[error(
        "unsupported AdmissionReview apiVersion {0:?}: sovereign speaks {API_VERSION} (set admissionReviewVersions: [v1])"
    )]
    Version(String),
    #[error("the AdmissionReview has no request")]
    NoRequest,
    #[error("the AdmissionReview request has no uid")]
    NoUid,
    #[error("the {operation} request for {kind} carries no object")]
    NoObject { operation: String, kind: String },
}

impl BadReview {
    /// A label for the errors metric.
    pub fn metric_label(&self) -> &'static str {
        match self {
            BadReview::Malformed(_) => "malformed_review",
            BadReview::Version(_) => "unsupported_version",
            BadReview::NoRequest | BadReview::NoUid => "no_request",
            BadReview::NoObject { .. } => "no_object",
        }
    }
}

/// The review as read from the body. The object (`O`) is read in the same pass, straight
/// into what evaluation needs ([`OnePass`]), or, when that cannot be done, kept as raw
/// parts in a second pass ([`TextField`]); `oldObject` and every other field are skipped.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Review<O> {
    #[serde(default)]
    api_version: String,
    #[serde(default)]
    kind: String,
    request: Option<Request<O>>,
}

#[derive(Default, Deserialize)]
pub(super) struct Gvk {
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub kind: String,
}

impl Gvk {
    /// The apiVersion this names, standing in for one the object omits.
    pub(super) fn api_version(&self) -> Option<String> {
        match (self.group.as_str(), self.version.as_str()) {
            (_, "") => None,
            ("", version) => Some(version.to_string()),
            (group, version) => Some(format!("{group}/{version}")),
        }
    }
}

#[derive(Default, Deserialize)]
pub(super) struct UserInfo {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Request<O> {
    #[serde(default)]
    pub uid: String,
    #[serde(default)]
    pub kind: Gvk,
    #[serde(default)]
    pub sub_resource: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default)]
    pub operation: String,
    #[serde(default)]
    pub user_info: UserInfo,
    pub object: Option<O>,
    /// The labels of the object as it was (UPDATE, DELETE), read in the same pass with the
    /// rest of it skipped: all the declassification guard needs but for policies.
    #[serde(default)]
    pub old_object: Option<OldLabels>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// What was decided, with the fields the request log carries.
pub struct Answer {
    pub response: AdmissionResponse,
    pub uid: String,
    pub kind: String,
    pub operation: String,
    pub namespace: String,
    pub name: String,
    pub verdict: &'static str,
    pub dry_run: bool,
}

/// Reads, judges and answers one review. `lookup_budget` bounds the one live read a
/// binding may need.
pub async fn answer(body: &[u8], state: &State, lookup_budget: Duration) -> Result<Answer, BadReview> {
    let started = Instant::now();
    let request = read(body)?;
    let kind = request.kind.kind.clone();
    let mut answer = Answer {
        response: allowed(&request.uid),
        uid: request.uid.clone(),
        kind: kind.clone(),
        operation: request.operation.clone(),
        namespace: request.namespace.clone().unwrap_or_default(),
        name: request.name.clone().unwrap_or_default(),
        verdict: "allow",
        dry_run: request.dry_run.unwrap_or(false),
    };
    // What the table says of the kind: the operations it is judged on, and those the
    // declassification guard sees it on. A kind the table does not know is judged on CREATE
    // and UPDATE, and read as one sovereign leaves alone.
    let row = kinds::find(&request.kind.group, &kind);
    let operation = request.operation.as_str();
    let judged = matches!(operation, "CREATE" | "UPDATE") && row.is_none_or(|k| k.operations.contains(&operation));
    let guarded = request.sub_resource.is_none() && row.is_some_and(|k| k.guarded.contains(&operation));
    if !judged && !guarded {
        answer.verdict = "unjudged";
        return Ok(record(answer, state, started));
    }
    let raw = match (request.object, operation) {
        (None, "DELETE") => None,
        (raw, _) => {
            Some(raw.ok_or_else(|| BadReview::NoObject { operation: request.operation.clone(), kind: kind.clone() })?)
        }
    };
    if request.operation == "UPDATE" && raw.as_ref().is_some_and(Incoming::deleting) {
        // Finalizers being removed from an object on its way out: never hold that up.
        answer.verdict = "unjudged";
        return Ok(record(answer, state, started));
    }
    let object = match raw.map(Incoming::parse).transpose() {
        Ok(object) => object,
        Err(e) => return Ok(record(unreadable(answer, state, &kind, &e), state, started)),
    };
    // The object as it was, for the guard; a guarded UPDATE or DELETE without one cannot be
    // judged and is refused. A policy is read whole, in a second pass (rare: policies change
    // seldom); every other kind only by its labels, read in the first.
    let old_policy = match (guarded, &request.old_object, kind.as_str()) {
        (false, _, _) => None,
        (true, None, _) => {
            let e = ObjectError::Missing { kind: kind.clone(), path: "oldObject".into() };
            return Ok(record(unreadable(answer, state, &kind, &e), state, started));
        }
        (true, Some(_), "SovereigntyPolicy") => match old_policy(body) {
            Ok(policy) => Some(policy),
            Err(e) => return Ok(record(unreadable(answer, state, &kind, &e), state, started)),
        },
        (true, Some(_), _) => None,
    };
    if matches!(object, Some(Object::Other { .. })) && !(guarded && kind == "Namespace") {
        answer.verdict = "unhandled";
        return Ok(record(answer, state, started));
    }
    if let Some(object) = &object
        && (request.sub_resource.as_deref() == Some("binding") || matches!(object, Object::Binding(_)))
    {
        ensure_pod_known(object, request.namespace.as_deref(), state, lookup_budget).await;
    }
    let ctx = Context {
        namespace: request.namespace.as_deref(),
        user: request.user_info.username.as_deref(),
        groups: &request.user_info.groups,
        dry_run: answer.dry_run,
        create: operation == "CREATE",
        now: Some(std::time::SystemTime::now()),
        ..Context::of(Caller::Admission)
    };
    let mut decision = match (&object, judged) {
        (Some(object), true) if !matches!(object, Object::Other { .. }) => {
            let policies = state.policies.load();
            let inventory = state.read_inventory();
            evaluate(object, &ctx, &inventory, &policies)
        }
        _ => Decision::allowed(),
    };
    let change = match (&old_policy, &request.old_object, &object) {
        (Some(old), _, new) => {
            let new = match new {
                Some(Object::Policy { policy, .. }) => Some(policy.as_ref()),
                _ => None,
            };
            Some(Change::Policy { old, new })
        }
        (None, Some(old), Some(new)) if guarded => declassify::relabel(old, new),
        _ => None,
    };
    if let Some(change) = change {
        decision.absorb(declassify::judge(&change, &ctx, state, lookup_budget).await);
    }
    if answer.name.is_empty() {
        answer.name = match (&object, &old_policy) {
            (Some(object), _) => object.display_name(),
            (None, Some(policy)) => policy.metadata.name.clone().unwrap_or_default(),
            (None, None) => String::new(),
        };
    }
    for v in &decision.violations {
        state.metrics.violation(&v.policy, &v.data_class, &kind);
    }
    for used in &decision.excepted {
        let exception = format!("{}/{}", used.namespace, used.name);
        tracing::info!(uid = %answer.uid, exception = %exception, policy = %used.policy, data_class = %used.data_class, "{}", used.message);
    }
    for policy in &decision.exempted_by {
        state.metrics.exemption(policy);
        tracing::info!(uid = %answer.uid, policy = %policy, user = ctx.user.unwrap_or(""), "admitted under exemption");
    }
    for d in &decision.declassified {
        if !answer.dry_run {
            state.metrics.declassification(&d.policy, &d.data_class, d.outcome.as_str());
        }
        tracing::info!(
            uid = %answer.uid, kind = %kind, namespace = %answer.namespace, name = %answer.name,
            operation = %answer.operation, user = ctx.user.unwrap_or(""), policy = %d.policy,
            data_class = %d.data_class, outcome = d.outcome.as_str(), dry_run = answer.dry_run,
            "declassification"
        );
    }
    answer.verdict = decision.verdict.as_str();
    answer.response = respond(&request.uid, &decision);
    Ok(record(answer, state, started))
}

/// The policy a review's `oldObject` holds, read in a pass of its own.
fn old_policy(body: &[u8]) -> Result<SovereigntyPolicy, ObjectError> {
    #[derive(Deserialize)]
    struct Old {
        request: OldRequest,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct OldRequest {
        old_object: SovereigntyPolicy,
    }
    let malformed =
        |source| ObjectError::Malformed { kind: "SovereigntyPolicy".into(), path: "oldObject".into(), source };
    serde_json::from_slice::<Old>(body).map(|o| o.request.old_object).map_err(malformed)
}

/// The answer for an object sovereign could not read: a fail-closed 400.
fn unreadable(mut answer: Answer, state: &State, kind: &str, e: &ObjectError) -> Answer {
    state.metrics.error("malformed_object");
    answer.response = denied(&answer.uid, 400, "BadRequest", format!("sovereign could not read this {kind}: {e}"));
    answer.verdict = "deny";
    answer
}

/// Reads the review: in one pass when its object allows (see [`OnePass`]), else in two.
fn read(body: &[u8]) -> Result<Request<Incoming<'_>>, BadReview> {
    if let Ok(review) = serde_json::from_slice::<Review<OnePass>>(body) {
        let request = checked(review)?;
        let api_version = request.kind.api_version();
        let of = TypeOf { api_version: api_version.as_deref(), kind: &request.kind.kind };
        if !request.object.as_ref().is_some_and(|o| o.needs_second_pass(of)) {
            return Ok(request.map_object(|o, of| o.object(of).map(Incoming::OnePass)));
        }
    }
    let review: Review<TextField> = serde_json::from_slice(body).map_err(|e| BadReview::Malformed(e.to_string()))?;
    Ok(checked(review)?.map_object(|o, of| o.object(of).map(Incoming::Text)))
}

/// The request of a review that is one sovereign can answer.
pub(super) fn checked<O>(review: Review<O>) -> Result<Request<O>, BadReview> {
    if review.api_version != API_VERSION {
        return Err(BadReview::Version(review.api_version));
    }
    if review.kind != "AdmissionReview" {
        return Err(BadReview::Malformed(format!("kind is {:?}, expected AdmissionReview", review.kind)));
    }
    let request = review.request.ok_or(BadReview::NoRequest)?;
    if request.uid.is_empty() {
        return Err(BadReview::NoUid);
    }
    Ok(request)
}

impl<O> Request<O> {
    /// The same request with its object read; `read` gets what the request says the object
    /// is, which stands in for a missing kind or apiVersion. `None`: the object is not a
    /// JSON object.
    fn map_object<'a>(self, read: impl FnOnce(O, TypeOf) -> Option<Incoming<'a>>) -> Request<Incoming<'a>> {
        let Request { uid, kind, sub_resource, name, namespace, operation, user_info, object, old_object, dry_run } =
            self;
        let api_version = kind.api_version();
        let object = object.and_then(|o| read(o, TypeOf { api_version: api_version.as_deref(), kind: &kind.kind }));
        Request { uid, kind, sub_resource, name, namespace, operation, user_info, object, old_object, dry_run }
    }
}

/// A binding names a pod the watch may not have delivered yet: read it once, live.
async fn ensure_pod_known(object: &Object, namespace: Option<&str>, state: &State, budget: Duration) {
    let Object::Binding(binding) = object else { return };
    let (Some(source), Some(name)) = (&state.pods, binding.meta.name.as_deref()) else { return };
    let Some(ns) = object.namespace_in(namespace) else { return };
    if state.read_inventory().pod(ns, name).is_some() {
        return;
    }
    match tokio::time::timeout(budget, source.fetch(ns, name)).await {
        Ok(Ok(Some(pod))) => {
            if let Err(e) = state.write_inventory().add(&pod) {
                tracing::warn!(namespace = ns, pod = name, error = %e, "a binding's pod read live is not readable");
            }
        }
        Ok(Ok(None)) => tracing::warn!(namespace = ns, pod = name, "binding for a pod that does not exist"),
        Ok(Err(e)) => {
            state.metrics.error("live_read");
            tracing::warn!(namespace = ns, pod = name, error = %e, "live read of a binding's pod failed");
        }
        Err(_) => {
            state.metrics.error("live_read_timeout");
            tracing::warn!(namespace = ns, pod = name, "live read of a binding's pod timed out");
        }
    }
}

fn record(answer: Answer, state: &State, started: Instant) -> Answer {
    let seconds = started.elapsed().as_secs_f64();
    state.metrics.admission(&answer.kind, &answer.operation, answer.verdict, seconds);
    answer
}

fn allowed(uid: &str) -> AdmissionResponse {
    let mut response = AdmissionResponse::invalid("");
    response.uid = uid.to_string();
    response.allowed = true;
    response.result = Status::default();
    response
}

fn denied(uid: &str, code: u16, reason: &str, message: String) -> AdmissionResponse {
    let mut response = allowed(uid);
    response.allowed = false;
    response.result = Status::failure(&message, reason).with_code(code);
    response
}

/// The reply for a decision: a denial with every violation, warnings, or audit notes.
fn respond(uid: &str, decision: &Decision) -> AdmissionResponse {
    let full: Vec<&str> = decision.violations.iter().map(|v| v.message.as_str()).collect();
    match decision.verdict {
        Verdict::Deny => {
            let message = if full.len() == 1 {
                full[0].to_string()
            } else {
                format!("{} violations:\n- {}", full.len(), full.join("\n- "))
            };
            denied(uid, 403, "Forbidden", message)
        }
        Verdict::Warn | Verdict::Audit => {
            let mut response = allowed(uid);
            if decision.verdict == Verdict::Warn {
                let mut warnings: Vec<String> = decision.violations.iter().map(|v| v.short.clone()).collect();
                warnings.dedup();
                response.warnings = Some(warnings);
            }
            response.audit_annotations = HashMap::from([("violations".to_string(), full.join("\n"))]);
            response
        }
        Verdict::Exempt => {
            let mut response = allowed(uid);
            response.audit_annotations = HashMap::from([("exempted-by".to_string(), decision.exempted_by.join(","))]);
            response
        }
        Verdict::Excepted => {
            let mut response = allowed(uid);
            let mut warnings: Vec<String> = decision.excepted.iter().map(|e| e.short.clone()).collect();
            warnings.dedup();
            response.warnings = Some(warnings);
            let names: Vec<String> = decision.excepted.iter().map(|e| format!("{}/{}", e.namespace, e.name)).collect();
            response.audit_annotations = HashMap::from([("excepted-by".to_string(), names.join(","))]);
            response
        }
        Verdict::Allow | Verdict::Pinned => allowed(uid),
    }
}
