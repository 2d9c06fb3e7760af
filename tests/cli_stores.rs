//! `sovereign check` and `sovereign report` on the cloud data stores of examples/stores
//! (SPEC §13): a Crossplane S3 Bucket in eu-central-1, GCS Buckets in EU and in Jakarta, a
//! Config Connector StorageBucket in US, an ASO StorageAccount in southeastasia with
//! Standard_GRS, ACK Buckets with and without a region annotation, under the Indonesian
//! and the EU example policies.

use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const ARGS: [&str; 6] = ["-p", "examples/policies", "-f", "examples/stores", "--inventory", "examples/inventory"];

fn sovereign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign")).args(args).current_dir(ROOT).output().expect("binary runs")
}

fn json(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout).expect("stdout is JSON").as_array().expect("an array").clone()
}

fn outcome<'a>(outcomes: &'a [Value], kind: &str, namespace: &str, name: &str) -> &'a Value {
    outcomes
        .iter()
        .find(|o| o["kind"] == kind && o["namespace"] == namespace && o["name"] == name)
        .unwrap_or_else(|| panic!("{kind} {namespace}/{name} missing"))
}

fn messages(outcome: &Value) -> String {
    let violations = outcome["violations"].as_array().unwrap();
    violations.iter().map(|v| v["message"].as_str().unwrap()).collect::<Vec<_>>().join("\n")
}

#[test]
fn check_gives_each_store_the_verdict_its_location_implies_with_the_reason() {
    let out = sovereign(&[&["check"], &ARGS[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let outcomes = json(&out);
    assert_eq!(outcomes.len(), 12);
    let cases: [(&str, &str, &str, &str, &[&str]); 12] = [
        // Under the Indonesian policy.
        ("Bucket", "", "citizens-frankfurt", "deny", &["it is stored in region eu-central-1, outside them"]),
        ("Bucket", "", "citizens-eu", "deny", &["the gcp location EU (multi-region: AT, BE"]),
        ("Bucket", "", "citizens-jakarta", "allow", &[]),
        ("StorageBucket", "gov-id", "citizens-us", "deny", &["the gcp location US (multi-region: US)"]),
        (
            "StorageAccount",
            "gov-id",
            "citizenssea",
            "deny",
            &[
                "it is stored in region southeastasia",
                "its Standard_GRS replica, in the region Azure pairs with southeastasia, is kept in region eastasia",
            ],
        ),
        (
            "Bucket",
            "gov-id",
            "citizens-unplaced",
            "deny",
            &["it names no region", "annotate it services.k8s.aws/region"],
        ),
        ("Bucket", "gov-id", "citizens", "allow", &[]),
        // Under the EU policy.
        ("Bucket", "", "orders-frankfurt", "allow", &[]),
        ("Bucket", "", "orders-eu", "allow", &[]),
        (
            "StorageBucket",
            "eu-shop",
            "orders-us",
            "deny",
            &["the gcp location US", "Fix: set spec.location to one of ["],
        ),
        ("StorageAccount", "eu-shop", "orderssea", "deny", &["region southeastasia", "replica", "region eastasia"]),
        ("Bucket", "eu-shop", "orders-unplaced", "deny", &["it names no region"]),
    ];
    for (kind, namespace, name, verdict, reasons) in cases {
        let found = outcome(&outcomes, kind, namespace, name);
        assert_eq!(found["verdict"], verdict, "{kind} {namespace}/{name}: {found}");
        let all = messages(found);
        for reason in reasons {
            assert!(all.contains(reason), "{kind} {namespace}/{name}: expected {reason:?} in\n{all}");
        }
    }
}

#[test]
fn report_gives_stores_and_their_replicas_rows_of_their_own() {
    let out = sovereign(&[&["report"], &ARGS[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    let row = |cells: &[&str]| {
        text.lines().any(|line| {
            let words: Vec<&str> = line.split("  ").map(str::trim).filter(|w| !w.is_empty()).collect();
            cells.iter().all(|c| words.contains(c))
        })
    };
    assert!(row(&["Bucket gov-id/citizens", "bucket", "ap-southeast-3", "ID", "ID", "yes"]), "{text}");
    assert!(row(&["Bucket citizens-jakarta", "bucket", "asia-southeast2", "ID", "ID", "yes"]), "{text}");
    assert!(row(&["StorageAccount gov-id/citizenssea", "storage account", "southeastasia", "SG", "NO"]), "{text}");
    assert!(
        row(&["StorageAccount gov-id/citizenssea", "replica (Standard_GRS, paired region)", "eastasia", "HK", "NO"]),
        "{text}"
    );
    assert!(row(&["Bucket orders-eu", "bucket", "EU", "27 countries", "EU", "yes"]), "{text}");
    assert!(row(&["Bucket gov-id/citizens-unplaced", "bucket", "unknown", "NO"]), "{text}");
}
