//! Additions under YAML mappings made in the text itself, so comments, key order and quoting
//! stay as they were: a block mapping gets indented lines, a one-line flow mapping an entry.

use json_patch::{Patch, PatchOperation};
use serde_json::Value;

/// Applies a patch of additions under mappings to YAML text; `None` when a change is not of
/// that kind or the place cannot be found with certainty.
pub(super) fn edit_text(body: &str, patch: &Patch) -> Option<String> {
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
