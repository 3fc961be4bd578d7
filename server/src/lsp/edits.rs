//! Plain edit sets (features::edits) → LSP workspace edits.

use std::collections::HashMap;

use tower_lsp::lsp_types::{
    self as lsp, CreateFile, CreateFileOptions, DocumentChangeOperation, DocumentChanges, OneOf,
    OptionalVersionedTextDocumentIdentifier, ResourceOp, TextDocumentEdit, WorkspaceEdit,
};

use super::convert;
use super::state::State;
use crate::features::edits::{EditSet, FileChange};
use crate::model::text::{Encoding, LineCol, LineIndex};

/// A workspace edit for `set`, or `None` when the client cannot apply it (it needs file
/// creation the client does not support) or an open document changed since it was computed.
pub fn workspace_edit(state: &State, set: &EditSet) -> Option<WorkspaceEdit> {
    let caps = state.caps();
    let enc = state.encoding();
    let needs_create = set
        .changes
        .iter()
        .any(|c| matches!(c, FileChange::Create { .. }));
    if needs_create && !caps.create_files {
        return None;
    }
    if caps.document_changes {
        let mut ops = Vec::new();
        for change in &set.changes {
            let uri = convert::url(change.path())?;
            match change {
                FileChange::Create { text, .. } => {
                    ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                        CreateFile {
                            uri: uri.clone(),
                            options: Some(CreateFileOptions {
                                overwrite: Some(false),
                                ignore_if_exists: Some(true),
                            }),
                            annotation_id: None,
                        },
                    )));
                    ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier {
                            uri,
                            version: None,
                        },
                        edits: vec![OneOf::Left(lsp::TextEdit {
                            range: lsp::Range::default(),
                            new_text: text.clone(),
                        })],
                    }));
                }
                FileChange::Edit {
                    path,
                    base_text,
                    edits,
                } => {
                    let version = match state.documents.get(path) {
                        Some(doc) if doc.text() != **base_text => return None,
                        Some(doc) => Some(doc.version),
                        None => None,
                    };
                    let text_edits = convert_edits(base_text, edits, enc);
                    ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                        text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                        edits: text_edits.into_iter().map(OneOf::Left).collect(),
                    }));
                }
            }
        }
        return Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(ops)),
            ..Default::default()
        });
    }
    let mut changes: HashMap<lsp::Url, Vec<lsp::TextEdit>> = HashMap::new();
    for change in &set.changes {
        if let FileChange::Edit {
            path,
            base_text,
            edits,
        } = change
        {
            if state
                .documents
                .get(path)
                .is_some_and(|d| d.text() != **base_text)
            {
                return None;
            }
            changes
                .entry(convert::url(path)?)
                .or_default()
                .extend(convert_edits(base_text, edits, enc));
        }
    }
    Some(WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    })
}

fn convert_edits(
    base: &str,
    edits: &[crate::features::edits::TextEdit],
    enc: Encoding,
) -> Vec<lsp::TextEdit> {
    let index = LineIndex::new(base);
    let pos = |off: u32| {
        let LineCol { line, col } = index.line_col(base, off as usize, enc);
        lsp::Position {
            line,
            character: col,
        }
    };
    edits
        .iter()
        .map(|e| lsp::TextEdit {
            range: lsp::Range {
                start: pos(e.span.start),
                end: pos(e.span.end),
            },
            new_text: e.new_text.clone(),
        })
        .collect()
}
