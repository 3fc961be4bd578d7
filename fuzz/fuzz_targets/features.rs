//! Arbitrary text → parse → an in-memory `.dlt` folder snapshot → every pure feature.
//!
//! The input is split at NUL bytes into up to 8 files with the names of a dlt project
//! (`config.toml`, `secrets.toml`, profile files, a misnamed one), so a plain TOML file is a
//! valid seed. Nothing touches the disk. Besides "no panic", it checks what the protocol layer
//! relies on: spans inside the text, offsets that round-trip through the line index, edits
//! that apply, and fixes or formatting that never turn a valid file into a broken one.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use dlt_lsp::features::edits::FileChange;
use dlt_lsp::features::formatting::Formatted;
use dlt_lsp::features::{
    diagnostics, folding, format_pieces, formatting, hub_actions, misnamed, secrets, symbols,
};
use dlt_lsp::lsp::convert;
use dlt_lsp::model::cursor;
use dlt_lsp::model::source::{self, SourceFile};
use dlt_lsp::model::text::{Encoding, LineCol};
use dlt_lsp::model::toml::{Span, TomlDoc, TomlErrorKind};
use dlt_lsp::model::workspace::{DltFolder, Snapshot};
use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &[
    "config.toml",
    "secrets.toml",
    "prod.config.toml",
    "prod.secrets.toml",
    "dev.secrets.toml",
    "access.secrets.toml",
    "prod.secret.toml",
    "tests.config.toml",
];
const ENCODINGS: [Encoding; 3] = [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32];
/// A directory that does not exist: features that look at the disk find nothing.
const DLT_DIR: &str = "/nonexistent-dlt-lsp-fuzz/project/.dlt";

fuzz_target!(|data: &[u8]| {
    let dlt_dir = Path::new(DLT_DIR);
    let files: Vec<SourceFile> = data
        .split(|b| *b == 0)
        .zip(NAMES)
        .map(|(bytes, name)| {
            // The disk path's decoding, then the text the editor would send.
            let _ = source::decode(bytes.to_vec());
            let text = String::from_utf8_lossy(bytes);
            SourceFile::from_text(&dlt_dir.join(name), Arc::from(text.as_ref()), Some(1))
        })
        .collect();
    let files: Vec<Arc<SourceFile>> = files.into_iter().map(Arc::new).collect();
    // Odd-length inputs are a dltHub workspace with a pinned profile, even ones a plain project.
    let workspace = data.len() % 2 == 1;
    {
        let (is_workspace, pinned) = (workspace, workspace.then(|| "prod".to_string()));
        let folder = DltFolder::in_memory(dlt_dir, is_workspace, pinned, files.clone());
        let snapshot = Snapshot::from_folders([folder]);
        let folder = snapshot.folders.values().next().unwrap().clone();
        for (file, diags) in diagnostics::folder_diagnostics(&snapshot, &folder) {
            for (i, d) in diags.iter().enumerate() {
                check_span(&file, d.span, &format!("diagnostic {:?}", d.message));
                for enc in ENCODINGS {
                    let _ = convert::diagnostic(&file, d, enc, |p| {
                        folder.files.values().find(|f| f.path == p).cloned()
                    });
                }
                if i >= 8 {
                    continue; // the fixes of the first findings cover every kind; keep runs fast
                }
                let fixes = secrets::secret_fixes(&snapshot, &folder, &file, d.span);
                for set in &fixes.edits {
                    for change in &set.changes {
                        check_change(&folder, change);
                    }
                }
            }
            per_file(&snapshot, &folder, &file);
        }
    }
});

/// Everything that takes one file.
fn per_file(snapshot: &Snapshot, folder: &DltFolder, file: &Arc<SourceFile>) {
    let text = &*file.text;
    // A dormant file builds the same tables and tree again (Debug: a `nan` is not equal to itself).
    if let Some(dormant) = file.doc.dormant(file.text.clone()) {
        let tables = |d: &TomlDoc| format!("{:?}", d.root());
        assert_eq!(tables(&dormant), tables(&file.doc), "tables of a dormant file");
        assert_eq!(dormant.green(), file.doc.green(), "tree of a dormant file");
    }
    let syms = symbols::document_symbols(file.doc.root());
    let mut stack: Vec<&symbols::Symbol> = syms.iter().collect();
    while let Some(s) = stack.pop() {
        check_span(file, s.range, "symbol range");
        check_span(file, s.selection, "symbol selection");
        for enc in ENCODINGS {
            let _ = convert::symbol(file, s, enc);
        }
        stack.extend(s.children.iter());
    }
    let lines = file.line_index().line_count();
    for f in folding::folding_ranges(file) {
        assert!(
            f.start_line <= f.end_line && f.end_line < lines,
            "fold {f:?}"
        );
    }
    match formatting::format_file(file) {
        Formatted::Edit { span, text: new } => {
            check_span(file, span, "format edit");
            let mut out = text.to_string();
            out.replace_range(span.start as usize..span.end as usize, &new);
            let reparsed = dlt_lsp::model::toml::TomlDoc::parse(&out);
            assert!(
                !reparsed
                    .errors
                    .iter()
                    .any(|e| e.kind == TomlErrorKind::Syntax),
                "formatting broke a file without syntax errors: {text:?} → {out:?}"
            );
        }
        Formatted::Unchanged | Formatted::Refused(_) => {}
    }
    check_pieces(file);
    let _ = hub_actions::hub_actions(snapshot, folder, file);
    let _ = hub_actions::sync_blocker(folder);
    if let Some(span) = hub_actions::lens_anchor(file) {
        check_span(file, span, "lens anchor");
    }
    let _ = misnamed::rename_fix(folder, file);
    let whole = Span::new(0, text.len());
    for set in secrets::secret_fixes(snapshot, folder, file, whole).edits {
        for change in &set.changes {
            check_change(folder, change);
        }
    }
    let found = secrets::secrets_of(folder, file);
    for v in &found.values {
        check_span(file, v.value_span, "secret value");
        check_span(file, v.entry_span, "secret entry");
        let masked = dlt_lsp::model::secrets::mask(
            &text[v.value_span.start as usize..v.value_span.end as usize],
        );
        let _ = masked;
        if let Some(set) = secrets::env_var_fix(file, v) {
            for change in &set.changes {
                check_change(folder, change);
            }
        }
    }
    for t in &found.credentials_tables {
        check_span(file, t.full_span, "credentials table");
        if let Some(set) = secrets::move_to_secrets_fix(folder, file, &t.path) {
            for change in &set.changes {
                check_change(folder, change);
            }
        }
    }
    // Cursor and position conversion at every char boundary of small files, a sample of big ones.
    let step = (text.len() / 64).max(1);
    let mut offsets: Vec<usize> = (0..=text.len()).step_by(step).collect();
    offsets.push(text.len() + 7);
    for off in offsets {
        let _ = cursor::locate(&file.doc, off);
        if off > text.len() || !text.is_char_boundary(off) {
            continue;
        }
        let inside_crlf = off > 0
            && text.as_bytes()[off - 1] == b'\r'
            && text.as_bytes().get(off) == Some(&b'\n');
        for enc in ENCODINGS {
            let lc = file.line_index().line_col(text, off, enc);
            let back = file.line_index().offset(text, lc, enc);
            if !inside_crlf {
                assert_eq!(back, off, "offset {off} → {lc:?} → {back} ({enc:?})");
            }
            let pos = convert::position(file, off as u32, enc);
            let _ = convert::offset(file, pos, enc);
        }
    }
    for enc in ENCODINGS {
        let far = LineCol {
            line: lines + 3,
            col: u32::MAX,
        };
        assert_eq!(file.line_index().offset(text, far, enc), text.len());
    }
}

fn check_span(file: &SourceFile, span: Span, what: &str) {
    let (s, e) = (span.start as usize, span.end as usize);
    assert!(
        s <= e
            && e <= file.text.len()
            && file.text.is_char_boundary(s)
            && file.text.is_char_boundary(e),
        "{what} span {span:?} not on char boundaries of the {} bytes of {:?}: {:?}",
        file.text.len(),
        file.name,
        file.text
            .get(s.saturating_sub(40).min(file.text.len())..)
            .map(|t| t.chars().take(80).collect::<String>())
    );
}

/// A fix's change applies, and does not break a file that parsed cleanly.
fn check_change(folder: &DltFolder, change: &FileChange) {
    if let FileChange::Edit {
        base_text, edits, ..
    } = change
    {
        let mut at = 0;
        for e in edits {
            assert!(
                e.span.start as usize >= at && e.span.start <= e.span.end,
                "unsorted edits {edits:?}"
            );
            assert!(
                base_text.is_char_boundary(e.span.start as usize)
                    && base_text.is_char_boundary(e.span.end as usize),
                "edit {e:?} outside {base_text:?}"
            );
            at = e.span.end as usize;
        }
    }
    let result = change.result();
    let name = change
        .path()
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if !name.ends_with(".toml") {
        return;
    }
    let was_clean = folder
        .files
        .get(name)
        .is_none_or(|f| f.doc.errors.is_empty());
    let now = dlt_lsp::model::toml::TomlDoc::parse(&result);
    if was_clean {
        assert!(
            now.errors.is_empty(),
            "a fix broke {name}: {:?}\nresult: {result:?}",
            now.errors
        );
    }
}

/// Formatting cut into the smallest pieces, from a cold and then a warm cache, gives exactly
/// taplo's formatting of the whole file.
fn check_pieces(file: &SourceFile) {
    let text = &*file.text;
    let unformattable =
        |k: &TomlErrorKind| matches!(k, TomlErrorKind::Syntax | TomlErrorKind::TooDeep);
    if file.doc.errors.iter().any(|e| unformattable(&e.kind)) || file.load_error.is_some() {
        return;
    }
    let options = taplo::formatter::Options {
        crlf: text.contains("\r\n"),
        ..Default::default()
    };
    let whole = taplo::formatter::format_syntax(file.doc.syntax(), options.clone());
    let mut cache = format_pieces::FormatCache::default();
    for _ in 0..2 {
        let out =
            match format_pieces::format_changes(file.doc.green(), text, &options, &mut cache, 0) {
                None => text.to_string(),
                Some((start, end, new)) => format!("{}{new}{}", &text[..start], &text[end..]),
            };
        assert_eq!(
            out, whole,
            "formatting by pieces differs from the whole file's: {text:?}"
        );
    }
}
