//! Rendering `check` results for people (text) and for machines (JSON).

use std::fmt::Write;

use super::check::CheckReport;
use crate::evaluate::Verdict;

pub fn json(report: &CheckReport) -> String {
    serde_json::to_string_pretty(&report.outcomes).expect("outcomes always serialize")
}

pub fn text(report: &CheckReport, colour: bool) -> String {
    let paint = |code: &str, s: &str| if colour { format!("\x1b[{code}m{s}\x1b[0m") } else { s.to_string() };
    let mut out = String::new();
    let mut counts = [0usize; 7];
    for o in &report.outcomes {
        counts[o.verdict as usize] += 1;
        let (label, code) = match o.verdict {
            Verdict::Deny => ("DENY  ", "1;31"),
            Verdict::Warn => ("WARN  ", "1;33"),
            Verdict::Audit => ("AUDIT ", "1;36"),
            Verdict::Exempt => ("EXEMPT", "1;35"),
            Verdict::Excepted => ("EXCEPT", "1;35"),
            Verdict::Allow => ("ALLOW ", "1;32"),
            Verdict::Pinned => ("PINNED", "1;34"),
        };
        let target = if o.namespace.is_empty() { o.name.clone() } else { format!("{}/{}", o.namespace, o.name) };
        let classes = if o.classes.is_empty() { "unclassified".to_string() } else { o.classes.join(", ") };
        writeln!(out, "{} {} {target}  [{classes}]  ({})", paint(code, label), o.kind, o.origin).unwrap();
        for p in &o.pinned {
            writeln!(
                out,
                "       - pinned to {} In [{}] for data class {:?} (policy {})",
                p.label,
                p.regions.join(", "),
                p.data_class,
                p.policy
            )
            .unwrap();
        }
        for e in &o.exceptions {
            writeln!(out, "       - {}", e.message).unwrap();
        }
        for v in &o.violations {
            writeln!(out, "       - {}", v.message).unwrap();
        }
    }
    let [allow, pinned, exempt, excepted, audit, warn, deny] = counts;
    let pinned = if pinned > 0 { format!("{pinned} pinned, ") } else { String::new() };
    let exempt =
        if excepted > 0 { format!("{exempt} exempt, {excepted} excepted") } else { format!("{exempt} exempt") };
    writeln!(
        out,
        "\n{} objects: {deny} denied, {warn} warned, {audit} audited, {exempt}, {pinned}{allow} allowed",
        report.outcomes.len()
    )
    .unwrap();
    if !report.not_judged.is_empty() {
        writeln!(
            out,
            "{} of a kind sovereign does not judge, left alone: {}",
            match report.not_judged.len() {
                1 => "1 object".to_string(),
                n => format!("{n} objects"),
            },
            report.not_judged.join(", ")
        )
        .unwrap();
    }
    out
}
