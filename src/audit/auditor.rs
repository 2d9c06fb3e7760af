//! The audit's bookkeeping, without I/O: which objects to re-judge after each change, the
//! findings, and what the leader should write next (statuses that differ, Events for new
//! or changed violations, PolicyReports whose results moved). The controller performs it.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::jiff::Timestamp;

use super::Change;
use super::findings::Findings;
use super::reports::{self, Report};
use super::scope;
use super::status::{self, Summary};
use super::subject::{Key, Subjects};
use crate::inventory::Inventory;
use crate::policy::{PolicySet, SovereigntyPolicy, SovereigntyPolicyStatus};

pub struct Auditor {
    pub subjects: Subjects,
    pub findings: Findings,
    /// Objects to re-judge in the next pass.
    pending: BTreeSet<Key>,
    /// Re-judge everything in the next pass.
    full: bool,
    /// Rewrite every status in the next pass (the period, or leadership just gained).
    write_all: bool,
    policies: HashMap<String, SovereigntyPolicy>,
    rejected: BTreeSet<String>,
    /// Fingerprints of the cluster objects the verdicts read, as last seen.
    seen: HashMap<String, u64>,
    /// The fingerprint of the violations each object last got an Event for.
    emitted: HashMap<Key, u64>,
    /// The fingerprint of each namespace's PolicyReport as last written.
    reported: HashMap<String, u64>,
    /// Audited kinds that have not finished their first list.
    unsynced: BTreeSet<&'static str>,
}

/// What one pass judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pass {
    pub judged: usize,
    /// Everything was re-judged (the period, a relist, a clash decided differently).
    pub full: bool,
}

impl Auditor {
    /// An auditor waiting for the first list of each of `kinds`.
    pub fn new(kinds: impl IntoIterator<Item = &'static str>) -> Self {
        Auditor {
            subjects: Subjects::default(),
            findings: Findings::default(),
            pending: BTreeSet::new(),
            full: true,
            write_all: true,
            policies: HashMap::new(),
            rejected: BTreeSet::new(),
            seen: HashMap::new(),
            emitted: HashMap::new(),
            reported: HashMap::new(),
            unsynced: kinds.into_iter().collect(),
        }
    }

    /// Whether every audited kind has been listed once.
    pub fn synced(&self) -> bool {
        self.unsynced.is_empty()
    }

    /// The period: re-judge everything and rewrite every status.
    pub fn everything(&mut self) {
        self.full = true;
        self.write_all = true;
    }

    pub fn absorb(&mut self, change: Change, set: &PolicySet, inventory: &Inventory) {
        match change {
            Change::Upsert(subject) => {
                self.pending.insert(subject.key.clone());
                self.subjects.insert(*subject);
            }
            Change::Remove(key) => {
                self.subjects.remove(&key);
                self.pending.insert(key);
            }
            Change::Relisted { kind, subjects } => {
                self.subjects.replace_kind(kind, subjects);
                self.unsynced.remove(kind);
                self.full = true;
            }
            Change::Touched { touched, fingerprint } => {
                let id = format!("{touched:?}");
                let unchanged = match fingerprint {
                    Some(f) => self.seen.insert(id, f) == Some(f),
                    None => self.seen.remove(&id).is_none(),
                };
                if !unchanged {
                    self.pending.extend(scope::touched(&touched, &self.subjects, &self.findings, set));
                }
            }
            Change::InventoryRelisted(_) => self.full = true,
            Change::Policy { old, new } => {
                let name = new.as_ref().or(old.as_ref()).and_then(|p| p.metadata.name.clone()).unwrap_or_default();
                // The audit's own status writes come back as updates that change no rule.
                let rules_changed = match (&old, &new) {
                    (Some(o), Some(n)) => o.spec != n.spec || o.metadata.generation != n.metadata.generation,
                    _ => true,
                };
                if rules_changed {
                    let versions: Vec<&SovereigntyPolicy> = old.iter().chain(new.iter()).map(Box::as_ref).collect();
                    self.pending.extend(scope::policy(&versions, &self.subjects, &self.findings, inventory));
                }
                match new {
                    Some(policy) => self.policies.insert(name, *policy),
                    None => self.policies.remove(&name),
                };
            }
            Change::PoliciesRelisted(all) => {
                self.policies = all.into_iter().map(|p| (p.metadata.name.clone().unwrap_or_default(), p)).collect();
                self.full = true;
            }
        }
    }

    /// Re-judges what the changes since the last pass affect (everything when due).
    /// Returns how many objects were judged.
    pub fn judge(&mut self, set: &PolicySet, inventory: &Inventory) -> Pass {
        let rejected: BTreeSet<String> = set.rejected.iter().map(|r| r.name.clone()).collect();
        if rejected != self.rejected {
            // A clash decided differently moves classes between policies.
            self.full = true;
            self.rejected = rejected;
        }
        if std::mem::take(&mut self.full) {
            self.pending.clear();
            self.findings.judge_all(&self.subjects, inventory, set);
            Pass { judged: self.subjects.len(), full: true }
        } else {
            let keys = std::mem::take(&mut self.pending);
            self.findings.judge(&keys, &self.subjects, inventory, set);
            Pass { judged: keys.len(), full: false }
        }
    }

    /// After gaining the lease: rewrite every status, reconsider every Event.
    pub fn new_leader(&mut self) {
        self.write_all = true;
    }

    /// Statuses to write: those that differ from what the policy shows, or all when due.
    pub fn statuses(&mut self, set: &PolicySet, now: Timestamp) -> Vec<(String, SovereigntyPolicyStatus)> {
        let all = std::mem::take(&mut self.write_all);
        let summaries = self.findings.summaries();
        let mut names: Vec<&String> = self.policies.keys().collect();
        names.sort();
        names
            .into_iter()
            .filter_map(|name| {
                let policy = &self.policies[name];
                let summary = summaries.get(name).cloned().unwrap_or_else(Summary::default);
                let desired = status::desired(policy, set, &summary, now);
                (all || status::differs(policy.status.as_ref(), &desired)).then(|| (name.clone(), desired))
            })
            .collect()
    }

    /// A status was written: remember it until the watch brings it back.
    pub fn status_written(&mut self, name: &str, status: SovereigntyPolicyStatus) {
        if let Some(p) = self.policies.get_mut(name) {
            p.status = Some(status);
        }
    }

    /// A status could not be written: try every status again next time.
    pub fn status_failed(&mut self) {
        self.write_all = true;
    }

    /// Objects whose violations are new or changed since their last Event, in key order.
    pub fn events_due(&mut self) -> Vec<Key> {
        let findings = &self.findings;
        self.emitted.retain(|key, _| findings.get(key).is_some_and(|f| f.violates()));
        let mut due: Vec<Key> = findings
            .iter()
            .filter(|(k, f)| f.violates() && self.emitted.get(*k) != Some(&f.fingerprint()))
            .map(|(k, _)| k.clone())
            .collect();
        due.sort();
        due
    }

    pub fn event_written(&mut self, key: &Key) {
        if let Some(finding) = self.findings.get(key) {
            self.emitted.insert(key.clone(), finding.fingerprint());
        }
    }

    /// PolicyReports whose results changed since they were last written.
    pub fn reports_due(&self, set: &PolicySet, now: Timestamp) -> Vec<Report> {
        let before: BTreeSet<String> = self.reported.keys().cloned().collect();
        reports::build(&self.findings, &self.subjects, set, now.as_second(), &before)
            .into_iter()
            .filter(|r| self.reported.get(&r.namespace) != Some(&r.fingerprint()))
            .collect()
    }

    pub fn report_written(&mut self, report: &Report) {
        self.reported.insert(report.namespace.clone(), report.fingerprint());
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::audit::{Subject, Touched};

    const REGION: &str = "topology.kubernetes.io/region";

    fn policy() -> SovereigntyPolicy {
        serde_yaml_ng::from_str(
            "
apiVersion: sovereignty.io/v1alpha1
kind: SovereigntyPolicy
metadata: { name: id, generation: 1 }
spec:
  providers: [aws]
  jurisdictions: [{ name: ID, countries: [ID] }]
  dataClasses: [{ name: pii, allowedJurisdictions: [ID] }]
  classify: [{ namespaceSelector: { matchLabels: { tenant: gov } }, dataClasses: [pii] }]
",
        )
        .unwrap()
    }

    fn pod_on(name: &str, node: &str) -> Change {
        let value = json!({ "apiVersion": "v1", "kind": "Pod", "metadata": { "name": name, "namespace": "gov" },
                            "spec": { "nodeName": node, "containers": [] } });
        Change::Upsert(Box::new(Subject::from_value(&value).unwrap()))
    }

    fn node(inventory: &mut Inventory, region: &str) -> Change {
        inventory.insert_node("n1".into(), [(REGION.to_string(), region.to_string())].into());
        let fingerprint = if region == "ap-southeast-3" { 1 } else { 2 };
        Change::Touched { touched: Touched::Node("n1".into()), fingerprint: Some(fingerprint) }
    }

    /// An auditor past its first lists, with one policy, a namespace and node n1 in Jakarta.
    fn world() -> (Auditor, PolicySet, Inventory) {
        let mut inventory = Inventory::default();
        inventory.add(&serde_json::json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "gov", "labels": { "tenant": "gov" } } })).unwrap();
        let p = policy();
        let set = PolicySet::compile(std::slice::from_ref(&p));
        let mut auditor = Auditor::new(["Pod"]);
        auditor.absorb(Change::PoliciesRelisted(vec![p]), &set, &inventory);
        let change = node(&mut inventory, "ap-southeast-3");
        auditor.absorb(change, &set, &inventory);
        auditor.absorb(Change::Relisted { kind: "Pod", subjects: Vec::new() }, &set, &inventory);
        assert!(auditor.synced());
        auditor.judge(&set, &inventory);
        (auditor, set, inventory)
    }

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    #[test]
    fn a_relabelled_node_re_judges_only_its_pods_and_one_event_follows_each_change() {
        let (mut a, set, mut inventory) = world();
        inventory.insert_node("n2".into(), [(REGION.to_string(), "ap-southeast-3".to_string())].into());
        a.absorb(pod_on("p", "n1"), &set, &inventory);
        a.absorb(pod_on("elsewhere", "n2"), &set, &inventory);
        assert_eq!(a.judge(&set, &inventory).judged, 2);
        assert!(a.events_due().is_empty(), "both comply");

        let change = node(&mut inventory, "us-east-1");
        a.absorb(change, &set, &inventory);
        assert_eq!(a.judge(&set, &inventory).judged, 1, "only the pod on n1");
        let due = a.events_due();
        assert_eq!(due, [Key::new("Pod", "gov", "p")]);
        a.event_written(&due[0]);
        assert!(a.events_due().is_empty(), "no second Event for the same violation");

        // The same labels again (a heartbeat): nothing to re-judge.
        let again = Change::Touched { touched: Touched::Node("n1".into()), fingerprint: Some(2) };
        a.absorb(again, &set, &inventory);
        assert_eq!(a.judge(&set, &inventory).judged, 0);
        a.everything();
        assert_eq!(a.judge(&set, &inventory).judged, 2);
        assert!(a.events_due().is_empty(), "the periodic pass does not repeat Events");

        let back = node(&mut inventory, "ap-southeast-3");
        a.absorb(back, &set, &inventory);
        a.judge(&set, &inventory);
        assert!(a.events_due().is_empty());
        let change = node(&mut inventory, "us-east-1");
        a.absorb(change, &set, &inventory);
        a.judge(&set, &inventory);
        assert_eq!(a.events_due().len(), 1, "a violation that comes back gets a new Event");
    }

    #[test]
    fn statuses_are_written_when_they_change_or_when_due() {
        let (mut a, set, inventory) = world();
        let first = a.statuses(&set, now());
        assert_eq!(first.len(), 1, "a new auditor writes every status once");
        a.status_written("id", first[0].1.clone());
        assert!(a.statuses(&set, now()).is_empty(), "nothing changed");

        a.absorb(pod_on("p", "nowhere"), &set, &inventory);
        a.judge(&set, &inventory);
        let changed = a.statuses(&set, now());
        assert_eq!(changed[0].1.violations, Some(1), "{changed:?}");
        a.status_written("id", changed[0].1.clone());
        assert!(a.statuses(&set, now()).is_empty());
        a.everything();
        assert_eq!(a.statuses(&set, now()).len(), 1, "the period rewrites (lastAuditTime moves)");
    }

    #[test]
    fn a_status_only_update_of_a_policy_re_judges_nothing() {
        let (mut a, set, inventory) = world();
        a.absorb(pod_on("p", "n1"), &set, &inventory);
        a.judge(&set, &inventory);
        let mut written = policy();
        written.status = Some(SovereigntyPolicyStatus { violations: Some(0), ..Default::default() });
        let change = Change::Policy { old: Some(Box::new(policy())), new: Some(Box::new(written)) };
        a.absorb(change, &set, &inventory);
        assert_eq!(a.judge(&set, &inventory).judged, 0);
        let mut edited = policy();
        edited.metadata.generation = Some(2);
        a.absorb(Change::Policy { old: Some(Box::new(policy())), new: Some(Box::new(edited)) }, &set, &inventory);
        assert_eq!(a.judge(&set, &inventory).judged, 1, "an edit re-judges what the policy classifies");
    }
}
