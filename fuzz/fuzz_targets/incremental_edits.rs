//! Random incremental edits through the editor's document store (ropey), in each position
//! encoding, checked after every edit against the same edit applied to a plain `String` with the
//! model's `LineIndex`: the texts must be byte-identical, each edit's re-parse of only the edited
//! sections identical to a whole parse, and the diagnostics of the final text identical to those
//! of a full re-sync.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use arbitrary::Arbitrary;
use dlt_lsp::features::diagnostics;
use dlt_lsp::lsp::documents::Document;
use dlt_lsp::model::source::SourceFile;
use dlt_lsp::model::text::{Encoding, LineCol, LineIndex};
use dlt_lsp::model::toml::TomlDoc;
use dlt_lsp::model::workspace::{DltFolder, Snapshot};
use libfuzzer_sys::fuzz_target;
use tower_lsp::lsp_types::{Position, Range};

#[derive(Debug, Arbitrary)]
struct Input {
    encoding: u8,
    initial: String,
    edits: Vec<Edit>,
}

#[derive(Debug, Arbitrary)]
struct Edit {
    /// A full-document change (no range) instead of an incremental one.
    full: bool,
    start: Pos,
    end: Pos,
    text: String,
}

/// Mostly small numbers, so most edits land inside the text; sometimes far past the end.
#[derive(Debug, Arbitrary)]
struct Pos {
    line: u8,
    col: u8,
    far: bool,
}

impl Pos {
    fn lsp(&self) -> Position {
        let scale = |v: u8| {
            if self.far {
                u32::from(v) * 1_000_000
            } else {
                u32::from(v)
            }
        };
        Position {
            line: scale(self.line % 16),
            character: scale(self.col % 64),
        }
    }
}

fn line_col(p: Position) -> LineCol {
    LineCol {
        line: p.line,
        col: p.character,
    }
}

fuzz_target!(|input: Input| {
    let enc = [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32][usize::from(input.encoding % 3)];
    let mut doc = Document::new(&input.initial, 1);
    let mut plain = input.initial.clone();
    let mut parsed = TomlDoc::parse(&plain);
    for edit in input.edits.iter().take(64) {
        let before = plain.clone();
        if edit.full {
            doc.apply(None, &edit.text, enc);
            plain = edit.text.clone();
        } else {
            let (start, end) = (edit.start.lsp(), edit.end.lsp());
            doc.apply(Some(Range { start, end }), &edit.text, enc);
            let index = LineIndex::new(&plain);
            let mut a = index.offset(&plain, line_col(start), enc);
            let mut b = index.offset(&plain, line_col(end), enc);
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            plain.replace_range(a..b, &edit.text);
        }
        assert_eq!(
            doc.text(),
            plain,
            "document and plain text differ after {edit:?} ({enc:?})"
        );
        assert_eq!(
            doc.rope.len_lines() as u32,
            LineIndex::new(&plain).line_count()
        );
        // Re-parsing only the edited sections must give exactly the whole parse.
        parsed = parsed.reparse(&before, &plain);
        let whole = TomlDoc::parse(&plain);
        assert_eq!(parsed.green(), whole.green(), "tree after {edit:?}");
        assert_eq!(parsed.errors, whole.errors, "errors after {edit:?}");
        assert_eq!(parsed.root(), whole.root(), "tables after {edit:?}");
    }
    // Edits are positioned with the rope's lines, diagnostics with the line index's: both must
    // agree on where every line starts.
    let index = LineIndex::new(&plain);
    assert_eq!(doc.rope.len_lines() as u32, index.line_count());
    for (off, _) in plain.char_indices().chain([(plain.len(), ' ')]) {
        let line = doc.rope.byte_to_line(off);
        let lc = index.line_col(&plain, off, Encoding::Utf8);
        assert_eq!(line as u32, lc.line, "line of offset {off} in {plain:?}");
        assert_eq!(
            doc.rope.line_to_byte(line) + lc.col as usize,
            off,
            "{plain:?}"
        );
    }
    // The server re-analyses the rope's text; a full re-sync would analyse `plain`.
    let dlt_dir = Path::new("/nonexistent-dlt-lsp-fuzz/project/.dlt");
    let diags = |text: String| {
        let file = SourceFile::from_text(&dlt_dir.join("secrets.toml"), text.into(), Some(1));
        let folder = DltFolder::in_memory(dlt_dir, false, None, [Arc::new(file)]);
        let snapshot = Snapshot::from_folders([folder]);
        let folder = snapshot.folders.values().next().unwrap();
        diagnostics::folder_diagnostics(&snapshot, folder)
            .into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>()
    };
    assert_eq!(diags(doc.text()), diags(plain));
});
