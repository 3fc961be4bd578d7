//! Folding ranges: table sections, multi-line values and comment blocks.

use taplo::syntax::SyntaxKind;

use crate::model::source::SourceFile;
use crate::model::text::Encoding;
use crate::model::toml::{Node, Table, Value};

/// What a fold hides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FoldKind {
    Region,
    Comment,
}

/// A fold from one line to another (zero-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fold {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// Every fold of a file, sorted by start line.
pub fn folding_ranges(file: &SourceFile) -> Vec<Fold> {
    let mut out = Vec::new();
    let line = |off: u32| {
        file.line_index()
            .line_col(&file.text, off as usize, Encoding::Utf8)
            .line
    };
    let mut push = |start: u32, end: u32, kind| {
        let (s, e) = (line(start), line(end));
        if e > s {
            out.push(Fold {
                start_line: s,
                end_line: e,
                kind,
            });
        }
    };
    fn walk(table: &Table, push: &mut dyn FnMut(u32, u32, FoldKind)) {
        for node in table.entries.values() {
            fold_node(node, push);
        }
    }
    fn fold_node(node: &Node, push: &mut dyn FnMut(u32, u32, FoldKind)) {
        push(node.full_span.start, node.full_span.end, FoldKind::Region);
        match &node.value {
            Value::Table(t) => walk(t, push),
            Value::Array(items) => items.iter().for_each(|i| fold_node(i, push)),
            _ => {}
        }
    }
    walk(file.doc.root(), &mut push);
    // Runs of comment lines.
    let mut run: Option<(u32, u32)> = None;
    for token in file
        .doc
        .syntax()
        .descendants_with_tokens()
        .filter_map(|e| e.into_token())
    {
        match token.kind() {
            SyntaxKind::COMMENT => {
                let r = token.text_range();
                run = Some(match run {
                    Some((s, _)) => (s, r.end().into()),
                    None => (r.start().into(), r.end().into()),
                });
            }
            SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE => {
                if token.kind() == SyntaxKind::NEWLINE && token.text().matches('\n').count() > 1 {
                    if let Some((s, e)) = run.take() {
                        push(s, e, FoldKind::Comment);
                    }
                }
            }
            _ => {
                if let Some((s, e)) = run.take() {
                    push(s, e, FoldKind::Comment);
                }
            }
        }
    }
    if let Some((s, e)) = run {
        push(s, e, FoldKind::Comment);
    }
    out.sort_by_key(|f| (f.start_line, std::cmp::Reverse(f.end_line)));
    out.dedup_by_key(|f| (f.start_line, f.end_line));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn folds_sections_arrays_and_comment_blocks() {
        let text = "# one\n# two\n[a]\nx = [\n  1,\n  2,\n]\ny = 1\n\n[b]\nz = 1\n";
        let file = SourceFile::from_text(Path::new("/p/.dlt/config.toml"), text.into(), None);
        let folds: Vec<_> = folding_ranges(&file)
            .iter()
            .map(|f| (f.start_line, f.end_line, f.kind))
            .collect();
        assert_eq!(
            folds,
            [
                (0, 1, FoldKind::Comment),
                (2, 7, FoldKind::Region),
                (3, 6, FoldKind::Region),
                (9, 10, FoldKind::Region)
            ]
        );
    }
}
