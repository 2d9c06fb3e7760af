//! `check` and `report` honour SovereigntyExceptions given with `-p`, as at `--now`
//! (SPEC §14): the same manifest is excepted before the exception expires and denied after.

use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sovereign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign")).args(args).current_dir(ROOT).output().expect("binary runs")
}

const INPUTS: [&str; 5] =
    ["-p", "examples/policies", "examples/exceptions/analytics-scc.yaml", "-f", "examples/exceptions/manifests"];

fn check_at(now: &str, output: &str) -> Output {
    sovereign(&[&["check"], &INPUTS[..], &["--now", now, "-o", output]].concat())
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn check_says_excepted_before_expiry_and_deny_after_for_the_same_manifest() {
    let before = check_at("2027-03-30T23:59:59Z", "json");
    assert_eq!(before.status.code(), Some(0), "{}", String::from_utf8_lossy(&before.stderr));
    let outcome = &json(&before)[0];
    assert_eq!(outcome["verdict"], "excepted");
    let used = &outcome["exceptions"][0];
    assert_eq!(used["namespace"], "compliance");
    assert_eq!(used["name"], "analytics-scc");
    assert_eq!(used["legalBasis"]["type"], "StandardContractualClauses");
    assert_eq!(used["legalBasis"]["reference"], "SCC-2026-014");
    assert_eq!(used["expires"], "2027-03-31T00:00:00Z");

    let after = check_at("2027-03-31T00:00:00Z", "json");
    assert_eq!(after.status.code(), Some(1));
    let outcome = &json(&after)[0];
    assert_eq!(outcome["verdict"], "deny");
    assert!(outcome.get("exceptions").is_none());
    let message = outcome["violations"][0]["message"].as_str().unwrap();
    assert!(message.contains("compliance/analytics-scc") && message.contains("expired"), "{message}");
}

#[test]
fn text_output_names_the_exception() {
    let out = check_at("2027-02-01T00:00:00Z", "text");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("EXCEPT Deployment analytics/churn-model"), "{text}");
    assert!(
        text.contains("under exception compliance/analytics-scc (StandardContractualClauses SCC-2026-014)"),
        "{text}"
    );
    assert!(text.contains(" exempt, 1 excepted, "), "the summary says each once: {text}");
}

#[test]
fn without_the_exception_file_the_manifest_is_denied() {
    let out = sovereign(&[
        "check",
        "-p",
        "examples/policies",
        "-f",
        "examples/exceptions/manifests",
        "--now",
        "2027-02-01T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_malformed_now_is_an_input_error() {
    let out = check_at("next tuesday", "json");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

#[test]
fn report_rows_carry_the_exception_basis_reference_and_expiry() {
    let report = |now: &str| {
        let out = sovereign(&[&["report"], &INPUTS[..], &["--now", now, "-o", "json"]].concat());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        json(&out)
    };
    let rows = report("2027-02-01T00:00:00Z");
    let row = rows.as_array().unwrap().iter().find(|r| r["region"] == "us-east-1").expect("a us-east-1 row");
    assert_eq!(row["verdict"], "excepted");
    assert_eq!(row["permitted"], true);
    assert_eq!(row["exception"], "compliance/analytics-scc");
    assert_eq!(row["basis"], "StandardContractualClauses");
    assert_eq!(row["reference"], "SCC-2026-014");
    assert_eq!(row["expires"], "2027-03-31T00:00:00Z");

    let rows = report("2027-04-01T00:00:00Z");
    let row = rows.as_array().unwrap().iter().find(|r| r["region"] == "us-east-1").unwrap();
    assert_eq!(row["verdict"], "deny");
    assert_eq!(row["permitted"], false);
    assert!(row.get("exception").is_none());

    let out = sovereign(&[&["report"], &INPUTS[..], &["--now", "2027-02-01T00:00:00Z"]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "compliance/analytics-scc (StandardContractualClauses SCC-2026-014, expires 2027-03-31T00:00:00Z)"
        ),
        "{text}"
    );
}
