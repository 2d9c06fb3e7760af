//! The manifest files and their documents: reading the files, splitting a YAML stream at its
//! `---` lines, and parsing or serializing one document.

use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use super::FixError;
use crate::manifest::{self, ManifestError};

pub(super) fn is_json(name: &str, text: &str) -> bool {
    name.ends_with(".json") || text.trim_start().starts_with(['{', '['])
}

/// The files behind a path: stdin, a file, or a directory's YAML and JSON files (sorted).
pub(super) fn read_sources(path: &Path, out: &mut Vec<(String, String)>) -> Result<(), ManifestError> {
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

pub(super) fn to_yaml(name: &str, document: usize, value: &Value) -> Result<String, FixError> {
    serde_yaml_ng::to_string(value).map_err(|e| FixError::Serialize {
        path: name.into(),
        document,
        message: e.to_string(),
    })
}

pub(super) fn parse_yaml(text: &str) -> Option<Value> {
    let mut docs = serde_yaml_ng::Deserializer::from_str(text);
    let value = Value::deserialize(docs.next()?).ok()?;
    docs.next().is_none().then_some(value)
}

pub(super) fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml_ng::Deserializer::from_str(text).filter_map(|d| Value::deserialize(d).ok()).collect()
}

/// The comment and blank lines a document starts with.
pub(super) fn leading_comments(body: &str) -> String {
    body.lines()
        .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A stretch of a YAML file: its `---` line (if any), and the text up to the next one.
pub(super) struct Segment {
    /// 1-based document number, as `check` counts them; `None` for a stretch of comments
    /// before the first `---`, which is no document.
    pub document: Option<usize>,
    pub separator: String,
    pub body: String,
    /// `separator` + `body`, exactly as in the file.
    pub text: String,
}

/// Splits a YAML stream at its `---` lines, checking that each stretch parses to the
/// document the YAML parser numbers alike; `None` when they disagree.
pub(super) fn split_documents(text: &str) -> Option<Vec<Segment>> {
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
