//! Reading Kubernetes objects from files, directories and stdin: multi-document YAML or
//! JSON, with `kind: List` expanded (so `kubectl get ... -o yaml` output works as input).

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

/// One object and where it came from.
#[derive(Clone, Debug)]
pub struct Document {
    pub origin: Origin,
    pub value: Value,
}

/// A file and the position of an object in it, for error messages.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub path: String,
    /// 1-based document number within the file.
    pub document: usize,
    /// 1-based item number within a `kind: List` document.
    pub item: Option<usize>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, document {}", self.path, self.document)?;
        if let Some(item) = self.item {
            write!(f, ", item {item}")?;
        }
        Ok(())
    }
}

/// A file or document that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, document {document}: {message}")]
    Syntax { path: String, document: usize, message: String },
    #[error("{origin}: {message}")]
    Shape { origin: Origin, message: String },
    #[error("{path}: no .yaml, .yml or .json files found")]
    Empty { path: String },
}

/// Reads every object from the given paths, in order (directories recursively, sorted).
pub fn load(paths: &[PathBuf]) -> Result<Vec<Document>, ManifestError> {
    let mut docs = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| ManifestError::Io { path: "-".into(), source })?;
            parse_text("(stdin)", &text, false, &mut docs)?;
        } else if path.is_dir() {
            let mut files = Vec::new();
            collect_files(path, &mut files)?;
            if files.is_empty() {
                return Err(ManifestError::Empty { path: path.display().to_string() });
            }
            for file in files {
                load_file(&file, &mut docs)?;
            }
        } else {
            load_file(path, &mut docs)?;
        }
    }
    Ok(docs)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
    let io = |source| ManifestError::Io { path: dir.display().to_string(), source };
    let mut entries: Vec<PathBuf> =
        fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
    entries.sort();
    for entry in entries {
        if entry.is_dir() {
            collect_files(&entry, out)?;
        } else if entry.extension().and_then(|e| e.to_str()).is_some_and(|e| matches!(e, "yaml" | "yml" | "json")) {
            out.push(entry);
        }
    }
    Ok(())
}

fn load_file(path: &Path, docs: &mut Vec<Document>) -> Result<(), ManifestError> {
    let name = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| ManifestError::Io { path: name.clone(), source })?;
    let json = path.extension().is_some_and(|e| e == "json");
    parse_text(&name, &text, json, docs)
}

/// Parses a stream of YAML documents, or of JSON values when `json` (or when the text
/// starts like JSON).
pub fn parse_text(path: &str, text: &str, json: bool, docs: &mut Vec<Document>) -> Result<(), ManifestError> {
    let looks_json = json || text.trim_start().starts_with(['{', '[']);
    let mut values = Vec::new();
    if looks_json {
        for (i, value) in serde_json::Deserializer::from_str(text).into_iter::<Value>().enumerate() {
            let value = value.map_err(|e| ManifestError::Syntax {
                path: path.into(),
                document: i + 1,
                message: e.to_string(),
            })?;
            values.push(value);
        }
    } else {
        for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
            let value = Value::deserialize(doc).map_err(|e| ManifestError::Syntax {
                path: path.into(),
                document: i + 1,
                message: e.to_string(),
            })?;
            values.push(value);
        }
    }
    for (i, value) in values.into_iter().enumerate() {
        let document = i + 1;
        let origin = |item| Origin { path: path.to_string(), document, item };
        match value {
            Value::Null => continue,
            Value::Array(items) => push_items(items, &origin, docs)?,
            Value::Object(ref map) if map.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List")) => {
                let Some(Value::Array(items)) = map.get("items").cloned() else {
                    return Err(ManifestError::Shape {
                        origin: origin(None),
                        message: "a List needs an items array".into(),
                    });
                };
                push_items(items, &origin, docs)?;
            }
            Value::Object(_) => {
                check_object(&value, origin(None))?;
                docs.push(Document { origin: origin(None), value });
            }
            _ => {
                return Err(ManifestError::Shape {
                    origin: origin(None),
                    message: "expected a Kubernetes object (a mapping with apiVersion and kind)".into(),
                });
            }
        }
    }
    Ok(())
}

fn push_items(
    items: Vec<Value>,
    origin: &dyn Fn(Option<usize>) -> Origin,
    docs: &mut Vec<Document>,
) -> Result<(), ManifestError> {
    for (j, item) in items.into_iter().enumerate() {
        let at = origin(Some(j + 1));
        check_object(&item, at.clone())?;
        docs.push(Document { origin: at, value: item });
    }
    Ok(())
}

fn check_object(value: &Value, origin: Origin) -> Result<(), ManifestError> {
    let field = |name: &str| value.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    if !value.is_object() {
        return Err(ManifestError::Shape { origin, message: "expected a Kubernetes object".into() });
    }
    if field("kind").is_none() {
        return Err(ManifestError::Shape { origin, message: "the object has no kind".into() });
    }
    if field("apiVersion").is_none() {
        return Err(ManifestError::Shape { origin, message: "the object has no apiVersion".into() });
    }
    Ok(())
}
