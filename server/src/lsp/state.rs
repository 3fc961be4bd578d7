//! Shared server state: the current model snapshot, the open documents and what was published.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use dashmap::DashMap;

use super::documents::Document;
use super::settings::Settings;
use crate::model::source::SourceFile;
use crate::model::text::Encoding;
use crate::model::workspace::{DltFolder, Snapshot};

/// Everything handlers share.
#[derive(Default)]
pub struct State {
    snapshot: RwLock<Arc<Snapshot>>,
    /// Open documents by path.
    pub documents: DashMap<PathBuf, Document>,
    /// Fingerprint of the diagnostics last published per file, to skip identical re-sends.
    pub published: DashMap<PathBuf, u64>,
    /// Serialises the last check and the send of each publication, so that diagnostics of an
    /// older document version can never be sent after those of a newer one.
    pub publish_lock: tokio::sync::Mutex<()>,
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

    /// Re-analyses an open document's text and puts it in the snapshot; returns its folder.
    pub fn put_document(&self, path: &Path) -> Option<PathBuf> {
        let (text, version) = {
            let doc = self.documents.get(path)?;
            (doc.text(), doc.version)
        };
        let file = SourceFile::from_text(path, text.into(), Some(version));
        self.update(|s| s.put_file(file))
    }

    /// Puts a folder read from disk into the snapshot, keeping the editor's open documents.
    pub fn merge_folder(&self, mut folder: DltFolder) {
        // Open documents are read inside the update: an edit applied meanwhile (which also goes
        // through `update`) can then never be replaced by an older text.
        self.update(|s| {
            for entry in self.documents.iter() {
                if crate::model::discovery::dlt_dir_of(entry.key()).as_deref()
                    == Some(folder.dlt_dir.as_path())
                {
                    // The snapshot usually holds this very version already (put_document parsed
                    // it): reuse it rather than parse the text again, which on a large file
                    // opened while indexing ran delayed its first diagnostics by a whole parse.
                    let file = match s.file(entry.key()) {
                        Some((_, f)) if f.version == Some(entry.version) => f.clone(),
                        _ => Arc::new(SourceFile::from_text(
                            entry.key(),
                            entry.text().into(),
                            Some(entry.version),
                        )),
                    };
                    folder.files.insert(file.name.clone(), file);
                }
            }
            s.folders.insert(folder.dlt_dir.clone(), Arc::new(folder));
        });
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
