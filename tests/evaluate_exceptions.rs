//! SovereigntyExceptions (SPEC §14): which apply at a given time, what they widen, and for
//! which objects and classes only.

mod common;
use std::time::SystemTime;

use common::*;
use sovereign::evaluate::{Caller, Context, Decision, Verdict};
use sovereign::inventory::Inventory;
use sovereign::policy::{ExceptionPhase, PolicySet, SovereigntyException, Standing, compile_exception};

const POLICY: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: eu-gdpr }
spec:
  providers: [aws, gcp]
  jurisdictions:
    - { name: EU, countries: [DE, FR, IE] }
  dataClasses:
    - { name: eu-personal, allowedJurisdictions: [EU] }
    - { name: eu-telemetry, allowedJurisdictions: [EU] }
  exceptions:
    allowed: true
    namespaces: [compliance]
    maxDuration: 90d
    legalBases: [Adequacy, StandardContractualClauses]
"#;

/// The exception of SPEC §14, created 2027-01-01 and expiring 2027-03-31 (89 days); each
/// `(from, to)` pair rewrites one line of it.
fn exception(changes: &[(&str, &str)]) -> SovereigntyException {
    let mut yaml = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyException
metadata: { name: analytics-scc, namespace: compliance, creationTimestamp: "2027-01-01T00:00:00Z" }
spec:
  policy: eu-gdpr
  dataClasses: [eu-personal]
  match:
    namespaces: [analytics]
    objectSelector: { matchLabels: { app: churn-model } }
    kinds: [Deployment, Pod]
  allowedRegions: [us-east-1]
  legalBasis: { type: StandardContractualClauses, reference: SCC-2026-014, article: "GDPR Art. 46(2)(c)" }
  justification: "Churn model trained in us-east-1 under SCCs; DPIA-2026-07."
  approvedBy: dpo@example.eu
  expires: "2027-03-31T00:00:00Z"
"#
    .to_string();
    for (from, to) in changes {
        assert!(yaml.contains(from), "{from:?} not in the exception");
        yaml = yaml.replace(from, to);
    }
    serde_json::from_value(docs(&yaml).remove(0)).expect("test exception parses")
}

fn set_with(policy: &str, exceptions: &[SovereigntyException]) -> PolicySet {
    policies(&[policy]).with_exceptions(exceptions)
}

fn at(text: &str) -> Option<SystemTime> {
    Some(sovereign::cli::parse_time(text).unwrap())
}

const IN_FORCE: &str = "2027-02-01T00:00:00Z";
const AFTER: &str = "2027-03-31T00:00:01Z";

/// A Deployment in `namespace` holding `class`, pinned to us-east-1.
fn deployment(kind: &str, namespace: &str, labels: &str, class: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: {kind}
metadata: {{ name: churn, namespace: {namespace}, labels: {{ {labels} }} }}
spec:
  template:
    metadata: {{ labels: {{ sovereignty.io/data-class: {class} }} }}
    spec:
      nodeSelector: {{ topology.kubernetes.io/region: us-east-1 }}
      containers: [{{ name: c, image: x }}]
"#
    )
}

fn churn() -> String {
    deployment("Deployment", "analytics", "app: churn-model", "eu-personal")
}

fn judge_at(object: &str, set: &PolicySet, now: Option<SystemTime>, caller: Caller) -> Decision {
    let ctx = Context { now, ..Context::of(caller) };
    judge_with(object, &ctx, &Inventory::default(), set)
}

fn checked(object: &str, set: &PolicySet, now: &str) -> Decision {
    judge_at(object, set, at(now), Caller::Check)
}

#[test]
fn an_active_exception_lets_the_matched_object_in_as_excepted_with_its_record() {
    let set = set_with(POLICY, &[exception(&[])]);
    let d = checked(&churn(), &set, IN_FORCE);
    assert_verdict(&d, Verdict::Excepted);
    assert!(d.violations.is_empty());
    let used = &d.excepted[0];
    assert_eq!((used.namespace.as_str(), used.name.as_str()), ("compliance", "analytics-scc"));
    assert_eq!((used.policy.as_str(), used.data_class.as_str()), ("eu-gdpr", "eu-personal"));
    assert_eq!(used.legal_basis.kind.as_str(), "StandardContractualClauses");
    assert_eq!(used.legal_basis.reference, "SCC-2026-014");
    assert_eq!(used.expires, "2027-03-31T00:00:00Z");
    assert_eq!(used.regions, ["us-east-1"]);
    assert!(used.short.len() <= sovereign::evaluate::SHORT_LIMIT, "{}", used.short);
    assert!(used.message.contains("Deployment analytics/churn"), "{}", used.message);
    let json = serde_json::to_value(used).unwrap();
    assert_eq!(json["legalBasis"]["type"], "StandardContractualClauses");
    assert_eq!(json["legalBasis"]["reference"], "SCC-2026-014");
}

#[test]
fn the_same_object_is_denied_from_the_instant_the_exception_expires() {
    let set = set_with(POLICY, &[exception(&[])]);
    assert_verdict(&checked(&churn(), &set, "2027-03-30T23:59:59Z"), Verdict::Excepted);
    let d = checked(&churn(), &set, "2027-03-31T00:00:00Z");
    assert_denied_saying(&d, &["us-east-1", "analytics-scc", "expired at 2027-03-31T00:00:00Z"]);
    assert!(d.excepted.is_empty());
}

#[test]
fn without_a_time_no_exception_can_be_shown_unexpired() {
    let set = set_with(POLICY, &[exception(&[])]);
    assert_verdict(&judge_at(&churn(), &set, None, Caller::Check), Verdict::Deny);
}

#[test]
fn an_exception_outside_the_policys_exception_namespaces_is_rejected() {
    let set = set_with(POLICY, &[exception(&[("namespace: compliance", "namespace: analytics")])]);
    let d = checked(&churn(), &set, IN_FORCE);
    assert_denied_saying(&d, &["does not apply", "counts exceptions only in compliance"]);
}

#[test]
fn an_exception_running_longer_than_max_duration_is_rejected() {
    let ex = exception(&[("2027-01-01T00:00:00Z", "2026-11-01T00:00:00Z")]);
    assert!(matches!(ex_standing(&ex, IN_FORCE), Standing::Rejected(r) if r[0].contains("maxDuration 90d")));
    let d = checked(&churn(), &set_with(POLICY, &[ex]), IN_FORCE);
    assert_denied_saying(&d, &["150d", "longer than policy eu-gdpr's maxDuration 90d"]);
}

#[test]
fn a_file_without_a_creation_time_counts_its_duration_from_now() {
    let ex = exception(&[(", creationTimestamp: \"2027-01-01T00:00:00Z\"", "")]);
    assert_eq!(ex_standing(&ex, "2027-01-15T00:00:00Z"), Standing::Active);
    assert!(matches!(ex_standing(&ex, "2026-12-01T00:00:00Z"), Standing::Rejected(_)));
}

#[test]
fn a_legal_basis_the_policy_does_not_accept_is_rejected() {
    let ex = exception(&[("type: StandardContractualClauses", "type: ExplicitConsent")]);
    let d = checked(&churn(), &set_with(POLICY, &[ex]), IN_FORCE);
    assert_denied_saying(&d, &["legal basis ExplicitConsent is not one policy eu-gdpr accepts"]);
}

#[test]
fn a_policy_that_accepts_no_exceptions_ignores_them() {
    let closed = POLICY.replace("allowed: true", "allowed: false");
    let d = checked(&churn(), &set_with(&closed, &[exception(&[])]), IN_FORCE);
    assert_denied_saying(&d, &["policy eu-gdpr accepts no exceptions"]);
    let silent = POLICY.split("  exceptions:").next().unwrap().to_string();
    assert_verdict(&checked(&churn(), &set_with(&silent, &[exception(&[])]), IN_FORCE), Verdict::Deny);
}

#[test]
fn nobody_approves_their_own_exception() {
    let mut ex = exception(&[]);
    let set = set_with(POLICY, &[]);
    let reasons = set.admit_exception(&ex, Some("dpo@example.eu"), at("2027-01-01T00:00:00Z")).unwrap_err();
    assert!(reasons[0].contains("nobody approves their own exception"), "{reasons:?}");
    assert_eq!(set.admit_exception(&ex, Some("alice@example.eu"), at("2027-01-01T00:00:00Z")), Ok(()));
    // Recorded as requested by its approver: it never applies.
    ex.status = Some(sovereign::policy::SovereigntyExceptionStatus {
        requested_by: Some("dpo@example.eu".into()),
        ..Default::default()
    });
    let d = checked(&churn(), &set_with(POLICY, &[ex]), IN_FORCE);
    assert_denied_saying(&d, &["who requested it; nobody approves their own exception"]);
}

#[test]
fn admission_refuses_an_exception_that_breaks_a_limit_or_has_already_expired() {
    let set = set_with(POLICY, &[]);
    let creating = at("2027-01-01T00:00:00Z");
    let long = exception(&[("2027-03-31T00:00:00Z", "2027-12-31T00:00:00Z")]);
    let reasons = set.admit_exception(&long, Some("alice"), creating).unwrap_err();
    assert!(reasons.iter().any(|r| r.contains("maxDuration")), "{reasons:?}");
    let late = set.admit_exception(&exception(&[]), Some("alice"), at("2027-04-01T00:00:00Z")).unwrap_err();
    assert!(late[0].contains("not in the future"), "{late:?}");
    let unknown = exception(&[("dataClasses: [eu-personal]", "dataClasses: [citizen-pii]")]);
    let reasons = set.admit_exception(&unknown, Some("alice"), creating).unwrap_err();
    assert!(reasons[0].contains("data class \"citizen-pii\" is not defined by policy eu-gdpr"), "{reasons:?}");
    let ghost = exception(&[("policy: eu-gdpr", "policy: nowhere")]);
    assert!(
        set.admit_exception(&ghost, Some("alice"), creating).unwrap_err()[0].contains("policy nowhere is not loaded")
    );
}

#[test]
fn another_class_of_the_same_policy_is_untouched() {
    let set = set_with(POLICY, &[exception(&[])]);
    let telemetry = deployment("Deployment", "analytics", "app: churn-model", "eu-telemetry");
    let d = checked(&telemetry, &set, IN_FORCE);
    assert_verdict(&d, Verdict::Deny);
    assert!(d.excepted.is_empty());
    // An object of both classes: the exception covers one, the other still denies.
    let both = churn().replace(
        "metadata: { name: churn, namespace: analytics, labels: { app: churn-model } }",
        "metadata: { name: churn, namespace: analytics, labels: { app: churn-model, sovereignty.io/data-class: eu-telemetry } }",
    );
    let d = checked(&both, &set, IN_FORCE);
    assert_verdict(&d, Verdict::Deny);
    assert!(d.violations.iter().all(|v| v.data_class == "eu-telemetry"), "{:#?}", d.violations);
}

#[test]
fn only_the_matched_namespaces_kinds_and_labels_are_covered() {
    let set = set_with(POLICY, &[exception(&[])]);
    let elsewhere = deployment("Deployment", "web", "app: churn-model", "eu-personal");
    assert_verdict(&checked(&elsewhere, &set, IN_FORCE), Verdict::Deny);
    let other_app = deployment("Deployment", "analytics", "app: billing", "eu-personal");
    assert_verdict(&checked(&other_app, &set, IN_FORCE), Verdict::Deny);
    let other_kind = deployment("DaemonSet", "analytics", "app: churn-model", "eu-personal");
    assert_verdict(&checked(&other_kind, &set, IN_FORCE), Verdict::Deny);
    // The pod template's labels count like the workload's own.
    let by_template = deployment("Deployment", "analytics", "team: data", "eu-personal")
        .replace("labels: { sovereignty.io/data-class", "labels: { app: churn-model, sovereignty.io/data-class");
    assert_verdict(&checked(&by_template, &set, IN_FORCE), Verdict::Excepted);
    let pod = r#"
apiVersion: v1
kind: Pod
metadata: { name: p, namespace: analytics, labels: { app: churn-model, sovereignty.io/data-class: eu-personal } }
spec:
  nodeSelector: { topology.kubernetes.io/region: us-east-1 }
  containers: [{ name: c, image: x }]
"#;
    assert_verdict(&checked(pod, &set, IN_FORCE), Verdict::Excepted);
    // Without kinds, every judged kind is covered.
    let any_kind = exception(&[("    kinds: [Deployment, Pod]\n", "")]);
    assert_verdict(&checked(&other_kind, &set_with(POLICY, &[any_kind]), IN_FORCE), Verdict::Excepted);
}

#[test]
fn it_widens_by_its_regions_only() {
    let set = set_with(POLICY, &[exception(&[])]);
    let oregon = churn().replace("us-east-1", "us-west-2");
    assert_denied_saying(&checked(&oregon, &set, IN_FORCE), &["us-west-2"]);
    // Inside the policy's own regions nothing needs the exception: plain allow.
    let paris = churn().replace("us-east-1", "eu-west-3");
    assert_verdict(&checked(&paris, &set, IN_FORCE), Verdict::Allow);
}

#[test]
fn countries_resolve_through_the_policys_catalogs() {
    let by_country = exception(&[
        ("allowedRegions: [us-east-1]", "allowedCountries: [us]"),
        ("kinds: [Deployment, Pod]", "kinds: [Deployment]"),
    ]);
    let set = set_with(POLICY, &[by_country]);
    assert!(set.exceptions[0].regions.contains("us-west-2") && set.exceptions[0].regions.contains("us-central1"));
    assert_verdict(&checked(&churn().replace("us-east-1", "us-west-2"), &set, IN_FORCE), Verdict::Excepted);
    assert_verdict(&checked(&churn().replace("us-east-1", "ca-central-1"), &set, IN_FORCE), Verdict::Deny);
}

#[test]
fn the_report_locates_each_excepted_region_with_its_exception() {
    let set = set_with(POLICY, &[exception(&[])]);
    let d = judge_at(&churn(), &set, at(IN_FORCE), Caller::Report);
    let location = &d.locations[0];
    assert!(location.permitted);
    assert_eq!(location.exceptions[0].name, "analytics-scc");
}

fn ex_standing(ex: &SovereigntyException, now: &str) -> Standing {
    compile_exception(ex, &set_with(POLICY, &[])).standing(at(now))
}

#[test]
fn phases_follow_the_standing() {
    assert_eq!(ex_standing(&exception(&[]), IN_FORCE).phase(), ExceptionPhase::Active);
    assert_eq!(ex_standing(&exception(&[]), AFTER).phase(), ExceptionPhase::Expired);
    let bad = exception(&[("type: StandardContractualClauses", "type: Contract")]);
    assert_eq!(ex_standing(&bad, IN_FORCE).phase(), ExceptionPhase::Rejected);
}
