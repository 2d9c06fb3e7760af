//! What `fix` prints: the fixed manifests as one stream (stdout), and what it did (stderr).

use super::FixReport;

/// The manifests as printed by `fix` without `-w`: every file, in order, as one YAML stream.
pub fn printed(report: &FixReport) -> String {
    let mut out = String::new();
    for file in &report.files {
        if !out.is_empty() {
            if !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str("---\n");
        }
        out.push_str(&file.fixed);
    }
    out
}

/// What `fix` tells the person running it (stderr): each pinned or refused object.
pub fn summary(report: &FixReport, wrote: bool) -> String {
    let mut out = String::new();
    for note in &report.notes {
        let item = note.item.map(|i| format!(", item {i}")).unwrap_or_default();
        let at = format!("{}, document {}{item}", note.path, note.document);
        match &note.refused {
            Some(why) => out
                .push_str(&format!("not pinned: {} ({at}): {why}; `sovereign check` says what to change\n", note.who)),
            None => {
                let what: Vec<String> = note
                    .pinned
                    .iter()
                    .map(|p| {
                        format!("{} In [{}] for {} (policy {})", p.label, p.regions.join(", "), p.data_class, p.policy)
                    })
                    .collect();
                let whole = if note.rewritten { "; document rewritten whole, comments inside it not kept" } else { "" };
                out.push_str(&format!("pinned {} ({at}): {}{whole}\n", note.who, what.join("; ")));
            }
        }
    }
    let changed = report.files.iter().filter(|f| f.fixed != f.original).count();
    if wrote {
        out.push_str(&format!("{changed} file(s) rewritten\n"));
    } else if report.notes.is_empty() {
        out.push_str("nothing to pin\n");
    }
    out
}
