//! Computing and publishing diagnostics: debounced per folder, versioned, never stale.

use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_lsp::Client;

use super::convert;
use super::state::State;
use crate::features::diagnostics::file_diagnostics;
use crate::model::source::SourceFile;
use crate::model::text::Encoding;
use crate::model::workspace::{DltFolder, Snapshot};

/// Schedules a diagnosis of `dir`; a later call supersedes it.
///
/// Debounced on both edges: a change after a quiet spell (none in the folder for the debounce
/// delay) is diagnosed at once, and changes that follow it within the delay wait until the delay
/// has passed since their arrival (`since`), so a burst still ends in one diagnosis of its last
/// state. Waiting on the first change too cost every single edit the whole delay (issue 7).
///
/// The delay counts from the change's arrival, not from the end of its re-parse: on a large file
/// the parse itself takes longer than the debounce, and waiting the delay again on top of it only
/// added latency.
pub fn schedule(state: &Arc<State>, client: &Client, dir: PathBuf, force: bool, since: Instant) {
    let generation = state.next_generation(&dir);
    let delay = Duration::from_millis(state.settings().diagnostics_debounce_ms);
    let previous = state.last_change.insert(dir.clone(), since);
    let quiet = previous.is_none_or(|p| since.saturating_duration_since(p) >= delay);
    let (state, client) = (state.clone(), client.clone());
    tokio::spawn(async move {
        if !quiet {
            tokio::time::sleep_until((since + delay).into()).await;
        }
        if state.generation(&dir) != generation {
            return; // a newer edit will publish
        }
        publish_folder(&state, &client, &dir, force).await;
    });
}

/// Diagnoses one folder now and publishes what changed (everything when `force`).
pub async fn publish_folder(state: &Arc<State>, client: &Client, dir: &Path, force: bool) {
    publish_folders(state, client, vec![dir.to_path_buf()], force).await;
}

/// Diagnoses folders now, all at once (indexing publishes a whole batch so: a task per folder
/// cost a thread hand-off each), and publishes what changed. The files open in the editor are
/// diagnosed and published first, before their folders' other files: the user is looking at them,
/// and a keystroke's diagnostics then wait for one file's rules, not a whole folder's.
pub async fn publish_folders(state: &Arc<State>, client: &Client, dirs: Vec<PathBuf>, force: bool) {
    let dirs = Arc::new(dirs);
    for open in [true, false] {
        let Some(results) = diagnose_files(state, &dirs, open).await else {
            return;
        };
        publish_results(state, client, results, force).await;
    }
}

/// The findings of the open (`open`) or the other files of `dirs`; `None` if the diagnosis was
/// lost (the runtime is shutting down).
async fn diagnose_files(
    state: &Arc<State>,
    dirs: &Arc<Vec<PathBuf>>,
    open: bool,
) -> Option<Converted> {
    let enc = state.encoding();
    let snap = state.snapshot();
    // A small workspace is diagnosed in place: the hand-off to a blocking thread and back cost
    // more than the diagnosis itself (a typical `.dlt` folder takes ~0.1 ms).
    let bytes: usize = dirs
        .iter()
        .filter_map(|d| snap.folders.get(d))
        .flat_map(|f| f.files.values())
        .filter(|f| f.version.is_some() == open)
        .map(|f| f.text.len())
        .sum();
    if bytes <= INLINE_DIAGNOSIS_BYTES {
        return Some(diagnose_all(&snap, dirs, enc, open));
    }
    let dirs = dirs.clone();
    tokio::task::spawn_blocking(move || diagnose_all(&snap, &dirs, enc, open))
        .await
        .ok()
}

/// Publishes what changed of `results` (everything when `force`).
async fn publish_results(state: &Arc<State>, client: &Client, results: Converted, force: bool) {
    for (file, diags) in results {
        let Some(uri) = convert::url(&file.path) else {
            continue;
        };
        let fingerprint = fingerprint(&diags, file.version);
        // Checked under the lock: two diagnoses of the same state (a debounced edit and the
        // indexer) must publish once.
        let _ordered = state.publish_lock.lock().await;
        let unchanged = state
            .published
            .get(&file.path)
            .is_some_and(|f| *f == fingerprint);
        if unchanged && !force {
            continue;
        }
        // A newer edit of this document superseded this result.
        let current = state.documents.get(&file.path).map(|d| d.version);
        if current.is_some() && current != file.version {
            continue;
        }
        state.published.insert(file.path.clone(), fingerprint);
        tracing::debug!(
            "publishing {} diagnostics of {} (version {:?})",
            diags.len(),
            file.name,
            file.version
        );
        client.publish_diagnostics(uri, diags, file.version).await;
        drop(_ordered);
        // A batch of indexing publishes hundreds of files: let a request or an edit that came
        // meanwhile have its answer queued before the rest of the batch.
        tokio::task::yield_now().await;
    }
}

/// Folders up to this many bytes of TOML are diagnosed on the async thread.
const INLINE_DIAGNOSIS_BYTES: usize = 64 * 1024;

type Converted = Vec<(Arc<SourceFile>, Vec<tower_lsp::lsp_types::Diagnostic>)>;

/// The findings of the open (`open`) or the other files of `dirs`; a folder whose diagnosis
/// panics keeps its previous diagnostics.
fn diagnose_all(snap: &Snapshot, dirs: &[PathBuf], enc: Encoding, open: bool) -> Converted {
    let mut results = Vec::new();
    for dir in dirs {
        let Some(folder) = snap.folders.get(dir) else {
            continue;
        };
        let diagnosed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            diagnose(snap, folder, enc, open)
        }));
        match diagnosed {
            Ok(r) => results.extend(r),
            Err(_) => tracing::error!(
                "diagnosing {} failed; keeping the previous diagnostics",
                dir.display()
            ),
        }
    }
    results
}

/// The findings of a folder's open (`open`) or other files, converted for the client.
fn diagnose(snap: &Snapshot, folder: &DltFolder, enc: Encoding, open: bool) -> Converted {
    let lookup = |p: &Path| snap.file(p).map(|(_, f)| f.clone());
    folder
        .files
        .values()
        .filter(|file| file.version.is_some() == open)
        .map(|file| {
            let converted = file_diagnostics(snap, folder, file)
                .iter()
                .map(|d| convert::diagnostic(file, d, enc, lookup))
                .collect();
            (file.clone(), converted)
        })
        .collect()
}

/// Clears the diagnostics of a file that no longer exists.
pub async fn clear(state: &State, client: &Client, path: &std::path::Path) {
    if state.published.remove(path).is_some() {
        if let Some(uri) = convert::url(path) {
            client.publish_diagnostics(uri, Vec::new(), None).await;
        }
    }
}

fn fingerprint(diags: &[tower_lsp::lsp_types::Diagnostic], version: Option<i32>) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    version.hash(&mut h);
    serde_json::to_string(diags)
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}
