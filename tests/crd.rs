//! The CRD in crds/ is generated from the Rust types; these tests fail when it drifts.

use sovereign::cli::{crd_yaml, crds_yaml, exception_crd_yaml};

const CRD_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crds/sovereigntypolicies.sovereignty.io.yaml");

#[test]
fn crds_directory_matches_the_types() {
    let on_disk = std::fs::read_to_string(CRD_FILE).expect("crds/ holds the CRD");
    assert!(
        on_disk == crd_yaml(),
        "crds/sovereigntypolicies.sovereignty.io.yaml is stale: run `cargo run -- crds > crds/sovereigntypolicies.sovereignty.io.yaml`"
    );
}

#[test]
fn crd_has_the_names_scope_and_columns_the_spec_promises() {
    let crd: serde_json::Value = serde_yaml_ng::from_str(&crd_yaml()).unwrap();
    let spec = &crd["spec"];
    assert_eq!(spec["group"], "sovereignty.io");
    assert_eq!(spec["scope"], "Cluster");
    assert_eq!(spec["names"]["shortNames"][0], "sovpol");
    let version = &spec["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    assert!(version["subresources"]["status"].is_object(), "status subresource");
    let columns: Vec<&str> =
        version["additionalPrinterColumns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["Enforcement", "Classes", "Violations", "Ready", "Age"]);
}

#[test]
fn crd_schema_carries_cel_rules_and_enums() {
    let yaml = crd_yaml();
    assert!(yaml.contains("a data class must allow at least one jurisdiction or region"));
    assert!(yaml.contains("every allowedJurisdictions entry must name a jurisdiction defined in this policy"));
    let crd: serde_json::Value = serde_yaml_ng::from_str(&yaml).unwrap();
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"];
    assert_eq!(spec["enforcement"]["enum"], serde_json::json!(["Deny", "Warn", "Audit"]));
    assert_eq!(spec["placement"]["enum"], serde_json::json!(["Strict", "Inventory"]));
    assert_eq!(spec["regionLabel"]["default"], "topology.kubernetes.io/region");
}

#[test]
fn the_chart_ships_the_same_crd() {
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/sovereign/crds/sovereigntypolicies.sovereignty.io.yaml");
    let in_chart = std::fs::read_to_string(chart).expect("the chart holds the CRD");
    let in_crds = std::fs::read_to_string(CRD_FILE).unwrap();
    assert!(in_chart == in_crds, "charts/sovereign/crds/ differs from crds/: copy crds/*.yaml into the chart");
}

const EXCEPTION_CRD_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/crds/sovereigntyexceptions.sovereignty.io.yaml");

#[test]
fn the_exception_crd_in_crds_matches_the_types() {
    let on_disk = std::fs::read_to_string(EXCEPTION_CRD_FILE).expect("crds/ holds the exception CRD");
    assert!(
        on_disk == exception_crd_yaml(),
        "crds/sovereigntyexceptions.sovereignty.io.yaml is stale: regenerate it from `cargo run -- crds` (second document)"
    );
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/charts/sovereign/crds/sovereigntyexceptions.sovereignty.io.yaml");
    let in_chart = std::fs::read_to_string(chart).expect("the chart holds the exception CRD");
    assert!(in_chart == on_disk, "charts/sovereign/crds/ differs from crds/: copy crds/*.yaml into the chart");
}

#[test]
fn sovereign_crds_prints_both_crds() {
    assert_eq!(crds_yaml(), format!("{}---\n{}", crd_yaml(), exception_crd_yaml()));
}

#[test]
fn the_exception_crd_is_namespaced_with_the_columns_a_compliance_officer_reads() {
    let crd: serde_json::Value = serde_yaml_ng::from_str(&exception_crd_yaml()).unwrap();
    let spec = &crd["spec"];
    assert_eq!(spec["group"], "sovereignty.io");
    assert_eq!(spec["scope"], "Namespaced");
    assert_eq!(spec["names"]["kind"], "SovereigntyException");
    assert_eq!(spec["names"]["shortNames"][0], "sovex");
    let version = &spec["versions"][0];
    assert_eq!(version["name"], "v1alpha1");
    assert!(version["subresources"]["status"].is_object(), "status subresource");
    let columns: Vec<&str> =
        version["additionalPrinterColumns"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(columns, ["Policy", "Basis", "Expires", "Phase", "Uses", "Age"]);
    let schema = &version["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let mut required: Vec<&str> = schema["required"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    required.sort();
    assert_eq!(required, ["approvedBy", "dataClasses", "expires", "justification", "legalBasis", "match", "policy"]);
    assert_eq!(schema["properties"]["justification"]["minLength"], 20);
    assert_eq!(schema["properties"]["match"]["required"], serde_json::json!(["namespaces"]));
    let rules: Vec<&str> =
        schema["x-kubernetes-validations"].as_array().unwrap().iter().map(|r| r["message"].as_str().unwrap()).collect();
    assert!(rules.iter().any(|m| m.contains("at least one region (allowedRegions) or country")));
    assert!(rules.iter().any(|m| m.contains("at least 20 characters")));
    let basis = &schema["properties"]["legalBasis"]["properties"]["type"]["enum"];
    assert_eq!(basis.as_array().unwrap().len(), 9);
}

#[test]
fn the_policy_crd_carries_the_exceptions_block() {
    let crd: serde_json::Value = serde_yaml_ng::from_str(&crd_yaml()).unwrap();
    let block =
        &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["exceptions"];
    assert_eq!(block["properties"]["allowed"]["default"], false);
    assert_eq!(block["properties"]["maxDuration"]["pattern"], "^[0-9]{1,6}(d|h|m|s)$");
    assert!(block["x-kubernetes-validations"][0]["message"].as_str().unwrap().contains("exceptions.namespaces"));
}
