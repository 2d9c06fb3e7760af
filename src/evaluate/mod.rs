//! The pure evaluation core: `(object, request facts, inventory snapshot, compiled
//! policies) -> Decision`. No I/O, no async, no clock; admission, `check`, `report` and the
//! audit all call [`evaluate`], each naming itself in the [`Context`] as its [`Caller`].
//!
//! - `decision`: what goes in besides the object, and what comes out;
//! - `classify`: which data classes an object holds;
//! - `exposure`: each place an object's data could end up, per kind;
//! - `placement`, `storage`, `topology`: where pods, claims and volumes can be;
//! - `judge`: the verdict, class by class; `message`: every sentence, from that data.

mod backup;
mod classify;
mod copies;
mod decision;
mod declassify;
mod evidence;
mod exception;
mod exposure;
mod judge;
mod message;
mod pin;
mod placement;
mod snapshot;
mod storage;
mod store;
mod topology;

use self::classify::classify;
use self::exposure::{binding_exposure, claim_classes, claim_exposure, pod_exposures, volume_exposure};
use self::judge::Judge;
use crate::inventory::Inventory;
use crate::inventory::copies::DataCopy;
use crate::policy::{CompiledPolicy, PolicySet};

pub use self::classify::DATA_CLASS_LABEL;
pub use self::decision::{
    Caller, Confinement, Context, Decision, Declassified, ExceptionUse, Holder, Location, Outcome, Replica,
    SnapshotStore, Verdict, Violation,
};
pub use self::declassify::{Change, Held, Holdings, declassification, holdings_needed, label_sets};
pub use self::message::SHORT_LIMIT;
pub use self::pin::{PINNED_ANNOTATION, PinOutcome, Pinned, Pinning, Refusal, pin};
pub use crate::object::{Binding, Object, ObjectError, Template};

/// Judges one object against every policy.
pub fn evaluate<'a>(
    object: &'a Object,
    ctx: &'a Context,
    inventory: &'a Inventory,
    policies: &'a PolicySet,
) -> Decision {
    let mut judge = Judge::new(object, ctx, inventory, policies);
    match object {
        Object::Policy { policy, .. } => judge.policy(policy),
        Object::Store(store) => {
            if let Some(rule) = store::Rule::builtin(store.kind) {
                let ns = store.kind.namespaced().then(|| judge.namespace());
                let inherited = store::copied_classes(&rule, &store.value, inventory);
                let found = classify(&[store.meta.labels.as_ref()], ns, &inherited, inventory, policies);
                judge.classes(found, |p| store::store_exposures(&rule, &store.value, ns, p, inventory));
            }
        }
        Object::Other { group: Some(group), kind, meta, value: Some(value) } => {
            // A kind a policy declares a store: each policy reads it as it declares it,
            // policies that do not declare it as the first that does.
            let declared = |p: &'a CompiledPolicy| p.stores.kind(group, kind).map(store::Rule::declared);
            if let Some(first) = policies.policies.iter().find_map(declared) {
                let ns = meta.namespace.as_deref().or(ctx.namespace).filter(|n| !n.is_empty());
                let found = classify(&[meta.labels.as_ref()], ns, &[], inventory, policies);
                judge
                    .classes(found, |p| store::store_exposures(&declared(p).unwrap_or(first), value, ns, p, inventory));
            }
        }
        Object::Exception { exception, .. } => judge.exception(exception),
        Object::Other { .. } => {}
        Object::Copy(DataCopy::Snapshot(snapshot)) => {
            snapshot::judge_snapshot(&mut judge, snapshot, inventory, policies)
        }
        Object::Copy(DataCopy::Content(content)) => snapshot::judge_content(&mut judge, content, inventory, policies),
        Object::Copy(DataCopy::Backup(backup)) => backup::judge_backup(&mut judge, backup, inventory, policies),
        Object::Copy(DataCopy::Location(location)) => backup::judge_location(&mut judge, location, inventory, policies),
        Object::Pod { meta, spec } => {
            let ns = judge.namespace();
            let inherited = claim_classes(spec, &[], ns, inventory);
            let found = classify(&[meta.labels.as_ref()], Some(ns), &inherited, inventory, policies);
            judge.classes(found, |p| {
                let exposures = pod_exposures(spec, &[], Holder::Pod, ns, p, inventory);
                evidence::with_copied_region(exposures, meta.labels.as_ref(), spec)
            });
        }
        Object::Workload { meta, template, claim_templates, .. } => {
            let ns = judge.namespace();
            let spec = &template.spec;
            let inherited = claim_classes(spec, claim_templates, ns, inventory);
            let sets = [meta.labels.as_ref(), template.meta.labels.as_ref()];
            let found = classify(&sets, Some(ns), &inherited, inventory, policies);
            judge.classes(found, |p| pod_exposures(spec, claim_templates, Holder::Template, ns, p, inventory));
        }
        Object::Claim(claim) => {
            let ns = judge.namespace();
            // A clone or restore carries the classes of what it copies (SPEC §12).
            let inherited = copies::source_classes(claim, ns, inventory, policies);
            let found = classify(&[claim.meta.labels.as_ref()], Some(ns), &inherited, inventory, policies);
            judge.classes(found, |p| claim_exposure(claim, Holder::Claim, p, inventory).into_iter().collect());
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
