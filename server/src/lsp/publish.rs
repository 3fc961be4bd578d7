//! Computing and publishing diagnostics: debounced per folder, versioned, never stale.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tower_lsp::lsp_types::notification::PublishDiagnostics;
use tower_lsp::lsp_types::{Diagnostic, PublishDiagnosticsParams};
use tower_lsp::Client;

use super::convert;
use super::state::{Published, State};
use super::transport;
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
pub fn schedule(state: &Arc<State>, client: &Client, dir: PathBuf, since: Instant) {
    let turn = Turn::take(state, &dir, since);
    spawn_passes(state, client, dir, turn, &[true, false]);
}

/// [`schedule`] for a change of an open document, from its handler: after a quiet spell, a
/// small folder's open files are diagnosed and published before this returns, and only its
/// other files in a task. A spawned task first waited behind whatever the runtime had queued
/// (a batch of indexing's publishes, the folder's other files), which cost the first
/// diagnostics of an opened file ~0.2 ms of the ~0.5 ms it takes in all (issue 7).
pub async fn publish_change(state: &Arc<State>, client: &Client, dir: PathBuf, since: Instant) {
    let turn = Turn::take(state, &dir, since);
    let dirs = [dir.clone()];
    let open_bytes = pass_bytes(&folders_of(&state.snapshot(), &dirs), true);
    if !turn.quiet || open_bytes > INLINE_DIAGNOSIS_BYTES {
        spawn_passes(state, client, dir, turn, &[true, false]);
        return;
    }
    if let Some(results) = diagnose_files(state, &dirs, true).await {
        let _outbox = Outbox(state);
        publish_results(state, client, results, &mut Turns::new()).await;
    }
    spawn_passes(state, client, dir, turn, &[false]);
}

/// A diagnosis's place among the changes of its folder.
#[derive(Clone, Copy)]
struct Turn {
    generation: u64,
    since: Instant,
    delay: Duration,
    /// No change in the folder for the debounce delay before this one: diagnosed at once.
    quiet: bool,
}

impl Turn {
    fn take(state: &State, dir: &Path, since: Instant) -> Turn {
        let generation = state.next_generation(dir);
        let delay = Duration::from_millis(state.settings().diagnostics_debounce_ms);
        let previous = state.last_change.insert(dir.to_path_buf(), since);
        let quiet = previous.is_none_or(|p| since.saturating_duration_since(p) >= delay);
        Turn {
            generation,
            since,
            delay,
            quiet,
        }
    }
}

/// Diagnoses and publishes `passes` (open files or not) of `dir` in a task, after the debounce
/// delay unless `turn` is quiet, unless a newer change came meanwhile.
fn spawn_passes(
    state: &Arc<State>,
    client: &Client,
    dir: PathBuf,
    turn: Turn,
    passes: &'static [bool],
) {
    let (state, client) = (state.clone(), client.clone());
    tokio::spawn(async move {
        if !turn.quiet {
            tokio::time::sleep_until((turn.since + turn.delay).into()).await;
        }
        if state.generation(&dir) != turn.generation {
            return; // a newer edit will publish
        }
        publish_passes(&state, &client, vec![dir], passes).await;
    });
}

/// Diagnoses one folder now and publishes what changed.
pub async fn publish_folder(state: &Arc<State>, client: &Client, dir: &Path) {
    publish_folders(state, client, vec![dir.to_path_buf()]).await;
}

/// Turns taken by a long run of diagnoses and publications on the async thread, which also
/// handles the editor's messages: the run lets them in once it has worked [`TURN`] since it last
/// did. Every folder and every publication of indexing yielded at first: 4,000 polls of the
/// runtime's driver (`epoll_wait`) for the 1,000 folders of the monorepo (issue 7).
struct Turns {
    since: Instant,
}

/// How long a run works before it lets waiting messages in: a hover sent meanwhile waits about
/// as long at most, a tenth of a millisecond.
const TURN: Duration = Duration::from_micros(100);

impl Turns {
    fn new() -> Turns {
        Turns {
            since: Instant::now(),
        }
    }

    /// Yields to the runtime if this run has had its turn.
    async fn take(&mut self) {
        if self.since.elapsed() >= TURN {
            self.yield_now().await;
        }
    }

    /// Yields to the runtime now; the next turn counts from here.
    async fn yield_now(&mut self) {
        tokio::task::yield_now().await;
        self.since = Instant::now();
    }
}

/// Diagnoses folders now, in one task (indexing publishes a whole batch so: a task per folder
/// cost a thread hand-off each), and publishes what changed. The files open in the editor are
/// diagnosed and published first, before their folders' other files: the user is looking at them,
/// and a keystroke's diagnostics then wait for one file's rules, not a whole folder's.
pub async fn publish_folders(state: &Arc<State>, client: &Client, dirs: Vec<PathBuf>) {
    publish_passes(state, client, dirs, &[true, false]).await;
}

/// How many published folders go dormant in one update of the snapshot. An update per folder
/// copied and dropped a path of the snapshot's tree each time: 2 % of the instructions of
/// indexing the monorepo (callgrind; issue 7). A few at a time, so that a batch's tables are
/// still let go while it is published.
const REST_TOGETHER: usize = 8;

/// Diagnoses and publishes the open files of `dirs` (pass `true`) or their other files
/// (`false`), in the order of `passes`.
async fn publish_passes(state: &Arc<State>, client: &Client, dirs: Vec<PathBuf>, passes: &[bool]) {
    // What it publishes is written when it ends, also when it is dropped before.
    let _outbox = Outbox(state);
    for &open in passes {
        // A folder at a time, taking turns: the runtime has one thread, and a request or an
        // edit that arrives meanwhile then waits for a turn's work (about one folder's
        // diagnosis), not a whole indexing batch's (~60 folders, several milliseconds; issue 7).
        let mut turns = Turns::new();
        let mut published = Vec::with_capacity(REST_TOGETHER);
        for dir in &dirs {
            let Some(results) = diagnose_files(state, std::slice::from_ref(dir), open).await else {
                return;
            };
            publish_results(state, client, results, &mut turns).await;
            // Published: a folder nobody has open keeps its texts and findings only.
            if !open {
                published.push(dir.clone());
                if published.len() == REST_TOGETHER {
                    state.let_rest(&std::mem::take(&mut published));
                }
            }
            if dirs.len() > 1 {
                turns.take().await;
            }
        }
        state.let_rest(&published);
    }
}

/// The findings of the open (`open`) or the other files of `dirs`; `None` if the diagnosis was
/// lost (the runtime is shutting down).
async fn diagnose_files(state: &Arc<State>, dirs: &[PathBuf], open: bool) -> Option<Converted> {
    let enc = state.encoding();
    let snap = state.snapshot();
    // Looked up once for the size and the diagnosis: a lookup compares paths component by
    // component down the snapshot's tree.
    let folders = folders_of(&snap, dirs);
    // A small workspace is diagnosed in place: the hand-off to a blocking thread and back cost
    // more than the diagnosis itself (a typical `.dlt` folder takes ~0.1 ms).
    if pass_bytes(&folders, open) <= INLINE_DIAGNOSIS_BYTES {
        return Some(diagnose_all(&snap, &folders, enc, open));
    }
    tokio::task::spawn_blocking(move || diagnose_all(&snap, &folders, enc, open))
        .await
        .ok()
}

/// The folders of `dirs` in `snap`.
fn folders_of(snap: &Snapshot, dirs: &[PathBuf]) -> Vec<Arc<DltFolder>> {
    dirs.iter()
        .filter_map(|d| snap.folders.get(d).cloned())
        .collect()
}

/// The bytes of TOML of the open (`open`) or the other files of `folders`.
fn pass_bytes(folders: &[Arc<DltFolder>], open: bool) -> usize {
    folders
        .iter()
        .flat_map(|f| f.files.values())
        .filter(|f| f.version.is_some() == open)
        .map(|f| f.text.len())
        .sum()
}

/// Publishes what changed of `results`: what the client does not show already (see
/// [`super::state::Published`]).
async fn publish_results(
    state: &Arc<State>,
    client: &Client,
    results: Converted,
    turns: &mut Turns,
) {
    for (file, diags) in results {
        let version = file.version;
        let count = diags.len();
        // Most files of a workspace have no findings and were never published: what they
        // show is known without a URI or a serialization (those were 30 % of the instructions
        // of publishing the monorepo's indexing; issue 7).
        let shows_nothing = diags.is_empty() && version.is_none();
        let message = if shows_nothing {
            None
        } else {
            let Some(message) = Message::of(&file.path, diags, version) else {
                continue;
            };
            Some(message)
        };
        let fingerprint = message
            .as_ref()
            .map_or(Published::NOTHING, |m| m.fingerprint);
        // Checked under the lock: two diagnoses of the same state (a debounced edit and the
        // indexer) must publish once.
        let _ordered = state.publish_lock.lock().await;
        if state.published.shows(&file.path, fingerprint) {
            continue;
        }
        // A newer edit of this document superseded this result.
        let current = state.documents.get(&file.path).map(|d| d.version);
        if current.is_some() && current != version {
            continue;
        }
        let Some(message) = message.or_else(|| Message::of(&file.path, Vec::new(), None)) else {
            continue;
        };
        state.published.set(&file.path, fingerprint);
        tracing::debug!(
            "publishing {count} diagnostics of {} (version {version:?})",
            file.name
        );
        message.publish(state, client).await;
        drop(_ordered);
        if version.is_some() {
            // An open document's: let a message that came with the change (the hover sent
            // right after a `didOpen`) be handled now, before the folder's other files, which
            // the caller diagnoses next. Without this yield those came first in every bench
            // run of the monorepo (a hover during indexing 0.78 ms against 0.60, 10 runs each).
            turns.yield_now().await;
        } else {
            // A batch of indexing publishes hundreds of files: let a request or an edit that
            // came meanwhile have its answer queued before the rest of the batch.
            turns.take().await;
        }
    }
}

/// The frames of unversioned publications (files nobody has open), held to be written together
/// when the run that publishes them ends (indexing: a batch of folders), when [`OUTBOX_LIMIT`]
/// bytes are held, or before any other publication. Every publication passes through here, so
/// they keep their order, and what a run is followed by (indexing's progress) comes after them.
/// Sent one by one, indexing's publications woke the writer thread for nearly every one: on the
/// monorepo ~2,000 futex calls and context switches, ~110 and ~140 this way (issue 7).
/// Held by a run of publications, it is written when the run is over or dropped.
struct Outbox<'a>(&'a State);

/// Held frames are written once they reach this size.
const OUTBOX_LIMIT: usize = 64 * 1024;

impl Outbox<'_> {
    /// Holds `frame` for `state`'s output.
    fn hold(state: &State, output: &transport::Output, frame: &[u8]) {
        let mut held = state.outbox.lock().unwrap_or_else(|e| e.into_inner());
        held.extend_from_slice(frame);
        if held.len() >= OUTBOX_LIMIT {
            output.send_gathered(std::mem::take(&mut held));
        }
    }

    /// Writes what `state`'s outbox holds.
    fn flush(state: &State) {
        let Some(output) = state.output.get() else {
            return;
        };
        let mut held = state.outbox.lock().unwrap_or_else(|e| e.into_inner());
        if !held.is_empty() {
            output.send_gathered(std::mem::take(&mut held));
        }
    }
}

impl Drop for Outbox<'_> {
    fn drop(&mut self) {
        Self::flush(self.0);
    }
}

/// A publication, serialized once: its frame is what goes to the client, and its hash what
/// tells it from the last one of its file.
struct Message {
    params: PublishDiagnosticsParams,
    frame: Option<Vec<u8>>,
    fingerprint: u64,
}

impl Message {
    /// The publication of `diagnostics` for the file at `path`; `None` when the path has no
    /// URI.
    fn of(path: &Path, diagnostics: Vec<Diagnostic>, version: Option<i32>) -> Option<Message> {
        let params = PublishDiagnosticsParams::new(convert::url(path)?, diagnostics, version);
        let frame = transport::notification::<PublishDiagnostics>(&params);
        let fingerprint = if params.diagnostics.is_empty() && version.is_none() {
            Published::NOTHING
        } else {
            Published::hash(&frame).max(Published::NOTHING + 1)
        };
        Some(Message {
            params,
            frame,
            fingerprint,
        })
    }

    /// Writes the frame to the server's output (an unversioned one held in the [`Outbox`], a
    /// versioned one after what it holds), or sends the publication through tower-lsp's client
    /// when there is no output.
    async fn publish(self, state: &State, client: &Client) {
        let Some(message) = self.write(state) else {
            return;
        };
        Outbox::flush(state);
        let PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        } = message.params;
        client.publish_diagnostics(uri, diagnostics, version).await;
    }

    /// Writes the frame to the server's output, the part of [`Message::publish`] that needs no
    /// client; gives the message back when there is no output or no frame.
    fn write(self, state: &State) -> Option<Message> {
        let (Some(output), Some(frame)) = (state.output.get(), &self.frame) else {
            return Some(self);
        };
        match self.params.version {
            None => Outbox::hold(state, output, frame),
            Some(_) => {
                Outbox::flush(state);
                output.send(self.frame?);
            }
        }
        None
    }
}

/// Folders up to this many bytes of TOML are diagnosed on the async thread.
const INLINE_DIAGNOSIS_BYTES: usize = 64 * 1024;

type Converted = Vec<(Arc<SourceFile>, Vec<Diagnostic>)>;

/// The findings of the open (`open`) or the other files of `folders`; a folder whose diagnosis
/// panics keeps its previous diagnostics.
fn diagnose_all(
    snap: &Snapshot,
    folders: &[Arc<DltFolder>],
    enc: Encoding,
    open: bool,
) -> Converted {
    let mut results = Vec::new();
    for folder in folders {
        let diagnosed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            diagnose(snap, folder, enc, open)
        }));
        match diagnosed {
            Ok(r) => results.extend(r),
            Err(_) => tracing::error!(
                "diagnosing {} failed; keeping the previous diagnostics",
                folder.dlt_dir.display()
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
    if state.published.forget(path) {
        if let Some(message) = Message::of(path, Vec::new(), None) {
            message.publish(state, client).await;
            Outbox::flush(state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A run lets other tasks in only once it has worked its turn, and then counts anew.
    #[tokio::test(flavor = "current_thread")]
    async fn a_run_yields_once_it_has_had_its_turn() {
        let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let other = |ran: &Arc<std::sync::atomic::AtomicUsize>| {
            let ran = ran.clone();
            tokio::spawn(async move { ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst) })
        };
        let runs = |ran: &Arc<std::sync::atomic::AtomicUsize>| {
            ran.load(std::sync::atomic::Ordering::SeqCst)
        };
        // Its turn has not begun yet (a start in the future): no yield.
        let mut fresh = Turns {
            since: Instant::now() + Duration::from_secs(60),
        };
        let _waiting = other(&ran);
        fresh.take().await;
        assert_eq!(
            runs(&ran),
            0,
            "a task that still has its turn keeps the thread"
        );
        // Worked longer than a turn: the waiting task runs, and the next turn starts now.
        let mut worn = Turns {
            since: Instant::now() - 2 * TURN,
        };
        let before = Instant::now();
        worn.take().await;
        assert_eq!(runs(&ran), 1, "the waiting task ran");
        assert!(worn.since >= before, "the next turn counts from the yield");
        // An open file's publication always lets the messages that came meanwhile go first.
        let _next = other(&ran);
        fresh.yield_now().await;
        assert_eq!(runs(&ran), 2);
    }

    /// What a sink written by the writer thread has received.
    #[derive(Clone, Default)]
    struct Received(Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Received {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Received {
        /// The paths of the publications received so far, in order.
        async fn paths(&self, output: &transport::Output) -> Vec<String> {
            output.sync().await;
            let bytes = self.0.lock().unwrap().clone();
            let text = String::from_utf8(bytes).unwrap();
            text.split("Content-Length")
                .filter_map(|frame| frame.split_once("file://"))
                .map(|(_, rest)| rest.split('"').next().unwrap().to_string())
                .collect()
        }
    }

    fn publication(path: &str, version: Option<i32>) -> Message {
        let diagnostic = Diagnostic::new_simple(Default::default(), "x".repeat(100));
        Message::of(Path::new(path), vec![diagnostic], version).unwrap()
    }

    /// Unversioned publications are held until the run ends, a versioned one goes out at once
    /// after them, and nothing is reordered or lost.
    #[tokio::test(flavor = "current_thread")]
    async fn the_outbox_writes_held_publications_in_order_when_the_run_ends() {
        let state = State::default();
        let received = Received::default();
        let output = transport::Output::spawn(received.clone());
        assert!(state.output.set(output.clone()).is_ok());
        let run = Outbox(&state);
        assert!(publication("/w/.dlt/a.toml", None).write(&state).is_none());
        assert!(publication("/w/.dlt/b.toml", None).write(&state).is_none());
        assert_eq!(received.paths(&output).await, Vec::<String>::new(), "held");
        assert!(publication("/w/.dlt/open.toml", Some(3))
            .write(&state)
            .is_none());
        let order = ["/w/.dlt/a.toml", "/w/.dlt/b.toml", "/w/.dlt/open.toml"];
        assert_eq!(received.paths(&output).await, order, "the held ones first");
        assert!(publication("/w/.dlt/c.toml", None).write(&state).is_none());
        assert_eq!(received.paths(&output).await.len(), 3);
        drop(run);
        assert_eq!(received.paths(&output).await[3..], ["/w/.dlt/c.toml"]);
        // Past the limit, held frames are written without waiting for the run's end.
        let _run = Outbox(&state);
        let each = publication("/w/.dlt/d.toml", None).frame.unwrap().len();
        for _ in 0..=OUTBOX_LIMIT / each {
            assert!(publication("/w/.dlt/d.toml", None).write(&state).is_none());
        }
        assert!(
            received.paths(&output).await.len() > 4,
            "written at the limit"
        );
        assert!(state.outbox.lock().unwrap().len() < OUTBOX_LIMIT);
    }

    /// The debounce's leading edge: a change after a quiet spell is diagnosed at once, one that
    /// follows within the delay waits; each change supersedes the earlier ones of its folder.
    #[test]
    fn a_change_after_a_quiet_spell_is_diagnosed_at_once_and_a_close_one_waits() {
        let state = State::default();
        let (dir, other) = (Path::new("/w/.dlt"), Path::new("/v/.dlt"));
        let delay = Duration::from_millis(state.settings().diagnostics_debounce_ms);
        let t0 = Instant::now();
        let first = Turn::take(&state, dir, t0);
        assert!(first.quiet);
        let close = Turn::take(&state, dir, t0 + delay / 2);
        assert!(!close.quiet, "within the delay of the previous change");
        assert!(close.generation > first.generation);
        assert_eq!(state.generation(dir), close.generation);
        assert!(
            Turn::take(&state, other, t0 + delay / 2).quiet,
            "another folder"
        );
        let later = Turn::take(&state, dir, t0 + delay / 2 + delay);
        assert!(later.quiet, "the delay passed since the last change");
        assert_eq!(later.since, t0 + delay / 2 + delay);
    }
}
