//! The JSON Patch that pins: requirements ANDed into (or intersected with) each required
//! node-affinity term of a pod spec, and the annotation that records it.

use std::collections::BTreeSet;

use json_patch::jsonptr::PointerBuf;
use json_patch::{AddOperation, PatchOperation, RemoveOperation, ReplaceOperation};
use serde_json::{Map, Value, json};

use super::{AFFINITY_PATH, Confinements, Exclusions, PINNED_ANNOTATION, Refusal};

pub(super) fn lookup<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key)).filter(|v| !v.is_null())
}

pub(super) fn pointer(path: &[&str]) -> PointerBuf {
    PointerBuf::from_tokens(path.iter().copied())
}

pub(super) fn child(base: &PointerBuf, tokens: &[&str]) -> PointerBuf {
    let mut out = base.clone();
    for t in tokens {
        out.push_back(*t);
    }
    out
}

pub(super) fn add(path: PointerBuf, value: Value) -> PatchOperation {
    PatchOperation::Add(AddOperation { path, value })
}

pub(super) fn requirement(key: &str, regions: &BTreeSet<String>) -> Value {
    json!({ "key": key, "operator": "In", "values": regions.iter().collect::<Vec<_>>() })
}

pub(super) fn not_in(key: &str, values: &BTreeSet<String>) -> Value {
    json!({ "key": key, "operator": "NotIn", "values": values.iter().collect::<Vec<_>>() })
}

/// The operations that pin the pod spec at `base`, or why it cannot be pinned.
pub(crate) fn affinity_ops(
    spec: &Value,
    base: &PointerBuf,
    confine: &Confinements,
    exclude: &Exclusions,
) -> Result<Vec<PatchOperation>, Refusal> {
    let fresh_term = || {
        let ins = confine.iter().map(|(k, r)| requirement(k, r));
        let not_ins = exclude.iter().map(|(k, z)| not_in(k, z));
        json!({ "matchExpressions": ins.chain(not_ins).collect::<Vec<_>>() })
    };
    // Walk down to the terms; where the path stops, add the rest of it with one new term.
    let mut current = spec;
    for (depth, key) in AFFINITY_PATH.iter().enumerate() {
        let next = current.get(key).filter(|v| !v.is_null());
        let missing = match next {
            None => true,
            Some(Value::Array(terms)) => depth == AFFINITY_PATH.len() - 1 && terms.is_empty(),
            Some(_) => false,
        };
        if missing {
            let mut value = json!([fresh_term()]);
            for k in AFFINITY_PATH[depth + 1..].iter().rev() {
                value = Value::Object(Map::from_iter([(k.to_string(), value)]));
            }
            return Ok(vec![add(child(base, &AFFINITY_PATH[..=depth]), value)]);
        }
        current = next.expect("not missing");
        if !current.is_object() && depth < AFFINITY_PATH.len() - 1 {
            return Err(Refusal::Shape(format!("its {} is not an object", AFFINITY_PATH[..=depth].join("."))));
        }
    }
    let Value::Array(terms) = current else {
        return Err(Refusal::Shape("its nodeSelectorTerms is not a list".into()));
    };
    let terms_path = child(base, &AFFINITY_PATH);
    let mut ops = Vec::new();
    let mut dropped = Vec::new();
    let mut survivors = 0usize;
    for (i, term) in terms.iter().enumerate() {
        let index = i.to_string();
        match narrow_term(term, &child(&terms_path, &[&index]), confine, exclude) {
            TermEdit::Empty => {}
            TermEdit::Dropped => dropped.push(i),
            TermEdit::Kept(term_ops) => {
                survivors += 1;
                ops.extend(term_ops);
            }
        }
    }
    if survivors == 0 {
        return Err(Refusal::EveryTermOutside);
    }
    for i in dropped.into_iter().rev() {
        ops.push(PatchOperation::Remove(RemoveOperation { path: child(&terms_path, &[&i.to_string()]) }));
    }
    Ok(ops)
}

pub(super) enum TermEdit {
    /// A term with no requirement, which matches no node: left as it is.
    Empty,
    /// No allowed region satisfies the term: it is removed.
    Dropped,
    /// The operations that narrow the term (none when it is narrow enough).
    Kept(Vec<PatchOperation>),
}

pub(super) fn array<'v>(term: &'v Value, key: &str) -> &'v [Value] {
    term.get(key).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default()
}

/// Narrows one term: requirements on a confined label are intersected with the allowed
/// regions (one `In` in place of them), labels it does not mention get an `In` appended;
/// excluded values the term does not already keep out get a `NotIn` appended.
pub(super) fn narrow_term(term: &Value, path: &PointerBuf, confine: &Confinements, exclude: &Exclusions) -> TermEdit {
    let exprs = array(term, "matchExpressions");
    if exprs.is_empty() && array(term, "matchFields").is_empty() {
        return TermEdit::Empty;
    }
    let exprs_path = child(path, &["matchExpressions"]);
    let mut replaces = Vec::new();
    let mut removes = Vec::new();
    let mut appends = Vec::new();
    for (label, allowed) in confine {
        let on_label: Vec<usize> =
            (0..exprs.len()).filter(|&j| exprs[j].get("key").and_then(Value::as_str) == Some(label)).collect();
        let Some(&first) = on_label.first() else {
            appends.push(requirement(label, allowed));
            continue;
        };
        let kept: BTreeSet<String> =
            allowed.iter().filter(|r| on_label.iter().all(|&j| admits(&exprs[j], r))).cloned().collect();
        if kept.is_empty() {
            return TermEdit::Dropped;
        }
        let already = on_label.len() == 1 && {
            let e = &exprs[first];
            let values: BTreeSet<&str> = array(e, "values").iter().filter_map(Value::as_str).collect();
            e.get("operator").and_then(Value::as_str) == Some("In")
                && values == kept.iter().map(String::as_str).collect()
        };
        if !already {
            replaces.push(PatchOperation::Replace(ReplaceOperation {
                path: child(&exprs_path, &[&first.to_string()]),
                value: requirement(label, &kept),
            }));
            removes.extend(on_label[1..].iter().copied());
        }
    }
    for (label, values) in exclude {
        let on_label: Vec<&Value> =
            exprs.iter().filter(|e| e.get("key").and_then(Value::as_str) == Some(label)).collect();
        let admitted: BTreeSet<String> =
            values.iter().filter(|v| on_label.iter().all(|e| admits(e, v))).cloned().collect();
        if !admitted.is_empty() {
            appends.push(not_in(label, &admitted));
        }
    }
    let mut ops = replaces;
    removes.sort_unstable();
    for j in removes.into_iter().rev() {
        ops.push(PatchOperation::Remove(RemoveOperation { path: child(&exprs_path, &[&j.to_string()]) }));
    }
    if term.get("matchExpressions").and_then(Value::as_array).is_none() && !appends.is_empty() {
        ops.push(add(exprs_path, Value::Array(appends)));
    } else {
        ops.extend(appends.into_iter().map(|a| add(child(&exprs_path, &["-"]), a)));
    }
    TermEdit::Kept(ops)
}

/// Whether a node whose label has the value `region` satisfies the requirement (on that label).
pub(super) fn admits(requirement: &Value, region: &str) -> bool {
    let values: Vec<&str> = array(requirement, "values").iter().filter_map(Value::as_str).collect();
    let number = |s: &str| s.parse::<i64>().ok();
    match requirement.get("operator").and_then(Value::as_str).unwrap_or_default() {
        "In" => values.contains(&region),
        "NotIn" => !values.contains(&region),
        "Exists" => true,
        "DoesNotExist" => false,
        op @ ("Gt" | "Lt") => match (number(region), values.first().and_then(|b| number(b))) {
            (Some(v), Some(bound)) => (op == "Gt" && v > bound) || (op == "Lt" && v < bound),
            _ => false,
        },
        // An operator the API server would not accept: keep nothing rather than guess.
        _ => false,
    }
}

/// Sets the annotation on the metadata at `path`, creating what is missing; `None` when it
/// already has that value.
pub(super) fn annotation_op(value: &Value, path: &[&str], note: &str) -> Option<PatchOperation> {
    let meta = lookup(value, path);
    let annotations = meta.and_then(|m| m.get("annotations")).filter(|a| a.is_object());
    if annotations.and_then(|a| a.get(PINNED_ANNOTATION)).and_then(Value::as_str) == Some(note) {
        return None;
    }
    let entry = || Value::Object(Map::from_iter([(PINNED_ANNOTATION.to_string(), Value::String(note.to_string()))]));
    Some(match (meta.filter(|m| m.is_object()), annotations) {
        (None, _) => add(pointer(path), json!({ "annotations": entry() })),
        (Some(_), None) => add(child(&pointer(path), &["annotations"]), entry()),
        (Some(_), Some(_)) => {
            add(child(&pointer(path), &["annotations", PINNED_ANNOTATION]), Value::String(note.into()))
        }
    })
}
