//! Conversions between model data (byte spans) and LSP types (positions in the negotiated
//! encoding). Nothing here knows dlt.

use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::{self as lsp, Position, Range, Url};

use crate::features::folding::{Fold, FoldKind};
use crate::features::symbols::{Symbol, SymbolKind};
use crate::model::diagnostic::{Diagnostic, Severity};
use crate::model::source::SourceFile;
use crate::model::text::{Encoding, LineCol};
use crate::model::toml::Span;

pub fn encoding_of(kind: &lsp::PositionEncodingKind) -> Encoding {
    match kind.as_str() {
        "utf-8" => Encoding::Utf8,
        "utf-32" => Encoding::Utf32,
        _ => Encoding::Utf16,
    }
}

pub fn position(file: &SourceFile, offset: u32, enc: Encoding) -> Position {
    let lc = file.line_index.line_col(&file.text, offset as usize, enc);
    Position {
        line: lc.line,
        character: lc.col,
    }
}

pub fn range(file: &SourceFile, span: Span, enc: Encoding) -> Range {
    Range {
        start: position(file, span.start, enc),
        end: position(file, span.end, enc),
    }
}

pub fn offset(file: &SourceFile, pos: Position, enc: Encoding) -> usize {
    file.line_index.offset(
        &file.text,
        LineCol {
            line: pos.line,
            col: pos.character,
        },
        enc,
    )
}

pub fn url(path: &Path) -> Option<Url> {
    Url::from_file_path(path).ok()
}

pub fn path(url: &Url) -> Option<PathBuf> {
    if url.scheme() != "file" {
        return None;
    }
    url.to_file_path().ok()
}

pub fn diagnostic(
    file: &SourceFile,
    d: &Diagnostic,
    enc: Encoding,
    related_file: impl Fn(&Path) -> Option<std::sync::Arc<SourceFile>>,
) -> lsp::Diagnostic {
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            let other = if r.path == file.path {
                None
            } else {
                related_file(&r.path)
            };
            let target = other.as_deref().unwrap_or(file);
            Some(lsp::DiagnosticRelatedInformation {
                location: lsp::Location {
                    uri: url(&r.path)?,
                    range: range(target, r.span, enc),
                },
                message: r.message.clone(),
            })
        })
        .collect();
    lsp::Diagnostic {
        range: range(file, d.span, enc),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
            Severity::Hint => lsp::DiagnosticSeverity::HINT,
        }),
        code: Some(lsp::NumberOrString::String(d.code.id.to_string())),
        source: Some("dlt-lsp".into()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

#[allow(deprecated)]
pub fn symbol(file: &SourceFile, s: &Symbol, enc: Encoding) -> lsp::DocumentSymbol {
    let range = range(file, s.range, enc);
    let mut selection = self::range(file, s.selection, enc);
    // LSP requires the selection inside the range.
    if selection.start < range.start || selection.end > range.end {
        selection = range;
    }
    lsp::DocumentSymbol {
        name: if s.name.is_empty() {
            "\"\"".into()
        } else {
            s.name.clone()
        },
        detail: s.detail.clone(),
        kind: match s.kind {
            SymbolKind::Table => lsp::SymbolKind::OBJECT,
            SymbolKind::Array => lsp::SymbolKind::ARRAY,
            SymbolKind::String => lsp::SymbolKind::STRING,
            SymbolKind::Number => lsp::SymbolKind::NUMBER,
            SymbolKind::Boolean => lsp::SymbolKind::BOOLEAN,
            SymbolKind::DateTime => lsp::SymbolKind::CONSTANT,
            SymbolKind::Invalid => lsp::SymbolKind::NULL,
        },
        tags: None,
        deprecated: None,
        range,
        selection_range: selection,
        children: (!s.children.is_empty())
            .then(|| s.children.iter().map(|c| symbol(file, c, enc)).collect()),
    }
}

pub fn fold(f: &Fold) -> lsp::FoldingRange {
    lsp::FoldingRange {
        start_line: f.start_line,
        end_line: f.end_line,
        kind: Some(match f.kind {
            FoldKind::Region => lsp::FoldingRangeKind::Region,
            FoldKind::Comment => lsp::FoldingRangeKind::Comment,
        }),
        ..Default::default()
    }
}
