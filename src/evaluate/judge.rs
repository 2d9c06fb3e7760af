//! The judge: accumulates the decision for one object, class by class and exposure by
//! exposure. Sentences come from [`super::message`]; this file decides, it does not word.

use std::cell::OnceCell;
use std::collections::BTreeSet;

use super::classify::Classification;
use super::decision::{Confinement, Context, Decision, ExceptionUse, Location, Verdict, Violation};
use super::exception::{self, Facts};
use super::exposure::{Category, Exposure};
use super::message::{self, shorten};
use super::topology::{Reach, RegionLabels};
use crate::inventory::Inventory;
use crate::object::Object;
use crate::policy::{
    ClassRule, CompiledPolicy, Enforcement, PolicySet, SovereigntyException, SovereigntyPolicy, VolumeAction,
};

pub(super) struct Judge<'a> {
    object: &'a Object,
    ctx: &'a Context<'a>,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
    classes: Vec<String>,
    violations: Vec<Violation>,
    exempted_by: Vec<String>,
    locations: Vec<Location>,
    excepted: Vec<ExceptionUse>,
    /// The namespace exemptions apply to, for cluster-scoped objects that belong to one.
    pub exemption_namespace: Option<&'a str>,
}

impl<'a> Judge<'a> {
    pub fn new(object: &'a Object, ctx: &'a Context<'a>, inventory: &'a Inventory, policies: &'a PolicySet) -> Self {
        Judge {
            object,
            ctx,
            inventory,
            policies,
            classes: Vec::new(),
            violations: Vec::new(),
            exempted_by: Vec::new(),
            locations: Vec::new(),
            excepted: Vec::new(),
            exemption_namespace: None,
        }
    }

    /// The object's namespace (for namespaced kinds; `default` when neither the request
    /// nor the object names one).
    pub fn namespace(&self) -> &'a str {
        self.object.namespace_in(self.ctx.namespace).unwrap_or_default()
    }

    fn who(&self) -> String {
        message::who(self.object, self.object.namespace_in(self.ctx.namespace))
    }

    fn exempt(&self, policy: &CompiledPolicy) -> bool {
        let ex = &policy.exemptions;
        let namespace = self.object.namespace_in(self.ctx.namespace).or(self.exemption_namespace);
        namespace.is_some_and(|ns| ex.namespaces.iter().any(|n| n == ns))
            || self.ctx.user.is_some_and(|u| ex.users.iter().any(|x| x == u))
            || self.ctx.groups.iter().any(|g| ex.groups.contains(g))
    }

    pub fn policy(&mut self, policy: &SovereigntyPolicy) {
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

    /// A SovereigntyException being created or updated: refused when it breaks a limit of
    /// its policy, has expired, or is approved by the user who applies it (SPEC §14).
    pub fn exception(&mut self, exception: &SovereigntyException) {
        let mut exception = exception.clone();
        if exception.metadata.namespace.as_deref().is_none_or(str::is_empty) {
            exception.metadata.namespace = self.object.namespace_in(self.ctx.namespace).map(str::to_string);
        }
        let mut refused =
            self.policies.admit_exception(&exception, self.ctx.user, self.ctx.now).err().unwrap_or_default();
        if let (true, Some(claimed)) = (self.ctx.create, exception.annotated_requester())
            && Some(claimed) != self.ctx.user
        {
            refused.push(message::forged_requester(claimed, self.ctx.user));
        }
        let who = if refused.is_empty() { String::new() } else { self.who() };
        for reason in refused {
            let (short, message) = message::refused_exception(&who, &reason);
            self.violations.push(Violation {
                policy: exception.spec.policy.clone(),
                data_class: String::new(),
                short,
                message,
                enforcement: Enforcement::Deny,
            });
        }
    }

    /// A fact sovereign needed and does not have: fail closed.
    pub fn unknowable(&mut self, what: String, fix: &str) {
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
    pub fn classes(&mut self, found: Classification<'a>, exposures_for: impl Fn(&'a CompiledPolicy) -> Vec<Exposure>) {
        // Who the object is, for messages: only written out when there is something to say.
        let who_cell = OnceCell::new();
        for name in &found.undefined {
            let who = who_cell.get_or_init(|| self.who());
            self.classes.push(name.clone());
            let (short, message) = message::undefined_class(who, name);
            self.violations.push(Violation {
                policy: String::new(),
                data_class: name.clone(),
                short,
                message,
                enforcement: Enforcement::Deny,
            });
        }
        let mut computed: Vec<(usize, Vec<Exposure>)> = Vec::new();
        let mut common: Option<BTreeSet<String>> = None;
        // What exceptions match the object by, only worked out when there are exceptions.
        let facts = (!self.policies.exceptions.is_empty()).then(|| {
            let namespace = self.object.namespace_in(self.ctx.namespace).or(self.exemption_namespace);
            Facts::of(self.object, namespace, self.inventory)
        });
        for class in &found.classes {
            self.classes.push(class.name.clone());
            let policy = self.policies.policy(class);
            if self.exempt(policy) {
                if !self.exempted_by.contains(&policy.name) {
                    self.exempted_by.push(policy.name.clone());
                }
                continue;
            }
            let applying = match &facts {
                Some(facts) => exception::applying(self.policies, class, facts, self.ctx.now),
                None => Vec::new(),
            };
            let widened = (!applying.is_empty()).then(|| exception::widen(class, &applying));
            let rule: &ClassRule = widened.as_ref().unwrap_or(class);
            let narrowed: BTreeSet<String> = match &common {
                None => rule.allowed.iter().cloned().collect(),
                Some(c) => c.iter().filter(|r| rule.allowed.contains(*r)).cloned().collect(),
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
                let mut violation = self.judge_exposure(&who_cell, rule, policy, exposure);
                let mut uses = Vec::new();
                if violation.is_none()
                    && widened.is_some()
                    && self.judge_exposure(&who_cell, class, policy, exposure).is_some()
                {
                    let outside = exposure.reach.outside(&class.allowed).unwrap_or_default();
                    uses = exception::uses(class, &applying, &outside);
                }
                if let (Some(v), Some(facts)) = (violation.as_mut(), &facts) {
                    let lapsed = exception::lapsed(self.policies, class, facts, self.ctx.now);
                    if !lapsed.is_empty() {
                        v.message.push_str(&message::lapsed_exceptions(&lapsed));
                    }
                }
                if self.ctx.locate() {
                    let mut location = locate(rule, policy, exposure, violation.is_none());
                    location.exceptions = uses.clone();
                    self.locations.push(location);
                }
                exception::merge(&mut self.excepted, uses);
                self.violations.extend(violation);
            }
        }
    }

    fn no_common_region(&mut self, who: &str, class: &ClassRule, found: &Classification) {
        let names: Vec<&str> = found.classes.iter().map(|c| c.name.as_str()).collect();
        let policy = self.policies.policy(class);
        let (short, message) = message::no_common_region(who, &names);
        self.violations.push(Violation {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            short,
            message,
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
        let tolerated = tolerated(policy, exposure.category);
        let in_violation = match &exposure.reach {
            Reach::Within(_) => !exposure.reach.outside_class(class).unwrap_or_default().is_empty(),
            Reach::Anywhere(_) => !tolerated,
            Reach::Unknown(_) => true,
        };
        if !in_violation || (tolerated && matches!(exposure.reach, Reach::Within(_))) {
            return None;
        }
        let who = who.get_or_init(|| self.who());
        let labels = RegionLabels { policy };
        let suggested = message::suggested_regions(class, labels, self.inventory);
        let (short, message) = message::violation(who, class, policy, exposure, &suggested);
        Some(Violation {
            policy: policy.name.clone(),
            data_class: class.name.clone(),
            message,
            short,
            enforcement: policy.enforcement,
        })
    }

    pub fn finish(mut self) -> Decision {
        if !self.excepted.is_empty() {
            let who = self.who();
            for use_ in &mut self.excepted {
                (use_.short, use_.message) = message::excepted(&who, use_);
            }
        }
        let otherwise = if !self.excepted.is_empty() {
            Verdict::Excepted
        } else if self.exempted_by.is_empty() {
            Verdict::Allow
        } else {
            Verdict::Exempt
        };
        let verdict = Verdict::of(&self.violations, otherwise);
        Decision {
            verdict,
            classes: self.classes,
            violations: self.violations,
            exempted_by: self.exempted_by,
            locations: self.locations,
            excepted: self.excepted,
            declassified: Vec::new(),
        }
    }
}

/// Whether the policy lets a holder of this category be unconfined.
fn tolerated(policy: &CompiledPolicy, category: Category) -> bool {
    match category {
        Category::Storage => policy.volumes.unconfined_storage == VolumeAction::Allow,
        Category::Network => policy.volumes.network_volumes == VolumeAction::Allow,
        Category::Placement | Category::Fixed | Category::Copy | Category::Store => false,
    }
}

/// Where one class of the object could be, through one exposure, as data.
fn locate(class: &ClassRule, policy: &CompiledPolicy, exposure: &Exposure, permitted: bool) -> Location {
    let outside = match &exposure.reach {
        Reach::Within(_) if !tolerated(policy, exposure.category) => {
            exposure.reach.outside_class(class).unwrap_or_default().into_iter().map(str::to_string).collect()
        }
        _ => Vec::new(),
    };
    let confinement = match &exposure.reach {
        Reach::Within(set) => Confinement::Within(set.iter().cloned().collect()),
        Reach::Anywhere(reason) => Confinement::Anywhere(reason.clone()),
        Reach::Unknown(gaps) => Confinement::Unknown(gaps.iter().map(|g| g.what.clone()).collect()),
    };
    Location {
        data_class: class.name.clone(),
        policy: policy.name.clone(),
        holder: exposure.holder.clone(),
        confinement,
        outside,
        permitted,
        exceptions: Vec::new(),
    }
}
