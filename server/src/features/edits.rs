//! Plain edit data that quick fixes return and the protocol layer turns into workspace edits.
//!
//! Spans are byte offsets into `base_text`, the exact text the edit was computed against, so the
//! protocol layer can convert them to positions even for files the editor has not opened (a
//! `.gitignore`) and refuse to apply an edit whose file changed meanwhile.

use std::path::PathBuf;
use std::sync::Arc;

use crate::model::text::Change;
use crate::model::toml::Span;

/// Replace the bytes of `span` with `new_text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextEdit {
    /// Byte range in the base text.
    pub span: Span,
    /// Replacement text.
    pub new_text: String,
}

/// A change to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    /// Edits, non-overlapping and sorted, to an existing file whose text was `base_text`.
    Edit {
        path: PathBuf,
        base_text: Arc<str>,
        edits: Vec<TextEdit>,
    },
    /// Create a file that does not exist yet, with this content.
    Create { path: PathBuf, text: String },
}

impl FileChange {
    /// The file this change is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            FileChange::Edit { path, .. } | FileChange::Create { path, .. } => path,
        }
    }

    /// The file's text after the change.
    pub fn result(&self) -> String {
        match self {
            FileChange::Edit {
                base_text, edits, ..
            } => apply(base_text, edits),
            FileChange::Create { text, .. } => text.clone(),
        }
    }
}

/// Changes applied together as one workspace edit, under a title for the code action menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditSet {
    /// The code action's title.
    pub title: String,
    /// Changes to apply together, in order.
    pub changes: Vec<FileChange>,
}

/// An external command a quick fix proposes; run only after the user confirms it, as an
/// argument vector (never through a shell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandFix {
    /// The code action's title.
    pub title: String,
    /// The question to ask before running it.
    pub confirmation: String,
    /// Program and arguments, run without a shell.
    pub argv: Vec<String>,
    /// Working directory: the repository's work tree.
    pub cwd: PathBuf,
}

/// Applies sorted, non-overlapping edits to `text`.
pub fn apply(text: &str, edits: &[TextEdit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0usize;
    for e in edits {
        let (start, end) = (e.span.start as usize, e.span.end as usize);
        out.push_str(&text[at..start]);
        out.push_str(&e.new_text);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The smallest single edit turning `old` into `new`: common prefix and suffix are kept, so an
/// editor keeps cursors and folds outside the changed region.
pub fn diff_edit(old: &str, new: &str) -> Option<TextEdit> {
    let change = Change::between(old, new)?;
    let mut start = change.start;
    // Never split a CRLF pair.
    if start > 0 && old.as_bytes()[start - 1] == b'\r' {
        start -= 1;
    }
    Some(TextEdit {
        span: Span::new(start, change.old_end),
        new_text: new[start..change.new_end].to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_edit_is_minimal_and_round_trips() {
        for (old, new) in [
            ("a = 1\nb = 2\n", "a = 1\n"),
            ("", "x\n"),
            ("héllo", "hallo"),
            ("abcabc", "abc"),
            ("x", "x"),
        ] {
            match diff_edit(old, new) {
                Some(e) => assert_eq!(apply(old, &[e]), new),
                None => assert_eq!(old, new),
            }
        }
        let e = diff_edit("a = 1\nb = 2\nc = 3\n", "a = 1\nc = 3\n").unwrap();
        assert_eq!((e.span.start, e.span.end, e.new_text.as_str()), (6, 12, ""));
    }
}
