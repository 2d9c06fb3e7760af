//! `sovereign check` on copies of data (SPEC §12): the snapshot and Velero examples.

use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

const ARGS: [&str; 11] = [
    "check",
    "-p",
    "examples/policies",
    "--inventory",
    "examples/inventory",
    "--inventory",
    "examples/copies/inventory.yaml",
    "-f",
    "examples/copies/snapshots.yaml",
    "-f",
    "examples/copies/velero.yaml",
];

fn sovereign(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(ARGS.iter().chain(extra))
        .current_dir(ROOT)
        .output()
        .expect("binary runs")
}

fn outcome<'a>(all: &'a [Value], kind: &str, name: &str) -> &'a Value {
    all.iter().find(|o| o["kind"] == kind && o["name"] == name).unwrap_or_else(|| panic!("{kind} {name} missing"))
}

#[test]
fn the_copy_examples_are_judged_as_the_issue_says() {
    let out = sovereign(&["-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let expect = [
        ("VolumeSnapshot", "ktp-nearest", "deny"),
        ("VolumeSnapshot", "ktp-jakarta", "allow"),
        ("VolumeSnapshot", "ktp-default", "allow"),
        ("PersistentVolumeClaim", "ktp-restore", "deny"),
        ("Schedule", "nightly-all", "deny"),
        ("Schedule", "nightly-public", "allow"),
        ("Backup", "ktp-jakarta", "allow"),
    ];
    for (kind, name, verdict) in expect {
        assert_eq!(outcome(&all, kind, name)["verdict"], verdict, "{kind} {name}");
    }
    assert_eq!(all.len(), expect.len());
    let nearest = outcome(&all, "VolumeSnapshot", "ktp-nearest")["violations"][0]["message"].as_str().unwrap();
    assert!(
        nearest.contains("Fix: set `storage-locations: asia-southeast2` on VolumeSnapshotClass gce-nearest"),
        "{nearest}"
    );
    let nightly = outcome(&all, "Schedule", "nightly-all")["violations"].to_string();
    assert!(nightly.contains("Fix: use BackupStorageLocation jkt-backups"), "{nightly}");
}

#[test]
fn without_the_copy_inventory_the_snapshot_classes_and_locations_are_unknown() {
    let out = Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args([
            "check",
            "-p",
            "examples/policies",
            "--inventory",
            "examples/inventory",
            "-f",
            "examples/copies/snapshots.yaml",
            "-o",
            "json",
        ])
        .current_dir(ROOT)
        .output()
        .unwrap();
    let all: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON");
    let jakarta = outcome(&all, "VolumeSnapshot", "ktp-jakarta");
    assert_eq!(jakarta["verdict"], "deny", "an unknown class is never allowed for classified data");
    assert!(jakarta["violations"].to_string().contains("VolumeSnapshotClass gce-jakarta is not in the inventory"));
}

#[test]
fn report_lists_each_copy_with_region_country_and_jurisdiction() {
    let mut args: Vec<&str> = ARGS.to_vec();
    args[0] = "report";
    args.extend(["-o", "csv"]);
    let out = Command::new(env!("CARGO_BIN_EXE_sovereign")).args(&args).current_dir(ROOT).output().unwrap();
    let csv = String::from_utf8_lossy(&out.stdout);
    for row in [
        "VolumeSnapshot,gov-id,ktp-jakarta,citizen-pii,indonesia-pdp,snapshot,asia-southeast2,ID,ID,yes,allow,,,,,",
        "VolumeSnapshot,gov-id,ktp-default,citizen-pii,indonesia-pdp,snapshot,ap-southeast-3,ID,ID,yes,allow,,,,,",
        "Schedule,velero,nightly-all,citizen-pii,indonesia-pdp,backup,us-east-1,US,none,no,deny,,,,,",
        "Backup,velero,ktp-jakarta,citizen-pii,indonesia-pdp,volume snapshots,ap-southeast-3,ID,ID,yes,allow,,,,,",
    ] {
        assert!(csv.lines().any(|l| l == row), "no row {row:?} in:\n{csv}");
    }
    let nearest = csv.lines().find(|l| l.starts_with("VolumeSnapshot,gov-id,ktp-nearest,")).unwrap();
    assert!(
        nearest.contains(",snapshot,unknown,-,-,no,deny,") && nearest.contains("sets no storage-locations"),
        "{nearest}"
    );
}
