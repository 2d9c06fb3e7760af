mod common;

// The region catalog in evaluation (SPEC §11): zones that cross borders, regions that span
// countries, names the clouds disagree on, presets, and country codes in any case.

use common::*;
use sovereign::evaluate::{Decision, Verdict};

const ZONE: &str = "topology.kubernetes.io/zone";
const BUE: &str = "us-east-1-bue-1a";
const LIM: &str = "us-east-1-lim-1a";
const QRO: &str = "us-east-1-qro-1a";
const SCL: &str = "us-east-1-scl-1a";

/// A policy `name` whose data class `pii` (for namespace gov-id) may reside in jurisdiction `J`.
fn policy_for(name: &str, jurisdiction: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: {name} }}
spec:
{extra}  jurisdictions:
    - {{ name: J, {jurisdiction} }}
  dataClasses:
    - {{ name: pii, allowedJurisdictions: [J] }}
  classify:
    - namespaceSelector: {{ matchLabels: {{ tenant: gov-id }} }}
      dataClasses: [pii]
"#
    )
}

fn us_on_aws() -> String {
    policy_for("us-only", "countries: [US]", "  providers: [aws]\n")
}

/// Nodes in us-east-1: one in an ordinary zone, one in the Buenos Aires Local Zone.
const NODES: &str = r#"
apiVersion: v1
kind: Namespace
metadata: { name: gov-id, labels: { tenant: gov-id } }
---
apiVersion: v1
kind: Node
metadata:
  name: iad-a
  labels: { topology.kubernetes.io/region: us-east-1, topology.kubernetes.io/zone: us-east-1a }
---
apiVersion: v1
kind: Node
metadata:
  name: bue-1
  labels: { topology.kubernetes.io/region: us-east-1, topology.kubernetes.io/zone: us-east-1-bue-1a }
---
apiVersion: v1
kind: Node
metadata:
  name: fra-old
  labels: { failure-domain.beta.kubernetes.io/region: us-east-1, failure-domain.beta.kubernetes.io/zone: us-east-1-lim-1a }
"#;

fn judged(object: &str, policy: &str) -> Decision {
    judge(object, &inventory(NODES), &policies(&[policy]))
}

fn messages(d: &Decision) -> String {
    d.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n")
}

/// A pod whose one required affinity term holds these expressions (flow YAML).
fn pod_requiring(exprs: &[&str]) -> String {
    pod(&format!(
        "  affinity:\n    nodeAffinity:\n      requiredDuringSchedulingIgnoredDuringExecution:\n        nodeSelectorTerms: [{{ matchExpressions: [{}] }}]",
        exprs.join(", ")
    ))
}

fn region_in(region: &str) -> String {
    format!("{{ key: topology.kubernetes.io/region, operator: In, values: [{region}] }}")
}

fn zone_expr(operator: &str, zones: &[&str]) -> String {
    format!("{{ key: {ZONE}, operator: {operator}, values: [{}] }}", zones.join(", "))
}

#[test]
fn a_pod_confined_only_to_us_east_1_is_denied_under_us_naming_the_local_zones_abroad() {
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: us-east-1 }"), &us_on_aws());
    assert_denied_saying(
        &d,
        &[
            "us-east-1-bue-1a (Buenos Aires (Local Zone), AR, in region us-east-1)",
            "us-east-1-lim-1a (Lima (Local Zone), PE",
            "us-east-1-scl-1a (Santiago (Local Zone), CL",
            "us-east-1-qro-1a (Queretaro (Local Zone), MX",
            &format!("{ZONE} NotIn [{BUE}, {LIM}, {QRO}, {SCL}]"),
        ],
    );
}

#[test]
fn a_pod_kept_off_the_local_zones_abroad_is_allowed_under_us() {
    let d =
        judged(&pod_requiring(&[&region_in("us-east-1"), &zone_expr("NotIn", &[BUE, LIM, QRO, SCL])]), &us_on_aws());
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_pod_kept_off_only_some_zones_abroad_is_denied_naming_the_rest() {
    let d = judged(&pod_requiring(&[&region_in("us-east-1"), &zone_expr("NotIn", &[BUE, LIM, QRO])]), &us_on_aws());
    assert_denied_saying(&d, &[SCL, &format!("{ZONE} NotIn [{SCL}]")]);
    assert!(!messages(&d).contains(&format!("{BUE} (")), "{}", messages(&d));
}

#[test]
fn a_pod_in_ordinary_zones_of_us_east_1_is_allowed_under_us() {
    let d = judged(
        &pod_requiring(&[&region_in("us-east-1"), &zone_expr("In", &["us-east-1a", "us-east-1b"])]),
        &us_on_aws(),
    );
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_node_in_a_local_zone_abroad_is_in_the_zone_country_not_the_region_country() {
    let d = judged(&pod("  nodeName: bue-1"), &us_on_aws());
    assert_denied_saying(&d, &["is placed on node bue-1", "us-east-1-bue-1a (Buenos Aires (Local Zone), AR"]);
    assert_verdict(&judged(&pod("  nodeName: iad-a"), &us_on_aws()), Verdict::Allow);
    let argentina = policy_for("ar-only", "countries: [AR]", "  providers: [aws]\n");
    assert_verdict(&judged(&pod("  nodeName: bue-1"), &argentina), Verdict::Allow);
    assert_verdict(&judged(&pod("  nodeName: iad-a"), &argentina), Verdict::Deny);
}

#[test]
fn the_deprecated_zone_label_counts_when_the_current_one_is_absent() {
    assert_denied_saying(&judged(&pod("  nodeName: fra-old"), &us_on_aws()), &["us-east-1-lim-1a (Lima"]);
}

#[test]
fn under_argentina_only_the_buenos_aires_zone_of_us_east_1_is_allowed() {
    let argentina = policy_for("ar-only", "countries: [AR]", "  providers: [aws]\n");
    assert_verdict(&judged(&pod_requiring(&[&zone_expr("In", &[BUE])]), &argentina), Verdict::Allow);
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: us-east-1 }"), &argentina);
    assert_denied_saying(&d, &["region us-east-1"]);
}

#[test]
fn a_region_listed_by_name_is_allowed_whole_with_its_zones() {
    let listed = policy_for("listed", "regions: [us-east-1]", "  providers: [aws]\n");
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: us-east-1 }"), &listed);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn an_ibm_region_spanning_countries_is_refused_under_a_single_country() {
    let germany = policy_for("de-only", "countries: [DE]", "  providers: [ibm]\n");
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: eu-de }"), &germany);
    assert_denied_saying(
        &d,
        &[
            "ams03 (Amsterdam, NL",
            "mil01 (Milan, IT",
            "par01 (Paris, FR",
            "NotIn [ams03, mil01, par01]",
            "In [fra02, fra04, fra05]",
        ],
    );
    let kept_in_frankfurt = pod_requiring(&[&region_in("eu-de"), &zone_expr("In", &["fra02", "fra04", "fra05"])]);
    assert_verdict(&judged(&kept_in_frankfurt, &germany), Verdict::Allow);
}

#[test]
fn a_catalogued_zone_confines_a_pod_without_a_zone_mapping() {
    let france = policy_for("fr-only", "countries: [FR]", "  providers: [ibm]\n");
    assert_verdict(&judged(&pod_requiring(&[&zone_expr("In", &["par01"])]), &france), Verdict::Allow);
    assert_verdict(&judged(&pod_requiring(&[&zone_expr("In", &["par01", "mil01"])]), &france), Verdict::Deny);
}

#[test]
fn eu_west_2_is_ambiguous_without_providers() {
    let uk = policy_for("uk", "countries: [GB]", "");
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: eu-west-2 }"), &uk);
    assert_denied_saying(&d, &["eu-west-2 is ambiguous across clouds", "aws says GB", "alibaba says FR"]);
    let uk_on_aws = policy_for("uk", "countries: [GB]", "  providers: [aws]\n");
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: eu-west-2 }"), &uk_on_aws);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn a_preset_stands_for_its_member_countries() {
    let eu = policy_for("eu", "presets: [EU]", "  providers: [gcp]\n");
    let frankfurt = pod("  nodeSelector: { topology.kubernetes.io/region: europe-west3 }");
    assert_verdict(&judged(&frankfurt, &eu), Verdict::Allow);
    let london = pod("  nodeSelector: { topology.kubernetes.io/region: europe-west2 }");
    assert_denied_saying(&judged(&london, &eu), &["region europe-west2"]);
    let eea_and_adequate = policy_for("eea", "presets: [EEA, EU-ADEQUACY]", "  providers: [gcp]\n");
    assert_verdict(&judged(&london, &eea_and_adequate), Verdict::Allow);
}

#[test]
fn country_codes_match_without_regard_to_case() {
    let lower = policy_for("de", "countries: [de]", "  providers: [gcp]\n");
    let d = judged(&pod("  nodeSelector: { topology.kubernetes.io/region: europe-west3 }"), &lower);
    assert_verdict(&d, Verdict::Allow);
}

#[test]
fn region_names_stay_case_sensitive() {
    let d = judged(
        &pod("  nodeSelector: { topology.kubernetes.io/region: EU-CENTRAL-1 }"),
        &policy_for("de", "countries: [DE]", "  providers: [aws]\n"),
    );
    assert_verdict(&d, Verdict::Deny);
}
