//! The words for a declassification refused (SPEC §14): which data would lose its class,
//! why that needs a reason, and the ways forward: keep the labels, move the data first, an
//! exempt identity, or an exception that records the legal basis.

use super::super::classify::DATA_CLASS_LABEL;
use super::{list, shorten};
use crate::policy::{ClassRule, CompiledPolicy};

/// Objects named in a message before "and N more".
const LISTED_OBJECTS: usize = 5;

/// Who may make the change anyway: the policy's exempt users and groups.
fn exempt_identities(policy: &CompiledPolicy) -> String {
    let ex = &policy.exemptions;
    let mut names: Vec<String> = ex.users.iter().map(|u| format!("user {u}")).collect();
    names.extend(ex.groups.iter().map(|g| format!("group {g}")));
    match names.is_empty() {
        true => format!("an identity exempt under policy {} (it names none yet)", policy.name),
        false => format!(
            "an identity exempt under policy {} ({})",
            policy.name,
            list(names.iter().map(String::as_str), LISTED_OBJECTS)
        ),
    }
}

/// The exception that would record the reason, for objects in `covering`.
fn exception_way(class: &ClassRule, policy: &CompiledPolicy, covering: &str) -> String {
    let mut out = format!(
        "a SovereigntyException for data class {:?} of policy {} that covers {covering}, with its legal basis",
        class.name, policy.name
    );
    if !policy.exceptions.allowed {
        out.push_str(&format!(
            " (policy {} accepts exceptions only once spec.exceptions.allowed is true)",
            policy.name
        ));
    }
    out
}

/// An update that takes a class from a judged object's own labels: (warning, message).
pub(in crate::evaluate) fn declassified_object(
    who: &str,
    class: &ClassRule,
    policy: &CompiledPolicy,
) -> (String, String) {
    (
        shorten(format!("{who}: removing data class {:?} needs an exemption or an exception", class.name)),
        format!(
            "{who}: this update takes data class {:?} (policy {}) from it, and declassifying data needs a reason: the data it already holds does not change with its labels. Fix: keep its {DATA_CLASS_LABEL} label (and the labels policy {}'s classify rules select); or have {} make the change; or record {}",
            class.name,
            policy.name,
            policy.name,
            exempt_identities(policy),
            exception_way(class, policy, who)
        ),
    )
}

/// A Namespace relabel that takes a class from objects in it: (warning, message).
pub(in crate::evaluate) fn declassified_namespace(
    who: &str,
    class: &ClassRule,
    policy: &CompiledPolicy,
    holding: &[String],
) -> (String, String) {
    let objects = list(holding.iter().map(String::as_str), LISTED_OBJECTS);
    (
        shorten(format!("{who}: relabel would declassify {:?} from {objects}", class.name)),
        format!(
            "{who}: this label change takes data class {:?} (policy {}) from objects that hold it: {objects}. Declassifying data needs a reason. Fix: keep the namespace's {DATA_CLASS_LABEL} label (and the labels policy {}'s classify rules select); or move or delete those objects first; or have {} make the change; or record {}",
            class.name,
            policy.name,
            policy.name,
            exempt_identities(policy),
            exception_way(class, policy, &who.to_lowercase())
        ),
    )
}

/// A policy deleted, or a class removed from it, while objects hold the class.
pub(in crate::evaluate) fn declassified_policy(
    who: &str,
    class: &ClassRule,
    policy: &CompiledPolicy,
    deleted: bool,
    holding: &[String],
) -> (String, String) {
    let objects = list(holding.iter().map(String::as_str), LISTED_OBJECTS);
    let change = match deleted {
        true => "deleting it".to_string(),
        false => format!("removing data class {:?} from it", class.name),
    };
    (
        shorten(format!("{who}: {change} would declassify {:?} held by {objects}", class.name)),
        format!(
            "{who}: {change} would leave data class {:?} undefined while objects hold it: {objects}. Their data would no longer be restricted, and declassifying data needs a reason. Fix: move, delete or relabel those objects first (each such change is judged on its own); or have {} make the change",
            class.name,
            exempt_identities(policy)
        ),
    )
}

/// A guarded change whose holdings sovereign could not list: refused, not guessed.
pub(in crate::evaluate) fn declassified_unseen(
    who: &str,
    class: &ClassRule,
    policy: &CompiledPolicy,
    why: &str,
) -> (String, String) {
    (
        shorten(format!("{who}: cannot tell what holds data class {:?}; retry", class.name)),
        format!(
            "{who}: this change would take data class {:?} (policy {}) from whatever holds it, and sovereign could not list those objects ({why}), so it is refused rather than guessed. Fix: retry; or have {} make the change",
            class.name,
            policy.name,
            exempt_identities(policy)
        ),
    )
}
