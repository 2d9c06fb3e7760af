//! Pinning as `check` takes it into account (SPEC §15): an object the mutating webhook
//! would pin is judged as pinned.

use serde_json::Value;

use crate::evaluate::{Context, Decision, Object, PinOutcome, Pinned, Verdict, evaluate, pin};
use crate::inventory::Inventory;
use crate::policy::PolicySet;

/// What `check` reports for an object once pinning is taken into account: the decision on
/// the pinned object (verdict [`Verdict::Pinned`] when pinning makes it compliant), and what
/// was pinned. Objects that need no pinning keep their decision.
pub(crate) fn remediate(
    value: &Value,
    object: &Object,
    decision: Decision,
    ctx: &Context,
    inventory: &Inventory,
    policies: &PolicySet,
) -> (Decision, Vec<Pinned>) {
    if matches!(decision.verdict, Verdict::Allow | Verdict::Exempt | Verdict::Excepted) {
        return (decision, Vec::new());
    }
    let PinOutcome::Pinned(pinning) = pin(value, object, ctx, inventory, policies) else {
        return (decision, Vec::new());
    };
    let mut pinned_value = value.clone();
    let Ok(pinned_object) = pinning.apply(&mut pinned_value).map(|()| Object::parse(&pinned_value)) else {
        return (decision, Vec::new());
    };
    let Ok(pinned_object) = pinned_object else { return (decision, Vec::new()) };
    let mut after = evaluate(&pinned_object, ctx, inventory, policies);
    if after.verdict == Verdict::Allow {
        after.verdict = Verdict::Pinned;
    }
    (after, pinning.pinned)
}
