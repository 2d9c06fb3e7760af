//! Standalone mode: policies and inventory from files, re-read when they change.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::files::{self, FileError};
use crate::inventory::Inventory;
use crate::policy::PolicySet;
use crate::state::State;

/// Reads the files once.
pub fn load(policies: &[PathBuf], inventory: &[PathBuf]) -> Result<(PolicySet, Inventory), FileError> {
    let read = files::read_policies(policies)?;
    let exceptions: Vec<_> = files::read_exceptions(policies)?.into_iter().map(|(e, _)| e).collect();
    let set = PolicySet::compile(&read.into_iter().map(|(p, _)| p).collect::<Vec<_>>()).with_exceptions(&exceptions);
    Ok((set, files::read_inventory(inventory)?))
}

/// Size and modification time of every file under the paths: a change in any means reload.
fn fingerprint(paths: &[PathBuf]) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    fn walk(path: &Path, out: &mut Vec<(PathBuf, u64, Option<SystemTime>)>) {
        let Ok(meta) = std::fs::metadata(path) else {
            out.push((path.to_path_buf(), u64::MAX, None));
            return;
        };
        if meta.is_dir() {
            let mut entries: Vec<PathBuf> =
                std::fs::read_dir(path).into_iter().flatten().flatten().map(|e| e.path()).collect();
            entries.sort();
            for entry in entries {
                walk(&entry, out);
            }
        } else {
            out.push((path.to_path_buf(), meta.len(), meta.modified().ok()));
        }
    }
    let mut out = Vec::new();
    for path in paths {
        walk(path, &mut out);
    }
    out
}

/// Polls the files; on a change, reloads both sets and swaps them in. A reload that fails
/// (a half-written file) is logged and the previous state keeps serving.
pub async fn watch(policies: Vec<PathBuf>, inventory: Vec<PathBuf>, state: Arc<State>, every: Duration) {
    let all: Vec<PathBuf> = policies.iter().chain(&inventory).cloned().collect();
    let mut last = fingerprint(&all);
    loop {
        tokio::time::sleep(every).await;
        let now = fingerprint(&all);
        if now == last {
            continue;
        }
        last = now;
        match load(&policies, &inventory) {
            Ok((set, inv)) => {
                tracing::info!(policies = set.policies.len(), rejected = set.rejected.len(), "files changed; reloaded");
                state.swap_policies(set);
                *state.write_inventory() = inv;
            }
            Err(e) => {
                state.metrics.error("reload");
                tracing::error!(error = %e, "files changed but could not be read; keeping the previous state");
            }
        }
    }
}
