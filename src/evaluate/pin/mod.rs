//! Remediation (SPEC §15): pin a classified Pod or pod template that is not confined to its
//! allowed regions, by ANDing `<region label> In [R]` into every required node-affinity term.
//!
//! Pure: the object's JSON, the inventory and the policies in; a minimal RFC 6902 JSON Patch
//! against that JSON out. The webhook (`POST /mutate`), `sovereign check` and `sovereign fix`
//! all call [`pin`], so the cluster and the command line pin alike.
//!
//! Pinning only ever narrows placement: it never adds an ORed term, drops only terms no
//! allowed node could match, and refuses (leaving the object to validation) when it could
//! only make the pod unschedulable (`nodeName`, a `nodeSelector` outside R, every term empty
//! after intersection). Storage is never rewritten.

use std::collections::{BTreeMap, BTreeSet};
use std::slice;

use json_patch::Patch;
use serde_json::Value;

mod patch;

use self::patch::{affinity_ops, annotation_op, lookup, pointer};
use super::message::{list, shorten};
use super::placement::{inventory_reach, strict_reach};
use super::topology::{Reach, RegionLabels, Requirement, ZONE_LABEL};
use super::{Caller, Context, Object, evaluate};
use crate::catalog;
use crate::inventory::{Inventory, PodSpec};
use crate::kinds::{Reading, TemplateAt};
use crate::policy::{Placement, PolicySet, Remediation};

/// The annotation recording what sovereign pinned: `<policy>/<class>=<regions>` (several
/// classes are separated by `;`).
pub const PINNED_ANNOTATION: &str = "sovereignty.io/pinned";

const AFFINITY_PATH: [&str; 4] =
    ["affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms"];

/// One data class an object was pinned for.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Pinned {
    pub policy: String,
    pub data_class: String,
    /// The node label the requirement is on (the policy's trusted label, else its region label).
    pub label: String,
    /// The allowed regions, sorted.
    pub regions: Vec<String>,
}

/// What pinning does to an object.
#[derive(Clone, Debug, PartialEq)]
pub enum PinOutcome {
    /// No data class of the object asks for pinning, or its placement is already confined.
    Untouched,
    /// Pinning was asked for but cannot confine the pod without making it unschedulable;
    /// validation judges it as it is.
    Refused(Refusal),
    /// The patch that pins it.
    Pinned(Pinning),
}

/// Why an object that asks for pinning is left as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `spec.nodeName` is set: the pod is on (or bound for) that node whatever its affinity says.
    NodeName(String),
    /// A `nodeSelector` entry selects nodes outside the allowed regions.
    NodeSelector { key: String, value: String },
    /// Every required node-affinity term admits no allowed region.
    EveryTermOutside,
    /// The object's JSON does not have the shape its kind needs.
    Shape(String),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NodeName(node) => write!(f, "it names node {node} in spec.nodeName"),
            Refusal::NodeSelector { key, value } => {
                write!(f, "its nodeSelector {key}: {value} selects nodes outside the allowed regions")
            }
            Refusal::EveryTermOutside => write!(f, "every required node-affinity term excludes all allowed regions"),
            Refusal::Shape(what) => write!(f, "{what}"),
        }
    }
}

/// A pinning: what was pinned, and the JSON Patch that does it.
#[derive(Clone, Debug, PartialEq)]
pub struct Pinning {
    pub pinned: Vec<Pinned>,
    /// Never empty: an object that needs no change is [`PinOutcome::Untouched`].
    pub patch: Patch,
    /// `Kind namespace/name`, for messages.
    pub who: String,
}

impl Pinning {
    /// The value of [`PINNED_ANNOTATION`].
    pub fn annotation(&self) -> String {
        annotation(&self.pinned)
    }

    /// One line for an admission warning (at most [`super::SHORT_LIMIT`] characters).
    pub fn warning(&self) -> String {
        let mut by_label: BTreeMap<&str, (Vec<&str>, &[String])> = BTreeMap::new();
        for p in &self.pinned {
            let entry = by_label.entry(&p.label).or_insert((Vec::new(), &p.regions));
            entry.0.push(&p.data_class);
        }
        let parts: Vec<String> = by_label
            .iter()
            .map(|(label, (classes, regions))| {
                format!("{label} In [{}] ({})", list(regions.iter().map(String::as_str), 3), classes.join(", "))
            })
            .collect();
        shorten(format!("sovereign pinned {} to {}", self.who, parts.join(" and ")))
    }

    /// Applies the patch to the JSON it was computed against.
    pub fn apply(&self, value: &mut Value) -> Result<(), json_patch::PatchError> {
        json_patch::patch(value, &self.patch)
    }
}

fn annotation(pinned: &[Pinned]) -> String {
    pinned
        .iter()
        .map(|p| format!("{}/{}={}", p.policy, p.data_class, p.regions.join(",")))
        .collect::<Vec<_>>()
        .join(";")
}

/// The regions each node label must be confined to. One `In` requirement per label.
pub(crate) type Confinements = BTreeMap<String, BTreeSet<String>>;

/// The values each node label must not have: the catalogued zones across a border that an
/// allowed region holds (SPEC §11), kept out with `<zone label> NotIn [Z]`.
pub(crate) type Exclusions = BTreeMap<String, BTreeSet<String>>;

/// Works out whether and how to pin `object` (read from `value`). `ctx` as for [`evaluate`].
pub fn pin(value: &Value, object: &Object, ctx: &Context, inventory: &Inventory, policies: &PolicySet) -> PinOutcome {
    let (spec, spec_path, meta_paths): (&PodSpec, &[&str], Vec<&[&str]>) = match object {
        Object::Pod { spec, .. } => (spec, &["spec"], vec![&["metadata"]]),
        Object::Workload { kind, template, .. }
            if matches!(kind.reading, Reading::Workload { template: TemplateAt::JobTemplate, .. }) =>
        {
            (
                &template.spec,
                &["spec", "jobTemplate", "spec", "template", "spec"],
                vec![&["metadata"], &["spec", "jobTemplate", "spec", "template", "metadata"]],
            )
        }
        Object::Workload { template, .. } => {
            (&template.spec, &["spec", "template", "spec"], vec![&["metadata"], &["spec", "template", "metadata"]])
        }
        _ => return PinOutcome::Untouched,
    };
    if policies.is_empty() {
        return PinOutcome::Untouched;
    }
    // Where the data could end up is not needed here, whoever asks.
    let caller = if ctx.caller == Caller::Report { Caller::Check } else { ctx.caller };
    let decision = evaluate(object, &Context { caller, ..*ctx }, inventory, policies);
    let mut pinned = Vec::new();
    let mut confine = Confinements::new();
    let mut exclude = Exclusions::new();
    for name in &decision.classes {
        let Some(class) = policies.classes.get(name) else { continue };
        let policy = policies.policy(class);
        if class.remediation != Remediation::Pin || decision.exempted_by.contains(&policy.name) {
            continue;
        }
        let labels = RegionLabels { policy };
        let reach = match policy.placement {
            Placement::Strict => strict_reach(spec, labels, inventory),
            Placement::Inventory => inventory_reach(spec, labels, inventory),
        };
        if matches!(&reach, Reach::Within(set) if set.is_subset(&class.allowed)) {
            continue;
        }
        if let Some(node) = spec.node_name.as_ref().filter(|n| !n.is_empty()) {
            return PinOutcome::Refused(Refusal::NodeName(node.clone()));
        }
        for (key, value) in spec.node_selector.iter().flatten() {
            let alone = [Requirement::label_in(key, slice::from_ref(value))];
            if let Reach::Within(set) = labels.term_reach(&alone, inventory, false)
                && !set.is_subset(&class.allowed)
            {
                return PinOutcome::Refused(Refusal::NodeSelector { key: key.clone(), value: value.clone() });
            }
        }
        let label = labels.selector_label().to_string();
        // A region that holds zones abroad confines a pod only together with a zone
        // requirement keeping it off them. Not under a trusted label: kubelets set their
        // own zone labels, so a zone requirement proves nothing there.
        if policy.trusted_region_label.is_none() {
            for region in &class.allowed {
                for zone in catalog::zones_abroad(region, &policy.providers) {
                    if !class.allowed.contains(zone.name) {
                        exclude.entry(ZONE_LABEL.to_string()).or_default().insert(zone.name.to_string());
                    }
                }
            }
        }
        match confine.get_mut(&label) {
            Some(regions) => regions.retain(|r| class.allowed.contains(r)),
            None => {
                confine.insert(label.clone(), class.allowed.clone());
            }
        }
        pinned.push(Pinned {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            label,
            regions: class.allowed.iter().cloned().collect(),
        });
    }
    if pinned.is_empty() {
        return PinOutcome::Untouched;
    }
    let Some(spec_value) = lookup(value, spec_path).filter(|v| v.is_object()) else {
        return PinOutcome::Refused(Refusal::Shape(format!("it has no {}", spec_path.join("."))));
    };
    let mut ops = match affinity_ops(spec_value, &pointer(spec_path), &confine, &exclude) {
        Ok(ops) => ops,
        Err(refusal) => return PinOutcome::Refused(refusal),
    };
    if ops.is_empty() {
        // Already pinned as far as pinning can go (e.g. Inventory placement with no allowed
        // node yet): nothing to change, so the same object always gets the same answer.
        return PinOutcome::Untouched;
    }
    let note = annotation(&pinned);
    for path in meta_paths {
        ops.extend(annotation_op(value, path, &note));
    }
    let namespace = ctx.namespace.filter(|n| !n.is_empty()).unwrap_or_else(|| object.meta().namespace_or_default());
    let who = format!("{} {namespace}/{}", object.kind(), object.display_name());
    PinOutcome::Pinned(Pinning { pinned, patch: Patch(ops), who })
}

#[cfg(test)]
mod tests;
