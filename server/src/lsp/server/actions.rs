//! Code actions and the commands behind them: quick fixes (secrets, profile hygiene, misnamed
//! files), the confirmed `git rm --cached`, and the dlthub actions; plus navigation targets.

use super::*;

/// The command behind the "untrack the secrets file" quick fix.
pub const UNTRACK_COMMAND: &str = "dlt.gitUntrack";

/// Quick fixes and the commands they run.
impl Backend {
    /// Model targets (path + byte span) → LSP locations, reading files that are not indexed.
    pub(super) fn locations(
        &self,
        snapshot: &crate::model::workspace::Snapshot,
        targets: &[crate::features::navigation::Target],
    ) -> Vec<Location> {
        let enc = self.state.encoding();
        targets
            .iter()
            .filter_map(|t| {
                let file = match snapshot.file(&t.path) {
                    Some((_, f)) => f.clone(),
                    None => snapshot
                        .global
                        .as_ref()
                        .and_then(|g| g.files.values().find(|f| f.path == t.path).cloned())
                        .unwrap_or_else(|| Arc::new(SourceFile::load(&t.path))),
                };
                Some(Location {
                    uri: convert::url(&t.path)?,
                    range: convert::range(&file, t.span, enc),
                })
            })
            .collect()
    }

    pub(super) fn quick_fixes(&self, params: &CodeActionParams) -> Vec<CodeActionOrCommand> {
        let wanted = params
            .context
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|k| k.as_str() == "quickfix"));
        let Some(path) = convert::path(&params.text_document.uri).filter(|_| wanted) else {
            return Vec::new();
        };
        let snapshot = self.state.snapshot();
        let Some((folder, file)) = snapshot.file(&path) else {
            return Vec::new();
        };
        let enc = self.state.encoding();
        let span = crate::model::toml::Span::new(
            convert::offset(file, params.range.start, enc),
            convert::offset(file, params.range.end, enc),
        );
        let Ok(fixes) = guarded("quick fixes", || {
            crate::features::secrets::secret_fixes(&snapshot, folder, file, span)
        }) else {
            return Vec::new();
        };
        let ours: Vec<Diagnostic> = params
            .context
            .diagnostics
            .iter()
            .filter(|d| d.source.as_deref() == Some("dlt-lsp"))
            .cloned()
            .collect();
        let mut out = Vec::new();
        let hygiene = guarded("profile fixes", || {
            crate::features::profile_hygiene::hygiene_fixes(&snapshot, folder, file, span)
        })
        .unwrap_or_default();
        for set in fixes.edits.iter().chain(&hygiene) {
            let Some(edit) = crate::lsp::edits::workspace_edit(&self.state, set) else {
                continue;
            };
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: set.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!ours.is_empty()).then(|| ours.clone()),
                edit: Some(edit),
                ..Default::default()
            }));
        }
        if let Some(fix) = crate::features::misnamed::rename_fix(folder, file)
            .filter(|_| self.state.caps().rename_files)
        {
            if let (Some(old_uri), Some(new_uri)) = (convert::url(&fix.from), convert::url(&fix.to))
            {
                let op = ResourceOp::Rename(RenameFile {
                    old_uri,
                    new_uri,
                    options: Some(RenameFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(false),
                    }),
                    annotation_id: None,
                });
                out.push(CodeActionOrCommand::CodeAction(CodeAction {
                    title: fix.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    is_preferred: Some(true),
                    edit: Some(WorkspaceEdit {
                        document_changes: Some(DocumentChanges::Operations(vec![
                            DocumentChangeOperation::Op(op),
                        ])),
                        ..Default::default()
                    }),
                    ..Default::default()
                }));
            }
        }
        for cmd in &fixes.commands {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: cmd.title.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: (!ours.is_empty()).then(|| ours.clone()),
                command: Some(Command {
                    title: cmd.title.clone(),
                    command: UNTRACK_COMMAND.into(),
                    arguments: Some(vec![serde_json::json!({
                        "argv": cmd.argv, "cwd": cmd.cwd, "confirmation": cmd.confirmation
                    })]),
                }),
                ..Default::default()
            }));
        }
        out
    }

    /// Runs `git rm --cached -- <file>` after the user confirms; nothing else is accepted.
    pub(super) async fn untrack(
        &self,
        args: &[serde_json::Value],
    ) -> Result<Option<serde_json::Value>> {
        let arg = args.first().cloned().unwrap_or_default();
        let argv: Vec<String> = serde_json::from_value(arg["argv"].clone()).unwrap_or_default();
        let cwd = PathBuf::from(arg["cwd"].as_str().unwrap_or_default());
        let shape_ok =
            argv.len() == 5 && argv[..4] == ["git", "rm", "--cached", "--"] && cwd.is_dir();
        if !shape_ok {
            return Err(Error::invalid_params(
                "dlt.gitUntrack only runs `git rm --cached -- <file>` in a work tree",
            ));
        }
        if !self.state.caps().message_actions {
            let msg = format!(
                "run `{}` in {} to untrack the file",
                argv.join(" "),
                cwd.display()
            );
            self.client.show_message(MessageType::WARNING, msg).await;
            return Ok(None);
        }
        let question = arg["confirmation"]
            .as_str()
            .unwrap_or("Untrack the file from git?")
            .to_string();
        let yes = MessageActionItem {
            title: "Untrack".into(),
            properties: Default::default(),
        };
        let answer = self
            .client
            .show_message_request(
                MessageType::WARNING,
                question,
                Some(vec![
                    yes.clone(),
                    MessageActionItem {
                        title: "Cancel".into(),
                        properties: Default::default(),
                    },
                ]),
            )
            .await;
        if !matches!(answer, Ok(Some(ref a)) if a.title == yes.title) {
            return Ok(Some(serde_json::json!({ "ran": false })));
        }
        let output = tokio::process::Command::new(&argv[0])
            .args(&argv[1..])
            .current_dir(&cwd)
            .stdin(std::process::Stdio::null())
            .output()
            .await;
        let (ok, message) = match output {
            Ok(o) if o.status.success() => (
                true,
                format!(
                    "`{}` done; now rotate the credentials it held",
                    argv.join(" ")
                ),
            ),
            Ok(o) => (
                false,
                format!(
                    "`{}` failed: {}",
                    argv.join(" "),
                    String::from_utf8_lossy(&o.stderr).trim()
                ),
            ),
            Err(e) => (false, format!("cannot run git: {e}")),
        };
        self.client
            .show_message(
                if ok {
                    MessageType::INFO
                } else {
                    MessageType::ERROR
                },
                message,
            )
            .await;
        for dir in self.state.refresh_git(true) {
            self.schedule(dir, Instant::now());
        }
        Ok(Some(serde_json::json!({ "ran": true, "success": ok })))
    }

    pub(super) fn hub_actions_for(&self, uri: &Url) -> Vec<HubAction> {
        let Some(path) = convert::path(uri) else {
            return Vec::new();
        };
        let snapshot = self.state.snapshot();
        let Some((folder, file)) = snapshot.file(&path) else {
            return Vec::new();
        };
        guarded("hub actions", || {
            hub_actions::hub_actions(&snapshot, folder, file)
        })
        .unwrap_or_default()
    }

    pub(crate) async fn hub_code_actions(
        &self,
        params: &CodeActionParams,
    ) -> Vec<CodeActionOrCommand> {
        let wanted = |kind: &CodeActionKind| {
            params
                .context
                .only
                .as_ref()
                .is_none_or(|only| only.iter().any(|o| kind.as_str().starts_with(o.as_str())))
        };
        self.hub_actions_for(&params.text_document.uri)
            .iter()
            .map(|a| {
                let kind = CodeActionKind::from(format!(
                    "source.dlt.{}",
                    command_id(a.command).trim_start_matches("dlt.")
                ));
                (kind, a)
            })
            .filter(|(kind, _)| wanted(kind))
            .map(|(kind, a)| {
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: a.title.clone(),
                    kind: Some(kind),
                    command: Some(hub_command(a)),
                    disabled: a
                        .disabled
                        .clone()
                        .map(|reason| CodeActionDisabled { reason }),
                    ..Default::default()
                })
            })
            .collect()
    }
}
