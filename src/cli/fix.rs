//! `sovereign fix`: the pinning the mutating webhook would apply (SPEC §15), written into the
//! manifests, so the fix lands in Git and not only in the cluster.
//!
//! A YAML document is edited as text where the change is an addition under block or
//! one-line flow mappings (the usual case: an `affinity:` block added to a pod spec, the
//! annotation added to `metadata`), so comments, key order and quoting stay as they were; the
//! edit is checked by parsing it back. Any other change (intersecting an existing affinity
//! term, items of a `kind: List`, JSON files) rewrites that one document from its parsed form,
//! which keeps its leading comments but not comments inside it.

use std::io::Read;
use std::path::{Path, PathBuf};

use json_patch::{Patch, PatchOperation};
use serde::Deserialize;
use serde_json::Value;

use super::check::{CheckError, compile_policies};
use crate::evaluate::{Context, Decision, Object, PinOutcome, Pinned, Pinning, Verdict, evaluate, pin};
use crate::files;
use crate::inventory::Inventory;
use crate::manifest::{self, Document, ManifestError};
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

/// One object `fix` pinned, or left alone although pinning was asked for.
#[derive(Debug)]
pub struct FixNote {
    pub path: String,
    pub document: usize,
    pub item: Option<usize>,
    pub who: String,
    /// What was pinned; empty when pinning was refused.
    pub pinned: Vec<Pinned>,
    /// Why it was not pinned.
    pub refused: Option<String>,
    /// The document was rewritten from its parsed form (its inner comments are gone).
    pub rewritten: bool,
}

/// A file with the pinning applied.
#[derive(Debug)]
pub struct FixedFile {
    /// The file's path, or `-` for stdin.
    pub path: String,
    pub original: String,
    pub fixed: String,
}

/// Everything `fix` did.
#[derive(Debug, Default)]
pub struct FixReport {
    pub files: Vec<FixedFile>,
    pub notes: Vec<FixNote>,
}

/// Input `fix` cannot work with (beyond what `check` rejects).
#[derive(Debug, thiserror::Error)]
pub enum FixError {
    #[error(transparent)]
    Check(#[from] CheckError),
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("-w rewrites files in place; it cannot rewrite stdin (drop -w to print the result)")]
    WriteStdin,
    #[error("{path}, document {document}: the pinned object does not serialize: {message}")]
    Serialize { path: String, document: usize, message: String },
}

/// Reads the manifests, pins what the policies ask to pin, and returns every file's text
/// with the pinning applied (`write`: also writes the changed files back).
pub fn run_fix(
    policies: &[PathBuf],
    manifests: &[PathBuf],
    inventory: &[PathBuf],
    write: bool,
) -> Result<FixReport, FixError> {
    if write && manifests.iter().any(|p| p.as_os_str() == "-") {
        return Err(FixError::WriteStdin);
    }
    let set = compile_policies(policies)?;
    let mut inv = files::read_inventory(inventory).map_err(CheckError::from)?;
    let mut sources = Vec::new();
    for path in manifests {
        read_sources(path, &mut sources).map_err(CheckError::from)?;
    }
    let mut parsed = Vec::new();
    for (name, text) in &sources {
        let mut docs = Vec::new();
        manifest::parse_text(name, text, is_json(name, text), &mut docs).map_err(CheckError::from)?;
        files::add_to_inventory(&mut inv, &docs).map_err(CheckError::from)?;
        parsed.push(docs);
    }
    let mut report = FixReport::default();
    for ((name, text), docs) in sources.into_iter().zip(parsed) {
        let fixed = fix_file(&name, &text, &docs, &inv, &set, &mut report.notes)?;
        if write && fixed != text {
            std::fs::write(&name, &fixed).map_err(|source| FixError::Write { path: name.clone(), source })?;
        }
        report.files.push(FixedFile { path: name, original: text, fixed });
    }
    Ok(report)
}

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

fn is_json(name: &str, text: &str) -> bool {
    name.ends_with(".json") || text.trim_start().starts_with(['{', '['])
}

/// The files behind a path: stdin, a file, or a directory's YAML and JSON files (sorted).
fn read_sources(path: &Path, out: &mut Vec<(String, String)>) -> Result<(), ManifestError> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map_err(|source| ManifestError::Io { path: "-".into(), source })?;
        out.push(("-".into(), text));
        return Ok(());
    }
    let mut files = Vec::new();
    if path.is_dir() {
        manifest::collect_files(path, &mut files)?;
        if files.is_empty() {
            return Err(ManifestError::Empty { path: path.display().to_string() });
        }
    } else {
        files.push(path.to_path_buf());
    }
    for file in files {
        let name = file.display().to_string();
        let text = std::fs::read_to_string(&file).map_err(|source| ManifestError::Io { path: name.clone(), source })?;
        out.push((name, text));
    }
    Ok(())
}

/// A pinning to apply to one document (`item`: within a List or array document).
struct Edit {
    document: usize,
    item: Option<usize>,
    pinning: Pinning,
}

fn fix_file(
    name: &str,
    text: &str,
    docs: &[Document],
    inventory: &Inventory,
    policies: &PolicySet,
    notes: &mut Vec<FixNote>,
) -> Result<String, FixError> {
    let mut edits = Vec::new();
    let first_note = notes.len();
    let ctx = Context::default();
    for doc in docs {
        let object = Object::parse(&doc.value)
            .map_err(|e| CheckError::Document { origin: doc.origin.clone(), message: e.to_string() })?;
        let note = |pinned, refused, who| FixNote {
            path: name.to_string(),
            document: doc.origin.document,
            item: doc.origin.item,
            who,
            pinned,
            refused,
            rewritten: false,
        };
        match pin(&doc.value, &object, &ctx, inventory, policies) {
            PinOutcome::Untouched => {}
            PinOutcome::Refused(why) => {
                let ns = object.meta().namespace_or_default();
                notes.push(note(
                    Vec::new(),
                    Some(why.to_string()),
                    format!("{} {ns}/{}", object.kind(), object.display_name()),
                ));
            }
            PinOutcome::Pinned(pinning) => {
                notes.push(note(pinning.pinned.clone(), None, pinning.who.clone()));
                edits.push(Edit { document: doc.origin.document, item: doc.origin.item, pinning });
            }
        }
    }
    if edits.is_empty() {
        return Ok(text.to_string());
    }
    let mark_rewritten = |notes: &mut Vec<FixNote>, document: usize| {
        for n in notes[first_note..].iter_mut().filter(|n| n.document == document && n.refused.is_none()) {
            n.rewritten = true;
        }
    };
    if is_json(name, text) {
        let fixed = fix_json(name, text, &edits)?;
        for e in &edits {
            mark_rewritten(notes, e.document);
        }
        return Ok(fixed);
    }
    let Some(segments) = split_documents(text) else {
        // Documents the splitter cannot find exactly: rewrite the whole file.
        let values = yaml_documents(text);
        let mut out = String::new();
        for (i, value) in values.into_iter().enumerate() {
            let document = i + 1;
            let value = patched(name, document, value, &edits)?;
            out.push_str("---\n");
            out.push_str(&to_yaml(name, document, &value)?);
            mark_rewritten(notes, document);
        }
        return Ok(out);
    };
    let mut out = String::new();
    for segment in segments {
        let here: Vec<&Edit> = edits.iter().filter(|e| Some(e.document) == segment.document).collect();
        if here.is_empty() {
            out.push_str(&segment.text);
            continue;
        }
        let document = segment.document.expect("edits only name documents");
        out.push_str(&segment.separator);
        let original: Value = parse_yaml(&segment.body).unwrap_or(Value::Null);
        let target = patched(name, document, original, &edits)?;
        let textual = match here.as_slice() {
            [edit] if edit.item.is_none() => edit_text(&segment.body, &edit.pinning.patch)
                .filter(|edited| parse_yaml(edited).as_ref() == Some(&target)),
            _ => None,
        };
        match textual {
            Some(edited) => out.push_str(&edited),
            None => {
                out.push_str(&leading_comments(&segment.body));
                out.push_str(&to_yaml(name, document, &target)?);
                mark_rewritten(notes, document);
            }
        }
    }
    Ok(out)
}

/// The document's value with every edit aimed at it applied.
fn patched(name: &str, document: usize, mut value: Value, edits: &[Edit]) -> Result<Value, FixError> {
    for edit in edits.iter().filter(|e| e.document == document) {
        let prefix = match (edit.item, &value) {
            (None, _) => Vec::new(),
            (Some(i), Value::Array(_)) => vec![(i - 1).to_string()],
            (Some(i), _) => vec!["items".to_string(), (i - 1).to_string()],
        };
        let ops: Vec<PatchOperation> = edit.pinning.patch.iter().map(|op| prefixed(op, &prefix)).collect();
        json_patch::patch(&mut value, &ops).map_err(|e| FixError::Serialize {
            path: name.into(),
            document,
            message: e.to_string(),
        })?;
    }
    Ok(value)
}

fn prefixed(op: &PatchOperation, prefix: &[String]) -> PatchOperation {
    let mut op = op.clone();
    if prefix.is_empty() {
        return op;
    }
    let path = match &mut op {
        PatchOperation::Add(o) => &mut o.path,
        PatchOperation::Remove(o) => &mut o.path,
        PatchOperation::Replace(o) => &mut o.path,
        PatchOperation::Move(o) => &mut o.path,
        PatchOperation::Copy(o) => &mut o.path,
        PatchOperation::Test(o) => &mut o.path,
    };
    let mut full = json_patch::jsonptr::PointerBuf::from_tokens(prefix.iter().map(String::as_str));
    for token in path.tokens() {
        full.push_back(token);
    }
    *path = full;
    op
}

fn fix_json(name: &str, text: &str, edits: &[Edit]) -> Result<String, FixError> {
    let mut out = String::new();
    for (i, value) in serde_json::Deserializer::from_str(text).into_iter::<Value>().enumerate() {
        let document = i + 1;
        let value = value.map_err(|e| FixError::Serialize { path: name.into(), document, message: e.to_string() })?;
        let value = patched(name, document, value, edits)?;
        let json = serde_json::to_string_pretty(&value).map_err(|e| FixError::Serialize {
            path: name.into(),
            document,
            message: e.to_string(),
        })?;
        out.push_str(&json);
        out.push('\n');
    }
    Ok(out)
}

fn to_yaml(name: &str, document: usize, value: &Value) -> Result<String, FixError> {
    serde_yaml_ng::to_string(value).map_err(|e| FixError::Serialize {
        path: name.into(),
        document,
        message: e.to_string(),
    })
}

fn parse_yaml(text: &str) -> Option<Value> {
    let mut docs = serde_yaml_ng::Deserializer::from_str(text);
    let value = Value::deserialize(docs.next()?).ok()?;
    docs.next().is_none().then_some(value)
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text).filter_map(|d| Value::deserialize(d).ok()).collect()
}

/// The comment and blank lines a document starts with.
fn leading_comments(body: &str) -> String {
    body.lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A stretch of a YAML file: its `---` line (if any), and the text up to the next one.
struct Segment {
    /// 1-based document number, as `check` counts them; `None` for a stretch of comments
    /// before the first `---`, which is no document.
    document: Option<usize>,
    separator: String,
    body: String,
    /// `separator` + `body`, exactly as in the file.
    text: String,
}

/// Splits a YAML stream at its `---` lines, checking that each stretch parses to the
/// document the YAML parser numbers alike; `None` when they disagree.
fn split_documents(text: &str) -> Option<Vec<Segment>> {
    let mut segments: Vec<(String, String)> = vec![(String::new(), String::new())];
    for line in text.split_inclusive('\n') {
        let is_separator = line.starts_with("---") && {
            let rest = line[3..].trim();
            rest.is_empty() || rest.starts_with('#')
        };
        if is_separator {
            segments.push((line.to_string(), String::new()));
        } else if line.starts_with("...") {
            return None;
        } else {
            segments.last_mut().expect("never empty").1.push_str(line);
        }
    }
    let parsed = yaml_documents(text);
    let content = |body: &str| body.lines().any(|l| !(l.trim().is_empty() || l.trim_start().starts_with('#')));
    let mut out = Vec::new();
    let mut number = 0;
    for (i, (separator, body)) in segments.into_iter().enumerate() {
        let is_document = i > 0 || content(&body);
        let document = is_document.then(|| {
            number += 1;
            number
        });
        if let Some(n) = document {
            let here = if content(&body) { parse_yaml(&body)? } else { Value::Null };
            if parsed.get(n - 1) != Some(&here) {
                return None;
            }
        }
        out.push(Segment { document, text: format!("{separator}{body}"), separator, body });
    }
    (number == parsed.len()).then_some(out)
}

/// Applies a patch of additions under mappings to YAML text; `None` when a change is not of
/// that kind or the place cannot be found with certainty.
fn edit_text(body: &str, patch: &Patch) -> Option<String> {
    let mut lines: Vec<String> = body.lines().map(str::to_string).collect();
    for op in patch.iter() {
        let PatchOperation::Add(add) = op else { return None };
        let tokens: Vec<String> = add.path.tokens().map(|t| t.decoded().into_owned()).collect();
        let (key, parents) = tokens.split_last()?;
        if tokens.iter().any(|t| t == "-" || t.parse::<usize>().is_ok()) {
            return None;
        }
        match find_mapping(&lines, parents)? {
            Place::Block { after, indent } => {
                let rendered = serde_yaml_ng::to_string(&serde_json::json!({ key.as_str(): add.value })).ok()?;
                let pad = " ".repeat(indent);
                let new: Vec<String> = rendered.lines().map(|l| format!("{pad}{l}")).collect();
                lines.splice(after..after, new);
            }
            Place::Flow { line, close, empty } => {
                let value = flow(&add.value)?;
                let key = flow_key(key)?;
                let sep = if empty { " " } else { ", " };
                let text = &mut lines[line];
                let before = text[..close].trim_end().to_string();
                *text = format!("{before}{sep}{key}: {value} {}", &text[close..]);
            }
        }
    }
    let mut out = lines.join("\n");
    if body.ends_with('\n') {
        out.push('\n');
    }
    Some(out)
}

/// A key as a plain YAML scalar when it can be one, else quoted.
fn flow_key(key: &str) -> Option<String> {
    if key.chars().all(|c| c.is_ascii_alphanumeric() || "./-_".contains(c)) {
        Some(key.to_string())
    } else {
        serde_json::to_string(key).ok()
    }
}

/// A value in YAML flow style: `{ key: "text" }` for a mapping of strings, JSON otherwise
/// (which YAML reads as flow style too).
fn flow(value: &Value) -> Option<String> {
    match value {
        Value::Object(map) if map.values().all(Value::is_string) => {
            let entries: Option<Vec<String>> = map
                .iter()
                .map(|(k, v)| Some(format!("{}: {}", flow_key(k)?, serde_json::to_string(v).ok()?)))
                .collect();
            Some(format!("{{ {} }}", entries?.join(", ")))
        }
        other => serde_json::to_string(other).ok(),
    }
}

/// Where to add a key to a mapping.
enum Place {
    /// A block mapping: insert lines before line `after`, at `indent`.
    Block { after: usize, indent: usize },
    /// A one-line flow mapping on `line`, whose closing brace is at byte `close`.
    Flow { line: usize, close: usize, empty: bool },
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

/// The value part of `key: value # comment`, without the comment; `None` when a quote makes
/// that uncertain.
fn value_part(rest: &str) -> Option<&str> {
    match rest.find('#') {
        Some(_) if rest.contains(['"', '\'']) => None,
        Some(i) if i == 0 || rest[..i].ends_with(' ') => Some(rest[..i].trim()),
        _ => Some(rest.trim()),
    }
}

fn find_mapping(lines: &[String], path: &[String]) -> Option<Place> {
    let (mut start, mut end, mut indent) = (0, lines.len(), 0);
    if !lines.iter().any(|l| is_content(l) && indent_of(l) == 0) {
        return None;
    }
    for (depth, token) in path.iter().enumerate() {
        let prefix = format!("{token}:");
        let at = (start..end).find(|&i| {
            let line = &lines[i];
            indent_of(line) == indent
                && line[indent..].starts_with(&prefix)
                && line[indent + prefix.len()..].chars().next().is_none_or(|c| c == ' ')
        })?;
        let line = &lines[at];
        let value = value_part(&line[indent + prefix.len()..])?;
        if value.starts_with('{') {
            if depth + 1 != path.len()
                || !value.ends_with('}')
                || value.matches('{').count() != value.matches('}').count()
            {
                return None;
            }
            let close = line.rfind('}')?;
            let open = line[..close].find('{')?;
            let empty = line[open + 1..close].trim().is_empty();
            return Some(Place::Flow { line: at, close, empty });
        }
        if !value.is_empty() {
            return None;
        }
        let block_end = (at + 1..end).find(|&i| is_content(&lines[i]) && indent_of(&lines[i]) <= indent).unwrap_or(end);
        let first = (at + 1..block_end).find(|&i| is_content(&lines[i]))?;
        if lines[first].trim_start().starts_with("- ") {
            return None;
        }
        (start, end, indent) = (first, block_end, indent_of(&lines[first]));
    }
    let last = (start..end).rev().find(|&i| is_content(&lines[i]))?;
    Some(Place::Block { after: last + 1, indent })
}
