//! End to end: copies of data (SPEC §12) on a real kube-apiserver that serves minimal
//! VolumeSnapshot and Velero CRDs (tests/e2e/copies-crds.yaml; no controllers: the objects
//! are judged at admission, and by the audit once they exist).
//!
//! Like tests/e2e.rs, these need a control plane: `tests/run.sh` runs them with
//! `--ignored --test-threads=1`.

mod e2e_support;

use std::time::Duration;

use e2e_support::*;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

const CRDS: [&str; 7] = [
    "volumesnapshots.snapshot.storage.k8s.io",
    "volumesnapshotcontents.snapshot.storage.k8s.io",
    "volumesnapshotclasses.snapshot.storage.k8s.io",
    "backups.velero.io",
    "schedules.velero.io",
    "backupstoragelocations.velero.io",
    "volumesnapshotlocations.velero.io",
];

/// The policy CRD, the copy CRDs, and the cluster `ns` (labelled tenant=`ns`) with a claim
/// `data` bound to an EBS volume in Jakarta, two snapshot classes and two backup locations.
fn fixtures(ns: &str) {
    for file in ["crds/sovereigntypolicies.sovereignty.io.yaml", "tests/e2e/copies-crds.yaml"] {
        kubectl(&["apply", "--validate=false", "-f", path(file).to_str().unwrap()]).success();
    }
    wait_established("sovereigntypolicies.sovereignty.io");
    for crd in CRDS {
        wait_established(crd);
    }
    Namespace::new(ns, &[("tenant", ns)]);
    Namespace::new("velero", &[]);
    apply(&format!(
        r#"
apiVersion: v1
kind: PersistentVolume
metadata: {{ name: {ns}-pv, labels: {{ topology.kubernetes.io/region: ap-southeast-3 }} }}
spec:
  capacity: {{ storage: 1Gi }}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  claimRef: {{ namespace: {ns}, name: data }}
  csi: {{ driver: ebs.csi.aws.com, volumeHandle: vol-{ns} }}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{ name: data, namespace: {ns} }}
spec: {{ accessModes: [ReadWriteOnce], storageClassName: "", volumeName: {ns}-pv, resources: {{ requests: {{ storage: 1Gi }} }} }}
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {{ name: fast-snap }}
driver: pd.csi.storage.gke.io
deletionPolicy: Delete
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata: {{ name: jakarta-snap }}
driver: pd.csi.storage.gke.io
deletionPolicy: Delete
parameters: {{ storage-locations: asia-southeast2 }}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {{ name: us-backups, namespace: velero }}
spec: {{ provider: aws, default: true, objectStorage: {{ bucket: us }}, config: {{ region: us-east-1 }} }}
---
apiVersion: velero.io/v1
kind: BackupStorageLocation
metadata: {{ name: jkt-backups, namespace: velero, labels: {{ topology.kubernetes.io/region: ap-southeast-3 }} }}
spec: {{ provider: aws, objectStorage: {{ bucket: jkt }} }}
"#
    ))
    .success();
}

fn policy(name: &str, tenant: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: {name} }}
spec:
  providers: [aws, gcp]
  jurisdictions: [{{ name: ID, countries: [ID] }}]
  dataClasses: [{{ name: {name}-pii, allowedJurisdictions: [ID] }}]
  classify:
    - namespaceSelector: {{ matchLabels: {{ tenant: {tenant} }} }}
      dataClasses: [{name}-pii]
"#
    )
}

fn snapshot(ns: &str, name: &str, class: &str) -> String {
    format!(
        "apiVersion: snapshot.storage.k8s.io/v1\nkind: VolumeSnapshot\nmetadata: {{ name: {name}, namespace: {ns} }}\nspec: {{ volumeSnapshotClassName: {class}, source: {{ persistentVolumeClaimName: data }} }}\n"
    )
}

fn schedule(name: &str, template: &str) -> String {
    format!(
        "apiVersion: velero.io/v1\nkind: Schedule\nmetadata: {{ name: {name}, namespace: velero }}\nspec: {{ schedule: \"@daily\", template: {{ {template} }} }}\n"
    )
}

fn dry_run(manifest: &str) -> Run {
    kubectl_stdin(&["apply", "--dry-run=server", "-f", "-"], manifest)
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn snapshots_and_schedules_are_judged_at_admission() {
    fixtures("copy-adm");
    let server = Sovereign::start();
    apply(&policy("copy-adm", "copy-adm")).success();
    // Once the server has the policy and the classes, the Jakarta snapshot goes through.
    eventually("the policy and snapshot classes to reach the server", WAIT, || {
        dry_run(&snapshot("copy-adm", "probe", "jakarta-snap")).ok.then_some(())
    });

    let denied = apply(&snapshot("copy-adm", "nearest", "fast-snap")).failure();
    let text = denied.text();
    assert!(text.contains("VolumeSnapshot copy-adm/nearest"), "{text}");
    assert!(text.contains("Fix: set `storage-locations: asia-southeast2` on VolumeSnapshotClass fast-snap"), "{text}");
    apply(&snapshot("copy-adm", "jakarta", "jakarta-snap")).success();

    let denied = apply(&schedule("all", "includedNamespaces: [\"*\"]")).failure();
    let text = denied.text();
    assert!(text.contains("Schedule velero/all") && text.contains("us-east-1"), "{text}");
    assert!(text.contains("Fix: use BackupStorageLocation jkt-backups"), "{text}");
    // Excluding the classified namespace lets a schedule write abroad. (Named, not `*`: other
    // suites leave classified namespaces in the same cluster, which `*` rightly includes.)
    apply(&schedule("public", "includedNamespaces: [copy-adm, velero], excludedNamespaces: [copy-adm]")).success();
    apply(&schedule("to-jakarta", "includedNamespaces: [copy-adm], storageLocation: jkt-backups")).success();

    // Moving the Jakarta location abroad is judged with the schedule that writes to it.
    eventually("the schedules to reach the server", WAIT, || {
        let moved = "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: { name: jkt-backups, namespace: velero, labels: { topology.kubernetes.io/region: us-east-1 } }\nspec: { provider: aws, objectStorage: { bucket: jkt } }\n";
        let run = dry_run(moved);
        (!run.ok && run.text().contains("Schedule velero/to-jakarta")).then_some(())
    });

    for (kind, ns, name) in [
        ("volumesnapshot", "copy-adm", "jakarta"),
        ("schedule", "velero", "public"),
        ("schedule", "velero", "to-jakarta"),
    ] {
        kubectl(&["delete", kind, name, "-n", ns, "--ignore-not-found"]).success();
    }
    // Claim copy-adm/data still holds the class: the declassification guard rightly refuses
    // the policy's deletion while the webhook is registered.
    let refused = kubectl(&["delete", "sovpol", "copy-adm"]).failure();
    assert!(refused.text().contains("PersistentVolumeClaim copy-adm/data"), "{}", refused.text());
    drop(server);
    kubectl(&["delete", "sovpol", "copy-adm"]).success();
}

#[test]
#[ignore = "needs a kube-apiserver: run tests/run.sh"]
fn the_audit_reports_a_snapshot_that_predates_its_policy() {
    fixtures("copy-audit");
    let _ = kubectl(&["delete", "sovpol", "copy-audit", "--ignore-not-found"]);
    // No webhook is registered: both snapshots are created.
    apply(&snapshot("copy-audit", "nearest", "fast-snap")).success();
    apply(&snapshot("copy-audit", "jakarta", "jakarta-snap")).success();
    let mut server =
        Sovereign::spawn_with(&["--audit-interval", "3s", "--lease-duration", "3s", "--lease-name", "e2e-copies"]);
    server.wait_ready();
    apply(&policy("copy-audit", "copy-audit")).success();
    let found = eventually("the audit to report the snapshot", WAIT, || {
        let run = kubectl(&["get", "sovpol", "copy-audit", "-o", "json"]);
        let status = serde_json::from_str::<Value>(&run.stdout).ok()?["status"].clone();
        (status["violations"] == 1).then_some(status)
    });
    let listed: Vec<(&str, &str)> = found["violatingObjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, [("VolumeSnapshot", "nearest")], "{found:#}\n{}", server.logs());
    for name in ["nearest", "jakarta"] {
        kubectl(&["delete", "volumesnapshot", name, "-n", "copy-audit"]).success();
    }
    kubectl(&["delete", "sovpol", "copy-audit"]).success();
    server.stop();
}
