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
    let lc = file.line_index().line_col(&file.text, offset as usize, enc);
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
    file.line_index().offset(
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

/// A Markdown link target for `line` of the file at `path`: its `file` URL, percent-encoded, with
/// the line as the fragment (`#L12`). The path spelt as it is ended the link at a space, sent a
/// `#` in a folder's name to the fragment and cut the link at a `)`; parentheses, which URLs keep,
/// are encoded too. `None` for a path that has no URL (not absolute).
pub fn file_link(path: &Path, line: u32) -> Option<String> {
    // Most paths need no encoding and are spelt as they are: a hover links a source per profile,
    // and a URL built for each took the monorepo hover's handler from 155 to 174 k instructions
    // (163 k this way; callgrind, 500 hovers).
    if let Some(text) = path.to_str().filter(|t| is_plain_unix_path(t)) {
        return Some(format!("file://{text}#L{line}"));
    }
    let mut url = url(path)?;
    url.set_fragment(Some(&format!("L{line}")));
    Some(url.as_str().replace('(', "%28").replace(')', "%29"))
}

/// An absolute Unix path of characters a URL's path keeps as they are, and no `.` or `..`
/// segment (a URL resolves those).
fn is_plain_unix_path(text: &str) -> bool {
    let kept = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~');
    cfg!(unix)
        && text.starts_with('/')
        && text.bytes().all(kept)
        && !(text.contains("/./")
            || text.contains("/../")
            || text.ends_with("/.")
            || text.ends_with("/.."))
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

/// A completion item; snippet text becomes plain text for clients without snippet support.
pub fn completion(
    file: &SourceFile,
    mut item: crate::features::completion::CompletionItem,
    enc: Encoding,
    snippets: bool,
) -> lsp::CompletionItem {
    use crate::features::completion::CompletionKind as K;
    if item.is_snippet && !snippets {
        item.insert_text = plain_text_of_snippet(&item.insert_text);
        item.is_snippet = false;
    }
    lsp::CompletionItem {
        kind: Some(match item.kind {
            K::Section => lsp::CompletionItemKind::MODULE,
            K::Destination => lsp::CompletionItemKind::CLASS,
            K::Key => lsp::CompletionItemKind::PROPERTY,
            K::Value => lsp::CompletionItemKind::VALUE,
            K::Snippet => lsp::CompletionItemKind::SNIPPET,
        }),
        detail: item.detail,
        documentation: item.documentation.map(|value| {
            lsp::Documentation::MarkupContent(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value,
            })
        }),
        insert_text_format: Some(if item.is_snippet {
            lsp::InsertTextFormat::SNIPPET
        } else {
            lsp::InsertTextFormat::PLAIN_TEXT
        }),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit {
            range: range(file, item.replace, enc),
            new_text: item.insert_text,
        })),
        sort_text: Some(item.sort_text),
        filter_text: Some(item.label.clone()),
        label: item.label,
        ..Default::default()
    }
}

/// The text a snippet inserts with every placeholder at its default (`${1:x}` → `x`,
/// `${1|a,b|}` → `a`, `$1` → nothing).
pub fn plain_text_of_snippet(snippet: &str) -> String {
    let mut out = String::new();
    let mut chars = snippet.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '$' if chars.peek().is_some_and(|n| n.is_ascii_digit()) => {
                while chars.peek().is_some_and(|n| n.is_ascii_digit()) {
                    chars.next();
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let mut body = String::new();
                let mut depth = 1;
                for n in chars.by_ref() {
                    match n {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    body.push(n);
                }
                let rest = body.trim_start_matches(|c: char| c.is_ascii_digit());
                if let Some(default) = rest.strip_prefix(':') {
                    out.push_str(&plain_text_of_snippet(default));
                } else if let Some(choices) = rest.strip_prefix('|') {
                    out.push_str(
                        choices
                            .trim_end_matches('|')
                            .split(',')
                            .next()
                            .unwrap_or_default(),
                    );
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::plain_text_of_snippet as plain;

    /// The paths spelt as they are get the link the URL would give them.
    #[test]
    fn plain_paths_are_linked_as_their_url_spells_them() {
        let paths = [
            "/w/p/.dlt/config.toml",
            "/home/me/dlt-proj_2/.dlt/prod.secrets.toml",
            "/a~b/x.y/.dlt/dev.config.toml",
            "/",
            "/w/./p/.dlt/config.toml",
            "/w/../p/.dlt/config.toml",
            "/w/p/..",
            "/w/p/.",
        ];
        for path in paths {
            let mut url = super::Url::from_file_path(path).unwrap();
            url.set_fragment(Some("L7"));
            let plain = super::is_plain_unix_path(path);
            let dots = path
                .split('/')
                .any(|segment| segment == "." || segment == "..");
            assert_eq!(plain, !dots, "{path}");
            if plain {
                assert_eq!(
                    super::file_link(std::path::Path::new(path), 7).unwrap(),
                    url.as_str(),
                    "{path}"
                );
            }
        }
    }

    #[test]
    fn snippets_become_their_default_text() {
        assert_eq!(plain("password = \"$1\""), "password = \"\"");
        assert_eq!(plain("port = ${1:5432}$0"), "port = 5432");
        assert_eq!(
            plain("mode = \"${1|append,replace|}\""),
            "mode = \"append\""
        );
        assert_eq!(plain("a = ${1:${2:nested}}"), "a = nested");
        assert_eq!(plain("cost = \\$5"), "cost = $5");
    }
}
