//! `sovereign report` on the examples: the evidence a compliance officer receives.

use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn report(format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(["report", "-p", "examples/policies", "-f", "examples/manifests", "--inventory", "examples/inventory"])
        .args(["-o", format])
        .current_dir(ROOT)
        .output()
        .unwrap()
}

fn rows() -> Vec<serde_json::Value> {
    let out = report("json");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap().as_array().unwrap().clone()
}

#[test]
fn a_pod_reading_a_volume_abroad_shows_both_places() {
    let rows = rows();
    let reader: Vec<_> = rows.iter().filter(|r| r["name"] == "archive-reader").collect();
    assert_eq!(reader.len(), 2, "the pod and its volume: {reader:#?}");
    let pod = reader.iter().find(|r| r["holder"] == "pod").unwrap();
    assert_eq!((pod["region"].as_str(), pod["country"].as_str()), (Some("ap-southeast-3"), Some("ID")));
    assert_eq!((pod["jurisdiction"].as_str(), pod["permitted"].as_bool()), (Some("ID"), Some(true)));
    let volume = reader.iter().find(|r| r["holder"].as_str().unwrap().starts_with("volume \"archive\"")).unwrap();
    assert_eq!((volume["region"].as_str(), volume["country"].as_str()), (Some("us-east-1"), Some("US")));
    assert_eq!((volume["jurisdiction"].as_str(), volume["permitted"].as_bool()), (Some("none"), Some(false)));
}

#[test]
fn unconfined_holders_say_why_and_unclassified_objects_are_left_out() {
    let rows = rows();
    let web = rows.iter().find(|r| r["name"] == "web").unwrap();
    assert_eq!(web["region"], "any");
    assert!(web["note"].as_str().unwrap().contains("no required constraint"), "{web}");
    assert!(!rows.iter().any(|r| r["name"] == "status-page"), "unclassified objects are not evidence");
}

#[test]
fn private_regions_resolve_through_the_policy_not_the_catalog() {
    let rows = rows();
    let onprem = rows.iter().find(|r| r["region"] == "onprem-frankfurt").unwrap();
    assert_eq!((onprem["country"].as_str(), onprem["jurisdiction"].as_str()), (Some("not catalogued"), Some("EU")));
}

#[test]
fn csv_has_a_header_and_one_quoted_row_per_placement() {
    let out = report("csv");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines = text.split("\r\n").filter(|l| !l.is_empty());
    assert_eq!(
        lines.next(),
        Some(
            "kind,namespace,name,data_class,policy,holder,region,country,jurisdiction,permitted,verdict,note,exception,basis,reference,expires"
        )
    );
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), rows().len());
    assert!(
        body.iter().any(|l| l.contains("\"volumeClaimTemplate \"\"data\"\"\"")),
        "quotes are doubled inside quoted fields"
    );
}

#[test]
fn text_is_an_aligned_table_with_a_summary() {
    let out = report("text");
    let text = String::from_utf8(out.stdout).unwrap();
    let header = text.lines().next().unwrap();
    for column in ["OBJECT", "DATA CLASS", "POLICY", "HOLDER", "REGION", "COUNTRY", "JURISDICTION", "PERMITTED"] {
        assert!(header.contains(column), "{header}");
    }
    // Pods pinned to eu-central-1 may also run in its Warsaw Local Zone (PL): one more row each.
    assert!(text.contains("19 placements, 6 not permitted"), "{text}");
}

#[test]
fn each_place_says_whether_it_is_permitted_and_the_object_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("two-regions.yaml");
    std::fs::write(
        &manifest,
        r#"
apiVersion: apps/v1
kind: Deployment
metadata: { name: split, namespace: gov-id, labels: { sovereignty.io/data-class: citizen-pii } }
spec:
  selector: { matchLabels: { app: split } }
  template:
    metadata: { labels: { app: split } }
    spec:
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - { key: topology.kubernetes.io/region, operator: In, values: [ap-southeast-3, us-east-1] }
      containers: [{ name: app, image: app }]
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(["report", "-p", "examples/policies", "--inventory", "examples/inventory", "-o", "json", "-f"])
        .arg(&manifest)
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    let at = |region: &str| rows.iter().find(|r| r["region"] == region).unwrap_or_else(|| panic!("{rows:#?}"));
    assert_eq!(at("ap-southeast-3")["permitted"], true, "the allowed place is permitted");
    assert_eq!(at("us-east-1")["permitted"], false);
    assert!(rows.iter().all(|r| r["verdict"] == "deny"), "the object's verdict is its own column");
}
