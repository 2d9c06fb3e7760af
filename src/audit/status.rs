//! A policy's status as the audit writes it: whether it is in force (`Ready`), whether
//! anything breaks it (`Compliant`), how many objects and the first few of them.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use crate::policy::{PolicySet, SovereigntyPolicy, SovereigntyPolicyStatus, ViolatingObject};

/// What the audit found for one policy.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub violations: usize,
    pub listed: Vec<ViolatingObject>,
}

/// The status the policy should have now. Conditions keep their `lastTransitionTime`
/// while their status stays the same.
pub fn desired(
    policy: &SovereigntyPolicy,
    set: &PolicySet,
    summary: &Summary,
    now: Timestamp,
) -> SovereigntyPolicyStatus {
    let name = policy.metadata.name.as_deref().unwrap_or_default();
    let generation = policy.metadata.generation;
    let previous = policy.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    let condition = |type_: &str, status: &str, reason: &str, message: String| {
        let kept =
            previous.iter().find(|c| c.type_ == type_ && c.status == status).map(|c| c.last_transition_time.clone());
        Condition {
            type_: type_.to_string(),
            status: status.to_string(),
            reason: reason.to_string(),
            message,
            observed_generation: generation,
            last_transition_time: kept.unwrap_or(Time(now)),
        }
    };
    let rejected = set.rejected.iter().find(|r| r.name == name);
    let conditions = match rejected {
        Some(r) => vec![
            condition("Ready", "False", "Rejected", format!("ignored: {}", r.reasons.join("; "))),
            condition("Compliant", "Unknown", "NotReady", "not audited while the policy is rejected".into()),
        ],
        None => {
            let classes = set.classes.values().filter(|c| set.policies[c.policy].name == name).count();
            let compliant = if summary.violations == 0 {
                condition("Compliant", "True", "NoViolations", "no existing object breaks this policy".into())
            } else {
                let first: Vec<String> = summary.listed.iter().take(3).map(describe).collect();
                let more = summary.violations.saturating_sub(first.len());
                let tail = if more > 0 { format!(" and {more} more") } else { String::new() };
                condition(
                    "Compliant",
                    "False",
                    "ViolationsFound",
                    format!("{} objects break this policy: {}{tail}", summary.violations, first.join(", ")),
                )
            };
            vec![condition("Ready", "True", "Valid", format!("in force for {classes} data classes")), compliant]
        }
    };
    SovereigntyPolicyStatus {
        observed_generation: generation,
        conditions,
        violations: Some(if rejected.is_some() { 0 } else { i64::try_from(summary.violations).unwrap_or(i64::MAX) }),
        last_audit_time: Some(Time(now)),
        violating_objects: if rejected.is_some() { Vec::new() } else { summary.listed.clone() },
    }
}

fn describe(o: &ViolatingObject) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// Whether writing `new` would change what the policy says, apart from the audit time.
pub fn differs(current: Option<&SovereigntyPolicyStatus>, new: &SovereigntyPolicyStatus) -> bool {
    let Some(current) = current else { return true };
    let strip = |s: &SovereigntyPolicyStatus| SovereigntyPolicyStatus { last_audit_time: None, ..s.clone() };
    strip(current) != strip(new)
}

/// A merge patch that sets every field, so lists emptied since the last write are cleared.
pub fn patch(status: &SovereigntyPolicyStatus) -> Value {
    json!({
        "status": {
            "observedGeneration": status.observed_generation,
            "conditions": status.conditions,
            "violations": status.violations,
            "lastAuditTime": status.last_audit_time,
            "violatingObjects": status.violating_objects,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(yaml: &str) -> SovereigntyPolicy {
        serde_yaml_ng::from_str(yaml).unwrap()
    }

    const ID: &str = "
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: id, generation: 3 }
spec:
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [ID] }]
";

    fn violating(name: &str) -> ViolatingObject {
        ViolatingObject {
            kind: "Pod".into(),
            namespace: Some("gov".into()),
            name: name.into(),
            data_classes: vec!["pii".into()],
            message: "m".into(),
        }
    }

    #[test]
    fn counts_conditions_and_generation() {
        let p = policy(ID);
        let set = PolicySet::compile(std::slice::from_ref(&p));
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        let clean = desired(&p, &set, &Summary::default(), now);
        assert_eq!((clean.violations, clean.observed_generation), (Some(0), Some(3)));
        assert_eq!(clean.conditions[0].type_, "Ready");
        assert_eq!(
            (clean.conditions[1].status.as_str(), clean.conditions[1].reason.as_str()),
            ("True", "NoViolations")
        );

        let summary = Summary { violations: 5, listed: (0..5).map(|i| violating(&format!("p{i}"))).collect() };
        let dirty = desired(&p, &set, &summary, now);
        assert_eq!(dirty.violations, Some(5));
        assert_eq!(dirty.conditions[1].status, "False");
        assert!(dirty.conditions[1].message.contains("Pod gov/p0, Pod gov/p1, Pod gov/p2 and 2 more"));
        assert!(differs(Some(&clean), &dirty));
    }

    #[test]
    fn an_unchanged_status_is_not_rewritten_and_keeps_its_transition_times() {
        let mut p = policy(ID);
        let set = PolicySet::compile(std::slice::from_ref(&p));
        let first = desired(&p, &set, &Summary::default(), Timestamp::from_second(1_700_000_000).unwrap());
        p.status = Some(first.clone());
        let later = desired(&p, &set, &Summary::default(), Timestamp::from_second(1_700_000_600).unwrap());
        assert!(!differs(Some(&first), &later), "only the audit time moved");
        assert_eq!(later.conditions[0].last_transition_time, first.conditions[0].last_transition_time);
        assert_ne!(later.last_audit_time, first.last_audit_time);
    }

    #[test]
    fn a_rejected_policy_is_not_ready_and_says_why() {
        let a = policy(ID);
        let mut b = policy(ID);
        b.metadata.name = Some("zz-clash".into());
        let set = PolicySet::compile(&[a, b.clone()]);
        let status = desired(&b, &set, &Summary::default(), Timestamp::from_second(1_700_000_000).unwrap());
        assert_eq!((status.conditions[0].status.as_str(), status.conditions[0].reason.as_str()), ("False", "Rejected"));
        assert!(status.conditions[0].message.contains("pii"), "{}", status.conditions[0].message);
        assert_eq!(status.conditions[1].status, "Unknown");
        let patch = patch(&status);
        assert_eq!(patch["status"]["violatingObjects"], json!([]), "an emptied list is written, not left out");
    }
}
