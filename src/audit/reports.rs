//! Policy reports, one per namespace and one cluster-wide (for PersistentVolumes), in the two
//! APIs dashboards such as Policy Reporter read: `wgpolicyk8s.io/v1alpha2`
//! PolicyReport/ClusterPolicyReport (what Kyverno and Kubewarden write) and its successor
//! `openreports.io/v1alpha1` Report/ClusterReport. Both carry the same results; the writer
//! writes each one the cluster serves ([`Format`]).

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
/// Who produced a report or result.
const SOURCE: &str = "sovereign";

/// A report API. Both have the same results, summary and result fields; they differ in
/// group, version and kinds, and OpenReports names the producer at the top level too.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// `wgpolicyk8s.io/v1alpha2` PolicyReport and ClusterPolicyReport.
    PolicyReport,
    /// `openreports.io/v1alpha1` Report and ClusterReport.
    OpenReports,
}

impl Format {
    pub const ALL: [Format; 2] = [Format::PolicyReport, Format::OpenReports];

    /// `group/version`, as discovery serves it at `/apis/{api_version}`.
    pub fn api_version(self) -> &'static str {
        match self {
            Format::PolicyReport => "wgpolicyk8s.io/v1alpha2",
            Format::OpenReports => "openreports.io/v1alpha1",
        }
    }

    pub fn group(self) -> &'static str {
        self.api_version().split_once('/').map_or("", |(group, _)| group)
    }

    pub fn version(self) -> &'static str {
        self.api_version().split_once('/').map_or("", |(_, version)| version)
    }

    /// The kind of a report in `namespace` ("" for the cluster-wide one).
    pub fn kind(self, namespace: &str) -> &'static str {
        match (self, namespace.is_empty()) {
            (Format::PolicyReport, false) => "PolicyReport",
            (Format::PolicyReport, true) => "ClusterPolicyReport",
            (Format::OpenReports, false) => "Report",
            (Format::OpenReports, true) => "ClusterReport",
        }
    }

    /// The resource (plural) of a report in `namespace`.
    pub fn plural(self, namespace: &str) -> &'static str {
        match (self, namespace.is_empty()) {
            (Format::PolicyReport, false) => "policyreports",
            (Format::PolicyReport, true) => "clusterpolicyreports",
            (Format::OpenReports, false) => "reports",
            (Format::OpenReports, true) => "clusterreports",
        }
    }

    /// The formats whose namespaced and cluster-wide reports are both served, as
    /// `is_served(group/version, plural)` (discovery) says.
    pub fn served(is_served: impl Fn(&str, &str) -> bool) -> Vec<Format> {
        Format::ALL
            .into_iter()
            .filter(|f| is_served(f.api_version(), f.plural("ns")) && is_served(f.api_version(), f.plural("")))
            .collect()
    }
}

/// One report: the namespace ("" for the cluster-wide one) and its body, in the
/// `wgpolicyk8s.io/v1alpha2` spelling ([`Report::body_for`] gives the others).
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub namespace: String,
    pub body: Value,
}

impl Report {
    pub fn kind(&self) -> &'static str {
        Format::PolicyReport.kind(&self.namespace)
    }

    /// The report as `format` spells it (`body` is the wgpolicyk8s.io one).
    pub fn body_for(&self, format: Format) -> Value {
        let mut body = self.body.clone();
        body["apiVersion"] = json!(format.api_version());
        body["kind"] = json!(format.kind(&self.namespace));
        if format == Format::OpenReports {
            body["source"] = json!(SOURCE);
        }
        body
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
        let mut resource = json!({ "apiVersion": subject.api_version, "kind": subject.object.kind(), "name": key.name, "uid": subject.uid });
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
                "source": SOURCE,
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
            let kind = Format::PolicyReport.kind(&namespace);
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

    #[test]
    fn an_open_report_carries_the_same_results_under_its_own_kind() {
        let report = Report {
            namespace: "gov".into(),
            body: json!({ "apiVersion": "wgpolicyk8s.io/v1alpha2", "kind": "PolicyReport",
                          "metadata": { "name": NAME, "namespace": "gov" },
                          "summary": { "pass": 1, "fail": 0 }, "results": [{ "result": "pass" }] }),
        };
        assert_eq!(report.body_for(Format::PolicyReport), report.body);
        let open = report.body_for(Format::OpenReports);
        assert_eq!(
            (open["apiVersion"].as_str(), open["kind"].as_str()),
            (Some("openreports.io/v1alpha1"), Some("Report"))
        );
        assert_eq!(open["source"], "sovereign");
        assert_eq!(
            (&open["results"], &open["summary"], &open["metadata"]),
            (&report.body["results"], &report.body["summary"], &report.body["metadata"])
        );
        let cluster = Report { namespace: String::new(), body: json!({}) };
        assert_eq!(cluster.body_for(Format::OpenReports)["kind"], "ClusterReport");
        assert_eq!(cluster.body_for(Format::PolicyReport)["kind"], "ClusterPolicyReport");
    }

    #[test]
    fn discovery_decides_the_formats() {
        let formats = |served: &[(&str, &str)]| Format::served(|api, plural| served.contains(&(api, plural)));
        let wg = [("wgpolicyk8s.io/v1alpha2", "policyreports"), ("wgpolicyk8s.io/v1alpha2", "clusterpolicyreports")];
        let open = [("openreports.io/v1alpha1", "reports"), ("openreports.io/v1alpha1", "clusterreports")];
        assert_eq!(formats(&[]), []);
        assert_eq!(formats(&wg), [Format::PolicyReport]);
        assert_eq!(formats(&open), [Format::OpenReports]);
        assert_eq!(formats(&[open, wg].concat()), [Format::PolicyReport, Format::OpenReports]);
        assert_eq!(formats(&open[..1]), [], "a group without its cluster-wide kind is not used");
    }
}
