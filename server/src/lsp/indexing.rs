//! Background indexing of every `.dlt` folder under the workspace roots, with `$/progress`.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};

use tower_lsp::lsp_types::{
    self as lsp, notification::Progress, request::WorkDoneProgressCreate, NumberOrString,
    ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressEnd, WorkDoneProgressReport,
};
use tower_lsp::Client;

use super::background::spawn_low_priority;
use super::publish;
use super::state::State;
use crate::model::catalog::Catalog;
use crate::model::discovery::{self, DirScan, WalkLimits};
use crate::model::git::GitCache;
use crate::model::workspace::DltFolder;

/// Finds and reads every folder, reporting progress, and publishes all diagnostics.
pub async fn index_workspace(state: Arc<State>, client: Client) {
    let reading = start_reading(state.clone());
    publish_read(state, client, reading).await;
}

/// Indexing that has started reading the workspace into the snapshot; its findings are
/// published by [`publish_read`].
///
/// Reading starts at `initialize`, publishing at `initialized` (a server may send nothing before
/// its `initialize` answer has been read): the round trip in between is time the reading gets
/// ahead, and a file opened right after `initialized` then usually finds its folder read already
/// instead of reading it first (issue 7).
pub struct Reading {
    events: tokio::sync::mpsc::UnboundedReceiver<Read>,
}

/// What the reading reports, in this order: `Found` once, then `Loaded` per batch.
enum Read {
    /// The folders found and their TOML files.
    Found { folders: usize, files: usize },
    /// A batch of folders, in the snapshot now, with their number of files; its slot is freed
    /// once the batch is published.
    Loaded {
        dirs: Vec<PathBuf>,
        files: usize,
        _slot: Slot,
    },
}

/// How many batches the reading may be ahead of their publishing. A batch read keeps its tables
/// until it is published (then its folders go dormant): unbounded, a reading faster than the
/// publishing held a growing part of a monorepo's tables at once (issue 7).
const BATCHES_AHEAD: usize = 2;

/// The batches read and not published yet.
#[derive(Default)]
struct InFlight {
    count: Mutex<usize>,
    freed: Condvar,
}

impl InFlight {
    /// Waits until fewer than [`BATCHES_AHEAD`] batches are in flight and takes a slot.
    fn enter(self: &Arc<Self>) -> Slot {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *count >= BATCHES_AHEAD {
            count = self.freed.wait(count).unwrap_or_else(|e| e.into_inner());
        }
        *count += 1;
        Slot(self.clone())
    }
}

/// One batch in flight, from before its reading until it is published (or dropped unpublished).
struct Slot(Arc<InFlight>);

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// Starts finding and reading every `.dlt` folder under the workspace roots into the snapshot.
pub fn start_reading(state: Arc<State>) -> Reading {
    let (tx, events) = tokio::sync::mpsc::unbounded_channel();
    let (loaded_tx, mut loaded) = tokio::sync::mpsc::unbounded_channel::<(Vec<DltFolder>, Slot)>();
    let in_flight = Arc::new(InFlight::default());
    let roots = state
        .roots
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    // One thread of lower priority walks the roots, lists each folder once (the listing gives
    // the file count for progress and then serves loading) and reads the folders in batches, in
    // one pass of the shared git cache (what it read of each repository serves every folder),
    // while the publishing task diagnoses the previous batch: both cores busy, progress advancing.
    let reader = state.clone();
    let found = tx.clone();
    let standby = state
        .reader
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    let read = move || {
        let state = reader;
        // The catalog's sections first (~0.1 ms), before `initialized` and the first `didOpen`
        // arrive: the first diagnosis then finds them parsed and the parser's code in memory.
        Catalog::get().parse_sections();
        // Then the roots' repositories, while the client reads the `initialize` answer: a file
        // opened before its folder is read then finds them open. Here rather than on a thread
        // of its own: started next to the answer at normal priority, it delayed the answer.
        state.with_git(|git| {
            git.begin_pass();
            roots.iter().for_each(|root| git.warm(root));
        });
        let walk = discovery::walk(&roots, WalkLimits::default());
        // What the listings showed git of each folder's way from its root, and of the folder:
        // loading the folders' git state need not ask the disk again.
        let mut listed = walk.listed;
        let dirs: Vec<(PathBuf, DirScan)> = walk
            .found
            .into_iter()
            .map(|found| {
                crate::pace::step();
                let scan = DirScan {
                    project_duckdb: found.project_duckdb,
                    ..DirScan::read(&found.dir)
                };
                listed.record(&found.dir, scan.git);
                (found.dir, scan)
            })
            .collect();
        let files = dirs.iter().map(|(_, scan)| scan.toml_files.len()).sum();
        let _ = found.send(Read::Found {
            folders: dirs.len(),
            files,
        });
        let chunk = (dirs.len() / 16).clamp(1, 64);
        state.with_git(GitCache::begin_pass);
        // Taken by value: a batch's listings are let go once its folders are read, not held
        // until the whole workspace is (a monorepo's listings take a megabyte).
        let mut dirs = dirs.into_iter();
        loop {
            let slot = in_flight.enter();
            let batch: Vec<(PathBuf, DirScan)> = dirs.by_ref().take(chunk).collect();
            if batch.is_empty() {
                break;
            }
            // The batch's files are read together; a folder that panics is read again alone
            // (and left out if it panics again).
            let read = catch_unwind(AssertUnwindSafe(|| DltFolder::load_scanned_batch(&batch)))
                .unwrap_or_else(|_| {
                    let one = |(d, scan): &(PathBuf, DirScan)| {
                        catch_unwind(AssertUnwindSafe(|| DltFolder::load_scanned(d, scan))).ok()
                    };
                    batch.iter().filter_map(one).collect()
                });
            let folders: Vec<DltFolder> = read
                .into_iter()
                .filter_map(|mut folder| {
                    crate::pace::step();
                    // Locked per folder, for its git state only: whoever else needs the cache
                    // meanwhile waits for one folder's git state at most.
                    let git = |folder: &mut DltFolder| {
                        state.with_git(|git| folder.reload_git_listed(git, Some(&listed)))
                    };
                    catch_unwind(AssertUnwindSafe(|| git(&mut folder))).ok()?;
                    Some(folder)
                })
                .collect();
            if loaded_tx.send((folders, slot)).is_err() {
                break;
            }
        }
        state.with_git(GitCache::end_pass);
    };
    match standby {
        Some(thread) => thread.run(read),
        None => {
            spawn_low_priority("dlt-lsp-index", read);
        }
    }
    // Batches join the snapshot here, at normal priority: the snapshot's write lock must never
    // wait for a thread that the scheduler puts behind the editor's requests.
    tokio::spawn(async move {
        while let Some((folders, slot)) = loaded.recv().await {
            let files = folders.iter().map(|f| f.files.len()).sum();
            let dirs = state.merge_folders(folders);
            let loaded = Read::Loaded {
                dirs,
                files,
                _slot: slot,
            };
            if tx.send(loaded).is_err() {
                break;
            }
        }
    });
    Reading { events }
}

/// Publishes the findings of what `reading` reads, reporting progress.
pub async fn publish_read(state: Arc<State>, client: Client, mut reading: Reading) {
    let progress = Reporter::begin(&state, &client, "Indexing dlt workspaces").await;
    let (mut count, mut total_files, mut done_files) = (0, 0, 0);
    while let Some(event) = reading.events.recv().await {
        match event {
            Read::Found { folders, files } => (count, total_files) = (folders, files),
            Read::Loaded { dirs, files, _slot } => {
                done_files += files;
                publish::publish_folders(&state, &client, dirs).await;
                progress
                    .report(
                        &client,
                        format!("{done_files}/{total_files} files"),
                        done_files,
                        total_files,
                    )
                    .await;
            }
        }
    }
    progress
        .end(
            &client,
            format!("Indexed {total_files} files in {count} .dlt folders"),
        )
        .await;
}

/// A `$/progress` sequence, or nothing when the client does not support it.
pub struct Reporter {
    token: Option<NumberOrString>,
}

impl Reporter {
    pub async fn begin(state: &State, client: &Client, title: &str) -> Reporter {
        Self::start(state, client, title, false).await
    }

    /// A progress the user can cancel (`window/workDoneProgress/cancel`).
    pub async fn begin_cancellable(state: &State, client: &Client, title: &str) -> Reporter {
        Self::start(state, client, title, true).await
    }

    /// The token, when the client shows progress.
    pub fn token(&self) -> Option<&NumberOrString> {
        self.token.as_ref()
    }

    async fn start(state: &State, client: &Client, title: &str, cancellable: bool) -> Reporter {
        if !state.caps().work_done_progress {
            return Reporter { token: None };
        }
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let token = NumberOrString::String(format!(
            "dlt-lsp/{}",
            NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let created = client
            .send_request::<WorkDoneProgressCreate>(lsp::WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await;
        if created.is_err() {
            return Reporter { token: None };
        }
        let r = Reporter { token: Some(token) };
        r.send(
            client,
            WorkDoneProgress::Begin(WorkDoneProgressBegin {
                title: title.into(),
                cancellable: Some(cancellable),
                message: None,
                percentage: Some(0),
            }),
        )
        .await;
        r
    }

    pub async fn report(&self, client: &Client, message: String, done: usize, total: usize) {
        let percentage = (done * 100).checked_div(total).map(|p| p.min(100) as u32);
        self.send(
            client,
            WorkDoneProgress::Report(WorkDoneProgressReport {
                cancellable: Some(false),
                message: Some(message),
                percentage,
            }),
        )
        .await;
    }

    /// A report with a message and no percentage.
    pub async fn report_message(&self, client: &Client, message: String) {
        let message: String = message.chars().take(200).collect();
        self.send(
            client,
            WorkDoneProgress::Report(WorkDoneProgressReport {
                cancellable: None,
                message: Some(message),
                percentage: None,
            }),
        )
        .await;
    }

    pub async fn end(&self, client: &Client, message: String) {
        self.send(
            client,
            WorkDoneProgress::End(WorkDoneProgressEnd {
                message: Some(message),
            }),
        )
        .await;
    }

    async fn send(&self, client: &Client, value: WorkDoneProgress) {
        if let Some(token) = &self.token {
            client
                .send_notification::<Progress>(ProgressParams {
                    token: token.clone(),
                    value: ProgressParamsValue::WorkDone(value),
                })
                .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading waits while [`BATCHES_AHEAD`] batches are unpublished, and goes on as soon as
    /// one of them is.
    #[test]
    fn the_reading_stays_a_bounded_number_of_batches_ahead() {
        let in_flight = Arc::new(InFlight::default());
        let mut slots: Vec<Slot> = (0..BATCHES_AHEAD).map(|_| in_flight.enter()).collect();
        let (entered_tx, entered) = std::sync::mpsc::channel();
        let reader = in_flight.clone();
        let waiting = std::thread::spawn(move || {
            let slot = reader.enter();
            entered_tx.send(()).unwrap();
            drop(slot);
        });
        let wait = std::time::Duration::from_millis(200);
        assert!(
            entered.recv_timeout(wait).is_err(),
            "entered with none free"
        );
        slots.pop(); // one batch published
        entered
            .recv_timeout(wait * 25)
            .expect("a freed slot lets the reading on");
        waiting.join().unwrap();
        drop(slots);
        assert_eq!(*in_flight.count.lock().unwrap(), 0);
    }
}
