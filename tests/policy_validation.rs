mod common;
use common::*;
use sovereign::evaluate::Verdict;
use sovereign::inventory::Inventory;
use sovereign::policy::{Enforcement, Placement, PolicySet, VolumeAction};

// ---------------------------------------------------------------------------------------
// Scenario builders.
// ---------------------------------------------------------------------------------------

/// A policy named `name` with the given spec body (lines indented by 2).
fn policy_yaml(name: &str, spec: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: {name} }}
spec:
{spec}"#
    )
}

/// A valid policy body with `extra` spec lines appended.
fn valid_spec(extra: &str) -> String {
    format!(
        r#"  providers: [aws, gcp]
  jurisdictions:
    - {{ name: ID, countries: [ID] }}
  dataClasses:
    - {{ name: citizen-pii, allowedJurisdictions: [ID] }}
{extra}"#
    )
}

/// A policy `name` created at `created` defining data class `class`.
fn dated_policy(name: &str, created: &str, class: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: {name}, creationTimestamp: "{created}" }}
spec:
  jurisdictions:
    - {{ name: ID, regions: [ap-southeast-3] }}
  dataClasses:
    - {{ name: {class}, allowedJurisdictions: [ID] }}
"#
    )
}

/// Compiles the single policy, expecting it rejected, and returns its reasons.
#[track_caller]
fn rejection_reasons(spec: &str) -> Vec<String> {
    let set = PolicySet::compile(&[policy(&policy_yaml("bad", spec))]);
    assert!(set.policies.is_empty(), "expected policy bad to be rejected, but it compiled");
    assert_eq!(set.rejected.len(), 1, "{:?}", set.rejected);
    assert_eq!(set.rejected[0].name, "bad");
    set.rejected[0].reasons.clone()
}

/// Asserts some reason mentions every fragment.
#[track_caller]
fn assert_rejected_saying(spec: &str, fragments: &[&str]) {
    let reasons = rejection_reasons(spec);
    assert!(
        reasons.iter().any(|r| fragments.iter().all(|f| r.contains(f))),
        "expected one reason with {fragments:?} in {reasons:#?}"
    );
}

/// The regions a single valid policy's jurisdiction `name` resolves to.
#[track_caller]
fn jurisdiction_regions(spec: &str, name: &str) -> Vec<String> {
    let set = policies(&[&policy_yaml("p", spec)]);
    let (_, regions) = set.policies[0].jurisdictions.iter().find(|(n, _)| n == name).expect("jurisdiction compiled");
    regions.iter().cloned().collect()
}

// ---------------------------------------------------------------------------------------
// Compiling.
// ---------------------------------------------------------------------------------------

#[test]
fn valid_policy_compiles() {
    let set = PolicySet::compile(&[policy(&indonesia(""))]);
    assert!(set.rejected.is_empty(), "{:?}", set.rejected);
    assert_eq!(set.policies.len(), 1);
    assert_eq!(set.policies[0].name, "indonesia-pdp");
    let class = &set.classes["citizen-pii"];
    assert_eq!(set.policy(class).name, "indonesia-pdp");
    assert!(class.allowed.contains("ap-southeast-3"), "{class:?}");
    assert_eq!(set.classify.len(), 1);
}

#[test]
fn later_created_policy_redefining_a_class_is_rejected_naming_the_other() {
    // Input order puts the newer policy first; creation time decides.
    let newer = policy(&dated_policy("newer", "2024-06-01T00:00:00Z", "citizen-pii"));
    let older = policy(&dated_policy("older", "2023-01-01T00:00:00Z", "citizen-pii"));
    let set = PolicySet::compile(&[newer, older]);
    assert_eq!(set.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["older"]);
    assert_eq!(set.rejected.len(), 1, "{:?}", set.rejected);
    assert_eq!(set.rejected[0].name, "newer");
    assert!(
        set.rejected[0].reasons.iter().any(|r| r.contains("\"citizen-pii\"") && r.contains("policy older")),
        "{:?}",
        set.rejected[0].reasons
    );
    assert_eq!(set.policy(&set.classes["citizen-pii"]).name, "older");
}

#[test]
fn equally_old_policies_redefining_a_class_reject_the_later_in_input_order() {
    let first = policy(&dated_policy("first", "2024-01-01T00:00:00Z", "citizen-pii"));
    let second = policy(&dated_policy("second", "2024-01-01T00:00:00Z", "citizen-pii"));
    let set = PolicySet::compile(&[first, second]);
    assert_eq!(set.policies.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["first"]);
    assert_eq!(set.rejected.len(), 1, "{:?}", set.rejected);
    assert_eq!(set.rejected[0].name, "second");
    assert!(set.rejected[0].reasons.iter().any(|r| r.contains("policy first")), "{:?}", set.rejected[0].reasons);
}

#[test]
fn rejected_clash_drops_the_whole_later_policy() {
    let older = policy(&dated_policy("older", "2023-01-01T00:00:00Z", "citizen-pii"));
    let mut newer = policy(&dated_policy("newer", "2024-01-01T00:00:00Z", "citizen-pii"));
    newer.spec.data_classes.push(sovereign::policy::DataClass {
        name: "other-data".into(),
        allowed_regions: vec!["ap-southeast-3".into()],
        ..Default::default()
    });
    let set = PolicySet::compile(&[older, newer]);
    assert!(!set.classes.contains_key("other-data"), "a rejected policy is never partly applied");
}

#[test]
fn policy_readmitted_under_its_own_name_does_not_clash_with_itself() {
    let original = policy(&indonesia(""));
    let set = PolicySet::compile(std::slice::from_ref(&original));
    assert_eq!(set.admit(&original), Ok(()));
    let mut updated = original.clone();
    updated.spec.enforcement = Enforcement::Warn;
    assert_eq!(set.admit(&updated), Ok(()));
}

#[test]
fn policy_admitted_under_another_name_clashes_naming_the_owner() {
    let set = PolicySet::compile(&[policy(&indonesia(""))]);
    let mut copy = policy(&indonesia(""));
    copy.metadata.name = Some("indonesia-copy".into());
    let reasons = set.admit(&copy).expect_err("a second definition of citizen-pii must be refused");
    assert!(
        reasons.iter().any(|r| r.contains("\"citizen-pii\"") && r.contains("policy indonesia-pdp")),
        "{reasons:#?}"
    );
}

// ---------------------------------------------------------------------------------------
// Rejections, each with a reason a person can act on.
// ---------------------------------------------------------------------------------------

#[test]
fn allowed_jurisdiction_that_is_not_defined_is_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [EU] }
"#,
        &["\"EU\"", "does not define", "ID"],
    );
}

#[test]
fn data_class_without_jurisdictions_or_regions_is_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii }
"#,
        &["\"citizen-pii\"", "allows no jurisdiction and no region"],
    );
}

#[test]
fn jurisdiction_without_countries_or_regions_is_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
        &["\"ID\"", "at least one country, preset or region"],
    );
}

#[test]
fn country_given_by_name_is_rejected_as_malformed() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [Indonesia] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
        &["\"Indonesia\"", "ISO 3166-1 alpha-2"],
    );
}

// SPEC §11: country codes in jurisdictions are compared without regard to case (this test
// used to reject `id`).
#[test]
fn lowercase_country_code_is_accepted() {
    let set = PolicySet::compile(&[policy(&policy_yaml(
        "lower",
        r#"  jurisdictions:
    - { name: ID, countries: [id] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
    ))]);
    assert!(set.rejected.is_empty(), "{:?}", set.rejected);
    assert!(set.policies[0].jurisdictions[0].1.contains("asia-southeast2"));
}

#[test]
fn a_code_iso_does_not_assign_is_rejected_with_a_hint() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: UK, countries: [UK] }
  dataClasses:
    - { name: uk-pii, allowedJurisdictions: [UK] }
"#,
        &["\"UK\"", "ISO 3166-1 alpha-2", "the United Kingdom is GB"],
    );
}

#[test]
fn a_jurisdiction_given_by_preset_alone_is_valid() {
    let set = PolicySet::compile(&[policy(&policy_yaml(
        "eu",
        r#"  providers: [aws]
  jurisdictions:
    - { name: EU, presets: [EU] }
  dataClasses:
    - { name: eu-pii, allowedJurisdictions: [EU] }
"#,
    ))]);
    assert!(set.rejected.is_empty(), "{:?}", set.rejected);
    let eu = &set.policies[0].jurisdictions[0].1;
    assert!(eu.contains("eu-central-1") && eu.contains("eu-west-3") && eu.contains("eusc-de-east-1"));
    assert!(!eu.contains("eu-west-2"), "London is not in the EU");
}

#[test]
fn an_unknown_preset_is_not_a_valid_policy() {
    let yaml = policy_yaml(
        "bad",
        r#"  jurisdictions:
    - { name: EU, presets: [EUROPE] }
  dataClasses:
    - { name: eu-pii, allowedJurisdictions: [EU] }
"#,
    );
    let value = docs(&yaml).remove(0);
    let err = serde_json::from_value::<sovereign::policy::SovereigntyPolicy>(value).unwrap_err();
    assert!(err.to_string().contains("EUROPE"), "{err}");
}

#[test]
fn jurisdiction_whose_countries_resolve_to_no_region_is_rejected() {
    assert_rejected_saying(
        r#"  providers: [ibm]
  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
        &["\"ID\"", "resolves to no region", "ibm"],
    );
}

#[test]
fn classify_rule_naming_a_class_outside_the_policy_is_rejected() {
    assert_rejected_saying(
        &valid_spec(
            r#"  classify:
    - namespaceSelector: { matchLabels: { tenant: gov-id } }
      dataClasses: [eu-pii]
"#,
        ),
        &["spec.classify[0]", "\"eu-pii\"", "not defined in this policy"],
    );
}

#[test]
fn classify_selector_with_an_unknown_operator_is_rejected() {
    assert_rejected_saying(
        &valid_spec(
            r#"  classify:
    - namespaceSelector: { matchExpressions: [ { key: tier, operator: Gt, values: ["1"] } ] }
      dataClasses: [citizen-pii]
"#,
        ),
        &["spec.classify[0].namespaceSelector", "\"Gt\""],
    );
}

#[test]
fn classify_selector_with_in_and_no_values_is_rejected() {
    assert_rejected_saying(
        &valid_spec(
            r#"  classify:
    - objectSelector: { matchExpressions: [ { key: app, operator: In } ] }
      dataClasses: [citizen-pii]
"#,
        ),
        &["spec.classify[0].objectSelector", "needs at least one value"],
    );
}

#[test]
fn trusted_region_label_equal_to_region_label_is_rejected() {
    assert_rejected_saying(
        &valid_spec("  trustedRegionLabel: topology.kubernetes.io/region\n"),
        &["trustedRegionLabel must differ from spec.regionLabel"],
    );
}

#[test]
fn duplicate_jurisdiction_names_are_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
    - { name: ID, regions: [onprem-jakarta] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
        &["jurisdiction \"ID\" is defined twice"],
    );
}

#[test]
fn duplicate_data_class_names_are_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
    - { name: citizen-pii, allowedRegions: [onprem-jakarta] }
"#,
        &["data class \"citizen-pii\" is defined twice"],
    );
}

#[test]
fn invalid_data_class_name_is_rejected() {
    assert_rejected_saying(
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: "Citizen PII!", allowedJurisdictions: [ID] }
"#,
        &["\"Citizen PII!\"", "valid label value"],
    );
}

// ---------------------------------------------------------------------------------------
// Jurisdictions resolve through the catalog.
// ---------------------------------------------------------------------------------------

#[test]
fn countries_with_named_providers_resolve_through_those_catalogs() {
    let regions = jurisdiction_regions(&valid_spec(""), "ID");
    assert!(regions.iter().any(|r| r == "ap-southeast-3"), "{regions:?}");
    assert!(regions.iter().any(|r| r == "asia-southeast2"), "{regions:?}");
}

#[test]
fn countries_with_named_providers_exclude_other_clouds_regions() {
    // Huawei's ap-southeast-4 is Jakarta, but this policy runs on aws and gcp only.
    let regions = jurisdiction_regions(&valid_spec(""), "ID");
    assert!(!regions.iter().any(|r| r == "ap-southeast-4"), "{regions:?}");
}

#[test]
fn countries_without_providers_exclude_an_ambiguous_region_name() {
    let spec = r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#;
    let regions = jurisdiction_regions(spec, "ID");
    assert!(!regions.iter().any(|r| r == "ap-southeast-3"), "ap-southeast-3 is ambiguous: {regions:?}");
    assert!(regions.iter().any(|r| r == "asia-southeast2"), "{regions:?}");
}

#[test]
fn explicit_regions_always_belong_to_the_jurisdiction() {
    let spec = r#"  jurisdictions:
    - { name: ID, countries: [ID], regions: [ap-southeast-3, onprem-jakarta] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#;
    let regions = jurisdiction_regions(spec, "ID");
    assert!(regions.iter().any(|r| r == "ap-southeast-3"), "{regions:?}");
    assert!(regions.iter().any(|r| r == "onprem-jakarta"), "{regions:?}");
}

#[test]
fn jurisdiction_of_regions_only_needs_no_catalog() {
    let spec = r#"  providers: [ibm]
  jurisdictions:
    - { name: ID, regions: [onprem-jakarta] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#;
    assert_eq!(jurisdiction_regions(spec, "ID"), ["onprem-jakarta"]);
}

#[test]
fn data_class_allows_its_jurisdictions_and_extra_regions() {
    let set = policies(&[&policy_yaml(
        "p",
        r#"  providers: [aws]
  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID], allowedRegions: [onprem-jakarta] }
"#,
    )]);
    let allowed = &set.classes["citizen-pii"].allowed;
    assert!(allowed.contains("ap-southeast-3"), "{allowed:?}");
    assert!(allowed.contains("onprem-jakarta"), "{allowed:?}");
    assert!(!allowed.contains("asia-southeast2"), "gcp is not among the providers: {allowed:?}");
}

// ---------------------------------------------------------------------------------------
// The webhook judging SovereigntyPolicy objects.
// ---------------------------------------------------------------------------------------

#[test]
fn invalid_policy_object_is_denied_with_its_reasons() {
    let set = PolicySet::default();
    let yaml = policy_yaml(
        "bad",
        r#"  jurisdictions:
    - { name: ID, countries: [Indonesia] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [EU] }
"#,
    );
    let d = judge(&yaml, &Inventory::default(), &set);
    assert_denied_saying(&d, &["SovereigntyPolicy bad is invalid", "\"Indonesia\"", "\"EU\""]);
}

#[test]
fn valid_policy_object_is_allowed() {
    let set = PolicySet::default();
    let d = judge(&indonesia(""), &Inventory::default(), &set);
    assert_verdict(&d, Verdict::Allow);
    assert!(d.violations.is_empty(), "{d:#?}");
}

#[test]
fn policy_object_clashing_with_an_existing_policy_is_denied() {
    let set = policies(&[&indonesia("")]);
    let clash = indonesia("").replace("name: indonesia-pdp", "name: indonesia-copy");
    let d = judge(&clash, &Inventory::default(), &set);
    assert_denied_saying(&d, &["SovereigntyPolicy indonesia-copy is invalid", "policy indonesia-pdp"]);
}

#[test]
fn policy_object_updating_itself_is_allowed() {
    let set = policies(&[&indonesia("")]);
    let d = judge(&indonesia("  enforcement: Warn"), &Inventory::default(), &set);
    assert_verdict(&d, Verdict::Allow);
}

// ---------------------------------------------------------------------------------------
// Spec defaults.
// ---------------------------------------------------------------------------------------

#[test]
fn minimal_policy_takes_the_documented_defaults() {
    let p = policy(&policy_yaml(
        "minimal",
        r#"  jurisdictions:
    - { name: ID, countries: [ID] }
  dataClasses:
    - { name: citizen-pii, allowedJurisdictions: [ID] }
"#,
    ));
    assert_eq!(p.spec.enforcement, Enforcement::Deny);
    assert_eq!(p.spec.placement, Placement::Strict);
    assert_eq!(p.spec.region_label, "topology.kubernetes.io/region");
    assert_eq!(p.spec.trusted_region_label, None);
    assert_eq!(p.spec.volumes.unconfined_storage, VolumeAction::Deny);
    assert_eq!(p.spec.volumes.network_volumes, VolumeAction::Deny);
    assert!(p.spec.providers.is_empty());
    assert!(p.spec.classify.is_empty());
    assert!(p.spec.exemptions.namespaces.is_empty());
}
