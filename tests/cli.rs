//! `sovereign check` as a CI pipeline runs it: the real binary, real files, exit codes.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sovereign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign")).args(args).current_dir(ROOT).output().expect("binary runs")
}

fn sovereign_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(args)
        .current_dir(ROOT)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn json_outcomes(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout).expect("stdout is JSON").as_array().expect("an array").clone()
}

fn find<'a>(outcomes: &'a [Value], kind: &str, name: &str) -> &'a Value {
    outcomes.iter().find(|o| o["kind"] == kind && o["name"] == name).unwrap_or_else(|| panic!("{kind} {name} missing"))
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

const EXAMPLES: [&str; 6] =
    ["-p", "examples/policies", "-f", "examples/manifests", "--inventory", "examples/inventory"];

#[test]
fn examples_exit_1_and_report_each_object() {
    let out = sovereign(&[&["check"], &EXAMPLES[..], &["-o", "json"]].concat());
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr(&out));
    let outcomes = json_outcomes(&out);
    let expect = [
        ("Deployment", "web", "deny"),
        ("Pod", "archive-reader", "deny"),
        ("Job", "census-import", "deny"),
        ("Deployment", "recommendations", "deny"),
        ("StatefulSet", "orders-db", "deny"),
        ("DaemonSet", "telemetry-agent", "warn"),
        ("Deployment", "registry", "allow"),
        ("StatefulSet", "records-db", "allow"),
        ("CronJob", "nightly-export", "allow"),
        ("Deployment", "storefront", "allow"),
        ("Deployment", "status-page", "allow"),
    ];
    assert_eq!(outcomes.len(), expect.len());
    for (kind, name, verdict) in expect {
        assert_eq!(find(&outcomes, kind, name)["verdict"], verdict, "{kind} {name}");
    }
}

#[test]
fn json_output_has_the_documented_shape() {
    let out = sovereign(&[&["check"], &EXAMPLES[..], &["-o", "json"]].concat());
    let outcomes = json_outcomes(&out);
    let web = find(&outcomes, "Deployment", "web");
    let keys: Vec<&String> = web.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["kind", "name", "namespace", "verdict", "violations"]);
    assert_eq!(web["namespace"], "gov-id");
    let violation = &web["violations"][0];
    assert_eq!(violation["policy"], "indonesia-pdp");
    assert_eq!(violation["dataClass"], "citizen-pii");
    let message = violation["message"].as_str().unwrap();
    assert!(
        message.starts_with("Deployment gov-id/web: data class \"citizen-pii\" (policy indonesia-pdp)"),
        "{message}"
    );
    assert!(message.contains("Fix: add nodeSelector topology.kubernetes.io/region: ap-southeast-3"), "{message}");
    assert_eq!(find(&outcomes, "Deployment", "status-page")["violations"], serde_json::json!([]));
}

#[test]
fn passing_manifests_exit_0() {
    let out = sovereign(&[
        "check",
        "-p",
        "examples/policies",
        "-f",
        "examples/manifests/pass",
        "--inventory",
        "examples/inventory",
    ]);
    assert_eq!(out.status.code(), Some(0), "stdout: {}", String::from_utf8_lossy(&out.stdout));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("ALLOW  Deployment gov-id/registry"), "{text}");
    assert!(text.contains("0 denied"), "{text}");
}

#[test]
fn text_output_shows_denials_with_their_message() {
    let out = sovereign(&[&["check"], &EXAMPLES[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DENY   Deployment gov-id/web"), "{text}");
    assert!(!text.contains("\x1b["), "no colour when stdout is not a terminal");
    assert!(text.contains("5 denied, 1 warned"), "{text}");
    assert!(text.contains("11 objects: 5 denied, 1 warned, 0 audited, 0 exempt, 5 allowed"), "{text}");
}

#[test]
fn manifests_on_stdin_are_read() {
    let manifest = r#"
apiVersion: v1
kind: Pod
metadata: { name: stdin-pod, namespace: gov-id }
spec:
  containers: [{ name: c, image: busybox }]
"#;
    let out = sovereign_stdin(
        &["check", "-p", "examples/policies", "-f", "-", "--inventory", "examples/inventory", "-o", "json"],
        manifest,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(find(&json_outcomes(&out), "Pod", "stdin-pod")["verdict"], "deny");
}

#[test]
fn objects_in_manifests_join_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "all.yaml",
        r#"
apiVersion: v1
kind: Namespace
metadata: { name: tax, labels: { tenant: gov-id } }
---
apiVersion: v1
kind: Node
metadata: { name: n1, labels: { topology.kubernetes.io/region: ap-southeast-3 } }
---
apiVersion: v1
kind: Pod
metadata: { name: pinned, namespace: tax }
spec:
  nodeName: n1
  containers: [{ name: c, image: busybox }]
"#,
    );
    let out = sovereign(&["check", "-p", "examples/policies/indonesia-pdp.yaml", "-f", &file, "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let outcomes = json_outcomes(&out);
    assert_eq!(outcomes.len(), 1, "Namespace and Node are inventory, not judged");
    assert_eq!(outcomes[0]["verdict"], "allow");
}

#[test]
fn malformed_yaml_exits_2_naming_file_and_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "bad.yaml", "apiVersion: v1\nkind: Pod\n---\nkind: [unclosed\n");
    let out = sovereign(&["check", "-p", "examples/policies", "-f", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.yaml") && err.contains("document 2"), "{err}");
}

#[test]
fn an_object_without_kind_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "nokind.yaml", "apiVersion: v1\nmetadata: { name: x }\n");
    let out = sovereign(&["check", "-p", "examples/policies", "-f", &file]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nokind.yaml, document 1: the object has no kind"), "{}", stderr(&out));
}

#[test]
fn a_pod_with_a_malformed_spec_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let file =
        write(dir.path(), "pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: { name: x }\nspec: { nodeSelector: 7 }\n");
    let out = sovereign(&["check", "-p", "examples/policies", "-f", &file]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("pod.yaml, document 1") && err.contains("not a valid Pod"), "{err}");
}

#[test]
fn an_invalid_policy_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "policy.yaml",
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: broken }
spec:
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [EU] }]
"#,
    );
    let out = sovereign(&["check", "-p", &file, "-f", "examples/manifests"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("policy broken") && err.contains("policy.yaml, document 1"), "{err}");
    assert!(err.contains("jurisdiction \"EU\", which this policy does not define"), "{err}");
}

#[test]
fn a_non_policy_in_the_policies_exits_2() {
    let out = sovereign(&["check", "-p", "examples/inventory", "-f", "examples/manifests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("expected a SovereigntyPolicy, found Namespace"), "{}", stderr(&out));
}

#[test]
fn a_missing_file_exits_2() {
    let out = sovereign(&["check", "-p", "examples/policies", "-f", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such/file.yaml"), "{}", stderr(&out));
}

#[test]
fn missing_required_flags_exit_2_with_usage() {
    let out = sovereign(&["check", "-f", "examples/manifests"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--policies"), "{}", stderr(&out));
}

#[test]
fn json_manifests_and_lists_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "list.json",
        r#"{"apiVersion":"v1","kind":"List","items":[
          {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"scratch","namespace":"gov-id"},
           "spec":{"storageClassName":"standard","accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}]}"#,
    );
    let out = sovereign(&[
        "check",
        "-p",
        "examples/policies",
        "-f",
        &file,
        "--inventory",
        "examples/inventory",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let claim = find(&json_outcomes(&out), "PersistentVolumeClaim", "scratch").clone();
    assert_eq!(claim["verdict"], "deny");
    assert!(claim["violations"][0]["message"].as_str().unwrap().contains("StorageClass standard binds Immediately"));
}

#[test]
fn cluster_scoped_objects_have_an_empty_namespace() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "pv.yaml",
        r#"
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-new, labels: { topology.kubernetes.io/region: us-east-1 } }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  claimRef: { namespace: gov-id, name: ktp-records }
  csi: { driver: ebs.csi.aws.com, volumeHandle: vol-9 }
"#,
    );
    let out = sovereign(&[
        "check",
        "-p",
        "examples/policies",
        "-f",
        &file,
        "--inventory",
        "examples/inventory",
        "-o",
        "json",
    ]);
    let pv = find(&json_outcomes(&out), "PersistentVolume", "pv-new").clone();
    assert_eq!(pv["namespace"], "");
    assert_eq!(pv["verdict"], "deny", "a PV for a gov-id claim in Virginia");
}

#[test]
fn crds_command_prints_the_crd() {
    let out = sovereign(&["crds"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("kind: CustomResourceDefinition") && text.contains("name: sovereigntypolicies.sovereignty.io")
    );
}

#[test]
fn a_kind_of_another_group_is_left_alone_not_an_input_error() {
    // A Volcano Job is not a batch/v1 Job: it has no spec.template, and sovereign does not
    // judge it. A batch Job beside it is judged as always.
    let manifests = r#"
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata: { name: train, namespace: gov-id }
spec:
  tasks: [{ name: worker, replicas: 2, template: { spec: { containers: [{ name: w, image: w }] } } }]
---
apiVersion: batch/v1
kind: Job
metadata: { name: import, namespace: gov-id }
spec:
  template: { spec: { containers: [{ name: i, image: i }], restartPolicy: Never } }
"#;
    let args = ["check", "-p", "examples/policies", "--inventory", "examples/inventory", "-f", "-"];
    let out = sovereign_stdin(&args, manifests);
    assert_eq!(out.status.code(), Some(1), "the batch Job is denied: {}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("DENY   Job gov-id/import"), "{text}");
    assert!(
        text.contains("1 object of a kind sovereign does not judge, left alone: Job.batch.volcano.sh gov-id/train"),
        "{text}"
    );
    let json = sovereign_stdin(&[&args[..], &["-o", "json"]].concat(), manifests);
    let outcomes = json_outcomes(&json);
    assert_eq!(outcomes.len(), 1, "only judged objects are outcomes: {outcomes:?}");
    assert_eq!(outcomes[0]["name"], "import");
}
