//! End to end: the audit controller against a real kube-apiserver. Objects that predate a
//! policy, nodes relabelled under running pods, and two replicas of which only the holder
//! of the Lease writes.
//!
//! Like tests/e2e.rs, these need a control plane: `tests/run.sh` runs them with
//! `--ignored --test-threads=1`.

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

/// The policy CRD and the report CRDs: wgpolicyk8s.io everywhere, and OpenReports as well on
/// the current API server (so there sovereign writes both).
fn crds() {
    let mut files = vec![
        "crds/sovereigntypolicies.sovereignty.io.yaml",
        "crds/sovereigntyexceptions.sovereignty.io.yaml",
        "tests/e2e/policyreport-crds.yaml",
    ];
    let mut names = vec![
        "sovereigntypolicies.sovereignty.io",
        "sovereigntyexceptions.sovereignty.io",
        "policyreports.wgpolicyk8s.io",
        "clusterpolicyreports.wgpolicyk8s.io",
    ];
    if current() {
        files.push("tests/e2e/openreports-crds.yaml");
        names.extend(["reports.openreports.io", "clusterreports.openreports.io"]);
    }
    for file in files {
        kubectl(&["apply", "--validate=false", "-f", path(file).to_str().unwrap()]).success();
    }
    for crd in names {
        wait_established(crd);
    }
}

/// A policy whose one data class classifies every object in namespaces labelled `tenant`.
fn policy(name: &str, class: &str, tenant: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: {name} }}
spec:
  providers: [aws, gcp]
  jurisdictions: [{{ name: ID, countries: [ID] }}]
  dataClasses: [{{ name: {class}, allowedJurisdictions: [ID] }}]
  classify:
    - namespaceSelector: {{ matchLabels: {{ tenant: {tenant} }} }}
      dataClasses: [{class}]
"#
    )
}

fn pod(namespace: &str, name: &str, spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{ name: {name}, namespace: {namespace} }}\nspec:\n  containers: [{{ name: c, image: busybox }}]\n{spec}"
    )
}

fn delete_pod(namespace: &str, name: &str) {
    kubectl(&["delete", "pod", name, "-n", namespace, "--ignore-not-found", "--grace-period=0", "--force"]).success();
}

fn get_json(args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&kubectl(&all).success().stdout).unwrap()
}

fn status(policy: &str) -> Value {
    get_json(&["sovpol", policy])["status"].clone()
}

/// Waits until the policy's status reports `n` violations.
#[track_caller]
fn violations_become(policy: &str, n: i64, server: &Sovereign) -> Value {
    let mut last = Value::Null;
    let found = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        eventually(&format!("{policy} to report {n} violations"), WAIT, || {
            last = status(policy);
            (last["violations"] == n).then(|| last.clone())
        })
    }));
    found.unwrap_or_else(|_| panic!("status of {policy}: {last:#}\nserver log:\n{}", server.logs()))
}

/// The sum of a metric's samples on a replica, over the label sets that carry every one
/// of `labels` (`what="event"`); 0 when it has none.
fn metric(server: &Sovereign, name: &str, labels: &[&str]) -> f64 {
    server
        .metrics()
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")) && labels.iter().all(|label| l.contains(label)))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Waits until a replica has judged a policy's violations to be `n` (its gauge), whether
/// or not it is the one that writes them.
fn judged(server: &Sovereign, policy: &str, n: f64) {
    let policy = format!("policy=\"{policy}\"");
    eventually(&format!("the replica to judge {n} violations of {policy}"), WAIT, || {
        (metric(server, "sovereign_violations", &[&policy]) == n).then_some(())
    });
}

/// The SovereigntyViolation Events on one object.
fn events(namespace: &str, object: &str) -> Vec<Value> {
    let selector = format!("reason=SovereigntyViolation,involvedObject.name={object}");
    get_json(&["events", "-n", namespace, "--field-selector", &selector])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Forgets the pods and Events of earlier runs in a namespace.
fn clear(namespace: &str) {
    kubectl(&["delete", "pods", "--all", "-n", namespace, "--grace-period=0", "--force"]).success();
    kubectl(&["delete", "events", "--all", "-n", namespace]).success();
}

fn audited(extra: &[&str]) -> Sovereign {
    let mut args = vec!["--audit-interval", "3s", "--lease-duration", "3s"];
    args.extend_from_slice(extra);
    let mut server = Sovereign::spawn_with(&args);
    server.wait_ready();
    server
}

/// A Deployment whose pods could run in any region (no controller-manager runs here, so
/// it never gets a ReplicaSet or pods: the audit judges its template).
const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata: { name: anywhere, namespace: audit-late }
spec:
  selector: { matchLabels: { app: anywhere } }
  template:
    metadata: { labels: { app: anywhere } }
    spec: { containers: [{ name: c, image: busybox }] }
";

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn a_policy_reports_what_predates_it_and_clears_when_fixed() {
    crds();
    Namespace::new("audit-late", &[("tenant", "audit-late")]);
    clear("audit-late");
    let _ = kubectl(&["delete", "sovpol", "audit-late", "--ignore-not-found"]);
    // Created before any policy names its class: nothing stops it.
    apply(&pod("audit-late", "in-virginia", "  nodeSelector: { topology.kubernetes.io/region: us-east-1 }\n"))
        .success();
    apply(&pod("audit-late", "in-jakarta", "  nodeSelector: { topology.kubernetes.io/region: ap-southeast-3 }\n"))
        .success();
    let _ = kubectl(&["delete", "deployment", "--all", "-n", "audit-late"]);
    apply(DEPLOYMENT).success();
    let server = audited(&["--lease-name", "e2e-audit-late", "--policy-reports"]);

    apply(&policy("audit-late", "late-pii", "audit-late")).success();
    let found = violations_become("audit-late", 2, &server);
    let listed: Vec<(&str, &str)> = found["violatingObjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("Deployment", "anywhere"), ("Pod", "in-virginia")], "{found:#}");
    kubectl(&["delete", "deployment", "anywhere", "-n", "audit-late"]).success();
    let found = violations_become("audit-late", 1, &server);
    let compliant = found["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Compliant").unwrap();
    assert_eq!(compliant["status"], "False", "{found:#}");
    assert!(compliant["message"].as_str().unwrap().contains("Pod audit-late/in-virginia"), "{compliant:#}");
    assert!(found["lastAuditTime"].is_string() && found["observedGeneration"].is_number(), "{found:#}");
    let ready = found["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Ready").unwrap();
    assert_eq!(ready["status"], "True");

    // An Event on the violating pod, saying what is wrong and how to fix it.
    let on_pod = eventually("a SovereigntyViolation Event on the pod", WAIT, || {
        let found = events("audit-late", "in-virginia");
        (!found.is_empty()).then_some(found)
    });
    let note = on_pod[0]["message"].as_str().unwrap_or_default();
    assert_eq!(on_pod[0]["type"], "Warning");
    assert!(note.contains("us-east-1") && note.contains("late-pii"), "{note}");
    assert!(events("audit-late", "in-jakarta").is_empty(), "a compliant pod gets no Event");

    // The gauge and the PolicyReport say the same.
    eventually("the violations gauge", WAIT, || {
        server
            .metrics()
            .lines()
            .any(|l| {
                l.starts_with("sovereign_violations{")
                    && l.contains("policy=\"audit-late\"")
                    && l.contains("kind=\"Pod\"")
                    && l.ends_with(" 1")
            })
            .then_some(())
    });
    let report = eventually("the PolicyReport", WAIT, || {
        let run = kubectl(&["get", "policyreport", "sovereign", "-n", "audit-late", "-o", "json"]);
        run.ok.then(|| serde_json::from_str::<Value>(&run.stdout).unwrap())
    });
    assert_eq!(
        (report["summary"]["fail"].as_i64(), report["summary"]["pass"].as_i64()),
        (Some(1), Some(1)),
        "{report:#}"
    );
    // Where OpenReports is served too, the same results go there as well.
    let reports = if current() { vec!["policyreport", "reports.openreports.io"] } else { vec!["policyreport"] };
    if current() {
        let open = eventually("the OpenReports Report", WAIT, || {
            let run = kubectl(&["get", "reports.openreports.io", "sovereign", "-n", "audit-late", "-o", "json"]);
            run.ok.then(|| serde_json::from_str::<Value>(&run.stdout).unwrap())
        });
        assert_eq!(
            (open["apiVersion"].as_str(), open["source"].as_str()),
            (Some("openreports.io/v1alpha1"), Some("sovereign"))
        );
        assert_eq!((&open["summary"], &open["results"]), (&report["summary"], &report["results"]), "{open:#}");
    }

    // Two full passes later the steady state has not produced another Event: counted in the
    // replica's own passes and writes, not guessed from a sleep.
    let (passes, events_written) = (
        metric(&server, "sovereign_audit_passes_total", &["scope=\"full\""]),
        metric(&server, "sovereign_audit_writes_total", &["what=\"event\""]),
    );
    eventually("two more full audit passes", WAIT, || {
        (metric(&server, "sovereign_audit_passes_total", &["scope=\"full\""]) >= passes + 2.0).then_some(())
    });
    assert_eq!(metric(&server, "sovereign_audit_writes_total", &["what=\"event\""]), events_written);
    assert_eq!(events("audit-late", "in-virginia").len(), 1, "deduplicated: one Event for one unchanged violation");

    delete_pod("audit-late", "in-virginia");
    let clean = violations_become("audit-late", 0, &server);
    let compliant = clean["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Compliant").unwrap();
    assert_eq!(compliant["status"], "True", "{clean:#}");
    assert!(clean.get("violatingObjects").is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)), "{clean:#}");
    for kind in &reports {
        eventually(&format!("the {kind} to clear"), WAIT, || {
            let report = get_json(&[kind, "sovereign", "-n", "audit-late"]);
            (report["summary"]["fail"] == 0).then_some(())
        });
    }
    kubectl(&["delete", "sovpol", "audit-late"]).success();
    delete_pod("audit-late", "in-jakarta");
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn relabelling_a_node_out_of_the_region_surfaces_its_pods() {
    crds();
    Namespace::new("audit-node", &[("tenant", "audit-node")]);
    clear("audit-node");
    apply(
        "apiVersion: v1\nkind: Node\nmetadata: { name: audit-jkt, labels: { kubernetes.io/hostname: audit-jkt, topology.kubernetes.io/region: ap-southeast-3 } }\n",
    )
    .success();
    let server = audited(&["--lease-name", "e2e-audit-node"]);
    apply(&policy("audit-node", "node-pii", "audit-node")).success();
    for name in ["runs-1", "runs-2"] {
        apply(&pod("audit-node", name, "  nodeName: audit-jkt\n")).success();
    }
    violations_become("audit-node", 0, &server);
    assert!(status("audit-node")["lastAuditTime"].is_string());

    kubectl(&["label", "node", "audit-jkt", "topology.kubernetes.io/region=us-east-1", "--overwrite"]).success();
    let found = violations_become("audit-node", 2, &server);
    let names: Vec<&str> =
        found["violatingObjects"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(names, ["runs-1", "runs-2"], "{found:#}");
    for name in ["runs-1", "runs-2"] {
        let on_pod = eventually(&format!("an Event on {name}"), WAIT, || {
            let found = events("audit-node", name);
            (!found.is_empty()).then_some(found)
        });
        let note = on_pod[0]["message"].as_str().unwrap();
        assert!(note.contains("is placed on node audit-jkt, in region us-east-1"), "{note}");
        assert!(note.contains("Fix: move it off node audit-jkt"), "{note}");
    }

    kubectl(&["label", "node", "audit-jkt", "topology.kubernetes.io/region=ap-southeast-3", "--overwrite"]).success();
    violations_become("audit-node", 0, &server);
    for name in ["runs-1", "runs-2"] {
        delete_pod("audit-node", name);
    }
    kubectl(&["delete", "sovpol", "audit-node"]).success();
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn a_pod_whose_copied_region_is_outside_is_reported_after_its_node_is_relabelled_inside() {
    if !current() {
        eprintln!("skipped: kube-apiserver 1.{} does not copy node topology labels onto bound pods", minor());
        return;
    }
    crds();
    Namespace::new("audit-topo", &[("tenant", "audit-topo")]);
    clear("audit-topo");
    let node = |region: &str| {
        format!(
            "apiVersion: v1\nkind: Node\nmetadata: {{ name: audit-topo, labels: {{ kubernetes.io/hostname: audit-topo, topology.kubernetes.io/region: {region}, topology.kubernetes.io/zone: {region}a }} }}\n"
        )
    };
    apply(&node("us-east-1")).success();
    let server = audited(&["--lease-name", "e2e-audit-topo"]);
    apply(&policy("audit-topo", "topo-pii", "audit-topo")).success();

    // Bound by a Binding, as the scheduler does: the API server copies the node's labels.
    let bind = |pod_name: &str| {
        apply(&pod("audit-topo", pod_name, "")).success();
        let body = format!(
            r#"{{"apiVersion":"v1","kind":"Binding","metadata":{{"name":"{pod_name}","namespace":"audit-topo"}},"target":{{"apiVersion":"v1","kind":"Node","name":"audit-topo"}}}}"#
        );
        let url = format!("/api/v1/namespaces/audit-topo/pods/{pod_name}/binding");
        kubectl_stdin(&["create", "--raw", &url, "-f", "-"], &body).success();
        get_json(&["pod", pod_name, "-n", "audit-topo"])["metadata"]["labels"].clone()
    };
    let copied = bind("bound-in-virginia");
    assert_eq!(copied["topology.kubernetes.io/region"], "us-east-1", "PodTopologyLabels copies the region: {copied:#}");
    assert_eq!(copied["topology.kubernetes.io/zone"], "us-east-1a", "{copied:#}");
    violations_become("audit-topo", 1, &server);

    // The node is relabelled into the allowed region: the node no longer says where the pod
    // was placed, its copied label still does.
    apply(&node("ap-southeast-3")).success();
    let copied_note = eventually("an Event citing the copied region", WAIT, || {
        events("audit-topo", "bound-in-virginia").into_iter().find_map(|e| {
            let note = e["message"].as_str().unwrap_or_default().to_string();
            note.contains("copied from node audit-topo at binding").then_some(note)
        })
    });
    assert!(
        copied_note.contains("it was placed in region us-east-1") && copied_note.contains("topo-pii"),
        "{copied_note}"
    );
    // A pod bound after the relabelling carries the allowed region and is compliant.
    assert_eq!(bind("bound-in-jakarta")["topology.kubernetes.io/region"], "ap-southeast-3");
    let found = violations_become("audit-topo", 1, &server);
    let names: Vec<&str> =
        found["violatingObjects"].as_array().unwrap().iter().filter_map(|o| o["name"].as_str()).collect();
    assert_eq!(names, ["bound-in-virginia"], "{found:#}");

    for name in ["bound-in-virginia", "bound-in-jakarta"] {
        delete_pod("audit-topo", name);
    }
    violations_become("audit-topo", 0, &server);
    kubectl(&["delete", "sovpol", "audit-topo"]).success();
}

fn holder(lease: &str) -> Option<String> {
    let run = kubectl(&["get", "lease", lease, "-n", "default", "-o", "jsonpath={.spec.holderIdentity}"]);
    run.ok.then(|| run.stdout.trim().to_string()).filter(|h| !h.is_empty())
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn of_two_replicas_only_the_lease_holder_writes() {
    crds();
    Namespace::new("audit-pair", &[("tenant", "audit-pair")]);
    clear("audit-pair");
    let _ = kubectl(&["delete", "lease", "e2e-audit-pair", "-n", "default", "--ignore-not-found"]);
    let lease = ["--lease-name", "e2e-audit-pair", "--lease-namespace", "default"];
    let mut a = audited(&[&lease[..], &["--identity", "replica-a"]].concat());
    let mut b = audited(&[&lease[..], &["--identity", "replica-b"]].concat());
    let first = eventually("a lease holder", WAIT, || holder("e2e-audit-pair"));
    assert!(first == "replica-a" || first == "replica-b", "{first}");

    apply(&policy("audit-pair", "pair-pii", "audit-pair")).success();
    apply(&pod("audit-pair", "first", "  nodeSelector: { topology.kubernetes.io/region: us-east-1 }\n")).success();
    violations_become("audit-pair", 1, if first == "replica-a" { &a } else { &b });
    let written = eventually("an Event on the pod", WAIT, || {
        let found = events("audit-pair", "first");
        (!found.is_empty()).then_some(found)
    });
    // Both replicas judged the pod; the follower has written nothing at all, ever.
    let (leader, follower) = if first == "replica-a" { (&a, &b) } else { (&b, &a) };
    judged(follower, "audit-pair", 1.0);
    assert_eq!(metric(follower, "sovereign_audit_writes_total", &[]), 0.0, "{}", follower.metrics());
    assert!(metric(leader, "sovereign_audit_writes_total", &["what=\"event\""]) >= 1.0, "{}", leader.metrics());
    let written_now = events("audit-pair", "first");
    assert_eq!(written_now.len(), 1, "both replicas see the violation; one Event is written: {written_now:#?}");
    assert_eq!(written[0]["reportingInstance"], first.as_str(), "only the leader writes: {:#}", written[0]);

    // The leader stops (releasing the lease); the other takes over and writes from then on.
    let (leader, follower, next) =
        if first == "replica-a" { (&mut a, &b, "replica-b") } else { (&mut b, &a, "replica-a") };
    leader.stop();
    eventually("the other replica to take the lease", WAIT, || {
        (holder("e2e-audit-pair").as_deref() == Some(next)).then_some(())
    });
    apply(&pod("audit-pair", "second", "  nodeSelector: { topology.kubernetes.io/region: us-east-1 }\n")).success();
    violations_become("audit-pair", 2, follower);
    let written = eventually("an Event on the second pod", WAIT, || {
        let found = events("audit-pair", "second");
        (!found.is_empty()).then_some(found)
    });
    assert_eq!(written[0]["reportingInstance"], next, "{:#}", written[0]);
    assert!(follower.logs().contains("became the audit leader"), "{}", follower.logs());

    for name in ["first", "second"] {
        delete_pod("audit-pair", name);
    }
    violations_become("audit-pair", 0, follower);
    kubectl(&["delete", "sovpol", "audit-pair"]).success();
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn report_reads_the_live_cluster() {
    crds();
    Namespace::new("audit-report", &[("tenant", "audit-report")]);
    clear("audit-report");
    apply(
        "apiVersion: v1\nkind: Node\nmetadata: { name: report-iad, labels: { kubernetes.io/hostname: report-iad, topology.kubernetes.io/region: us-east-1 } }\n",
    )
    .success();
    apply(&policy("audit-report", "report-pii", "audit-report")).success();
    apply(&pod("audit-report", "stray", "  nodeName: report-iad\n")).success();

    let run = |format: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sovereign"))
            .args(["report", "-o", format])
            .env("KUBECONFIG", kubeconfig())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let csv = run("csv");
    assert!(
        csv.lines().any(|l| l == "Pod,audit-report,stray,report-pii,audit-report,pod,us-east-1,US,none,no,deny,,,,,"),
        "{csv}"
    );
    let text = run("text");
    assert!(text.lines().any(|l| l.starts_with("Pod audit-report/stray") && l.ends_with("NO         DENY")), "{text}");

    delete_pod("audit-report", "stray");
    kubectl(&["delete", "sovpol", "audit-report"]).success();
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn a_leader_cut_off_past_its_lease_stops_writing() {
    crds();
    Namespace::new("audit-cut", &[("tenant", "audit-cut")]);
    clear("audit-cut");
    let _ = kubectl(&["delete", "lease", "e2e-audit-cut", "-n", "default", "--ignore-not-found"]);
    let lease = ["--lease-name", "e2e-audit-cut", "--lease-namespace", "default"];
    let a = audited(&[&lease[..], &["--identity", "cut-a"]].concat());
    eventually("cut-a to hold the lease", WAIT, || (holder("e2e-audit-cut").as_deref() == Some("cut-a")).then_some(()));
    let b = audited(&[&lease[..], &["--identity", "cut-b"]].concat());
    apply(&policy("audit-cut", "cut-pii", "audit-cut")).success();
    violations_become("audit-cut", 0, &a);

    // Freeze the leader past its lease, as a partition or a long pause would: the other
    // replica takes over. Thawed, the old leader must not write: its renewal deadline has
    // passed, and its first look at the lease shows another holder.
    a.signal("STOP");
    eventually("cut-b to take over", WAIT, || (holder("e2e-audit-cut").as_deref() == Some("cut-b")).then_some(()));
    a.signal("CONT");
    let thawed = metric(&a, "sovereign_audit_writes_total", &[]);
    apply(&pod("audit-cut", "after", "  nodeSelector: { topology.kubernetes.io/region: us-east-1 }\n")).success();
    violations_become("audit-cut", 1, &b);
    eventually("an Event on the pod", WAIT, || (!events("audit-cut", "after").is_empty()).then_some(()));
    // The old leader judged the pod too, and has not written since it was thawed.
    judged(&a, "audit-cut", 1.0);
    assert_eq!(metric(&a, "sovereign_audit_writes_total", &[]), thawed, "{}\n{}", a.metrics(), a.logs());
    let written = events("audit-cut", "after");
    let writers: Vec<&str> = written.iter().filter_map(|e| e["reportingInstance"].as_str()).collect();
    assert_eq!(writers, ["cut-b"], "only the current holder writes: {written:#?}\n{}", a.logs());
    assert!(a.logs().contains("lost the lease"), "{}", a.logs());

    delete_pod("audit-cut", "after");
    violations_become("audit-cut", 0, &b);
    kubectl(&["delete", "sovpol", "audit-cut"]).success();
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn stores_that_predate_a_policy_are_reported_with_the_verdicts_admission_gives() {
    crds();
    kubectl(&["apply", "-f", path("tests/e2e/store-crds.yaml").to_str().unwrap()]).success();
    for crd in [
        "buckets.s3.aws.upbound.io",
        "buckets.s3.services.k8s.aws",
        "storagebuckets.storage.cnrm.cloud.google.com",
        "storageaccounts.storage.azure.com",
    ] {
        wait_established(crd);
    }
    Namespace::new("audit-stores", &[("tenant", "audit-stores")]);
    kubectl(&["delete", "events", "--all", "-n", "audit-stores"]).success();
    let _ = kubectl(&["delete", "sovpol", "audit-stores", "--ignore-not-found"]);
    let stores = r#"
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: { name: audit-frankfurt, labels: { sovereignty.io/data-class: store-pii } }
spec: { forProvider: { region: eu-central-1 } }
---
apiVersion: s3.aws.upbound.io/v1beta1
kind: Bucket
metadata: { name: audit-jakarta, labels: { sovereignty.io/data-class: store-pii } }
spec: { forProvider: { region: ap-southeast-3 } }
---
apiVersion: storage.cnrm.cloud.google.com/v1beta1
kind: StorageBucket
metadata: { name: in-us, namespace: audit-stores }
spec: { location: US }
---
apiVersion: storage.azure.com/v1api20230101
kind: StorageAccount
metadata: { name: insea, namespace: audit-stores }
spec: { location: southeastasia, sku: { name: Standard_GRS } }
---
apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: { name: unplaced, namespace: audit-stores }
spec: { name: unplaced }
---
apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: { name: placed, namespace: audit-stores, annotations: { services.k8s.aws/region: ap-southeast-3 } }
spec: { name: placed }
"#;
    apply(stores).success();
    let server = audited(&["--lease-name", "e2e-audit-stores"]);
    apply(&policy("audit-stores", "store-pii", "audit-stores")).success();
    let found = violations_become("audit-stores", 4, &server);
    let mut listed: Vec<(&str, &str)> = found["violatingObjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("Bucket.s3.aws.upbound.io", "audit-frankfurt"),
            ("Bucket.s3.services.k8s.aws", "unplaced"),
            ("StorageAccount", "insea"),
            ("StorageBucket", "in-us"),
        ],
        "{found:#}"
    );
    let on_account = eventually("a SovereigntyViolation Event on the storage account", WAIT, || {
        let found = events("audit-stores", "insea");
        (!found.is_empty()).then_some(found)
    });
    let note = on_account[0]["message"].as_str().unwrap_or_default();
    assert!(note.contains("southeastasia") || note.contains("eastasia"), "{note}");
    assert_eq!(on_account[0]["involvedObject"]["kind"], "StorageAccount", "{:#}", on_account[0]);
    assert!(events("audit-stores", "placed").is_empty(), "a compliant bucket gets no Event");

    // The live report gives the store and its replica rows of their own.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sovereign"))
        .args(["report", "-o", "csv"])
        .env("KUBECONFIG", kubeconfig())
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    for row in [
        "StorageAccount,audit-stores,insea,store-pii,audit-stores,storage account,southeastasia,SG,none,no,deny,,,,,",
        "StorageAccount,audit-stores,insea,store-pii,audit-stores,replica (Standard_GRS, paired region),eastasia,HK,none,no,deny,,,,,",
        "Bucket,audit-stores,placed,store-pii,audit-stores,bucket,ap-southeast-3,ID,ID,yes,allow,,,,,",
    ] {
        let quoted = row.replace("replica (Standard_GRS, paired region)", "\"replica (Standard_GRS, paired region)\"");
        assert!(csv.lines().any(|l| l == row || l == quoted), "{row} missing from:\n{csv}");
    }

    // Moving the bucket home clears its violation.
    apply(&stores.replace("region: eu-central-1", "region: ap-southeast-3")).success();
    violations_become("audit-stores", 3, &server);
    kubectl(&["delete", "sovpol", "audit-stores"]).success();
    kubectl_stdin(&["delete", "-f", "-"], stores).success();
}

/// RFC 3339, `seconds` from now, to the second.
fn seconds_from_now(seconds: u64) -> String {
    let at = std::time::SystemTime::now() + Duration::from_secs(seconds);
    let ts = k8s_openapi::jiff::Timestamp::try_from(at).unwrap();
    ts.round(k8s_openapi::jiff::Unit::Second).unwrap().to_string()
}

/// SPEC §14 on the real API server: an exception lets a Deployment in (with a warning),
/// the audit counts it as excepted, and from the instant it expires admission denies and
/// the audit reports the Deployment within seconds, without waiting for its period.
#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn an_exception_lets_a_deployment_in_until_it_expires_and_the_audit_reports_it_at_once() {
    crds();
    Namespace::new("exc-analytics", &[("tenant", "exc-analytics")]);
    Namespace::new("exc-compliance", &[]);
    let _ = kubectl(&["delete", "deployment", "--all", "-n", "exc-analytics"]);
    let _ = kubectl(&["delete", "sovex", "--all", "-n", "exc-compliance"]);
    let _ = kubectl(&["delete", "sovpol", "exc-pdp", "--ignore-not-found"]);
    let policy = policy("exc-pdp", "exc-pii", "exc-analytics")
        + "  exceptions: { allowed: true, namespaces: [exc-compliance], maxDuration: 1d }\n";
    apply(&policy).success();
    // A long period: whatever the audit reports below, it reports because of the expiry.
    let mut server =
        Sovereign::spawn_with(&["--audit-interval", "10m", "--lease-duration", "3s", "--lease-name", "e2e-exc"]);
    server.wait_ready();
    register_webhook(server.port);
    register_mutating_webhook(server.port);

    let expires = seconds_from_now(15);
    let exception = format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyException
metadata: {{ name: churn-scc, namespace: exc-compliance }}
spec:
  policy: exc-pdp
  dataClasses: [exc-pii]
  match: {{ namespaces: [exc-analytics], kinds: [Deployment] }}
  allowedRegions: [us-east-1]
  legalBasis: {{ type: StandardContractualClauses, reference: SCC-E2E-1 }}
  justification: "End-to-end: a transfer under standard contractual clauses."
  approvedBy: dpo@example.eu
  expires: "{expires}"
"#
    );
    // Created by alice (with every permission, so only admission could refuse): the mutating
    // webhook records her, and the audit copies her into status.requestedBy.
    eventually("the exception to be admitted once the server knows the policy", WAIT, || {
        let as_alice = ["--as", "alice@example.eu", "--as-group", "system:masters", "apply", "-f", "-"];
        kubectl_stdin(&as_alice, &exception).ok.then_some(())
    });
    let deployment = |name: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{ name: {name}, namespace: exc-analytics }}\nspec:\n  selector: {{ matchLabels: {{ app: {name} }} }}\n  template:\n    metadata: {{ labels: {{ app: {name} }} }}\n    spec:\n      nodeSelector: {{ topology.kubernetes.io/region: us-east-1 }}\n      containers: [{{ name: c, image: busybox }}]\n"
        )
    };
    let admitted = eventually("the excepted Deployment to be admitted", WAIT, || {
        let run = apply(&deployment("churn"));
        run.ok.then_some(run)
    });
    assert!(admitted.text().contains("exc-compliance/churn-scc"), "a warning names the exception: {}", admitted.text());
    let found = violations_become("exc-pdp", 0, &server);
    assert_eq!(found["violations"], 0);
    // The exception's status says it is used, and the Deployment gets a Normal Event.
    let sovex = || get_json(&["sovex", "churn-scc", "-n", "exc-compliance"])["status"].clone();
    let status = eventually("the exception's status to count its use", WAIT, || {
        let s = sovex();
        (s["uses"] == 1).then_some(s)
    });
    assert_eq!(status["phase"], "Active", "{status:#}");
    assert_eq!(status["requestedBy"], "alice@example.eu", "{status:#}");
    let uses_metric = |n: &str| {
        let series =
            format!(r#"sovereign_exception_uses{{policy="exc-pdp",exception="exc-compliance/churn-scc"}} {n}"#);
        eventually(&format!("sovereign_exception_uses to be {n}"), WAIT, || {
            server.metrics().lines().any(|l| l == series).then_some(())
        })
    };
    uses_metric("1");
    assert_eq!(status["objects"][0]["name"], "churn", "{status:#}");
    let used = eventually("a SovereigntyExceptionUsed Event", WAIT, || {
        let selector = "reason=SovereigntyExceptionUsed,involvedObject.name=churn";
        let found = get_json(&["events", "-n", "exc-analytics", "--field-selector", selector])["items"].clone();
        found.as_array().filter(|a| !a.is_empty()).cloned()
    });
    assert_eq!(used[0]["type"], "Normal");
    assert!(used[0]["message"].as_str().unwrap_or_default().contains("exc-compliance/churn-scc"), "{:#}", used[0]);

    // Expiry: admission denies from that instant, and the audit reports the Deployment.
    let at = std::time::SystemTime::from(expires.parse::<k8s_openapi::jiff::Timestamp>().unwrap());
    std::thread::sleep(at.duration_since(std::time::SystemTime::now()).unwrap_or_default());
    let denied = apply(&deployment("churn-2")).failure();
    assert!(denied.text().contains("expired"), "{}", denied.text());
    let started = std::time::Instant::now();
    let found = violations_become("exc-pdp", 1, &server);
    assert!(started.elapsed() < Duration::from_secs(8), "reported {:?} after expiry", started.elapsed());
    assert_eq!(found["violatingObjects"][0]["name"], "churn", "{found:#}");
    let status = eventually("the exception to be Expired", WAIT, || {
        let s = sovex();
        (s["phase"] == "Expired").then_some(s)
    });
    assert_eq!(status["uses"], 0, "{status:#}");
    uses_metric("0");
    kubectl(&["delete", "deployment", "churn", "-n", "exc-analytics"]).success();
    kubectl(&["delete", "sovex", "churn-scc", "-n", "exc-compliance"]).success();
    kubectl(&["delete", "sovpol", "exc-pdp"]).success();
}
