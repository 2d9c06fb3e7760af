//! The admission path reads the request's object straight from the body's JSON text
//! (`Object::from_json`); everything else reads it from a `serde_json::Value`
//! (`Object::parse`). Both must see the same object and fail alike.

use std::path::Path;

use serde_json::{Value, json};
use sovereign::evaluate::{Object, ObjectError};

fn both(value: &Value) -> (Result<Object, ObjectError>, Result<Object, ObjectError>) {
    (Object::parse(value), Object::from_json(&value.to_string(), ""))
}

/// Every AdmissionReview fixture whose request carries an object.
fn fixture_reviews() -> Vec<(std::path::PathBuf, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let review: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        if review["request"]["object"].is_object() {
            out.push((path, review));
        }
    }
    out
}

#[test]
fn every_review_fixture_reads_the_same_from_text_and_from_a_value() {
    let mut seen = 0;
    for (path, review) in fixture_reviews() {
        let object = &review["request"]["object"];
        let (tree, text) = both(object);
        assert_eq!(format!("{tree:?}"), format!("{text:?}"), "{}", path.display());
        seen += 1;
    }
    assert!(seen > 20, "only {seen} fixtures carry an object");
}

#[test]
fn a_missing_kind_is_taken_from_the_request() {
    let object = json!({ "metadata": { "name": "web" }, "spec": { "containers": [] } });
    let parsed = Object::from_json(&object.to_string(), "Pod").unwrap();
    assert_eq!(parsed.kind(), "Pod");
    assert_eq!(parsed.meta().name.as_deref(), Some("web"));
    assert!(matches!(Object::from_json(&object.to_string(), ""), Err(ObjectError::NoKind)));
}

#[test]
fn malformed_and_missing_parts_fail_alike() {
    let cases = [
        json!({ "kind": "Pod", "metadata": { "name": "x" }, "spec": { "nodeSelector": 7 } }),
        json!({ "kind": "Pod", "metadata": { "name": "x" } }),
        json!({ "kind": "Pod", "metadata": { "labels": ["a"] }, "spec": {} }),
        json!({ "kind": "Deployment", "metadata": { "name": "x" }, "spec": { "template": "not a template" } }),
        json!({ "kind": "Deployment", "metadata": { "name": "x" }, "spec": { "replicas": 1 } }),
        json!({ "kind": "CronJob", "metadata": { "name": "x" }, "spec": { "jobTemplate": { "spec": null } } }),
        json!({ "kind": "Binding", "metadata": { "name": "x" } }),
        json!({ "kind": "PersistentVolumeClaim", "spec": { "selector": "everything" } }),
        json!({ "kind": "PersistentVolume", "spec": { "nodeAffinity": { "required": {} } } }),
    ];
    for case in cases {
        let (tree, text) = both(&case);
        let (Err(tree), Err(text)) = (&tree, &text) else {
            panic!("{case}: expected errors, got {tree:?} and {text:?}");
        };
        assert_eq!(std::mem::discriminant(tree), std::mem::discriminant(text), "{case}: {tree} vs {text}");
        assert!(text.to_string().contains(case["kind"].as_str().unwrap()), "{text}");
    }
}

#[test]
fn fields_evaluation_does_not_read_are_skipped_not_parsed() {
    // Containers, env and managedFields of any shape: nothing reads them.
    let pod = json!({
        "kind": "Pod",
        "metadata": { "name": "x", "managedFields": [{ "fieldsV1": { "f:spec": {} } }] },
        "spec": { "containers": [{ "name": "c", "env": [{ "name": "A", "value": "b" }] }],
                  "volumes": [{ "name": "d", "nfs": { "server": "s", "path": "/" } }] },
        "status": { "phase": "Running" }
    });
    let (tree, text) = both(&pod);
    assert_eq!(format!("{:?}", tree.unwrap()), format!("{:?}", text.unwrap()));
}

#[test]
fn a_deletion_timestamp_is_seen_without_parsing_the_object() {
    use sovereign::read::TextField;
    let read = |text: &'static str, kind: &str| serde_json::from_str::<TextField>(text).unwrap().object(kind);
    assert!(read(r#"{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z"}}"#, "Deployment").unwrap().deleting());
    let staying = read(r#"{"metadata":{"deletionTimestamp":null},"kind":"Pod"}"#, "Deployment").unwrap();
    assert!(!staying.deleting());
    assert_eq!(staying.kind(), "Pod");
    for not_an_object in ["[1, {\"a\": 2}]", "\"web\"", "7", "null", "true"] {
        assert!(read(not_an_object, "Pod").is_none(), "{not_an_object}");
    }
}

#[test]
fn a_repeated_key_counts_once_the_last_time_as_in_a_value() {
    let text = r#"{"kind": "Pod", "metadata": {"name": "a"}, "spec": {}, "metadata": {"name": "b"}}"#;
    let from_value = Object::parse(&serde_json::from_str(text).unwrap()).unwrap();
    let from_text = Object::from_json(text, "").unwrap();
    assert_eq!(from_text.meta().name.as_deref(), Some("b"));
    assert_eq!(format!("{from_value:?}"), format!("{from_text:?}"));
}

/// The one-pass reading of the admission path, where it applies.
fn fast(value: &Value, default_kind: &str) -> Option<Result<Object, ObjectError>> {
    fast_text(&value.to_string(), default_kind)
}

fn fast_text(text: &str, default_kind: &str) -> Option<Result<Object, ObjectError>> {
    let field: sovereign::read::OnePass = serde_json::from_str(text).ok()?;
    if field.needs_second_pass(default_kind) {
        return None;
    }
    Some(field.object(default_kind).expect("an object").parse())
}

#[test]
fn the_one_pass_reading_agrees_with_the_others_wherever_it_applies() {
    let mut fast_ones = 0;
    for (path, review) in fixture_reviews() {
        let object = &review["request"]["object"];
        let Some(read) = fast(object, "") else { continue };
        assert_eq!(format!("{read:?}"), format!("{:?}", Object::parse(object)), "{}", path.display());
        fast_ones += 1;
    }
    assert!(fast_ones > 20, "only {fast_ones} fixtures were read in one pass");
}

#[test]
fn the_one_pass_reading_defers_what_it_cannot_read() {
    // (serde_json::Value sorts keys, so these are written as text.)
    assert!(fast_text(r#"{"spec": {"nodeName": "n"}, "kind": "Pod"}"#, "").is_none(), "the spec came first");
    assert!(fast_text(r#"{"kind": "Pod", "spec": {}, "kind": "Pod"}"#, "").is_none(), "the kind came twice");
    let no_kind = json!({ "metadata": { "name": "p" }, "spec": {} });
    assert!(fast(&no_kind, "Pod").is_none(), "a spec without a kind");
    assert!(fast(&json!({ "kind": "SovereigntyPolicy", "spec": {} }), "").is_none(), "policies are read whole");
    assert!(fast(&json!({ "metadata": {} }), "SovereigntyPolicy").is_none(), "even when the request names them");
    // Stores, and kinds sovereign does not know (a policy may declare them stores), are read
    // whole: their location may be anywhere in them.
    let bucket = json!({ "apiVersion": "s3.aws.upbound.io/v1beta1", "kind": "Bucket", "spec": {} });
    assert!(fast(&bucket, "").is_none(), "stores are read whole");
    assert!(fast(&json!({ "kind": "ConfigMap", "metadata": { "name": "x" }, "data": {} }), "").is_none());
    // A malformed part fails the one pass outright; the admission path then reads it again.
    let bad = json!({ "kind": "Deployment", "spec": { "template": "not a template" } });
    assert!(serde_json::from_value::<sovereign::read::OnePass>(bad).is_err());
    // What it does read, it reads like the others, missing parts included.
    let cases = [
        json!({ "kind": "Deployment", "metadata": { "name": "x" }, "spec": { "replicas": 1 } }),
        json!({ "kind": "Binding", "metadata": { "name": "x" } }),
        json!({ "kind": "Pod", "metadata": { "name": "x" } }),
    ];
    for case in cases {
        let read = fast(&case, "").unwrap();
        assert_eq!(format!("{read:?}"), format!("{:?}", Object::parse(&case)), "{case}");
    }
}
