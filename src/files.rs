//! Policies and inventory read from files: shared by `check` and standalone `serve`.

use std::path::PathBuf;

use crate::inventory::Inventory;
use crate::manifest::{self, Document, ManifestError, Origin};
use crate::policy::{SovereigntyException, SovereigntyPolicy};

/// A file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error("{origin}: {message}")]
    Document { origin: Origin, message: String },
}

/// Every SovereigntyPolicy in the paths, with where each came from (SovereigntyExceptions
/// beside them are read by [`read_exceptions`]).
pub fn read_policies(paths: &[PathBuf]) -> Result<Vec<(SovereigntyPolicy, Origin)>, FileError> {
    manifest::load(paths)?.into_iter().filter(|d| !is_exception(d)).map(parse_policy).collect()
}

/// Every SovereigntyException in the paths (SPEC §14: exceptions are given with `-p`,
/// beside the policies they relax).
pub fn read_exceptions(paths: &[PathBuf]) -> Result<Vec<(SovereigntyException, Origin)>, FileError> {
    let mut out = Vec::new();
    for doc in manifest::load(paths)?.into_iter().filter(is_exception) {
        match serde_json::from_value(doc.value) {
            Ok(exception) => out.push((exception, doc.origin)),
            Err(e) => {
                return Err(FileError::Document {
                    origin: doc.origin,
                    message: format!("not a valid SovereigntyException: {e}"),
                });
            }
        }
    }
    Ok(out)
}

fn is_exception(doc: &Document) -> bool {
    doc.value.get("kind").and_then(|k| k.as_str()) == Some("SovereigntyException")
}

fn parse_policy(doc: Document) -> Result<(SovereigntyPolicy, Origin), FileError> {
    let kind = doc.value.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    if kind != "SovereigntyPolicy" {
        return Err(FileError::Document {
            origin: doc.origin,
            message: format!("expected a SovereigntyPolicy, found {kind}"),
        });
    }
    match serde_json::from_value(doc.value) {
        Ok(policy) => Ok((policy, doc.origin)),
        Err(e) => {
            Err(FileError::Document { origin: doc.origin, message: format!("not a valid SovereigntyPolicy: {e}") })
        }
    }
}

/// Adds every inventory object in the documents; other kinds are skipped.
pub fn add_to_inventory<'a>(
    inventory: &mut Inventory,
    docs: impl IntoIterator<Item = &'a Document>,
) -> Result<(), FileError> {
    for doc in docs {
        inventory
            .add(&doc.value)
            .map_err(|e| FileError::Document { origin: doc.origin.clone(), message: e.to_string() })?;
    }
    Ok(())
}

/// The inventory held in the paths, each object added as it is read.
pub fn read_inventory(paths: &[PathBuf]) -> Result<Inventory, FileError> {
    let mut inventory = Inventory::default();
    manifest::for_each(paths, |doc| add_to_inventory(&mut inventory, [&doc]))?;
    Ok(inventory)
}
