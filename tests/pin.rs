mod common;

// Remediation (SPEC §15): what pinning does to a classified Pod or pod template, as one table
// of cases, each checked three ways: the patch itself, the object it makes (judged again by
// validation), and pinning that object again (no patch).

use common::*;
use serde_json::{Value, json};
use sovereign::evaluate::{Context, Object, PINNED_ANNOTATION, PinOutcome, Refusal, Verdict, evaluate, pin};
use sovereign::inventory::Inventory;
use sovereign::policy::PolicySet;

const REGION: &str = "topology.kubernetes.io/region";
const TRUSTED: &str = "node-restriction.kubernetes.io/region";
const R: [&str; 2] = ["ap-southeast-3", "asia-southeast2"];

fn pinning_policy() -> PolicySet {
    policies(&[&indonesia("  remediation: Pin\n")])
}

fn outcome(yaml: &str, set: &PolicySet, inv: &Inventory) -> (Value, PinOutcome) {
    let value = docs(yaml).remove(0);
    let object = Object::parse(&value).expect("test object parses");
    let outcome = pin(&value, &object, &Context::default(), inv, set);
    (value, outcome)
}

/// Pins `yaml`, checks that the result passes validation and pins to nothing more, and
/// returns the pinned object's required node-selector terms.
#[track_caller]
fn pinned_terms(yaml: &str, set: &PolicySet) -> Vec<Value> {
    let inv = inventory(CLUSTER);
    let (mut value, outcome) = outcome(yaml, set, &inv);
    let PinOutcome::Pinned(pinning) = outcome else { panic!("expected a pinning, got {outcome:?}") };
    pinning.apply(&mut value).expect("the patch applies to the object it was made for");
    let object = Object::parse(&value).expect("the pinned object parses");
    let decision = evaluate(&object, &Context::default(), &inv, set);
    assert_eq!(decision.verdict, Verdict::Allow, "pinned object still violates: {decision:#?}\n{value:#}");
    let again = pin(&value, &object, &Context::default(), &inv, set);
    assert_eq!(again, PinOutcome::Untouched, "pinning again must change nothing");
    let spec = value.pointer("/spec/template/spec").or(value.pointer("/spec")).unwrap();
    let annotated = value.pointer("/metadata/annotations").and_then(|a| a.get(PINNED_ANNOTATION)).cloned();
    assert_eq!(annotated, Some(json!(pinning.annotation())), "{value:#}");
    spec.pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .cloned()
        .expect("pinned objects have required node affinity")
}

#[track_caller]
fn refused(yaml: &str) -> Refusal {
    let inv = inventory(CLUSTER);
    match outcome(yaml, &pinning_policy(), &inv).1 {
        PinOutcome::Refused(why) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn affinity(terms: &str) -> String {
    format!(
        "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: {terms}\n"
    )
}

fn region_in(values: &[&str]) -> Value {
    json!({ "key": REGION, "operator": "In", "values": values })
}

#[test]
fn a_pod_without_affinity_gets_one_term_with_the_allowed_regions_sorted() {
    let terms = pinned_terms(&pod(""), &pinning_policy());
    assert_eq!(terms, [json!({ "matchExpressions": [region_in(&R)] })]);
}

#[test]
fn a_deployment_without_affinity_is_pinned_in_its_template_and_annotated_on_both() {
    let deployment = r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: gov-id }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers: [{ name: web, image: busybox }]
"#;
    let set = pinning_policy();
    let inv = inventory(CLUSTER);
    let (value, outcome) = outcome(deployment, &set, &inv);
    let PinOutcome::Pinned(pinning) = outcome else { panic!("{outcome:?}") };
    assert_eq!(pinning.annotation(), "indonesia-pdp/citizen-pii=ap-southeast-3,asia-southeast2");
    let patch = serde_json::to_value(&pinning.patch).unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "add", "path": "/spec/template/spec/affinity", "value": { "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": [
                    { "matchExpressions": [region_in(&R)] } ] } } } },
            { "op": "add", "path": "/metadata/annotations", "value": { PINNED_ANNOTATION: pinning.annotation() } },
            { "op": "add", "path": "/spec/template/metadata/annotations", "value": { PINNED_ANNOTATION: pinning.annotation() } },
        ]),
        "a minimal patch against {value}"
    );
    let warning = pinning.warning();
    assert!(warning.chars().count() <= 120, "{warning}");
    assert!(
        warning.contains("Deployment gov-id/web") && warning.contains("ap-southeast-3, asia-southeast2"),
        "{warning}"
    );
    pinned_terms(deployment, &set);
}

#[test]
fn every_term_gets_the_requirement_anded_and_no_term_is_added() {
    let tiers = affinity(
        "[{ matchExpressions: [{ key: tier, operator: In, values: [gold] }] }, { matchExpressions: [{ key: tier, operator: In, values: [silver] }] }]",
    );
    let terms = pinned_terms(&pod(&tiers), &pinning_policy());
    assert_eq!(terms.len(), 2, "{terms:?}");
    for (term, tier) in terms.iter().zip(["gold", "silver"]) {
        assert_eq!(
            term,
            &json!({ "matchExpressions": [{ "key": "tier", "operator": "In", "values": [tier] }, region_in(&R)] })
        );
    }
}

#[test]
fn an_existing_region_requirement_is_intersected() {
    let cases: &[(&str, Option<&[&str]>)] = &[
        // Wider than R: narrowed to R.
        (
            "{ key: topology.kubernetes.io/region, operator: In, values: [us-east-1, asia-southeast2, ap-southeast-3] }",
            Some(&R),
        ),
        // Narrower: left as it is (already confined, so not even looked at).
        ("{ key: topology.kubernetes.io/region, operator: In, values: [asia-southeast2] }", None),
        // NotIn removes from R.
        (
            "{ key: topology.kubernetes.io/region, operator: NotIn, values: [ap-southeast-3] }",
            Some(&["asia-southeast2"]),
        ),
        // Exists becomes In R.
        ("{ key: topology.kubernetes.io/region, operator: Exists }", Some(&R)),
    ];
    for (requirement, expected) in cases {
        let spec = affinity(&format!("[{{ matchExpressions: [{requirement}] }}]"));
        match expected {
            Some(regions) => {
                let terms = pinned_terms(&pod(&spec), &pinning_policy());
                assert_eq!(terms, [json!({ "matchExpressions": [region_in(regions)] })], "for {requirement}");
            }
            None => {
                let inv = inventory(CLUSTER);
                assert_eq!(outcome(&pod(&spec), &pinning_policy(), &inv).1, PinOutcome::Untouched, "{requirement}");
            }
        }
    }
}

#[test]
fn a_disjoint_or_does_not_exist_term_is_dropped_and_the_others_pinned() {
    let spec = affinity(
        "[{ matchExpressions: [{ key: topology.kubernetes.io/region, operator: In, values: [us-east-1] }] }, \
         { matchExpressions: [{ key: topology.kubernetes.io/region, operator: DoesNotExist }] }, \
         { matchExpressions: [{ key: tier, operator: In, values: [gold] }] }]",
    );
    let terms = pinned_terms(&pod(&spec), &pinning_policy());
    assert_eq!(
        terms,
        [json!({ "matchExpressions": [{ "key": "tier", "operator": "In", "values": ["gold"] }, region_in(&R)] })]
    );
}

#[test]
fn when_every_term_would_be_dropped_nothing_is_pinned_and_validation_denies() {
    let spec =
        affinity("[{ matchExpressions: [{ key: topology.kubernetes.io/region, operator: In, values: [us-east-1] }] }]");
    assert_eq!(refused(&pod(&spec)), Refusal::EveryTermOutside);
    let decision = judge(&pod(&spec), &inventory(CLUSTER), &pinning_policy());
    assert_verdict(&decision, Verdict::Deny);
}

#[test]
fn match_fields_terms_keep_their_fields_and_gain_the_requirement() {
    let spec = affinity("[{ matchFields: [{ key: metadata.name, operator: In, values: [iad-1] }] }]");
    let terms = pinned_terms(&pod(&spec), &pinning_policy());
    assert_eq!(
        terms,
        [json!({
            "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["iad-1"] }],
            "matchExpressions": [region_in(&R)]
        })]
    );
}

#[test]
fn the_trusted_label_is_the_one_pinned_when_the_policy_names_it() {
    let set = policies(&[&indonesia(&format!("  remediation: Pin\n  trustedRegionLabel: {TRUSTED}\n"))]);
    let selecting = "  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }\n";
    let terms = pinned_terms(&pod(selecting), &set);
    assert_eq!(terms, [json!({ "matchExpressions": [{ "key": TRUSTED, "operator": "In", "values": R }] })]);
}

#[test]
fn a_node_selector_inside_the_allowed_regions_needs_no_pin_and_one_outside_refuses() {
    let inv = inventory(CLUSTER);
    let inside = pod("  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }\n");
    assert_eq!(outcome(&inside, &pinning_policy(), &inv).1, PinOutcome::Untouched);
    let outside = pod("  nodeSelector: { topology.kubernetes.io/region: us-east-1 }\n");
    assert_eq!(refused(&outside), Refusal::NodeSelector { key: REGION.into(), value: "us-east-1".into() });
    let by_host = pod("  nodeSelector: { kubernetes.io/hostname: iad-1 }\n");
    assert!(matches!(refused(&by_host), Refusal::NodeSelector { .. }));
    // A selector on another label is kept and the region pinned beside it.
    let terms = pinned_terms(&pod("  nodeSelector: { tier: gold }\n"), &pinning_policy());
    assert_eq!(terms, [json!({ "matchExpressions": [region_in(&R)] })]);
}

#[test]
fn a_pod_with_a_node_name_is_never_pinned() {
    assert_eq!(refused(&pod("  nodeName: iad-1\n")), Refusal::NodeName("iad-1".into()));
    assert_eq!(refused(&pod("  nodeName: nowhere\n")), Refusal::NodeName("nowhere".into()));
}

#[test]
fn only_pin_policies_and_pin_classes_pin() {
    let inv = inventory(CLUSTER);
    let plain = policies(&[&indonesia("")]);
    assert_eq!(outcome(&pod(""), &plain, &inv).1, PinOutcome::Untouched);
    // The class overrides the policy, either way.
    let class_pins = policies(&[
        &indonesia("").replace("allowedJurisdictions: [ID] }", "allowedJurisdictions: [ID], remediation: Pin }")
    ]);
    assert!(matches!(outcome(&pod(""), &class_pins, &inv).1, PinOutcome::Pinned(_)));
    let class_opts_out = policies(&[&indonesia("  remediation: Pin\n")
        .replace("allowedJurisdictions: [ID] }", "allowedJurisdictions: [ID], remediation: None }")]);
    assert_eq!(outcome(&pod(""), &class_opts_out, &inv).1, PinOutcome::Untouched);
    // Unclassified objects are never touched.
    let open = pod("").replace("namespace: gov-id", "namespace: open");
    assert_eq!(outcome(&open, &pinning_policy(), &inv).1, PinOutcome::Untouched);
}

#[test]
fn storage_is_never_rewritten_so_a_claim_outside_stays_denied() {
    let cluster = format!(
        "{CLUSTER}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{ name: archive, namespace: gov-id }}\nspec: {{ volumeName: pv-iad }}\n---\napiVersion: v1\nkind: PersistentVolume\nmetadata: {{ name: pv-iad, labels: {{ topology.kubernetes.io/region: us-east-1 }} }}\nspec: {{ claimRef: {{ namespace: gov-id, name: archive }} }}\n"
    );
    let inv = inventory(&cluster);
    let yaml = pod("  volumes: [{ name: a, persistentVolumeClaim: { claimName: archive } }]\n");
    let (mut value, outcome) = outcome(&yaml, &pinning_policy(), &inv);
    let PinOutcome::Pinned(pinning) = outcome else { panic!("{outcome:?}") };
    assert!(pinning.patch.iter().all(|op| !serde_json::to_string(op).unwrap().contains("volumes")));
    pinning.apply(&mut value).unwrap();
    let decision = evaluate(&Object::parse(&value).unwrap(), &Context::default(), &inv, &pinning_policy());
    assert_denied_saying(&decision, &["PersistentVolumeClaim gov-id/archive", "us-east-1"]);
}

#[test]
fn cronjobs_are_pinned_in_their_job_template() {
    let cronjob = r#"
apiVersion: batch/v1
kind: CronJob
metadata: { name: nightly, namespace: gov-id }
spec:
  schedule: "0 1 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{ name: c, image: busybox }]
"#;
    let inv = inventory(CLUSTER);
    let (value, outcome) = outcome(cronjob, &pinning_policy(), &inv);
    let PinOutcome::Pinned(pinning) = outcome else { panic!("{outcome:?}") };
    let mut after = value.clone();
    pinning.apply(&mut after).unwrap();
    let terms = after.pointer("/spec/jobTemplate/spec/template/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
    assert_eq!(terms, Some(&json!([{ "matchExpressions": [region_in(&R)] }])));
    let decision = evaluate(&Object::parse(&after).unwrap(), &Context::default(), &inv, &pinning_policy());
    assert_verdict(&decision, Verdict::Allow);
}

/// Pinning under `countries: [US]` on AWS keeps the pod off us-east-1's Local Zones abroad
/// (Buenos Aires, Lima, ...): a region requirement alone would still let it land there.
#[test]
fn pinning_to_a_region_with_zones_abroad_also_keeps_the_pod_off_them() {
    let policy = r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: us-only }
spec:
  providers: [aws]
  remediation: Pin
  jurisdictions: [{ name: US, countries: [US] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [US] }]
  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-id } }
      dataClasses: [pii]
"#;
    let set = policies(&[policy]);
    let inv = inventory(
        "apiVersion: v1\nkind: Namespace\nmetadata: { name: gov-id, labels: { tenant: gov-id } }\n---\napiVersion: v1\nkind: Node\nmetadata: { name: iad, labels: { topology.kubernetes.io/region: us-east-1, topology.kubernetes.io/zone: us-east-1a } }\n",
    );
    let (mut value, outcome) = outcome(&pod(""), &set, &inv);
    let PinOutcome::Pinned(pinning) = outcome else { panic!("expected a pinning, got {outcome:?}") };
    pinning.apply(&mut value).unwrap();
    let terms = value
        .pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .unwrap();
    let zone_rule = terms[0]["matchExpressions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "topology.kubernetes.io/zone")
        .unwrap_or_else(|| panic!("no zone requirement: {terms:#}"));
    assert_eq!(zone_rule["operator"], "NotIn");
    let kept_out: Vec<&str> = zone_rule["values"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(kept_out.contains(&"us-east-1-bue-1a") && kept_out.contains(&"us-east-1-lim-1a"), "{kept_out:?}");
    let object = Object::parse(&value).unwrap();
    let decision = evaluate(&object, &Context::default(), &inv, &set);
    assert_eq!(decision.verdict, Verdict::Allow, "{decision:#?}");
    assert_eq!(pin(&value, &object, &Context::default(), &inv, &set), PinOutcome::Untouched);
}
