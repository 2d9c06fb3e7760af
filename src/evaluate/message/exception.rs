//! The words for SovereigntyExceptions: an object let through by one, the records that
//! did not help it, and an exception refused at admission.

use std::fmt::Write;

use super::super::decision::ExceptionUse;
use super::shorten;
use crate::policy::{CompiledException, REQUESTED_BY_ANNOTATION, Standing};

/// Why the exceptions recorded for an object did not help, appended to its violation.
pub(in crate::evaluate) fn lapsed_exceptions(lapsed: &[(&CompiledException, Standing)]) -> String {
    let mut out = String::new();
    for (e, standing) in lapsed {
        match standing {
            Standing::Expired => {
                let _ = write!(
                    out,
                    " Exception {} ({} {}) no longer applies: it expired at {}; renew it with a new approval, or move the data back.",
                    e.key(),
                    e.legal_basis.kind.as_str(),
                    e.legal_basis.reference,
                    e.expires_text
                );
            }
            Standing::Rejected(reasons) => {
                let _ = write!(out, " Exception {} does not apply: {}.", e.key(), reasons.join("; "));
            }
            Standing::Active => {}
        }
    }
    out
}

/// The admission warning and log line for an object let through by an exception.
pub fn excepted(who: &str, use_: &ExceptionUse) -> (String, String) {
    let full = format!(
        "{who}: data class {:?} (policy {}) may reside in {} only under exception {}/{} ({} {}), which expires at {}",
        use_.data_class,
        use_.policy,
        use_.regions.join(", "),
        use_.namespace,
        use_.name,
        use_.legal_basis.kind.as_str(),
        use_.legal_basis.reference,
        use_.expires
    );
    let short = shorten(format!(
        "excepted by {}/{} ({} {}) until {}",
        use_.namespace,
        use_.name,
        use_.legal_basis.kind.as_str(),
        use_.legal_basis.reference,
        use_.expires
    ));
    (short, full)
}

/// A SovereigntyException refused at admission: what is wrong and how to proceed.
pub(in crate::evaluate) fn refused_exception(who: &str, reason: &str) -> (String, String) {
    (shorten(format!("{who}: {reason}")), format!("{who} is refused: {reason}"))
}

/// Why an exception whose requested-by annotation names somebody else is refused.
pub(in crate::evaluate) fn forged_requester(claimed: &str, user: Option<&str>) -> String {
    format!(
        "its annotation {REQUESTED_BY_ANNOTATION} says {claimed} requested it, but {} is creating it; the annotation records who created the exception and only sovereign's mutating webhook sets it: remove it",
        user.unwrap_or("an unnamed user")
    )
}
