//! Remediation on the command line (SPEC §15): `sovereign check` reports what the mutating
//! webhook would make of an object (verdict `pinned`), and `sovereign fix` writes that pinning
//! into the manifests, keeping the rest of each file as it was.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn sovereign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sovereign")).args(args).current_dir(ROOT).output().expect("binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The example Indonesian policy, asking for pinning.
fn pin_policy(dir: &Path) -> String {
    let example = std::fs::read_to_string(Path::new(ROOT).join("examples/policies/indonesia-pdp.yaml")).unwrap();
    let pinning = example.replace("  enforcement: Deny\n", "  enforcement: Deny\n  remediation: Pin\n");
    assert_ne!(pinning, example);
    let path = dir.join("indonesia-pin.yaml");
    std::fs::write(&path, pinning).unwrap();
    path.display().to_string()
}

/// The README's failing Deployment alone (the first document of its example file).
fn web_deployment(dir: &Path) -> String {
    let example = std::fs::read_to_string(Path::new(ROOT).join("examples/manifests/fail/gov-id-web.yaml")).unwrap();
    let first = example.split("\n---\n").next().unwrap().to_string() + "\n";
    let path = dir.join("web.yaml");
    std::fs::write(&path, first).unwrap();
    path.display().to_string()
}

fn outcomes(out: &Output) -> Vec<Value> {
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn check_says_pinned_for_what_pinning_makes_compliant_and_deny_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let policy = pin_policy(dir.path());
    let out = sovereign(&[
        "check",
        "-p",
        &policy,
        "-f",
        "examples/manifests/fail/gov-id-web.yaml",
        "--inventory",
        "examples/inventory",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1), "the pod and the job are still denied: {}", text(&out.stderr));
    let all = outcomes(&out);
    let verdict = |name: &str| all.iter().find(|o| o["name"] == name).map(|o| o["verdict"].clone()).unwrap();
    assert_eq!(verdict("web"), "pinned");
    assert_eq!(verdict("archive-reader"), "deny", "storage is never pinned");
    assert_eq!(verdict("census-import"), "deny");
    let web = all.iter().find(|o| o["name"] == "web").unwrap();
    assert_eq!(web["violations"], Value::Array(Vec::new()));
    assert_eq!(web["pinned"][0]["regions"], serde_json::json!(["ap-southeast-3", "asia-southeast2"]));

    let alone = web_deployment(dir.path());
    let out = sovereign(&["check", "-p", &policy, "-f", &alone, "--inventory", "examples/inventory"]);
    assert_eq!(out.status.code(), Some(0), "a pinned object is no denial: {}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("PINNED Deployment gov-id/web"), "{stdout}");
    assert!(
        stdout.contains("pinned to topology.kubernetes.io/region In [ap-southeast-3, asia-southeast2]"),
        "{stdout}"
    );
    assert!(stdout.contains("1 pinned, 0 allowed"), "{stdout}");

    // Without Pin, the same object is denied as before.
    let out = sovereign(&["check", "-p", "examples/policies", "-f", &alone, "--inventory", "examples/inventory"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn fix_prints_a_manifest_that_check_allows_without_pin_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    let policy = pin_policy(dir.path());
    let alone = web_deployment(dir.path());
    let out = sovereign(&["fix", "-p", &policy, "-f", &alone, "--inventory", "examples/inventory"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fixed = text(&out.stdout);
    assert!(fixed.starts_with("# No region constraint at all"), "the comment is kept:\n{fixed}");
    assert!(
        fixed.contains("metadata: { name: web, namespace: gov-id, annotations:"),
        "flow mappings stay flow:\n{fixed}"
    );
    assert!(fixed.contains("        - key: topology.kubernetes.io/region\n"), "{fixed}");
    assert!(text(&out.stderr).contains("pinned Deployment gov-id/web"), "{}", text(&out.stderr));
    let original = std::fs::read_to_string(&alone).unwrap();
    assert_eq!(std::fs::read_to_string(&alone).unwrap(), original, "without -w the file is untouched");

    let printed = dir.path().join("fixed.yaml");
    std::fs::write(&printed, &fixed).unwrap();
    let out = sovereign(&[
        "check",
        "-p",
        "examples/policies",
        "-f",
        printed.to_str().unwrap(),
        "--inventory",
        "examples/inventory",
        "-o",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
    assert_eq!(outcomes(&out)[0]["verdict"], "allow");
}

#[test]
fn fix_write_rewrites_files_in_place_once_and_leaves_other_documents_alone() {
    let dir = tempfile::tempdir().unwrap();
    let policy = pin_policy(dir.path());
    let file = dir.path().join("gov-id-web.yaml");
    std::fs::copy(Path::new(ROOT).join("examples/manifests/fail/gov-id-web.yaml"), &file).unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    let path = file.to_str().unwrap();

    let out = sovereign(&["fix", "-w", "-p", &policy, "-f", path, "--inventory", "examples/inventory"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "-w prints nothing on stdout");
    let rewritten = std::fs::read_to_string(&file).unwrap();
    assert_ne!(rewritten, original);
    // The pod and the job, already confined (their violations are storage), are unchanged.
    let tail = |s: &str| s.split_once("\n---\n").unwrap().1.to_string();
    assert_eq!(tail(&rewritten), tail(&original));
    for line in original.lines().filter(|l| l.trim_start().starts_with('#')) {
        assert!(rewritten.contains(line), "comment {line:?} kept");
    }

    let again = sovereign(&["fix", "-w", "-p", &policy, "-f", path, "--inventory", "examples/inventory"]);
    assert_eq!(again.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), rewritten, "fixing a fixed file changes nothing");
}

#[test]
fn fix_intersects_existing_terms_and_says_when_a_document_was_rewritten_whole() {
    let dir = tempfile::tempdir().unwrap();
    let policy = pin_policy(dir.path());
    let manifest = r#"# A job that may run in Jakarta or Virginia.
apiVersion: batch/v1
kind: Job
metadata: { name: export, namespace: gov-id }
spec:
  template:
    spec:
      restartPolicy: Never
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms:
              - matchExpressions:
                  - { key: topology.kubernetes.io/region, operator: In, values: [ap-southeast-3, us-east-1] }
      containers: [{ name: c, image: busybox }]
"#;
    let file = dir.path().join("job.yaml");
    std::fs::write(&file, manifest).unwrap();
    let out = sovereign(&["fix", "-p", &policy, "-f", file.to_str().unwrap(), "--inventory", "examples/inventory"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let fixed = text(&out.stdout);
    assert!(fixed.starts_with("# A job that may run in Jakarta or Virginia.\n"), "{fixed}");
    assert!(fixed.contains("- ap-southeast-3\n") && !fixed.contains("us-east-1"), "{fixed}");
    assert!(text(&out.stderr).contains("rewritten whole"), "{}", text(&out.stderr));
}

#[test]
fn fix_refuses_to_write_stdin_and_names_bad_input() {
    let out = sovereign(&["fix", "-w", "-p", "examples/policies", "-f", "-"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot rewrite stdin"), "{}", text(&out.stderr));
    let out = sovereign(&["fix", "-p", "examples/policies", "-f", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/file.yaml"), "{}", text(&out.stderr));
}
