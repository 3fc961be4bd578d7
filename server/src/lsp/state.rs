//! Shared server state: the current model snapshot, the open documents and what was published.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use dashmap::DashMap;

use super::documents::Document;
use super::indexing::Reading;
use super::settings::Settings;
use crate::features::format_pieces::FormatCache;
use crate::model::git::GitCache;
use crate::model::paths;
use crate::model::source::SourceFile;
use crate::model::text::Encoding;
use crate::model::workspace::{DltFolder, Snapshot};

/// Everything handlers share.
#[derive(Default)]
pub struct State {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Open documents by path.
    pub documents: DashMap<PathBuf, Document>,
    /// What the pieces of each open document formatted to the last time it was formatted.
    pub format_caches: DashMap<PathBuf, FormatCache>,
    /// Fingerprint of the diagnostics last published per file, to skip identical re-sends.
    pub published: Published,
    /// Serialises the last check and the send of each publication, so that diagnostics of an
    /// older document version can never be sent after those of a newer one.
    pub publish_lock: tokio::sync::Mutex<()>,
    /// Frames of publications held to be written together (see [`super::publish`]'s `Outbox`).
    pub outbox: Mutex<Vec<u8>>,
    /// Diagnosis generation per folder, for debouncing.
    pub generations: DashMap<PathBuf, u64>,
    /// When the last change of each folder arrived, for the debounce's leading edge.
    pub last_change: DashMap<PathBuf, std::time::Instant>,
    pub encoding: RwLock<Encoding>,
    pub settings: RwLock<Settings>,
    pub roots: RwLock<Vec<PathBuf>>,
    /// Client capabilities that decide what the server sends.
    pub caps: RwLock<ClientCaps>,
    /// Serialises snapshot updates so concurrent writers never lose each other's changes.
    write_lock: Mutex<()>,
    /// The workspace reading started at `initialize`, until `initialized` publishes it.
    reading: Mutex<Option<Reading>>,
    /// The thread that will read the workspace, started with the server (see
    /// [`super::background::Standby`]); taken when the reading starts.
    pub reader: Mutex<Option<super::background::Standby>>,
    /// The thread that parses the destination catalog once indexing is over (see
    /// [`super::background::parse_catalog`]); taken then.
    pub catalog_parser: Mutex<Option<super::background::Standby>>,
    /// What was read of each git repository, shared by indexing, opened folders and refreshes.
    /// Taken after `write_lock` when both are needed, never the other way round.
    git: Mutex<GitCache>,
    /// Where the server's own notifications go without tower-lsp's client (see
    /// [`super::transport::notification`]); set once the server starts on stdio.
    pub output: std::sync::OnceLock<super::transport::Output>,
}

/// The fingerprint of the diagnostics last published per file, keyed by a hash of the file's
/// path: a monorepo's 5,000 paths took half a megabyte as keys (issue 7). Two paths of one hash
/// would share a slot; the worst that could do is publish a file's unchanged findings again,
/// or skip a publication whose findings also hash alike.
///
/// A file never published shows [`Published::NOTHING`] in the client: no diagnostics, and no
/// version. A file nobody opened and that has no findings is therefore not published at all:
/// indexing a monorepo sent ~5,000 empty `publishDiagnostics` (issue 7), which a client parses
/// one by one to show nothing.
#[derive(Default)]
pub struct Published(DashMap<u64, u64>);

impl Published {
    /// The fingerprint of no diagnostics without a version: what the client shows for a file
    /// it was never sent anything for.
    pub const NOTHING: u64 = 0;

    /// The path's bytes hashed in one piece: `Path`'s own `Hash` feeds the hasher a component at
    /// a time, 1 % of the instructions of indexing the monorepo (callgrind; issue 7). Spelt one
    /// way first ([`paths::spelt_bytes`]), so that paths `Path` holds equal share their key.
    fn key(path: &Path) -> u64 {
        Self::hash(&paths::spelt_bytes(path))
    }

    /// The 64-bit hash of keys and fingerprints: foldhash, which hashes a frame of diagnostics
    /// in a fraction of the instructions of std's SipHash (the two were 1.2 % of the instructions
    /// of indexing the monorepo; callgrind, issue 7), with a fixed seed so that equal inputs
    /// hash alike for the life of the server.
    pub fn hash(value: &(impl std::hash::Hash + ?Sized)) -> u64 {
        use std::hash::BuildHasher;
        foldhash::quality::FixedState::with_seed(0).hash_one(value)
    }

    /// Whether the client already shows `fingerprint` for `path`: it was the last published,
    /// or it is [`Published::NOTHING`] and nothing was published.
    pub fn shows(&self, path: &Path, fingerprint: u64) -> bool {
        self.0
            .get(&Self::key(path))
            .map_or(fingerprint == Self::NOTHING, |f| *f == fingerprint)
    }

    /// Records that `fingerprint` was published for `path`.
    pub fn set(&self, path: &Path, fingerprint: u64) {
        self.0.insert(Self::key(path), fingerprint);
    }

    /// Forgets `path`; whether the client showed diagnostics for it (that must be cleared).
    pub fn forget(&self, path: &Path) -> bool {
        self.0
            .remove(&Self::key(path))
            .is_some_and(|(_, f)| f != Self::NOTHING)
    }
}

/// Where [`State::put_document`] put a document.
pub struct Put {
    /// The document's `.dlt` folder.
    pub dir: PathBuf,
    /// The folder was new and still lacks its git state (see [`State::attach_git`]).
    pub git_pending: bool,
}

/// What the client said it supports.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientCaps {
    pub work_done_progress: bool,
    pub watched_files_dynamic: bool,
    pub hierarchical_symbols: bool,
    /// `textDocument.inlayHint`: without it, override notes become code lenses.
    pub inlay_hints: bool,
    /// `textDocument.completion.completionItem.snippetSupport`.
    pub snippets: bool,
    /// `workspace.workspaceEdit.documentChanges`.
    pub document_changes: bool,
    /// `workspace.workspaceEdit.resourceOperations` contains `create`.
    pub create_files: bool,
    /// `workspace.workspaceEdit.resourceOperations` contains `rename`.
    pub rename_files: bool,
    /// `window.showMessage.messageActionItem` (confirmation questions).
    pub message_actions: bool,
}

impl State {
    /// The current snapshot; features read it without locks.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Applies a change to the snapshot; returns what `f` returns.
    pub fn update<R>(&self, f: impl FnOnce(&mut Snapshot) -> R) -> R {
        let _w = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut snap = (*self.snapshot()).clone();
        let r = f(&mut snap);
        *self.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(snap);
        r
    }

    pub fn encoding(&self) -> Encoding {
        *self.encoding.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn settings(&self) -> Settings {
        self.settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn caps(&self) -> ClientCaps {
        *self.caps.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Re-analyses an open document's text and puts it in the snapshot. A folder not known yet
    /// is read from disk without its git state, which [`State::attach_git`] adds: the document's
    /// first diagnostics need its siblings, not the repository (git only adds findings).
    pub fn put_document(&self, path: &Path) -> Option<Put> {
        let (text, version) = {
            let doc = self.documents.get(path)?;
            (doc.text(), doc.version)
        };
        let file = match self.snapshot().file(path) {
            Some((_, previous)) => previous.edited(text.into(), Some(version)),
            None => SourceFile::from_text(path, text.into(), Some(version)),
        };
        let mut git_pending = false;
        let dir = self.update(|s| {
            s.put_file(file, |dir| {
                git_pending = true;
                DltFolder::load_without_git_except(dir, path)
            })
        })?;
        Some(Put { dir, git_pending })
    }

    /// Puts a file read from disk in the snapshot; a folder not known yet is read first, with
    /// its git state.
    pub fn put_file(&self, file: SourceFile) -> Option<PathBuf> {
        self.update(|s| s.put_file(file, |dir| self.load_folder(dir)))
    }

    /// Adds git state to a folder [`State::put_document`] created without it; `true` when the
    /// snapshot changed (the folder's findings must be published again).
    pub fn attach_git(&self, dir: &Path) -> bool {
        let Some(folder) = self.snapshot().folders.get(dir).cloned() else {
            return false;
        };
        let names: Vec<&str> = folder.files.keys().collect();
        let git = self.with_git(|cache| {
            cache.begin_pass();
            DltFolder::git_state(dir, &names, cache)
        });
        if git.is_none() {
            return false; // no repository: the folder was complete already
        }
        self.update(|s| match s.folders.get_mut(dir) {
            // Indexing may have put the whole folder, with git state, in the meantime.
            Some(f) if f.git.is_none() => {
                Arc::make_mut(f).git = git;
                true
            }
            _ => false,
        })
    }

    /// Reads a folder from disk (files, marker, pin, git state), reusing the shared git cache.
    pub fn load_folder(&self, dir: &Path) -> DltFolder {
        let mut folder = DltFolder::load_without_git(dir);
        self.with_git(|git| {
            git.begin_pass();
            folder.reload_git_with(git);
        });
        folder
    }

    /// Makes the folders `dirs` dormant once their findings are published, where they should
    /// ([`Snapshot::should_rest`]), in one update of the snapshot. A folder that stays as it is
    /// does not take the write lock: every edit's publication of its folder's other files ends
    /// here.
    pub fn let_rest(&self, dirs: &[PathBuf]) {
        let snapshot = self.snapshot();
        let resting: Vec<PathBuf> = dirs
            .iter()
            .filter(|dir| snapshot.should_rest(dir))
            .cloned()
            .collect();
        if !resting.is_empty() {
            self.update(|s| s.make_dormant(&resting));
        }
    }

    /// Re-reads git state where it changed on disk (everywhere when `all`); returns the folders
    /// to re-publish.
    pub fn refresh_git(&self, all: bool) -> Vec<PathBuf> {
        self.update(|s| self.with_git(|git| s.refresh_git(all, git)))
    }

    /// Keeps the reading started at `initialize` for `initialized`.
    pub fn set_reading(&self, reading: Reading) {
        *self.reading.lock().unwrap_or_else(|e| e.into_inner()) = Some(reading);
    }

    /// The reading started at `initialize`, once.
    pub fn take_reading(&self) -> Option<Reading> {
        self.reading
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    /// Runs `f` with the shared git cache.
    pub fn with_git<R>(&self, f: impl FnOnce(&mut GitCache) -> R) -> R {
        let mut git = self.git.lock().unwrap_or_else(|e| e.into_inner());
        // A panic while the cache was in use may have left it half-updated: start over.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&mut git))) {
            Ok(r) => r,
            Err(panic) => {
                *git = GitCache::default();
                std::panic::resume_unwind(panic)
            }
        }
    }

    /// Puts a folder read from disk into the snapshot, keeping the editor's open documents.
    pub fn merge_folder(&self, folder: DltFolder) {
        self.merge_folders(vec![folder]);
    }

    /// Puts folders read from disk into the snapshot in one update (one new snapshot for a
    /// whole indexing batch); returns their `.dlt` dirs.
    pub fn merge_folders(&self, folders: Vec<DltFolder>) -> Vec<PathBuf> {
        // Open documents are read inside the update: an edit applied meanwhile (which also goes
        // through `update`) can then never be replaced by an older text.
        self.update(|s| {
            folders
                .into_iter()
                .map(|mut folder| {
                    self.keep_open_documents(s, &mut folder);
                    let dir = folder.dlt_dir.clone();
                    s.folders.insert(dir.clone(), Arc::new(folder));
                    dir
                })
                .collect()
        })
    }

    /// Replaces the disk text of `folder`'s files by the editor's open documents.
    fn keep_open_documents(&self, s: &Snapshot, folder: &mut DltFolder) {
        for entry in self.documents.iter() {
            if crate::model::discovery::dlt_dir_of(entry.key()).as_deref()
                != Some(folder.dlt_dir.as_path())
            {
                continue;
            }
            // The snapshot usually holds this very version already (put_document parsed it):
            // reuse it rather than parse the text again, which on a large file opened while
            // indexing ran delayed its first diagnostics by a whole parse. Otherwise the file
            // just read from disk is the editor's text or close to it: its parse is shared or
            // re-parsed only where they differ. This runs under the snapshot's write lock.
            let name = entry.key().file_name().map(|n| n.to_string_lossy());
            let read = name.and_then(|n| folder.files.get(n.as_ref()));
            let file = match (s.file(entry.key()), read) {
                (Some((_, f)), _) if f.version == Some(entry.version) => f.clone(),
                (_, Some(read)) => Arc::new(read.edited(entry.text().into(), Some(entry.version))),
                _ => Arc::new(SourceFile::from_text(
                    entry.key(),
                    entry.text().into(),
                    Some(entry.version),
                )),
            };
            folder.files.insert(file);
        }
    }

    /// Bumps and returns a folder's diagnosis generation.
    pub fn next_generation(&self, dir: &Path) -> u64 {
        let mut g = self.generations.entry(dir.to_path_buf()).or_insert(0);
        *g += 1;
        *g
    }

    pub fn generation(&self, dir: &Path) -> u64 {
        self.generations.get(dir).map(|g| *g).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::toml::TomlDoc;
    use crate::model::workspace::DltFolder;

    #[test]
    fn published_fingerprints_are_per_path() {
        let published = Published::default();
        let (a, b) = (
            Path::new("/w/.dlt/config.toml"),
            Path::new("/w/.dlt/secrets.toml"),
        );
        assert!(!published.shows(a, 1));
        published.set(a, 1);
        assert!(published.shows(a, 1));
        assert!(!published.shows(a, 2), "another fingerprint");
        assert!(!published.shows(b, 1), "another path");
        published.set(a, 2);
        assert!(published.shows(a, 2) && !published.shows(a, 1));
        assert!(published.forget(a));
        assert!(!published.forget(a), "forgotten already");
        assert!(!published.shows(a, 2));
        // Any spelling `Path` holds equal is the same file.
        published.set(Path::new("/w//.dlt/./config.toml"), 3);
        assert!(published.shows(a, 3));
        assert!(published.forget(Path::new("/w/.dlt/config.toml")));
    }

    /// A file never published shows no diagnostics: publishing none would tell the client
    /// nothing. Once it showed some, clearing them is a publication, and forgetting a file
    /// cleared so needs none.
    #[test]
    fn a_file_never_published_shows_nothing() {
        let published = Published::default();
        let a = Path::new("/w/.dlt/config.toml");
        assert!(published.shows(a, Published::NOTHING));
        assert!(!published.forget(a), "nothing to clear");
        published.set(a, 7);
        assert!(!published.shows(a, Published::NOTHING), "must be cleared");
        published.set(a, Published::NOTHING);
        assert!(published.shows(a, Published::NOTHING));
        assert!(!published.forget(a), "cleared already");
    }

    /// A folder read while its file is open takes the editor's text, re-using the parse of the
    /// disk text where the two agree instead of parsing the editor's text again.
    #[test]
    fn merged_folders_keep_open_documents_reusing_the_disk_parse() {
        let tmp = tempfile::tempdir().unwrap();
        let dlt = tmp.path().join(".dlt");
        std::fs::create_dir_all(&dlt).unwrap();
        let disk = "[runtime]\nlog_level = \"INFO\"\n\n[sources.a]\nx = 1\n";
        std::fs::write(dlt.join("config.toml"), disk).unwrap();
        std::fs::write(dlt.join("secrets.toml"), disk).unwrap();
        let (config, secrets) = (dlt.join("config.toml"), dlt.join("secrets.toml"));
        let state = State::default();
        let edited = disk.replace("x = 1", "x = 2");
        state
            .documents
            .insert(config.clone(), Document::new(disk, 3));
        state
            .documents
            .insert(secrets.clone(), Document::new(&edited, 4));
        let folder = DltFolder::load_without_git(&dlt);
        let read = folder.files["config.toml"].doc.clone();
        state.merge_folders(vec![folder]);
        let snapshot = state.snapshot();
        let (_, merged) = snapshot.file(&config).unwrap();
        assert_eq!(merged.version, Some(3));
        assert!(
            Arc::ptr_eq(&merged.doc, &read),
            "same text: the parse is shared"
        );
        let (_, merged) = snapshot.file(&secrets).unwrap();
        assert_eq!((merged.version, &*merged.text), (Some(4), edited.as_str()));
        assert_eq!(merged.doc.root(), TomlDoc::parse(&edited).root());
    }
}
