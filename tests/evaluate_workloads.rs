mod common;

// Pod templates and bindings (SPEC §4): every workload kind judged by its template, and
// pods/binding judged by the node it binds to.

use common::placement::*;
use common::*;
use sovereign::evaluate::{Decision, Object, ObjectError};
use sovereign::policy::PolicySet;

// ---------------------------------------------------------------------------------------------
// 5. Workload kinds
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn assert_workload_compliant(kind: &str, api_version: &str) {
    let d = judged(&workload(kind, api_version, "web", "ap-southeast-3"));
    assert_eq!(d.classes, vec!["citizen-pii".to_string()], "{kind}: {d:#?}");
    assert_allowed(&d);
}

#[track_caller]
fn assert_workload_denied(kind: &str, api_version: &str) {
    let d = judged(&workload(kind, api_version, "web", "us-east-1"));
    assert_denied_saying(&d, &["its pod template", "region us-east-1"]);
    let prefix = format!("{kind} gov-id/web:");
    for v in &d.violations {
        assert!(v.message.starts_with(&prefix), "expected {prefix:?} to start {:?}", v.message);
        assert!(v.short.starts_with(&prefix), "expected {prefix:?} to start {:?}", v.short);
    }
}

macro_rules! workload_tests {
    ($($allowed:ident, $denied:ident: $kind:literal $api:literal;)*) => {$(
        #[test]
        fn $allowed() {
            assert_workload_compliant($kind, $api);
        }

        #[test]
        fn $denied() {
            assert_workload_denied($kind, $api);
        }
    )*};
}

workload_tests! {
    deployment_confined_to_jakarta_is_allowed, deployment_in_virginia_is_denied: "Deployment" "apps/v1";
    statefulset_confined_to_jakarta_is_allowed, statefulset_in_virginia_is_denied: "StatefulSet" "apps/v1";
    daemonset_confined_to_jakarta_is_allowed, daemonset_in_virginia_is_denied: "DaemonSet" "apps/v1";
    replicaset_confined_to_jakarta_is_allowed, replicaset_in_virginia_is_denied: "ReplicaSet" "apps/v1";
    job_confined_to_jakarta_is_allowed, job_in_virginia_is_denied: "Job" "batch/v1";
    cronjob_v1_confined_to_jakarta_is_allowed, cronjob_v1_in_virginia_is_denied: "CronJob" "batch/v1";
    cronjob_v1beta1_confined_to_jakarta_is_allowed, cronjob_v1beta1_in_virginia_is_denied: "CronJob" "batch/v1beta1";
    replication_controller_confined_to_jakarta_is_allowed, replication_controller_in_virginia_is_denied: "ReplicationController" "v1";
}

#[test]
fn deployment_without_template_is_an_object_error_not_a_panic() {
    let value = docs(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: web, namespace: gov-id }\nspec: { replicas: 1 }\n",
    )
    .remove(0);
    match Object::parse(&value) {
        Err(err @ ObjectError::Missing { .. }) => {
            let text = err.to_string();
            assert!(text.contains("Deployment") && text.contains("spec.template"), "{text}");
        }
        other => panic!("expected ObjectError::Missing, got {other:?}"),
    }
}

#[test]
fn cronjob_without_job_template_is_an_object_error() {
    let value = docs("apiVersion: batch/v1\nkind: CronJob\nmetadata: { name: c, namespace: gov-id }\nspec: { schedule: \"* * * * *\" }\n")
        .remove(0);
    assert!(matches!(Object::parse(&value), Err(ObjectError::Missing { .. })));
}

// ---------------------------------------------------------------------------------------------
// 6. Bindings
// ---------------------------------------------------------------------------------------------

/// `CLUSTER` plus a classified pod `web-0` in gov-id, a namespace without tenant label and an
/// unclassified pod `site-0` in it, and a node without region label.
fn binding_cluster() -> String {
    cluster_with(
        r#"apiVersion: v1
kind: Pod
metadata: { name: web-0, namespace: gov-id }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: public }
---
apiVersion: v1
kind: Pod
metadata: { name: site-0, namespace: public }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Pod
metadata: { name: tagged-0, namespace: public, labels: { sovereignty.io/data-class: citizen-pii } }
spec: { containers: [{ name: c, image: busybox }] }
---
apiVersion: v1
kind: Node
metadata: { name: bare-1, labels: { kubernetes.io/hostname: bare-1 } }
"#,
    )
}

fn judged_binding(namespace: &str, pod: &str, node: &str) -> Decision {
    judge(&binding(namespace, pod, node), &inventory(&binding_cluster()), &policies(&[&indonesia("")]))
}

#[test]
fn binding_a_classified_pod_to_a_jakarta_node_is_allowed() {
    let d = judged_binding("gov-id", "web-0", "jkt-1");
    assert_eq!(d.classes, vec!["citizen-pii".to_string()]);
    assert_allowed(&d);
}

#[test]
fn binding_a_classified_pod_to_a_virginia_node_is_denied() {
    let d = judged_binding("gov-id", "web-0", "iad-1");
    assert_denied_saying(&d, &["Binding gov-id/web-0", "node iad-1", "us-east-1"]);
}

#[test]
fn binding_a_pod_classified_by_its_own_label_to_a_virginia_node_is_denied() {
    let d = judged_binding("public", "tagged-0", "iad-1");
    assert_denied_saying(&d, &["us-east-1"]);
}

#[test]
fn binding_an_unclassified_pod_to_a_virginia_node_is_allowed() {
    let d = judged_binding("public", "site-0", "iad-1");
    assert!(d.classes.is_empty(), "{d:#?}");
    assert_allowed(&d);
}

#[test]
fn binding_a_pod_missing_from_the_inventory_is_denied() {
    let d = judged_binding("gov-id", "ghost-0", "jkt-1");
    assert_denied_saying(&d, &["pod gov-id/ghost-0 is not in the inventory"]);
}

#[test]
fn binding_a_pod_missing_from_the_inventory_is_allowed_without_policies() {
    let d = judge(&binding("gov-id", "ghost-0", "iad-1"), &inventory(&binding_cluster()), &PolicySet::default());
    assert_allowed(&d);
}

#[test]
fn binding_to_a_node_missing_from_the_inventory_is_denied() {
    let d = judged_binding("gov-id", "web-0", "ghost-1");
    assert_denied_saying(&d, &["node ghost-1 is not in the inventory"]);
}

#[test]
fn binding_to_a_node_without_region_label_is_denied() {
    let d = judged_binding("gov-id", "web-0", "bare-1");
    assert_denied_saying(&d, &["node bare-1 has no region label"]);
}
