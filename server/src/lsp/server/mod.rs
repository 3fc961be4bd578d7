//! The `LanguageServer` implementation. Handlers only convert: call a feature, convert back.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tower_lsp::jsonrpc::{Error, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

use super::background::{self, Standby};
use super::convert;
use super::documents::Document;
use super::indexing;
use super::publish;
mod actions;
mod capabilities;
mod watched;

use super::runner::{self, Runs};
use super::settings::Settings;
use super::state::{Put, State};
use super::transport::Output;
use crate::features::hub_actions::{self, HubAction};
use crate::features::{folding, formatting, symbols};
use crate::model::discovery;
use crate::model::dlthub::HubCommand;
use crate::model::source::SourceFile;
use crate::model::workspace::DltFolder;
pub use actions::UNTRACK_COMMAND;
use capabilities::{client_caps, server_capabilities};

/// The server: a client handle and the shared state.
pub struct Backend {
    client: Client,
    state: Arc<State>,
    runs: Arc<Runs>,
}

/// Commands the server executes (`workspace/executeCommand`), with their dlthub command.
pub const HUB_COMMANDS: &[(&str, HubCommand)] = &[
    ("dlt.connect", HubCommand::Connect),
    ("dlt.sync", HubCommand::Sync),
    ("dlt.showProfile", HubCommand::ProfileInfo),
];

fn command_id(c: HubCommand) -> &'static str {
    HUB_COMMANDS
        .iter()
        .find(|(_, h)| *h == c)
        .map(|(id, _)| *id)
        .unwrap_or("dlt.connect")
}

fn hub_command(a: &HubAction) -> Command {
    Command {
        title: a.title.clone(),
        command: command_id(a.command).into(),
        arguments: Some(vec![serde_json::json!({ "dltDir": a.dlt_dir })]),
    }
}

/// A position request resolved to the model.
struct At {
    snapshot: Arc<crate::model::workspace::Snapshot>,
    path: PathBuf,
    folder: Arc<DltFolder>,
    file: Arc<SourceFile>,
    /// Byte offset of the position in the file.
    offset: usize,
}

/// Runs a pure feature call, turning a panic into an error response.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|panic| {
        let msg = crate::lsp::exit::panic_message(panic.as_ref());
        tracing::error!("{what} panicked: {msg}");
        Error {
            code: tower_lsp::jsonrpc::ErrorCode::InternalError,
            message: format!("{what} failed: internal error").into(),
            data: None,
        }
    })
}

impl Backend {
    /// The snapshot, file and byte offset a position request is about; `None` outside `.dlt` files.
    fn at(&self, p: &TextDocumentPositionParams) -> Option<At> {
        let path = convert::path(&p.text_document.uri)?;
        let snapshot = self.state.snapshot();
        let (folder, file) = snapshot.file(&path).map(|(d, f)| (d.clone(), f.clone()))?;
        let offset = convert::offset(&file, p.position, self.state.encoding());
        Some(At {
            snapshot,
            path,
            folder,
            file,
            offset,
        })
    }

    /// What dlt would see when run from this server's environment, with the settings' global dir
    /// and pipeline name.
    fn set_run_context(&self) {
        let settings = self.state.settings();
        let env = std::env::vars().collect();
        self.state.update(|s| {
            s.set_run_context(
                env,
                settings.global_dir.clone(),
                settings.pipeline_name.clone(),
            )
        });
    }

    /// `dlt/effectiveValue`: the per-profile report as JSON rows, for `{uri, position}` or
    /// `{root, key}`; secret values are always masked.
    pub async fn effective_value(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        let snapshot = self.state.snapshot();
        let report = if let Some(key) = params.get("key").and_then(|k| k.as_str()) {
            let root = params
                .get("root")
                .and_then(|r| r.as_str())
                .map(PathBuf::from);
            let root = root.or_else(|| {
                let uri = Url::parse(params.get("uri")?.as_str()?).ok()?;
                convert::path(&uri)
            });
            let Some(root) = root else {
                return Err(Error::invalid_params(
                    "expected {root, key} or {uri, position}",
                ));
            };
            let dlt_dir =
                discovery::dlt_dir_of(&root).unwrap_or_else(|| root.join(discovery::DOT_DLT));
            guarded("effectiveValue", || {
                crate::features::effective::effective_for_key(&snapshot, &dlt_dir, key, None)
            })?
        } else {
            let uri = params
                .get("uri")
                .and_then(|u| u.as_str())
                .and_then(|u| Url::parse(u).ok());
            let position: Option<Position> = params
                .get("position")
                .and_then(|p| serde_json::from_value(p.clone()).ok());
            let (Some(path), Some(position)) = (uri.as_ref().and_then(convert::path), position)
            else {
                return Err(Error::invalid_params(
                    "expected {uri, position} or {root, key}",
                ));
            };
            let Some((_, file)) = snapshot.file(&path) else {
                return Ok(serde_json::Value::Null);
            };
            let offset = convert::offset(file, position, self.state.encoding());
            guarded("effectiveValue", || {
                crate::features::effective::effective_at(&snapshot, &path, offset)
            })?
        };
        Ok(match report {
            Some(r) => serde_json::json!({
                "key": r.key,
                "rows": crate::features::effective::report_json(&r, false),
            }),
            None => serde_json::Value::Null,
        })
    }

    /// `dlt/activeProfile`: the profile dlt would use for the `.dlt` folder of `{uri}` (a file in
    /// it or the project folder), and why; `null` outside a dltHub workspace.
    pub async fn active_profile(&self, params: serde_json::Value) -> Result<serde_json::Value> {
        let uri = params
            .get("uri")
            .and_then(|u| u.as_str())
            .and_then(|u| Url::parse(u).ok());
        let Some(path) = uri.as_ref().and_then(convert::path) else {
            return Err(Error::invalid_params("expected {uri}"));
        };
        let snapshot = self.state.snapshot();
        let folder = snapshot
            .folder_of(&path)
            .or_else(|| snapshot.folders.get(&path.join(discovery::DOT_DLT)))
            .or_else(|| {
                snapshot
                    .folders
                    .iter()
                    .find(|(d, _)| d.starts_with(&path))
                    .map(|(_, f)| f)
            });
        let Some(folder) = folder.filter(|f| f.is_workspace) else {
            return Ok(serde_json::Value::Null);
        };
        let active = crate::model::profiles::active_profile(folder, &snapshot.context.env);
        let source = match active.from {
            crate::model::profiles::ActiveFrom::Env => "env",
            crate::model::profiles::ActiveFrom::Pin => "pin",
            crate::model::profiles::ActiveFrom::Default => "default",
        };
        Ok(serde_json::json!({ "profile": active.name, "source": source }))
    }

    /// `window/workDoneProgress/cancel`: stops the dlthub run that owns the progress.
    pub async fn cancel_progress(&self, params: WorkDoneProgressCancelParams) {
        if !self.runs.cancel(&params.token) {
            tracing::debug!("cancel for an unknown progress token");
        }
    }

    /// `dlt/debugPanic` (debug builds only): panics, to prove a panicking handler does not end
    /// the server.
    #[cfg(debug_assertions)]
    pub async fn debug_panic(&self, _: serde_json::Value) -> Result<()> {
        panic!("dlt/debugPanic was requested");
    }

    /// The `.dlt` folder an executeCommand argument names: `{dltDir}`, `{uri}` or a URI string.
    fn command_folder(&self, args: &[serde_json::Value]) -> Option<PathBuf> {
        let arg = args.first()?;
        if let Some(dir) = arg.get("dltDir").and_then(|d| d.as_str()) {
            return Some(PathBuf::from(dir));
        }
        let uri = arg
            .get("uri")
            .and_then(|u| u.as_str())
            .or_else(|| arg.as_str())?;
        let path = convert::path(&Url::parse(uri).ok()?)?;
        discovery::dlt_dir_of(&path).or_else(|| Some(path.join(discovery::DOT_DLT)))
    }

    pub fn new(client: Client, output: Output) -> Self {
        let state = State::default();
        let _ = state.output.set(output);
        *state.reader.lock().unwrap_or_else(|e| e.into_inner()) = Standby::start("dlt-lsp-index");
        *state
            .catalog_parser
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Standby::start("dlt-lsp-catalog");
        Backend {
            client,
            state: Arc::new(state),
            runs: Arc::new(Runs::default()),
        }
    }

    /// Schedules a diagnosis of `dir`, debounced from `since`, when the change arrived.
    fn schedule(&self, dir: PathBuf, since: Instant) {
        publish::schedule(&self.state, &self.client, dir, since);
    }

    /// Diagnoses a document's folder after [`State::put_document`]; a folder created without
    /// its git state gets it in the background, then its findings again.
    async fn after_put(&self, put: Put, since: Instant) {
        publish::publish_change(&self.state, &self.client, put.dir.clone(), since).await;
        // The git state after the open files' findings: spawned before, a new blocking thread
        // was started ahead of them.
        if put.git_pending {
            let (state, client) = (self.state.clone(), self.client.clone());
            tokio::spawn(async move {
                let (st, dir) = (state.clone(), put.dir.clone());
                if let Ok(true) = tokio::task::spawn_blocking(move || st.attach_git(&dir)).await {
                    publish::schedule(&state, &client, put.dir, Instant::now());
                }
            });
        }
    }

    /// The analysed file behind a URI, when it is a `.dlt` file.
    fn file(&self, uri: &Url) -> Option<Arc<SourceFile>> {
        let path = convert::path(uri)?;
        if let Some((_, f)) = self.state.snapshot().file(&path) {
            return Some(f.clone());
        }
        // Not indexed yet (a request can come before indexing reaches it): read it now.
        (discovery::dlt_dir_of(&path).is_some() && path.extension()? == "toml" && path.is_file())
            .then(|| Arc::new(SourceFile::load(&path)))
    }
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let caps = &params.capabilities;
        let offers_utf8 = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.as_ref())
            .is_some_and(|e| e.contains(&PositionEncodingKind::UTF8));
        let encoding = if offers_utf8 {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        };
        *self
            .state
            .encoding
            .write()
            .unwrap_or_else(|e| e.into_inner()) = convert::encoding_of(&encoding);
        *self
            .state
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) =
            Settings::from_json(params.initialization_options.as_ref());
        *self.state.caps.write().unwrap_or_else(|e| e.into_inner()) = client_caps(caps);
        #[allow(deprecated)]
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| convert::path(&f.uri))
            .collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(p) = params.root_uri.as_ref().and_then(convert::path) {
                roots.push(p);
            } else if let Some(p) = params.root_path.as_ref() {
                roots.push(PathBuf::from(p));
            }
        }
        *self.state.roots.write().unwrap_or_else(|e| e.into_inner()) = roots;
        self.set_run_context();
        // The workspace is read while the client reads this answer; its findings are published
        // once the client says `initialized`.
        self.state
            .set_reading(indexing::start_reading(self.state.clone()));

        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "dlt-lsp".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: server_capabilities(encoding),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if self.state.caps().watched_files_dynamic {
            let watchers = ["**/.dlt/**", "**/.dlt", "**/*.duckdb"]
                .into_iter()
                .chain(crate::model::git::GIT_WATCH_GLOBS.iter().copied())
                .map(|g| FileSystemWatcher {
                    glob_pattern: GlobPattern::String(g.into()),
                    kind: None,
                })
                .collect();
            let registration = Registration {
                id: "dlt-lsp-watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                    watchers,
                })
                .ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                tracing::warn!("client refused file watching: {e}");
            }
        }
        // Reading started at `initialize`; an `initialized` without it (a second one) reads now.
        let reading = self.state.take_reading();
        let reading = reading.unwrap_or_else(|| indexing::start_reading(self.state.clone()));
        let (state, client) = (self.state.clone(), self.client.clone());
        tokio::spawn(async move {
            indexing::publish_read(state.clone(), client, reading).await;
            // The catalog a moment after indexing: an editor opens its files right after
            // `initialized`, and in a small workspace indexing is over by then.
            tokio::time::sleep(background::CATALOG_AFTER_INDEXING).await;
            background::parse_catalog(&state.catalog_parser);
        });
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let arrived = Instant::now();
        let Some(path) = convert::path(&params.text_document.uri) else {
            return;
        };
        if discovery::dlt_dir_of(&path).is_none() {
            return; // not a .dlt file: nothing for this server
        }
        let doc = params.text_document;
        self.state
            .documents
            .insert(path.clone(), Document::new(&doc.text, doc.version));
        if let Some(put) = self.state.put_document(&path) {
            self.after_put(put, arrived).await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let arrived = Instant::now();
        let Some(path) = convert::path(&params.text_document.uri) else {
            return;
        };
        let enc = self.state.encoding();
        let applied = {
            let Some(mut doc) = self.state.documents.get_mut(&path) else {
                tracing::warn!(
                    "didChange for a document that is not open: {}",
                    params.text_document.uri
                );
                return;
            };
            let r = catch_unwind(AssertUnwindSafe(|| {
                for change in &params.content_changes {
                    doc.apply(change.range, &change.text, enc);
                }
            }));
            doc.version = params.text_document.version;
            r.is_ok()
        };
        if !applied {
            tracing::error!(
                "could not apply an edit to {}; asking for a full resync is not possible, keeping text",
                path.display()
            );
        }
        if let Some(put) = self.state.put_document(&path) {
            self.after_put(put, arrived).await;
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let arrived = Instant::now();
        let Some(path) = convert::path(&params.text_document.uri) else {
            return;
        };
        if self.state.documents.remove(&path).is_none() {
            return;
        }
        self.state.format_caches.remove(&path);
        // The file reverts to what is on disk (or disappears if it was never saved).
        let dir = if path.is_file() {
            let file = SourceFile::load(&path);
            self.state.put_file(file)
        } else {
            let dir = self.state.update(|s| s.remove_file(&path));
            publish::clear(&self.state, &self.client, &path).await;
            dir
        };
        if let Some(dir) = dir {
            self.schedule(dir, arrived);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let arrived = Instant::now();
        let mut dirs = Vec::new();
        let mut git_changed = false;
        for event in &params.changes {
            let is_git = convert::path(&event.uri).is_some_and(|p| {
                p.file_name().is_some_and(|n| n == ".gitignore")
                    || p.components().any(|c| c.as_os_str() == ".git")
            });
            if is_git {
                git_changed = true;
                continue;
            }
            if let Some(dir) = self.on_disk_change(event).await {
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        if git_changed {
            for dir in self.state.refresh_git(false) {
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        for dir in dirs {
            self.schedule(dir, arrived);
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        let added: Vec<PathBuf> = params
            .event
            .added
            .iter()
            .filter_map(|f| convert::path(&f.uri))
            .collect();
        let removed: Vec<PathBuf> = params
            .event
            .removed
            .iter()
            .filter_map(|f| convert::path(&f.uri))
            .collect();
        {
            let mut roots = self.state.roots.write().unwrap_or_else(|e| e.into_inner());
            roots.retain(|r| !removed.contains(r));
            roots.extend(added.iter().cloned());
        }
        let gone: Vec<PathBuf> = self
            .state
            .snapshot()
            .folders
            .keys()
            .filter(|d| removed.iter().any(|r| d.starts_with(r)))
            .map(std::path::Path::to_path_buf)
            .collect();
        for dir in gone {
            if let Some(folder) = self.state.update(|s| s.folders.remove(&dir)) {
                for f in folder.files.values() {
                    publish::clear(&self.state, &self.client, &f.path).await;
                }
            }
        }
        if !added.is_empty() {
            tokio::spawn(indexing::index_workspace(
                self.state.clone(),
                self.client.clone(),
            ));
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        *self
            .state
            .settings
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Settings::from_json(Some(&params.settings));
        self.set_run_context();
        for dir in self
            .state
            .snapshot()
            .folders
            .keys()
            .map(std::path::Path::to_path_buf)
            .collect::<Vec<_>>()
        {
            self.schedule(dir, Instant::now());
        }
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let Some(file) = self.file(&params.text_document.uri) else {
            return Ok(None);
        };
        let enc = self.state.encoding();
        let hierarchical = self.state.caps().hierarchical_symbols;
        let uri = params.text_document.uri;
        guarded("documentSymbol", || {
            let syms = symbols::document_symbols(file.doc.root());
            let nested: Vec<DocumentSymbol> = syms
                .iter()
                .map(|s| convert::symbol(&file, s, enc))
                .collect();
            Some(if hierarchical {
                DocumentSymbolResponse::Nested(nested)
            } else {
                flatten(&uri, &nested)
            })
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some(file) = self.file(&params.text_document.uri) else {
            return Ok(None);
        };
        guarded("foldingRange", || {
            Some(
                folding::folding_ranges(&file)
                    .iter()
                    .map(convert::fold)
                    .collect(),
            )
        })
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let Some(At {
            snapshot,
            folder,
            file,
            offset,
            ..
        }) = self.at(&params.text_document_position)
        else {
            return Ok(None);
        };
        let (folder, file) = (&*folder, &*file);
        let enc = self.state.encoding();
        let snippets = self.state.caps().snippets;
        let items = guarded("completion", || {
            crate::features::completion::completions(&snapshot, folder, file, offset)
        })?;
        let items: Vec<CompletionItem> = items
            .into_iter()
            .map(|i| convert::completion(file, i, enc, snippets))
            .collect();
        Ok(Some(CompletionResponse::Array(items)))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let Some(At {
            snapshot,
            path,
            folder,
            file,
            offset,
        }) = self.at(&params.text_document_position_params)
        else {
            return Ok(None);
        };
        let (folder, file) = (&*folder, &*file);
        let enc = self.state.encoding();
        let (values, doc) = guarded("hover", || {
            let options = crate::features::hover::HoverOptions {
                link: Some(convert::file_link),
            };
            (
                crate::features::hover::hover(&snapshot, &path, offset, options),
                crate::features::key_docs::key_doc(&snapshot, folder, file, offset),
            )
        })?;
        let range = values
            .as_ref()
            .map(|(_, span)| convert::range(file, *span, enc));
        let parts: Vec<String> = values
            .map(|(md, _)| md)
            .into_iter()
            .chain(doc.map(|d| d.markdown()))
            .collect();
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(Hover {
            contents: HoverContents::Markup(MarkupContent {
                kind: MarkupKind::Markdown,
                value: parts.join("\n\n---\n\n"),
            }),
            range,
        }))
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let Some(At {
            snapshot,
            path,
            offset,
            ..
        }) = self.at(&params.text_document_position_params)
        else {
            return Ok(None);
        };
        let targets = guarded("definition", || {
            crate::features::navigation::definitions(&snapshot, &path, offset)
        })?;
        let locations = self.locations(&snapshot, &targets);
        Ok((!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations)))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let Some(At {
            snapshot,
            path,
            offset,
            ..
        }) = self.at(&params.text_document_position)
        else {
            return Ok(None);
        };
        let include = params.context.include_declaration;
        let targets = guarded("references", || {
            crate::features::navigation::references(&snapshot, &path, offset, include)
        })?;
        Ok(Some(self.locations(&snapshot, &targets)))
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        if !self.state.settings().inlay_hints {
            return Ok(None);
        }
        let Some(path) = convert::path(&params.text_document.uri) else {
            return Ok(None);
        };
        let snapshot = self.state.snapshot();
        let Some((_, file)) = snapshot.file(&path) else {
            return Ok(None);
        };
        let enc = self.state.encoding();
        let hints = guarded("inlayHint", || {
            crate::features::inlay_hints::override_hints(&snapshot, &path)
        })?;
        let hints = hints
            .into_iter()
            .map(|h| InlayHint {
                position: convert::position(file, h.offset as u32, enc),
                label: InlayHintLabel::String(h.label),
                kind: None,
                text_edits: None,
                tooltip: None,
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .filter(|h| h.position >= params.range.start && h.position <= params.range.end)
            .collect();
        Ok(Some(hints))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let mut actions = self.quick_fixes(&params);
        actions.extend(self.hub_code_actions(&params).await);
        Ok((!actions.is_empty()).then_some(actions))
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let Some(file) = self.file(&params.text_document.uri) else {
            return Ok(None);
        };
        let enc = self.state.encoding();
        let mut lenses: Vec<CodeLens> = Vec::new();
        if let Some(anchor) = hub_actions::lens_anchor(&file) {
            let range = convert::range(&file, anchor, enc);
            lenses.extend(
                self.hub_actions_for(&params.text_document.uri)
                    .iter()
                    .filter(|a| a.disabled.is_none())
                    .map(|a| CodeLens {
                        range,
                        command: Some(hub_command(a)),
                        data: None,
                    }),
            );
        }
        // Clients without inlay hints get the "overridden in …" notes as lenses.
        if !self.state.caps().inlay_hints && self.state.settings().inlay_hints {
            let snapshot = self.state.snapshot();
            let path = file.path.clone();
            let hints = guarded("override lenses", || {
                crate::features::inlay_hints::override_hints(&snapshot, &path)
            })?;
            lenses.extend(hints.into_iter().map(|h| {
                let position = convert::position(&file, h.offset as u32, enc);
                CodeLens {
                    range: Range {
                        start: position,
                        end: position,
                    },
                    command: Some(Command {
                        title: h.label,
                        command: String::new(),
                        arguments: None,
                    }),
                    data: None,
                }
            }));
        }
        Ok(Some(lenses))
    }

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        if params.command == UNTRACK_COMMAND {
            return self.untrack(&params.arguments).await;
        }
        let Some(&(_, command)) = HUB_COMMANDS.iter().find(|(id, _)| *id == params.command) else {
            return Err(Error::invalid_params(format!(
                "unknown command {}",
                params.command
            )));
        };
        let Some(dir) = self.command_folder(&params.arguments) else {
            return Err(Error::invalid_params(
                "expected an argument {\"dltDir\": ...} or a file URI",
            ));
        };
        match runner::run(&self.state, &self.runs, &self.client, command, &dir).await {
            Ok(outcome) => Ok(serde_json::to_value(outcome).ok()),
            Err(message) => {
                self.client
                    .show_message(MessageType::ERROR, format!("dlt-lsp: {message}"))
                    .await;
                Err(Error {
                    code: tower_lsp::jsonrpc::ErrorCode::ServerError(-32803),
                    message: message.into(),
                    data: None,
                })
            }
        }
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(file) = self.file(&params.text_document.uri) else {
            return Ok(None);
        };
        let enc = self.state.encoding();
        let formatted = guarded("formatting", || {
            if !self.state.documents.contains_key(&file.path) {
                return formatting::format_file(&file);
            }
            // Open documents keep what their pieces formatted to, for the next request.
            let mut cache = self
                .state
                .format_caches
                .entry(file.path.clone())
                .or_default();
            formatting::format_file_with(&file, &mut cache)
        })?;
        match formatted {
            formatting::Formatted::Unchanged => Ok(Some(Vec::new())),
            formatting::Formatted::Edit { span, text } => Ok(Some(vec![TextEdit {
                range: convert::range(&file, span, enc),
                new_text: text,
            }])),
            formatting::Formatted::Refused(reason) => {
                self.client
                    .show_message(MessageType::WARNING, format!("dlt-lsp: {reason}"))
                    .await;
                Ok(None)
            }
        }
    }
}

#[allow(deprecated)]
fn flatten(uri: &Url, nested: &[DocumentSymbol]) -> DocumentSymbolResponse {
    fn walk(
        uri: &Url,
        syms: &[DocumentSymbol],
        container: Option<&str>,
        out: &mut Vec<SymbolInformation>,
    ) {
        for s in syms {
            out.push(SymbolInformation {
                name: s.name.clone(),
                kind: s.kind,
                tags: None,
                deprecated: None,
                location: Location {
                    uri: uri.clone(),
                    range: s.range,
                },
                container_name: container.map(str::to_string),
            });
            walk(
                uri,
                s.children.as_deref().unwrap_or_default(),
                Some(&s.name),
                out,
            );
        }
    }
    let mut out = Vec::new();
    walk(uri, nested, None, &mut out);
    DocumentSymbolResponse::Flat(out)
}
