//! The status the audit writes on each SovereigntyException (SPEC §14): its phase and why,
//! the objects it currently lets through (how many, the first ten) and when it last did.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::findings::{Findings, LISTED};
use crate::policy::{CompiledException, ExceptedObject, SovereigntyExceptionStatus, Standing};

/// What the exception's status should say now; `previous` is what was last written (its
/// `lastUsedTime` and the Ready condition's transition time are kept while they hold).
pub fn desired(
    exception: &CompiledException,
    findings: &Findings,
    now: Timestamp,
    previous: Option<&SovereigntyExceptionStatus>,
) -> SovereigntyExceptionStatus {
    let key = exception.key();
    let mut objects: Vec<ExceptedObject> = findings
        .iter()
        .filter(|(_, f)| f.exceptions.iter().any(|(e, _)| *e == key))
        .map(|(k, _)| ExceptedObject {
            kind: k.kind.clone(),
            namespace: (!k.namespace.is_empty()).then(|| k.namespace.clone()),
            name: k.name.clone(),
        })
        .collect();
    objects.sort_by(|a, b| (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name)));
    let uses = objects.len() as i64;
    objects.truncate(LISTED);
    let standing = exception.standing(Some(now.into()));
    let (status, reason, message) = match &standing {
        Standing::Active => ("True", "Active", format!("in force until {}", exception.expires_text)),
        Standing::Expired => ("False", "Expired", format!("expired at {}; it changes nothing", exception.expires_text)),
        Standing::Rejected(reasons) => ("False", "Rejected", reasons.join("; ")),
    };
    let kept = previous
        .and_then(|p| p.conditions.iter().find(|c| c.type_ == "Ready" && c.status == status && c.reason == reason))
        .map(|c| c.last_transition_time.clone());
    let last_used = if uses > 0 { Some(Time(now)) } else { previous.and_then(|p| p.last_used_time.clone()) };
    SovereigntyExceptionStatus {
        phase: Some(standing.phase()),
        conditions: vec![Condition {
            type_: "Ready".into(),
            status: status.into(),
            reason: reason.into(),
            message,
            observed_generation: None,
            last_transition_time: kept.unwrap_or(Time(now)),
        }],
        requested_by: previous.and_then(|p| p.requested_by.clone()),
        uses: Some(uses),
        objects,
        last_used_time: last_used,
        observed_generation: None,
    }
}

/// Whether writing `new` would change what `current` says (the time of last use alone,
/// refreshed on every pass, is not worth a write).
pub fn differs(current: Option<&SovereigntyExceptionStatus>, new: &SovereigntyExceptionStatus) -> bool {
    let Some(current) = current else { return true };
    let strip = |s: &SovereigntyExceptionStatus| SovereigntyExceptionStatus { last_used_time: None, ..s.clone() };
    strip(current) != strip(new) || current.last_used_time.is_none() != new.last_used_time.is_none()
}

/// A merge patch that sets every field the audit owns (`requestedBy` is not one).
pub fn patch(status: &SovereigntyExceptionStatus) -> Value {
    json!({
        "status": {
            "phase": status.phase,
            "conditions": status.conditions,
            "uses": status.uses,
            "objects": status.objects,
            "lastUsedTime": status.last_used_time,
        }
    })
}
