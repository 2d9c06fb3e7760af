//! The pure evaluation core: `(object, inventory snapshot, compiled policies) -> Decision`.
//! No I/O, no async; the webhook, the CLI and the audit all call [`evaluate`].

mod classify;
mod evidence;
mod incoming;
mod message;
mod object;
mod placement;
mod storage;
mod topology;

use std::cell::OnceCell;
use std::collections::BTreeSet;

use serde::Serialize;

use self::classify::{Classification, classify};
use self::message::{allowed_brief, allowed_text, placement_fix, reach_problem, shorten, suggested_regions};
use self::storage::{claim_reach, class_reach, volume_reach};
use self::topology::{Gap, Reach, RegionLabels};
use crate::inventory::{Claim, Inventory, Labels, PodSpec, Volume, VolumeSource};
use crate::policy::{ClassRule, CompiledPolicy, Enforcement, Placement, PolicySet, VolumeAction};

pub use self::classify::DATA_CLASS_LABEL;
pub use self::incoming::{Fast, Incoming, RawField, RawObject, ReadObject};
pub use self::message::SHORT_LIMIT;
pub use self::object::{Binding, Object, ObjectError, Template};

/// The outcome for one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Exempt,
    Audit,
    Warn,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Exempt => "exempt",
            Verdict::Audit => "audit",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        }
    }

    /// Whether the request goes through.
    pub fn allowed(self) -> bool {
        self != Verdict::Deny
    }
}

/// One way an object breaks one data class's rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    /// The policy that defines the data class ("" when no policy does).
    pub policy: String,
    pub data_class: String,
    /// The full account: what, why, where it may go, how to fix it.
    pub message: String,
    /// At most [`SHORT_LIMIT`] characters, for admission warnings.
    #[serde(skip)]
    pub short: String,
    #[serde(skip)]
    pub enforcement: Enforcement,
}

/// What sovereign decided about one object, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub verdict: Verdict,
    /// The object's data classes.
    pub classes: Vec<String>,
    pub violations: Vec<Violation>,
    /// Policies whose exemptions let the request through unjudged.
    pub exempted_by: Vec<String>,
    /// Where each data class could end up, when [`Context::locate`] asked for it.
    pub locations: Vec<Location>,
}

/// One place a data class of the object could be: for reports to auditors.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub data_class: String,
    pub policy: String,
    /// What holds the data: "it", "its pod template", "its volume \"data\" (...)".
    pub subject: String,
    /// The regions it is confined to (empty when not confined or unknown).
    pub regions: Vec<String>,
    /// Why it is not confined to known regions, when it is not.
    pub unconfined: Option<String>,
    pub permitted: bool,
}

fn locate(class: &ClassRule, policy: &CompiledPolicy, exposure: &Exposure, permitted: bool) -> Location {
    let (regions, unconfined) = match &exposure.reach {
        Reach::Within(set) => (set.iter().cloned().collect(), None),
        Reach::Anywhere(reason) => (Vec::new(), Some(format!("any region: {reason}"))),
        Reach::Unknown(gaps) => (Vec::new(), Some(gaps.iter().map(|g| g.what.as_str()).collect::<Vec<_>>().join("; "))),
    };
    Location {
        data_class: class.name.clone(),
        policy: policy.name.clone(),
        subject: exposure.subject.clone(),
        regions,
        unconfined,
        permitted,
    }
}

/// Who is asking, and where, as far as the request says.
#[derive(Clone, Copy, Debug, Default)]
pub struct Context<'a> {
    /// The request's namespace; overrides the object's own (which may be empty on create).
    pub namespace: Option<&'a str>,
    pub user: Option<&'a str>,
    pub groups: &'a [String],
    /// Also report where each data class could end up ([`Decision::locations`]).
    pub locate: bool,
}

/// Judges one object against every policy.
pub fn evaluate(object: &Object, ctx: &Context, inventory: &Inventory, policies: &PolicySet) -> Decision {
    let mut judge = Judge::new(object, ctx, inventory, policies);
    match object {
        Object::Policy { policy, .. } => judge.policy(policy),
        Object::Other { .. } => {}
        Object::Pod { meta, spec } => {
            let ns = judge.namespace();
            let inherited = claim_classes(spec, &[], ns, inventory);
            let found = classify(&[meta.labels.as_ref()], Some(ns), &inherited, inventory, policies);
            judge.classes(found, |p| {
                evidence::with_copied_region(
                    pod_exposures(spec, &[], "it", ns, p, inventory),
                    meta.labels.as_ref(),
                    spec,
                )
            });
        }
        Object::Workload { meta, template, claim_templates, .. } => {
            let ns = judge.namespace();
            let spec = &template.spec;
            let inherited = claim_classes(spec, claim_templates, ns, inventory);
            let sets = [meta.labels.as_ref(), template.meta.labels.as_ref()];
            let found = classify(&sets, Some(ns), &inherited, inventory, policies);
            judge.classes(found, |p| pod_exposures(spec, claim_templates, "its pod template", ns, p, inventory));
        }
        Object::Claim(claim) => {
            let ns = judge.namespace();
            let found = classify(&[claim.meta.labels.as_ref()], Some(ns), &[], inventory, policies);
            judge.classes(found, |p| claim_exposure(claim, "its storage".into(), p, inventory).into_iter().collect());
        }
        Object::Volume(pv) => {
            let claim_ref = pv.claim_ref.as_ref();
            let ns = claim_ref.and_then(|r| r.namespace.as_deref());
            let claim = claim_ref.and_then(|r| inventory.claim(ns?, r.name.as_deref()?));
            let sets = [pv.meta.labels.as_ref(), claim.and_then(|c| c.meta.labels.as_ref())];
            let found = classify(&sets, ns, &[], inventory, policies);
            // A volume belongs to its claim's namespace for exemptions: the webhook's
            // namespaceSelector cannot exempt cluster-scoped objects.
            judge.exemption_namespace = ns;
            judge.classes(found, |p| vec![volume_exposure(pv, p, inventory)]);
        }
        Object::Binding(binding) => {
            let ns = judge.namespace();
            let pod_name = binding.meta.name.as_deref().unwrap_or_default();
            let node = binding.target.as_deref().unwrap_or_default();
            match inventory.pod(ns, pod_name) {
                Some(pod) => {
                    let inherited = claim_classes(&pod.spec, &[], ns, inventory);
                    let found = classify(&[pod.meta.labels.as_ref()], Some(ns), &inherited, inventory, policies);
                    judge.classes(found, |p| vec![binding_exposure(node, p, inventory)]);
                }
                None if policies.is_empty() => {}
                None => judge.unknowable(
                    format!("pod {ns}/{pod_name} is not in the inventory, so its data classes cannot be known"),
                    "retry once the pod is known (the scheduler retries on its own)",
                ),
            }
        }
    }
    judge.finish()
}

/// What a policy must check about an object: each place its data could end up.
struct Exposure {
    category: Category,
    subject: String,
    verb: String,
    reach: Reach,
    /// The PersistentVolume a claim is bound to, which decides where its data is.
    bound_volume: Option<String>,
    /// The node a pod already runs on (`spec.nodeName`), which decides where it is.
    node: Option<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Category {
    Placement,
    /// A claim's storage, governed by `volumes.unconfinedStorage`.
    Storage,
    /// A network volume, governed by `volumes.networkVolumes`.
    Network,
    /// A volume that exists, or a node the scheduler chose: always judged.
    Fixed,
}

fn pod_exposures(
    spec: &PodSpec,
    claim_templates: &[Claim],
    subject: &str,
    ns: &str,
    policy: &CompiledPolicy,
    inventory: &Inventory,
) -> Vec<Exposure> {
    let labels = RegionLabels { policy };
    let reach = match policy.placement {
        Placement::Strict => placement::strict_reach(spec, labels, inventory),
        Placement::Inventory => placement::inventory_reach(spec, labels, inventory),
    };
    let node = spec.node_name.clone().filter(|n| !n.is_empty());
    let mut out = vec![Exposure {
        category: Category::Placement,
        subject: subject.to_string(),
        verb: match &node {
            Some(node) => format!("is placed on node {node}, in"),
            None => "may be scheduled to".into(),
        },
        reach,
        bound_volume: None,
        node,
    }];
    for volume in &spec.volumes {
        let name = &volume.name;
        let (category, subject, reach) = match &volume.source {
            VolumeSource::FollowsPod => continue,
            VolumeSource::Claim(claim) => {
                let subject = format!("its volume {name:?} (PersistentVolumeClaim {ns}/{claim})");
                let Some(pvc) = inventory.claim(ns, claim) else {
                    let gap = Gap {
                        what: format!("PersistentVolumeClaim {ns}/{claim} does not exist"),
                        fix: format!(
                            "create PersistentVolumeClaim {ns}/{claim} first (for sovereign check, pass it with -f)"
                        ),
                    };
                    out.push(Exposure {
                        category: Category::Storage,
                        subject,
                        verb: "may be stored in".into(),
                        reach: Reach::Unknown(vec![gap]),
                        bound_volume: None,
                        node: None,
                    });
                    continue;
                };
                out.extend(claim_exposure(pvc, subject, policy, inventory));
                continue;
            }
            VolumeSource::Ephemeral(class) => (
                Category::Storage,
                format!("its ephemeral volume {name:?}"),
                class_reach(class.as_deref(), labels, inventory),
            ),
            VolumeSource::Network(kind) => (
                Category::Network,
                format!("its {kind} volume {name:?}"),
                Some(Reach::Anywhere(format!(
                    "an {kind} volume reaches a server whose location sovereign cannot know"
                ))),
            ),
        };
        if let Some(reach) = reach {
            out.push(Exposure {
                category,
                subject,
                verb: "may be stored in".into(),
                reach,
                bound_volume: None,
                node: None,
            });
        }
    }
    for template in claim_templates {
        let name = template.meta.name.as_deref().unwrap_or_default();
        out.extend(claim_exposure(template, format!("its volumeClaimTemplate {name:?}"), policy, inventory));
    }
    out
}

/// A claim's exposure: where its bound volume is, or where its class may provision.
fn claim_exposure(claim: &Claim, subject: String, policy: &CompiledPolicy, inventory: &Inventory) -> Option<Exposure> {
    let reach = claim_reach(claim, RegionLabels { policy }, inventory)?;
    let bound_volume = claim.volume_name.clone().filter(|v| !v.is_empty());
    Some(Exposure {
        category: if bound_volume.is_some() { Category::Fixed } else { Category::Storage },
        subject,
        verb: if bound_volume.is_some() { "is stored in".into() } else { "may be provisioned in".into() },
        reach,
        bound_volume,
        node: None,
    })
}

fn volume_exposure(pv: &Volume, policy: &CompiledPolicy, inventory: &Inventory) -> Exposure {
    Exposure {
        category: Category::Fixed,
        subject: "its data".into(),
        verb: "is stored in".into(),
        reach: volume_reach(pv, RegionLabels { policy }, inventory),
        bound_volume: pv.meta.name.clone(),
        node: None,
    }
}

fn binding_exposure(node: &str, policy: &CompiledPolicy, inventory: &Inventory) -> Exposure {
    let labels = RegionLabels { policy };
    let reach = match inventory.nodes.get(node) {
        None => Reach::Unknown(vec![Gap {
            what: format!("node {node} is not in the inventory"),
            fix: "retry once the node is known".into(),
        }]),
        Some(node_labels) => match labels.node_region(node, node_labels) {
            Ok(region) => Reach::Within([region.to_string()].into()),
            Err(gap) => Reach::Unknown(vec![gap]),
        },
    };
    Exposure {
        category: Category::Fixed,
        subject: "the scheduler".into(),
        verb: format!("is binding its pod to node {node}, in"),
        reach,
        bound_volume: None,
        node: None,
    }
}

/// Data classes a pod takes from the claims it mounts.
fn claim_classes(spec: &PodSpec, templates: &[Claim], ns: &str, inventory: &Inventory) -> Vec<String> {
    let label = |labels: Option<&Labels>| labels.and_then(|l| l.get(DATA_CLASS_LABEL)).cloned();
    let mounted = spec.volumes.iter().filter_map(|v| match &v.source {
        VolumeSource::Claim(name) => label(inventory.claim(ns, name)?.meta.labels.as_ref()),
        _ => None,
    });
    let templated = templates.iter().filter_map(|t| label(t.meta.labels.as_ref()));
    mounted.chain(templated).collect()
}

/// Accumulates the decision for one object.
struct Judge<'a> {
    object: &'a Object,
    ctx: &'a Context<'a>,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
    classes: Vec<String>,
    violations: Vec<Violation>,
    exempted_by: Vec<String>,
    locations: Vec<Location>,
    /// The namespace exemptions apply to, for cluster-scoped objects that belong to one.
    exemption_namespace: Option<&'a str>,
}

impl<'a> Judge<'a> {
    fn new(object: &'a Object, ctx: &'a Context<'a>, inventory: &'a Inventory, policies: &'a PolicySet) -> Self {
        Judge {
            object,
            ctx,
            inventory,
            policies,
            classes: Vec::new(),
            violations: Vec::new(),
            exempted_by: Vec::new(),
            locations: Vec::new(),
            exemption_namespace: None,
        }
    }

    fn namespace(&self) -> &'a str {
        self.ctx
            .namespace
            .filter(|n| !n.is_empty())
            .or(self.object.meta().namespace.as_deref().filter(|n| !n.is_empty()))
            .unwrap_or("default")
    }

    /// `Pod gov-id/web` or `PersistentVolume pv-1`.
    fn who(&self) -> String {
        let name = self.object.display_name();
        if self.object.namespaced() {
            format!("{} {}/{}", self.object.kind(), self.namespace(), name)
        } else {
            format!("{} {name}", self.object.kind())
        }
    }

    fn exempt(&self, policy: &CompiledPolicy) -> bool {
        let ex = &policy.exemptions;
        let namespace = if self.object.namespaced() { Some(self.namespace()) } else { self.exemption_namespace };
        namespace.is_some_and(|ns| ex.namespaces.iter().any(|n| n == ns))
            || self.ctx.user.is_some_and(|u| ex.users.iter().any(|x| x == u))
            || self.ctx.groups.iter().any(|g| ex.groups.contains(g))
    }

    fn policy(&mut self, policy: &crate::policy::SovereigntyPolicy) {
        let name = policy.metadata.name.clone().unwrap_or_default();
        if let Err(reasons) = self.policies.admit(policy) {
            for reason in reasons {
                self.violations.push(Violation {
                    policy: name.clone(),
                    data_class: String::new(),
                    short: shorten(format!("SovereigntyPolicy {name}: {reason}")),
                    message: format!("SovereigntyPolicy {name} is invalid: {reason}"),
                    enforcement: Enforcement::Deny,
                });
            }
        }
    }

    /// A fact sovereign needed and does not have: fail closed.
    fn unknowable(&mut self, what: String, fix: &str) {
        let who = self.who();
        self.violations.push(Violation {
            policy: String::new(),
            data_class: String::new(),
            short: shorten(format!("{who}: {what}")),
            message: format!("{who}: {what}. Fix: {fix}"),
            enforcement: Enforcement::Deny,
        });
    }

    /// Judges every class the object holds, computing each policy's exposures once.
    fn classes(&mut self, found: Classification<'a>, exposures_for: impl Fn(&'a CompiledPolicy) -> Vec<Exposure>) {
        // Who the object is, for messages: only written out when there is something to say.
        let who_cell = OnceCell::new();
        for name in &found.undefined {
            let who = who_cell.get_or_init(|| self.who());
            self.classes.push(name.clone());
            self.violations.push(Violation {
                policy: String::new(),
                data_class: name.clone(),
                short: shorten(format!("{who}: data class {name:?} is not defined by any SovereigntyPolicy")),
                message: format!(
                    "{who}: data class {name:?} is not defined by any SovereigntyPolicy, so where it may reside is unknown. Fix: correct the {DATA_CLASS_LABEL} label, or define data class {name:?} in a policy"
                ),
                enforcement: Enforcement::Deny,
            });
        }
        let mut computed: Vec<(usize, Vec<Exposure>)> = Vec::new();
        let mut common: Option<BTreeSet<&str>> = None;
        for class in &found.classes {
            self.classes.push(class.name.clone());
            let policy = self.policies.policy(class);
            if self.exempt(policy) {
                if !self.exempted_by.contains(&policy.name) {
                    self.exempted_by.push(policy.name.clone());
                }
                continue;
            }
            let narrowed: BTreeSet<&str> = match &common {
                None => class.allowed.iter().map(String::as_str).collect(),
                Some(c) => c.iter().copied().filter(|r| class.allowed.contains(*r)).collect(),
            };
            if narrowed.is_empty() && common.is_some() {
                let who = who_cell.get_or_init(|| self.who());
                self.no_common_region(who, class, &found);
            }
            common = Some(narrowed);
            if !computed.iter().any(|(p, _)| *p == class.policy) {
                computed.push((class.policy, exposures_for(policy)));
            }
            let exposures = &computed.iter().find(|(p, _)| *p == class.policy).expect("just computed").1;
            for exposure in exposures {
                let violation = self.judge_exposure(&who_cell, class, policy, exposure);
                if self.ctx.locate {
                    self.locations.push(locate(class, policy, exposure, violation.is_none()));
                }
                self.violations.extend(violation);
            }
        }
    }

    fn no_common_region(&mut self, who: &str, class: &ClassRule, found: &Classification) {
        let names: Vec<String> = found.classes.iter().map(|c| format!("{:?}", c.name)).collect();
        let policy = self.policies.policy(class);
        self.violations.push(Violation {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            short: shorten(format!("{who}: data classes {} share no region", names.join(", "))),
            message: format!(
                "{who}: it holds data classes {} whose allowed regions have none in common, so it may not reside anywhere. Fix: split the data into separate workloads, or correct the {DATA_CLASS_LABEL} labels and classify rules",
                names.join(", ")
            ),
            enforcement: policy.enforcement,
        });
    }

    fn judge_exposure(
        &self,
        who: &OnceCell<String>,
        class: &ClassRule,
        policy: &CompiledPolicy,
        exposure: &Exposure,
    ) -> Option<Violation> {
        let tolerated = match exposure.category {
            Category::Storage => policy.volumes.unconfined_storage == VolumeAction::Allow,
            Category::Network => policy.volumes.network_volumes == VolumeAction::Allow,
            Category::Placement | Category::Fixed => false,
        };
        let in_violation = match &exposure.reach {
            Reach::Within(_) => !exposure.reach.outside(&class.allowed).unwrap_or_default().is_empty(),
            Reach::Anywhere(_) => !tolerated,
            Reach::Unknown(_) => true,
        };
        if !in_violation || (tolerated && matches!(exposure.reach, Reach::Within(_))) {
            return None;
        }
        let who = who.get_or_init(|| self.who());
        let labels = RegionLabels { policy };
        let suggested = suggested_regions(class, labels, self.inventory);
        let fix = match (&exposure.reach, exposure.category) {
            (Reach::Unknown(gaps), _) => {
                let mut fixes: Vec<&str> = gaps.iter().map(|g| g.fix.as_str()).collect();
                fixes.dedup();
                fixes.truncate(3);
                fixes.join("; ")
            }
            (_, Category::Placement) => match &exposure.node {
                Some(node) => format!("move it off node {node}: {}", placement_fix(labels, &suggested)),
                None => placement_fix(labels, &suggested),
            },
            (_, Category::Storage) => format!(
                "use a StorageClass with volumeBindingMode: WaitForFirstConsumer, or allowedTopologies keeping {} in [{}]",
                policy.region_label,
                message::list(suggested.iter().map(String::as_str), 4)
            ),
            (_, Category::Network) => format!(
                "keep the data on a PersistentVolumeClaim whose volume is pinned to [{}], or set spec.volumes.networkVolumes: Allow in policy {} if that server is known to be inside them",
                message::list(suggested.iter().map(String::as_str), 4),
                policy.name
            ),
            (_, Category::Fixed) if exposure.bound_volume.is_some() => format!(
                "keep the data on a PersistentVolume in [{}]; PersistentVolume {} is not",
                message::list(suggested.iter().map(String::as_str), 4),
                exposure.bound_volume.as_deref().unwrap_or_default()
            ),
            (_, Category::Fixed) => format!(
                "keep it in [{}]: for a pod, add nodeSelector {}: {}",
                message::list(suggested.iter().map(String::as_str), 4),
                labels.selector_label(),
                suggested.first().map(String::as_str).unwrap_or("<allowed region>")
            ),
        };
        let problem = reach_problem(&exposure.reach, &exposure.verb, &class.allowed, policy);
        let brief = match &exposure.reach {
            Reach::Within(_) => format!(
                "{} {}",
                exposure.verb,
                message::list(exposure.reach.outside(&class.allowed).unwrap_or_default(), 2)
            ),
            Reach::Anywhere(_) => format!("{} any region", exposure.verb),
            Reach::Unknown(gaps) => gaps.first().map(|g| g.what.clone()).unwrap_or_default(),
        };
        Some(Violation {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            message: format!(
                "{who}: data class {:?} (policy {}) may reside only in {}, but {} {problem}. Fix: {fix}",
                class.name,
                policy.name,
                allowed_text(class),
                exposure.subject
            ),
            short: shorten(format!(
                "{who}: {} must stay in {}; {} {brief}",
                class.name,
                allowed_brief(class),
                exposure.subject
            )),
            enforcement: policy.enforcement,
        })
    }

    fn finish(self) -> Decision {
        let verdict = self
            .violations
            .iter()
            .map(|v| match v.enforcement {
                Enforcement::Deny => Verdict::Deny,
                Enforcement::Warn => Verdict::Warn,
                Enforcement::Audit => Verdict::Audit,
            })
            .max()
            .unwrap_or(if self.exempted_by.is_empty() { Verdict::Allow } else { Verdict::Exempt });
        Decision {
            verdict,
            classes: self.classes,
            violations: self.violations,
            exempted_by: self.exempted_by,
            locations: self.locations,
        }
    }
}
