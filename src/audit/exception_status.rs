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
        // Recorded once: who created it does not change.
        requested_by: previous.and_then(|p| p.requested_by.clone()).or_else(|| exception.requested_by.clone()),
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

/// A merge patch that sets every field the audit owns (`requestedBy` only while it is
/// unrecorded: [`desired`] keeps the first value).
pub fn patch(status: &SovereigntyExceptionStatus) -> Value {
    json!({
        "status": {
            "phase": status.phase,
            "requestedBy": status.requested_by,
            "conditions": status.conditions,
            "uses": status.uses,
            "objects": status.objects,
            "lastUsedTime": status.last_used_time,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicySet, SovereigntyException, compile_exception};

    fn compiled(annotation: Option<&str>) -> CompiledException {
        let mut exception: SovereigntyException = serde_json::from_value(json!({
            "apiVersion": "sovereignty.io/v1alpha1",
            "kind": "SovereigntyException",
            "metadata": { "name": "scc", "namespace": "compliance" },
            "spec": {
                "policy": "eu-gdpr", "dataClasses": ["eu-personal"], "match": { "namespaces": ["analytics"] },
                "allowedRegions": ["us-east-1"],
                "legalBasis": { "type": "StandardContractualClauses", "reference": "SCC-1" },
                "justification": "A transfer under standard contractual clauses.",
                "approvedBy": "dpo@example.eu", "expires": "2030-01-01T00:00:00Z"
            }
        }))
        .unwrap();
        if let Some(user) = annotation {
            exception.metadata.annotations =
                Some([(crate::policy::REQUESTED_BY_ANNOTATION.to_string(), user.to_string())].into());
        }
        compile_exception(&exception, &PolicySet::default())
    }

    #[test]
    fn the_requester_is_recorded_from_the_annotation_once_and_then_kept() {
        let now = Timestamp::from_second(1_900_000_000).unwrap();
        let findings = Findings::default();
        let first = desired(&compiled(Some("alice@example.eu")), &findings, now, None);
        assert_eq!(first.requested_by.as_deref(), Some("alice@example.eu"));
        assert_eq!(patch(&first)["status"]["requestedBy"], "alice@example.eu");
        // Recorded once: a later annotation (a forged UPDATE) changes nothing.
        let later = desired(&compiled(Some("mallory@example.eu")), &findings, now, Some(&first));
        assert_eq!(later.requested_by.as_deref(), Some("alice@example.eu"));
        assert!(!differs(Some(&first), &later));
        // Created without the mutating webhook: nothing to record.
        assert_eq!(desired(&compiled(None), &findings, now, None).requested_by, None);
    }
}
