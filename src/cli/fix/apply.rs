//! The pinning applied to a file: each document's JSON Patch, edited into the YAML text where
//! it can be, else the document rewritten from its patched value.

use json_patch::PatchOperation;
use serde_json::Value;

use super::documents::{is_json, leading_comments, parse_yaml, split_documents, to_yaml, yaml_documents};
use super::text_edit::edit_text;
use super::{FixError, FixNote};
use crate::cli::check::CheckError;
use crate::evaluate::{Context, Object, PinOutcome, Pinning, pin};
use crate::inventory::Inventory;
use crate::manifest::Document;
use crate::policy::PolicySet;

/// A pinning to apply to one document (`item`: within a List or array document).
struct Edit {
    document: usize,
    item: Option<usize>,
    pinning: Pinning,
}

/// The file's text with every document's pinning applied; `notes` gets what was pinned or
/// refused, and which documents were rewritten whole.
pub(super) fn fix_file(
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
