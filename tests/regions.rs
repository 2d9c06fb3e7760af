//! `sovereign regions`: the catalog printed for the people who write jurisdictions.

use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn regions(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign")).arg("regions").args(args).current_dir(ROOT).output().unwrap()
}

fn stdout(out: &Output) -> String {
    assert!(out.status.code().is_some(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn every_provider_region_country_and_city_is_listed() {
    let out = regions(&["-o", "json"]);
    assert!(out.status.success());
    let rows = json(&out);
    let rows = rows.as_array().unwrap();
    let has = |provider: &str, region: &str, country: &str| {
        rows.iter().any(|r| {
            r["provider"] == provider && r["region"] == region && r["country"] == country && r["zone"].is_null()
        })
    };
    assert!(has("aws", "us-gov-west-1", "US"));
    assert!(has("gcp", "u-france-east1", "FR"));
    assert!(has("linode", "id-cgk", "ID"));
    assert!(rows.iter().all(|r| r["city"].as_str().is_some_and(|c| !c.is_empty())));
    let providers: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["provider"].as_str().unwrap()).collect();
    assert_eq!(providers.len(), 19, "{providers:?}");
}

#[test]
fn the_indonesian_regions_of_every_cloud_that_has_one() {
    let out = regions(&["--country", "ID"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for (provider, region) in [
        ("aws", "ap-southeast-3"),
        ("gcp", "asia-southeast2"),
        ("azure", "indonesiacentral"),
        ("alibaba", "ap-southeast-5"),
        ("oracle", "ap-batam-1"),
        ("huawei", "ap-southeast-4"),
        ("tencent", "ap-jakarta"),
        ("linode", "id-cgk"),
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(provider) && l.contains(region) && l.contains(" ID ")),
            "{provider} {region}:\n{text}"
        );
    }
    assert!(!text.contains("europe-west3"));
    assert!(text.contains("ap-southeast-3: ambiguous across clouds"), "{text}");
}

#[test]
fn the_country_listing_can_be_limited_to_some_clouds() {
    let rows = json(&regions(&["--country", "id", "--provider", "aws,gcp", "-o", "json"]));
    let names: Vec<&str> = rows.as_array().unwrap().iter().map(|r| r["region"].as_str().unwrap()).collect();
    assert_eq!(names, ["ap-southeast-3", "asia-southeast2"]);
}

#[test]
fn eu_west_2_is_shown_ambiguous_and_why() {
    let out = regions(&["eu-west-2"]);
    let text = stdout(&out);
    assert!(out.status.success());
    assert!(text.contains("eu-west-2 is ambiguous without providers"), "{text}");
    assert!(text.contains("aws says GB (London)") && text.contains("alibaba says FR (Paris)"), "{text}");
    let meaning = json(&regions(&["eu-west-2", "-o", "json"]));
    assert_eq!(meaning["resolution"], "ambiguous");
    let resolved = json(&regions(&["eu-west-2", "--provider", "aws", "-o", "json"]));
    assert_eq!((resolved["resolution"].as_str(), resolved["country"].as_str()), (Some("country"), Some("GB")));
}

#[test]
fn a_region_with_local_zones_abroad_says_it_spans_countries() {
    let text = stdout(&regions(&["us-east-1", "--provider", "aws"]));
    assert!(
        text.contains("spans countries") && text.contains("us-east-1-bue-1a (Buenos Aires (Local Zone), AR)"),
        "{text}"
    );
}

#[test]
fn an_unknown_name_exits_1_and_is_never_guessed() {
    let out = regions(&["onprem-jakarta"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("never guesses"));
}

#[test]
fn a_preset_lists_its_members_with_the_date_checked() {
    let preset = json(&regions(&["--preset", "EU", "-o", "json"]));
    assert_eq!(preset["members"].as_array().unwrap().len(), 27);
    assert!(preset["checked"].as_str().unwrap().starts_with("20"));
    let text = stdout(&regions(&["--preset", "eu-adequacy"]));
    assert!(text.contains("JP") && !text.split_whitespace().any(|w| w == "US"), "{text}");
    assert_eq!(regions(&["--preset", "EUROPE"]).status.code(), Some(2));
}

#[test]
fn policies_show_exactly_what_each_jurisdiction_and_class_allows_and_what_it_could_not_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.yaml");
    std::fs::write(
        &path,
        r#"apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: us-any-cloud }
spec:
  jurisdictions:
    - { name: US, countries: [us] }
  dataClasses:
    - { name: us-pii, allowedJurisdictions: [US] }
"#,
    )
    .unwrap();
    let out = regions(&["-p", path.to_str().unwrap(), "-o", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let policies = json(&out);
    let scopes = policies[0]["scopes"].as_array().unwrap();
    let us = scopes.iter().find(|s| s["kind"] == "jurisdiction").unwrap();
    let allows: Vec<&str> = us["allows"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(allows.contains(&"us-east-1") && allows.contains(&"us-gov-west-1") && allows.contains(&"usgovvirginia"));
    assert!(!allows.contains(&"us-east-1-bue-1a"));
    let unresolved = us["unresolved"].as_array().unwrap();
    let why =
        |name: &str| unresolved.iter().find(|u| u["name"] == name).map(|u| u["reason"].as_str().unwrap().to_string());
    assert!(why("us-east-1").unwrap().contains("spans countries"), "{unresolved:?}");
    assert!(why("us-east").unwrap().contains("tor01"), "IBM us-east holds Toronto: {unresolved:?}");
    let class = scopes.iter().find(|s| s["kind"] == "dataClass").unwrap();
    assert_eq!(class["name"], "us-pii");
    assert_eq!(class["allows"], us["allows"]);
    let csv = stdout(&regions(&["-p", path.to_str().unwrap(), "-o", "csv"]));
    assert!(csv.starts_with("policy,scope,name,place,status,country,note\n"));
    assert!(csv.contains("us-any-cloud,jurisdiction,US,us-east-1,allowed,US,"), "{csv}");
}

#[test]
fn csv_has_one_header_and_a_line_per_row() {
    let csv = stdout(&regions(&["--country", "AR", "-o", "csv"]));
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("provider,region,zone,country,city,spans,note,source"));
    assert!(csv.contains("aws,us-east-1,us-east-1-bue-1a,AR,Buenos Aires (Local Zone)"), "{csv}");
}

#[test]
fn a_code_iso_does_not_assign_is_refused() {
    let out = regions(&["--country", "UK"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the United Kingdom is GB"));
}
