//! `wgpolicyk8s.io/v1alpha2` PolicyReports (one per namespace) and a ClusterPolicyReport
//! (for PersistentVolumes): the format Kyverno and Kubewarden write, so dashboards such as
//! Policy Reporter show sovereign's findings with no extra work.

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{Hash, Hasher};

use serde_json::{Value, json};

use super::findings::Findings;
use super::subject::Subjects;
use crate::policy::PolicySet;

pub const GROUP: &str = "wgpolicyk8s.io";
pub const VERSION: &str = "v1alpha2";
/// Every report sovereign writes has this name.
pub const NAME: &str = "sovereign";

/// One report: the namespace ("" for the ClusterPolicyReport) and its body.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub namespace: String,
    pub body: Value,
}

/// PolicyReport in a namespace; ClusterPolicyReport for cluster-scoped objects ("").
fn kind_for(namespace: &str) -> &'static str {
    if namespace.is_empty() { "ClusterPolicyReport" } else { "PolicyReport" }
}

impl Report {
    pub fn kind(&self) -> &'static str {
        kind_for(&self.namespace)
    }

    /// Equal for equal results, whatever the time they were found.
    pub fn fingerprint(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        let mut results = self.body["results"].clone();
        for r in results.as_array_mut().into_iter().flatten() {
            r.as_object_mut().map(|o| o.remove("timestamp"));
        }
        results.to_string().hash(&mut hasher);
        hasher.finish()
    }
}

/// Builds one report per namespace holding classified objects, plus `namespaces` that held
/// some before (so their reports are emptied rather than left stale).
pub fn build(
    findings: &Findings,
    subjects: &Subjects,
    policies: &PolicySet,
    seconds: i64,
    namespaces: &BTreeSet<String>,
) -> Vec<Report> {
    let mut by_namespace: BTreeMap<String, Vec<Value>> = namespaces.iter().map(|n| (n.clone(), Vec::new())).collect();
    let mut entries: Vec<_> = findings.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (key, finding) in entries {
        let Some(subject) = subjects.get(key) else { continue };
        let mut resource =
            json!({ "apiVersion": subject.api_version, "kind": key.kind, "name": key.name, "uid": subject.uid });
        if !key.namespace.is_empty() {
            resource["namespace"] = json!(key.namespace);
        }
        let classes: BTreeSet<&str> = finding
            .classes
            .iter()
            .map(String::as_str)
            .chain(finding.violations.iter().map(|v| v.data_class.as_str()))
            .collect();
        for class in classes {
            let broken: Vec<&str> =
                finding.violations.iter().filter(|v| v.data_class == class).map(|v| v.message.as_str()).collect();
            let policy = policies
                .classes
                .get(class)
                .map(|rule| policies.policy(rule).name.clone())
                .or_else(|| finding.violations.iter().find(|v| v.data_class == class).map(|v| v.policy.clone()))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "(no policy defines it)".into());
            let message = if broken.is_empty() {
                format!("{} {} keeps data class {class} where it may reside", key.kind, key.name)
            } else {
                broken.join("\n")
            };
            by_namespace.entry(key.namespace.clone()).or_default().push(json!({
                "policy": policy,
                "rule": class,
                "category": "Data Sovereignty",
                "severity": "high",
                "result": if broken.is_empty() { "pass" } else { "fail" },
                "scored": true,
                "source": "sovereign",
                "message": message,
                "timestamp": { "seconds": seconds, "nanos": 0 },
                "resources": [resource.clone()],
            }));
        }
    }
    by_namespace
        .into_iter()
        .map(|(namespace, results)| {
            let count = |r: &str| results.iter().filter(|x| x["result"] == r).count();
            let kind = kind_for(&namespace);
            let mut metadata = json!({
                "name": NAME,
                "labels": { "app.kubernetes.io/managed-by": "sovereign" },
            });
            if !namespace.is_empty() {
                metadata["namespace"] = json!(namespace);
            }
            let body = json!({
                "apiVersion": format!("{GROUP}/{VERSION}"),
                "kind": kind,
                "metadata": metadata,
                "summary": { "pass": count("pass"), "fail": count("fail"), "warn": 0, "error": 0, "skip": 0 },
                "results": results,
            });
            Report { namespace, body }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::subject::Subject;
    use crate::inventory::Inventory;

    #[test]
    fn one_report_per_namespace_with_pass_and_fail_results() {
        let policy: crate::policy::SovereigntyPolicy = serde_yaml_ng::from_str(
            "
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: id }
spec:
  providers: [aws]
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [ID] }]
",
        )
        .unwrap();
        let set = PolicySet::compile(&[policy]);
        let mut subjects = Subjects::default();
        for (name, region) in [("good", "ap-southeast-3"), ("bad", "us-east-1")] {
            subjects.insert(
                Subject::from_value(&json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": { "name": name, "namespace": "gov", "uid": name,
                                  "labels": { "sovereignty.io/data-class": "pii" } },
                    "spec": { "containers": [], "nodeSelector": { "topology.kubernetes.io/region": region } }
                }))
                .unwrap(),
            );
        }
        let mut findings = Findings::default();
        findings.judge_all(&subjects, &Inventory::default(), &set);
        let stale: BTreeSet<String> = ["old".to_string()].into();
        let reports = build(&findings, &subjects, &set, 1_700_000_000, &stale);
        assert_eq!(reports.len(), 2, "gov, and the emptied report of a namespace that had results");
        let gov = reports.iter().find(|r| r.namespace == "gov").unwrap();
        assert_eq!(gov.kind(), "PolicyReport");
        assert_eq!(gov.body["summary"]["pass"], 1);
        assert_eq!(gov.body["summary"]["fail"], 1);
        let fail = gov.body["results"].as_array().unwrap().iter().find(|r| r["result"] == "fail").unwrap();
        assert_eq!((fail["policy"].as_str(), fail["rule"].as_str()), (Some("id"), Some("pii")));
        assert_eq!(fail["resources"][0]["name"], "bad");
        assert!(fail["message"].as_str().unwrap().contains("us-east-1"));
        let later = build(&findings, &subjects, &set, 1_700_000_600, &stale);
        assert_eq!(later[0].fingerprint(), reports[0].fingerprint(), "time alone changes nothing");
        assert_eq!(reports.iter().find(|r| r.namespace == "old").unwrap().body["results"], json!([]));
    }
}
