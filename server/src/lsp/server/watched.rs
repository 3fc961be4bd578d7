//! Files changed on disk (`workspace/didChangeWatchedFiles`), applied to the snapshot.

use std::path::PathBuf;
use std::sync::Arc;

use tower_lsp::lsp_types::{FileChangeType, FileEvent};

use super::Backend;
use crate::lsp::{convert, publish};
use crate::model::discovery;
use crate::model::source::SourceFile;
use crate::model::workspace::{local_state_owner, PIN_FILE, WORKSPACE_MARKER};

impl Backend {
    /// Applies a watched-file event; returns the folder to re-diagnose.
    pub(super) async fn on_disk_change(&self, event: &FileEvent) -> Option<PathBuf> {
        let path = convert::path(&event.uri)?;
        let name = path.file_name()?.to_str()?.to_string();
        if name == discovery::DOT_DLT {
            return if event.typ == FileChangeType::DELETED {
                let removed = self.state.update(|s| s.folders.remove(&path));
                if let Some(folder) = removed {
                    for f in folder.files.values() {
                        publish::clear(&self.state, &self.client, &f.path).await;
                    }
                }
                None
            } else {
                let folder = tokio::task::spawn_blocking({
                    let (p, state) = (path.clone(), self.state.clone());
                    move || state.load_folder(&p)
                })
                .await
                .ok()?;
                self.state.merge_folder(folder);
                Some(path)
            };
        }
        if let Some(owner) = local_state_owner(&path) {
            return self.state.update(|s| {
                let f = s.folders.get_mut(&owner)?;
                Arc::make_mut(f).reload_meta();
                Some(owner.clone())
            });
        }
        let dir = discovery::dlt_dir_of(&path)?;
        let is_toml = path.extension().is_some_and(|x| x == "toml");
        if name == WORKSPACE_MARKER || name == PIN_FILE || !is_toml {
            self.state.update(|s| {
                if let Some(f) = s.folders.get_mut(&dir) {
                    Arc::make_mut(f).reload_meta();
                }
            });
            return Some(dir);
        }
        if self.state.documents.contains_key(&path) {
            return None; // the editor owns open documents
        }
        if event.typ == FileChangeType::DELETED || !path.is_file() {
            let dir = self.state.update(|s| s.remove_file(&path));
            publish::clear(&self.state, &self.client, &path).await;
            return dir;
        }
        let p = path.clone();
        let file = tokio::task::spawn_blocking(move || SourceFile::load(&p))
            .await
            .ok()?;
        self.state.put_file(file)
    }
}
