//! `sovereign fix`: the pinning the mutating webhook would apply (SPEC §15), written into the
//! manifests, so the fix lands in Git and not only in the cluster.
//!
//! A YAML document is edited as text where the change is an addition under block or
//! one-line flow mappings (the usual case: an `affinity:` block added to a pod spec, the
//! annotation added to `metadata`), so comments, key order and quoting stay as they were; the
//! edit is checked by parsing it back. Any other change (intersecting an existing affinity
//! term, items of a `kind: List`, JSON files) rewrites that one document from its parsed form,
//! which keeps its leading comments but not comments inside it.

mod apply;
mod documents;
mod summary;
mod text_edit;

use std::path::PathBuf;

use self::apply::fix_file;
use self::documents::{is_json, read_sources};
use super::check::{CheckError, compile_policies};
use crate::evaluate::Pinned;
use crate::files;
use crate::manifest;

pub use self::summary::{printed, summary};

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
