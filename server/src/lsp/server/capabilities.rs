//! What the client can do (read from `initialize`) and what the server offers in return.

use tower_lsp::lsp_types::*;

use super::HUB_COMMANDS;
use super::UNTRACK_COMMAND;
use crate::lsp::state::ClientCaps;

/// The client capabilities that decide what the server sends.
pub fn client_caps(caps: &ClientCapabilities) -> ClientCaps {
    ClientCaps {
        work_done_progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        watched_files_dynamic: caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        document_changes: workspace_edit_caps(caps)
            .and_then(|w| w.document_changes)
            .unwrap_or(false),
        create_files: has_resource_op(caps, ResourceOperationKind::Create),
        rename_files: has_resource_op(caps, ResourceOperationKind::Rename),
        message_actions: caps
            .window
            .as_ref()
            .and_then(|w| w.show_message.as_ref())
            .is_some(),
        snippets: caps
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false),
        inlay_hints: caps
            .text_document
            .as_ref()
            .and_then(|t| t.inlay_hint.as_ref())
            .is_some(),
        hierarchical_symbols: caps
            .text_document
            .as_ref()
            .and_then(|t| t.document_symbol.as_ref())
            .and_then(|d| d.hierarchical_document_symbol_support)
            .unwrap_or(false),
    }
}

/// The server's capabilities, positions in `encoding`.
pub fn server_capabilities(encoding: PositionEncodingKind) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(encoding),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), "[".into(), "=".into(), "\"".into()]),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        inlay_hint_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::SOURCE]),
            work_done_progress_options: Default::default(),
            resolve_provider: None,
        })),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: None,
        }),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: HUB_COMMANDS
                .iter()
                .map(|(id, _)| id.to_string())
                .chain([UNTRACK_COMMAND.to_string()])
                .collect(),
            work_done_progress_options: Default::default(),
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..Default::default()
    }
}

fn workspace_edit_caps(caps: &ClientCapabilities) -> Option<&WorkspaceEditClientCapabilities> {
    caps.workspace.as_ref()?.workspace_edit.as_ref()
}

fn has_resource_op(caps: &ClientCapabilities, op: ResourceOperationKind) -> bool {
    workspace_edit_caps(caps)
        .and_then(|w| w.resource_operations.as_ref())
        .is_some_and(|ops| ops.contains(&op))
}
