//! Builders for the placement tests: nodes, node selector terms, pods that require or
//! select them, and the standard policy and cluster judging them.

use sovereign::evaluate::{Decision, Verdict};

use super::*;

pub const REGION: &str = "topology.kubernetes.io/region";
pub const TRUSTED: &str = "node-restriction.kubernetes.io/region";

/// `CLUSTER` plus more inventory documents.
pub fn cluster_with(extra: &str) -> String {
    format!("{CLUSTER}---\n{extra}")
}

/// A node with the given flow-mapping labels (e.g. `{ a: b }`).
pub fn node(name: &str, labels: &str) -> String {
    format!("apiVersion: v1\nkind: Node\nmetadata: {{ name: {name}, labels: {labels} }}\n")
}

/// One node selector requirement, as flow YAML.
pub fn expr(key: &str, operator: &str, values: &[&str]) -> String {
    if values.is_empty() {
        format!("{{ key: {key}, operator: {operator} }}")
    } else {
        let quoted: Vec<String> = values.iter().map(|v| format!("\"{v}\"")).collect();
        format!("{{ key: {key}, operator: {operator}, values: [{}] }}", quoted.join(", "))
    }
}

/// A node selector term from label expressions.
pub fn term(exprs: &[String]) -> String {
    format!("{{ matchExpressions: [{}] }}", exprs.join(", "))
}

/// A pod whose required node affinity has these terms, after `extra` spec lines.
pub fn pod_requiring(terms: &[String], extra: &str) -> String {
    pod(&format!(
        "{extra}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{}]",
        terms.join(", ")
    ))
}

/// A pod with a nodeSelector given as flow-mapping entries (e.g. `tier: gold`).
pub fn pod_selecting(entries: &str) -> String {
    pod(&format!("  nodeSelector: {{ {entries} }}"))
}

pub fn pod_on(node: &str) -> String {
    pod(&format!("  nodeName: {node}"))
}

pub fn messages(d: &Decision) -> String {
    d.violations.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("\n")
}

#[track_caller]
pub fn assert_allowed(d: &Decision) {
    assert_verdict(d, Verdict::Allow);
}

#[track_caller]
pub fn assert_not_saying(d: &Decision, fragment: &str) {
    let all = messages(d);
    assert!(!all.contains(fragment), "did not expect {fragment:?} in:\n{all}");
}

/// The standard policy and cluster, judging `object`.
pub fn judged(object: &str) -> Decision {
    judge(object, &inventory(CLUSTER), &policies(&[&indonesia("")]))
}

/// The standard policy with `extra` spec fields, on `CLUSTER` plus `nodes`.
pub fn judged_in(extra_policy: &str, extra_inventory: &str, object: &str) -> Decision {
    let inv = if extra_inventory.is_empty() { inventory(CLUSTER) } else { inventory(&cluster_with(extra_inventory)) };
    judge(object, &inv, &policies(&[&indonesia(extra_policy)]))
}

/// A policy for Indonesia with no `providers`; `jurisdiction` is the ID entry.
pub fn unscoped(jurisdiction: &str, extra: &str) -> String {
    format!(
        r#"
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: {{ name: indonesia-any-cloud }}
spec:
  jurisdictions:
    - {jurisdiction}
  dataClasses:
    - {{ name: citizen-pii, allowedJurisdictions: [ID] }}
  classify:
    - namespaceSelector: {{ matchLabels: {{ tenant: gov-id }} }}
      dataClasses: [citizen-pii]
{extra}"#
    )
}

/// A workload of `kind` in gov-id whose pod template selects `region`.
pub fn workload(kind: &str, api_version: &str, name: &str, region: &str) -> String {
    let template = format!(
        "{{ metadata: {{ labels: {{ app: {name} }} }}, spec: {{ containers: [{{ name: c, image: busybox }}], nodeSelector: {{ topology.kubernetes.io/region: {region} }} }} }}"
    );
    let spec = match kind {
        "CronJob" => format!("{{ schedule: \"*/5 * * * *\", jobTemplate: {{ spec: {{ template: {template} }} }} }}"),
        "Job" => format!("{{ template: {template} }}"),
        "ReplicationController" => format!("{{ selector: {{ app: {name} }}, template: {template} }}"),
        "StatefulSet" => {
            format!("{{ serviceName: {name}, selector: {{ matchLabels: {{ app: {name} }} }}, template: {template} }}")
        }
        _ => format!("{{ selector: {{ matchLabels: {{ app: {name} }} }}, template: {template} }}"),
    };
    format!("apiVersion: {api_version}\nkind: {kind}\nmetadata: {{ name: {name}, namespace: gov-id }}\nspec: {spec}\n")
}

pub fn binding(namespace: &str, pod: &str, node: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Binding\nmetadata: {{ name: {pod}, namespace: {namespace} }}\ntarget: {{ apiVersion: v1, kind: Node, name: {node} }}\n"
    )
}
