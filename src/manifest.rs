//! Reading Kubernetes objects from files, directories and stdin: multi-document YAML or
//! JSON, with `kind: List` expanded (so `kubectl get ... -o yaml` output works as input).

use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

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
    for_each(paths, |doc| {
        docs.push(doc);
        Ok::<(), ManifestError>(())
    })?;
    Ok(docs)
}

/// Hands every object in the paths to `each`, in order, as soon as it is read: the items
/// of a JSON `kind: List` are read one at a time, so a large inventory file never exists
/// as one tree of values (whose memory the allocator would keep after loading).
pub fn for_each<E: From<ManifestError>>(
    paths: &[PathBuf],
    mut each: impl FnMut(Document) -> Result<(), E>,
) -> Result<(), E> {
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .map_err(|source| ManifestError::Io { path: "-".into(), source })?;
            visit_text("(stdin)", &text, false, &mut each)?;
        } else if path.is_dir() {
            let mut files = Vec::new();
            collect_files(path, &mut files)?;
            if files.is_empty() {
                return Err(ManifestError::Empty { path: path.display().to_string() }.into());
            }
            for file in files {
                visit_file(&file, &mut each)?;
            }
        } else {
            visit_file(path, &mut each)?;
        }
    }
    Ok(())
}

pub(crate) fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ManifestError> {
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

fn visit_file<E: From<ManifestError>>(path: &Path, each: &mut impl FnMut(Document) -> Result<(), E>) -> Result<(), E> {
    let name = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| ManifestError::Io { path: name.clone(), source })?;
    let json = path.extension().is_some_and(|e| e == "json");
    visit_text(&name, &text, json, each)
}

/// Parses a stream of YAML documents, or of JSON values when `json` (or when the text
/// starts like JSON).
pub fn parse_text(path: &str, text: &str, json: bool, docs: &mut Vec<Document>) -> Result<(), ManifestError> {
    visit_text(path, text, json, &mut |doc| {
        docs.push(doc);
        Ok(())
    })
}

fn visit_text<E: From<ManifestError>>(
    path: &str,
    text: &str,
    json: bool,
    each: &mut impl FnMut(Document) -> Result<(), E>,
) -> Result<(), E> {
    let looks_json = json || text.trim_start().starts_with(['{', '[']);
    if looks_json {
        // Check the syntax of the whole file first, keeping each document as text.
        let mut raws = Vec::new();
        for (i, raw) in serde_json::Deserializer::from_str(text).into_iter::<&RawValue>().enumerate() {
            raws.push(raw.map_err(|e| syntax(path, i + 1, e.to_string()))?);
        }
        for (i, raw) in raws.into_iter().enumerate() {
            visit_json(path, i + 1, raw, each)?;
        }
        return Ok(());
    }
    let mut values = Vec::new();
    for (i, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        values.push(Value::deserialize(doc).map_err(|e| syntax(path, i + 1, e.to_string()))?);
    }
    for (i, value) in values.into_iter().enumerate() {
        let document = i + 1;
        let origin = |item| Origin { path: path.to_string(), document, item };
        match value {
            Value::Null => continue,
            Value::Array(items) => push_items(items, &origin, each)?,
            Value::Object(mut map) if map.get("kind").and_then(Value::as_str).is_some_and(|k| k.ends_with("List")) => {
                let Some(Value::Array(items)) = map.remove("items") else {
                    return Err(list_without_items(origin(None)).into());
                };
                push_items(items, &origin, each)?;
            }
            value @ Value::Object(_) => {
                check_object(&value, origin(None))?;
                each(Document { origin: origin(None), value })?;
            }
            _ => return Err(not_an_object(origin(None)).into()),
        }
    }
    Ok(())
}

/// The top of a JSON document, its items left as text.
#[derive(Deserialize)]
struct JsonHead<'a> {
    #[serde(borrow, default)]
    kind: Option<&'a RawValue>,
    #[serde(borrow, default)]
    items: Option<&'a RawValue>,
}

/// One JSON document: an object, an array of objects, or a List whose items are read
/// one at a time.
fn visit_json<E: From<ManifestError>>(
    path: &str,
    document: usize,
    raw: &RawValue,
    each: &mut impl FnMut(Document) -> Result<(), E>,
) -> Result<(), E> {
    let origin = |item| Origin { path: path.to_string(), document, item };
    let text = raw.get();
    let items = if text.starts_with('[') {
        Some(text)
    } else if text.starts_with('{') {
        let head: JsonHead = serde_json::from_str(text).map_err(|e| syntax(path, document, e.to_string()))?;
        let kind = head.kind.and_then(|k| serde_json::from_str::<String>(k.get()).ok());
        if kind.is_some_and(|k| k.ends_with("List")) {
            match head.items.map(RawValue::get) {
                Some(items) if items.starts_with('[') => Some(items),
                _ => return Err(list_without_items(origin(None)).into()),
            }
        } else {
            None
        }
    } else if text == "null" {
        return Ok(());
    } else {
        return Err(not_an_object(origin(None)).into());
    };
    let Some(items) = items else {
        let value: Value = serde_json::from_str(text).map_err(|e| syntax(path, document, e.to_string()))?;
        check_object(&value, origin(None))?;
        return each(Document { origin: origin(None), value });
    };
    let items: Vec<&RawValue> = serde_json::from_str(items).map_err(|e| syntax(path, document, e.to_string()))?;
    for (j, item) in items.into_iter().enumerate() {
        let at = origin(Some(j + 1));
        let value: Value = serde_json::from_str(item.get()).map_err(|e| syntax(path, document, e.to_string()))?;
        check_object(&value, at.clone())?;
        each(Document { origin: at, value })?;
    }
    Ok(())
}

fn syntax(path: &str, document: usize, message: String) -> ManifestError {
    ManifestError::Syntax { path: path.into(), document, message }
}

fn list_without_items(origin: Origin) -> ManifestError {
    ManifestError::Shape { origin, message: "a List needs an items array".into() }
}

fn not_an_object(origin: Origin) -> ManifestError {
    ManifestError::Shape { origin, message: "expected a Kubernetes object (a mapping with apiVersion and kind)".into() }
}

fn push_items<E: From<ManifestError>>(
    items: Vec<Value>,
    origin: &dyn Fn(Option<usize>) -> Origin,
    each: &mut impl FnMut(Document) -> Result<(), E>,
) -> Result<(), E> {
    for (j, item) in items.into_iter().enumerate() {
        let at = origin(Some(j + 1));
        check_object(&item, at.clone())?;
        each(Document { origin: at, value: item })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, json: bool) -> Result<Vec<Document>, ManifestError> {
        let mut docs = Vec::new();
        parse_text("f", text, json, &mut docs).map(|()| docs)
    }

    #[test]
    fn json_and_yaml_lists_give_the_same_items_with_their_positions() {
        let json = r#"{"kind": "Pod", "apiVersion": "v1", "metadata": {"name": "a"}}
            {"items": [{"kind": "Node", "apiVersion": "v1"}, {"kind": "Node", "apiVersion": "v1", "x": [1]}],
             "kind": "NodeList", "apiVersion": "v1"}
            null
            [{"kind": "Namespace", "apiVersion": "v1"}]"#;
        let yaml = "kind: Pod\napiVersion: v1\nmetadata: {name: a}\n---\nitems: [{kind: Node, apiVersion: v1}, {kind: Node, apiVersion: v1, x: [1]}]\nkind: NodeList\napiVersion: v1\n---\n---\n[{kind: Namespace, apiVersion: v1}]\n";
        let (from_json, from_yaml) = (read(json, true).unwrap(), read(yaml, false).unwrap());
        let summary = |docs: &[Document]| -> Vec<(String, Value)> {
            docs.iter().map(|d| (d.origin.to_string(), d.value.clone())).collect()
        };
        assert_eq!(summary(&from_json), summary(&from_yaml));
        let origins: Vec<String> = from_json.iter().map(|d| d.origin.to_string()).collect();
        assert_eq!(
            origins,
            ["f, document 1", "f, document 2, item 1", "f, document 2, item 2", "f, document 4, item 1"]
        );
    }

    #[test]
    fn bad_json_documents_are_named() {
        let err = |text: &str| read(text, true).unwrap_err().to_string();
        assert_eq!(err(r#"{"kind": "List", "apiVersion": "v1"}"#), "f, document 1: a List needs an items array");
        assert!(
            err(r#"{"kind": "List", "items": [{"kind": "Pod"}]}"#)
                .contains("document 1, item 1: the object has no apiVersion")
        );
        assert!(
            err("{\"kind\": \"Pod\", \"apiVersion\": \"v1\"} 7")
                .starts_with("f, document 2: expected a Kubernetes object")
        );
        assert!(err("{\"kind\": \"Pod\", ").starts_with("f, document 1: "));
    }
}
