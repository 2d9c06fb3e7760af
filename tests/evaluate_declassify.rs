//! Declassification needs a reason (SPEC §14): the guard's rules for object relabels,
//! Namespace relabels and policy deletes or class removals, with their ways through
//! (exempt identities and namespaces, active exceptions), and every update that drops no
//! class let through untouched.

mod common;
use std::time::SystemTime;

use common::*;
use sovereign::evaluate::{
    Change, Context, Decision, Held, Holdings, Object, Outcome, Verdict, declassification, holdings_needed, label_sets,
};
use sovereign::inventory::{Inventory, Labels};
use sovereign::policy::{PolicySet, SovereigntyException, SovereigntyPolicy};

const POLICY: &str = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: eu-gdpr }
spec:
  providers: [aws]
  jurisdictions:
    - { name: EU, countries: [DE, FR, IE] }
  dataClasses:
    - { name: eu-personal, allowedJurisdictions: [EU] }
    - { name: eu-telemetry, allowedJurisdictions: [EU] }
  classify:
    - namespaceSelector: { matchLabels: { tenant: eu-shop } }
      dataClasses: [eu-telemetry]
    - objectSelector: { matchLabels: { feed: clicks } }
      dataClasses: [eu-telemetry]
  exemptions:
    users: [break-glass@example.eu]
    groups: ["sovereign:break-glass"]
    namespaces: [sandbox]
  exceptions:
    allowed: true
    namespaces: [compliance]
    maxDuration: 90d
"#;

const INVENTORY: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: shop, labels: { sovereignty.io/data-class: eu-personal } }
---
apiVersion: v1
kind: Namespace
metadata: { name: plain }
"#;

fn set() -> PolicySet {
    policies(&[POLICY])
}

fn object(yaml: &str) -> Object {
    Object::parse(&docs(yaml).remove(0)).expect("test object parses")
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn pod(namespace: &str, name: &str, labels: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: {name}, namespace: {namespace}, labels: {{ {labels} }} }}\nspec: {{ containers: [{{ name: c, image: x }}] }}\n"
    )
}

fn held(kind: &str, namespace: &str, name: &str, pairs: &[(&str, &str)]) -> Held {
    Held { kind: kind.into(), namespace: Some(namespace.into()), name: name.into(), labels: labels(pairs) }
}

fn user(name: &'static str) -> Context<'static> {
    Context { user: Some(name), ..Context::default() }
}

fn relabel(old: &str, new: &str, ctx: &Context, set: &PolicySet) -> Decision {
    let (old, new) = (object(old), object(new));
    let change = Change::Relabel { old: label_sets(&old), new: &new };
    assert_eq!(holdings_needed(&change, ctx, set), Holdings::Nothing, "a relabel lists nothing");
    declassification(&change, ctx, &inventory(INVENTORY), set, Ok(&[]))
}

fn outcomes(decision: &Decision) -> Vec<(String, Outcome)> {
    decision.declassified.iter().map(|d| (d.data_class.clone(), d.outcome)).collect()
}

// ---------------------------------------------------------------------------------------
// Object relabels

#[test]
fn removing_an_objects_data_class_label_is_refused_with_the_ways_forward() {
    let old = pod("plain", "db", "sovereignty.io/data-class: eu-personal");
    let new = pod("plain", "db", "app: db");
    let d = relabel(&old, &new, &Context::default(), &set());
    assert_denied_saying(
        &d,
        &[
            "Pod plain/db",
            "takes data class \"eu-personal\" (policy eu-gdpr)",
            "keep its sovereignty.io/data-class label",
            "user break-glass@example.eu",
            "group sovereign:break-glass",
            "SovereigntyException for data class \"eu-personal\"",
        ],
    );
    assert_eq!(outcomes(&d), [("eu-personal".to_string(), Outcome::Refused)]);
}

#[test]
fn changing_the_label_to_another_class_drops_the_old_one() {
    let old = pod("plain", "db", "sovereignty.io/data-class: eu-personal");
    let new = pod("plain", "db", "sovereignty.io/data-class: eu-telemetry");
    let d = relabel(&old, &new, &Context::default(), &set());
    assert_verdict(&d, Verdict::Deny);
    assert_eq!(outcomes(&d), [("eu-personal".to_string(), Outcome::Refused)]);
}

#[test]
fn an_update_that_keeps_or_adds_classes_is_never_held_up() {
    let set = set();
    let classified = pod("plain", "db", "sovereignty.io/data-class: eu-personal");
    let more = pod("plain", "db", "sovereignty.io/data-class: eu-personal, feed: clicks");
    let other_labels = pod("plain", "db", "sovereignty.io/data-class: eu-personal, version: v2");
    let plain = pod("plain", "db", "app: db");
    for (old, new) in [(&classified, &classified), (&classified, &more), (&classified, &other_labels), (&plain, &more)]
    {
        let d = relabel(old, new, &Context::default(), &set);
        assert_verdict(&d, Verdict::Allow);
        assert!(d.declassified.is_empty(), "{d:#?}");
    }
}

#[test]
fn a_label_the_namespace_still_gives_is_not_a_declassification() {
    // The namespace holds eu-personal: the pod's own label saying so again adds nothing.
    let old = pod("shop", "db", "sovereignty.io/data-class: eu-personal");
    let new = pod("shop", "db", "app: db");
    assert_verdict(&relabel(&old, &new, &Context::default(), &set()), Verdict::Allow);
}

#[test]
fn unselecting_a_classify_rule_by_relabelling_is_a_declassification() {
    let old = pod("plain", "ingest", "feed: clicks");
    let new = pod("plain", "ingest", "feed: none");
    let d = relabel(&old, &new, &Context::default(), &set());
    assert_denied_saying(&d, &["Pod plain/ingest", "\"eu-telemetry\""]);
}

#[test]
fn a_workload_template_label_counts_like_its_own() {
    let deployment = |labels: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{ name: web, namespace: plain }}\nspec:\n  template:\n    metadata: {{ labels: {{ {labels} }} }}\n    spec: {{ containers: [{{ name: c, image: x }}] }}\n"
        )
    };
    let d = relabel(
        &deployment("sovereignty.io/data-class: eu-personal"),
        &deployment("app: web"),
        &Context::default(),
        &set(),
    );
    assert_denied_saying(&d, &["Deployment plain/web", "\"eu-personal\""]);
}

#[test]
fn exempt_users_groups_and_namespaces_may_declassify_and_it_is_recorded() {
    let set = set();
    let groups = ["sovereign:break-glass".to_string()];
    let by_group = Context { groups: &groups, ..Context::default() };
    for (namespace, ctx) in
        [("plain", user("break-glass@example.eu")), ("plain", by_group), ("sandbox", Context::default())]
    {
        let old = pod(namespace, "db", "sovereignty.io/data-class: eu-personal");
        let new = pod(namespace, "db", "app: db");
        let d = relabel(&old, &new, &ctx, &set);
        assert_verdict(&d, Verdict::Exempt);
        assert_eq!(d.exempted_by, ["eu-gdpr"]);
        assert_eq!(outcomes(&d), [("eu-personal".to_string(), Outcome::Exempt)]);
    }
    let d = relabel(
        &pod("plain", "db", "sovereignty.io/data-class: eu-personal"),
        &pod("plain", "db", "app: db"),
        &user("alice@example.eu"),
        &set,
    );
    assert_verdict(&d, Verdict::Deny);
}

fn exception(expires: &str) -> SovereigntyException {
    let yaml = format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyException
metadata: {{ name: reclassify, namespace: compliance, creationTimestamp: "2027-01-01T00:00:00Z" }}
spec:
  policy: eu-gdpr
  dataClasses: [eu-personal]
  match: {{ namespaces: [plain] }}
  allowedCountries: [US]
  legalBasis: {{ type: ExplicitConsent, reference: CONSENT-2027-3 }}
  justification: "The records were anonymised under DPIA-2027-01 and leave the class."
  approvedBy: dpo@example.eu
  expires: "{expires}"
"#
    );
    serde_json::from_value(docs(&yaml).remove(0)).unwrap()
}

fn at(text: &str) -> Option<SystemTime> {
    Some(sovereign::cli::parse_time(text).unwrap())
}

#[test]
fn an_active_exception_covering_the_object_lets_it_go_and_an_expired_one_does_not() {
    let set = policies(&[POLICY]).with_exceptions(&[exception("2027-03-01T00:00:00Z")]);
    let old = pod("plain", "db", "sovereignty.io/data-class: eu-personal");
    let new = pod("plain", "db", "app: db");
    let during = Context { now: at("2027-02-01T00:00:00Z"), ..Context::default() };
    let d = relabel(&old, &new, &during, &set);
    assert_verdict(&d, Verdict::Allow);
    assert_eq!(outcomes(&d), [("eu-personal".to_string(), Outcome::Excepted)]);
    let after = Context { now: at("2027-03-01T00:00:01Z"), ..Context::default() };
    assert_verdict(&relabel(&old, &new, &after, &set), Verdict::Deny);
    // Another namespace is not covered.
    let elsewhere = relabel(
        &pod("other", "db", "sovereignty.io/data-class: eu-personal"),
        &pod("other", "db", "app: db"),
        &during,
        &set,
    );
    assert_verdict(&elsewhere, Verdict::Deny);
}

#[test]
fn a_warn_mode_policy_warns_instead_of_refusing() {
    let warn = POLICY.replace("spec:\n  providers", "spec:\n  enforcement: Warn\n  providers");
    let d = relabel(
        &pod("plain", "db", "sovereignty.io/data-class: eu-personal"),
        &pod("plain", "db", "app: db"),
        &Context::default(),
        &policies(&[&warn]),
    );
    assert_verdict(&d, Verdict::Warn);
}

#[test]
fn a_class_no_policy_defines_is_not_guarded() {
    let d = relabel(
        &pod("plain", "db", "sovereignty.io/data-class: nobody-defines-me"),
        &pod("plain", "db", "app: db"),
        &Context::default(),
        &set(),
    );
    assert_verdict(&d, Verdict::Allow);
}

// ---------------------------------------------------------------------------------------
// Namespace relabels

fn namespace_change(
    old: &[(&str, &str)],
    new: &[(&str, &str)],
    ctx: &Context,
    set: &PolicySet,
    held: Result<&[Held], &str>,
) -> (Holdings<'static>, Decision) {
    let (old, new) = (labels(old), labels(new));
    let change = Change::Namespace { name: "shop", old: Some(&old), new: Some(&new) };
    let needed = match holdings_needed(&change, ctx, set) {
        Holdings::Nothing => Holdings::Nothing,
        Holdings::Namespace(ns) => {
            assert_eq!(ns, "shop");
            Holdings::Namespace("shop")
        }
        Holdings::Cluster => Holdings::Cluster,
    };
    (needed, declassification(&change, ctx, &Inventory::default(), set, held))
}

/// Label pairs, as a test writes them.
type Pairs = &'static [(&'static str, &'static str)];

const CLASSIFIED: Pairs = &[("sovereignty.io/data-class", "eu-personal"), ("team", "shop")];

#[test]
fn removing_a_namespaces_class_while_it_holds_objects_is_refused_naming_them() {
    let held = [
        held("Pod", "shop", "web-1", &[("app", "web")]),
        held("PersistentVolumeClaim", "shop", "data", &[]),
        held("Pod", "elsewhere", "x", &[]),
    ];
    let (needed, d) = namespace_change(CLASSIFIED, &[("team", "shop")], &Context::default(), &set(), Ok(&held));
    assert_eq!(needed, Holdings::Namespace("shop"));
    assert_denied_saying(
        &d,
        &[
            "Namespace shop",
            "takes data class \"eu-personal\" (policy eu-gdpr) from objects that hold it",
            "Pod shop/web-1, PersistentVolumeClaim shop/data",
            "move or delete those objects first",
            "user break-glass@example.eu",
        ],
    );
    assert!(!d.violations[0].message.contains("elsewhere"));
}

#[test]
fn an_empty_namespace_may_be_declassified() {
    let (needed, d) = namespace_change(CLASSIFIED, &[], &Context::default(), &set(), Ok(&[]));
    assert_eq!(needed, Holdings::Namespace("shop"));
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_namespace_update_that_touches_no_class_relevant_label_lists_nothing_and_passes() {
    let set = set();
    let cases: &[(Pairs, Pairs)] = &[
        (CLASSIFIED, &[("sovereignty.io/data-class", "eu-personal"), ("team", "payments")]),
        (&[("team", "shop")], &[("team", "payments")]),
        (&[], &[("sovereignty.io/data-class", "eu-personal")]),
        (&[("tenant", "eu-shop")], &[("tenant", "eu-shop"), ("cost-centre", "42")]),
    ];
    for (old, new) in cases {
        let (needed, d) = namespace_change(old, new, &Context::default(), &set, Err("never listed"));
        assert_eq!(needed, Holdings::Nothing, "{old:?} -> {new:?}");
        assert_verdict(&d, Verdict::Allow);
    }
}

#[test]
fn unselecting_a_classify_rule_by_namespace_labels_is_a_declassification() {
    let held = [held("Pod", "shop", "ingest", &[])];
    let (needed, d) =
        namespace_change(&[("tenant", "eu-shop")], &[("tenant", "other")], &Context::default(), &set(), Ok(&held));
    assert_eq!(needed, Holdings::Namespace("shop"));
    assert_denied_saying(&d, &["\"eu-telemetry\"", "Pod shop/ingest"]);
}

#[test]
fn objects_that_keep_the_class_by_their_own_labels_do_not_count() {
    let held = [held("Pod", "shop", "db", &[("sovereignty.io/data-class", "eu-personal")])];
    let (_, d) = namespace_change(CLASSIFIED, &[], &Context::default(), &set(), Ok(&held));
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_break_glass_user_may_declassify_a_namespace_without_a_list() {
    let ctx = user("break-glass@example.eu");
    let (needed, d) = namespace_change(CLASSIFIED, &[], &ctx, &set(), Err("never listed"));
    assert_eq!(needed, Holdings::Nothing);
    assert_verdict(&d, Verdict::Exempt);
    assert_eq!(outcomes(&d), [("eu-personal".to_string(), Outcome::Exempt)]);
}

#[test]
fn holdings_that_cannot_be_listed_refuse_rather_than_guess() {
    let (_, d) = namespace_change(CLASSIFIED, &[], &Context::default(), &set(), Err("listing pods timed out"));
    assert_denied_saying(&d, &["could not list those objects (listing pods timed out)", "retry"]);
}

// ---------------------------------------------------------------------------------------
// Policies deleted or losing a class

fn gdpr() -> SovereigntyPolicy {
    policy(POLICY)
}

fn policy_change(new: Option<&SovereigntyPolicy>, ctx: &Context, held: &[Held]) -> (Holdings<'static>, Decision) {
    let set = set();
    let old = gdpr();
    let change = Change::Policy { old: &old, new };
    let needed = match holdings_needed(&change, ctx, &set) {
        Holdings::Cluster => Holdings::Cluster,
        Holdings::Nothing => Holdings::Nothing,
        Holdings::Namespace(_) => panic!("a policy lists the cluster"),
    };
    (needed, declassification(&change, ctx, &inventory(INVENTORY), &set, Ok(held)))
}

#[test]
fn deleting_a_policy_while_objects_hold_its_classes_is_refused_naming_them() {
    let held = [
        held("Pod", "shop", "web-1", &[]),
        held("Pod", "plain", "ingest", &[("feed", "clicks")]),
        held("Pod", "plain", "other", &[]),
    ];
    let (needed, d) = policy_change(None, &Context::default(), &held);
    assert_eq!(needed, Holdings::Cluster);
    assert_denied_saying(
        &d,
        &[
            "SovereigntyPolicy eu-gdpr: deleting it would leave data class \"eu-personal\" undefined while objects hold it: Pod shop/web-1",
            "data class \"eu-telemetry\" undefined while objects hold it: Pod plain/ingest",
            "move, delete or relabel those objects first",
        ],
    );
    assert!(d.violations.iter().all(|v| !v.message.contains("plain/other")));
}

#[test]
fn deleting_a_policy_nothing_holds_or_from_an_exempt_namespace_is_allowed() {
    assert_verdict(&policy_change(None, &Context::default(), &[]).1, Verdict::Allow);
    let sandboxed = [held("Pod", "sandbox", "db", &[("sovereignty.io/data-class", "eu-personal")])];
    assert_verdict(&policy_change(None, &Context::default(), &sandboxed).1, Verdict::Allow);
}

#[test]
fn removing_one_class_guards_that_class_only() {
    let held = [held("Pod", "shop", "web-1", &[]), held("Pod", "plain", "ingest", &[("feed", "clicks")])];
    let mut without_telemetry = gdpr();
    without_telemetry.spec.data_classes.retain(|c| c.name != "eu-telemetry");
    let (_, d) = policy_change(Some(&without_telemetry), &Context::default(), &held);
    assert_denied_saying(&d, &["removing data class \"eu-telemetry\" from it", "Pod plain/ingest"]);
    assert_eq!(d.violations.len(), 1, "{d:#?}");
    let (needed, d) = policy_change(Some(&gdpr()), &Context::default(), &held);
    assert_eq!(needed, Holdings::Nothing);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_break_glass_user_may_delete_a_policy() {
    let held = [held("Pod", "shop", "web-1", &[])];
    let (needed, d) = policy_change(None, &user("break-glass@example.eu"), &held);
    assert_eq!(needed, Holdings::Nothing);
    assert_verdict(&d, Verdict::Exempt);
}

#[test]
fn a_policy_that_is_not_loaded_guards_nothing() {
    let mut other = gdpr();
    other.metadata.name = Some("never-applied".into());
    let change = Change::Policy { old: &other, new: None };
    let ctx = Context::default();
    assert_eq!(holdings_needed(&change, &ctx, &set()), Holdings::Nothing);
}
