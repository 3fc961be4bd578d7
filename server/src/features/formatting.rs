//! Formatting with taplo's formatter, keeping the file's line endings.

use super::format_pieces::{self, FormatCache};
use crate::model::source::SourceFile;
use crate::model::toml::{Span, TomlErrorKind};

/// The outcome of a format request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatted {
    /// Already formatted.
    Unchanged,
    /// Replace `span` of the old text with `text` (the smallest changed region).
    Edit { span: Span, text: String },
    /// Not formatted, with the reason for the user.
    Refused(String),
}

/// Formats a whole file.
pub fn format_file(file: &SourceFile) -> Formatted {
    format_file_with(file, &mut FormatCache::default())
}

/// Formats a whole file, formatting again only the pieces `cache` does not know (the cache then
/// holds this version's pieces). The result is the same as without a cache.
pub fn format_file_with(file: &SourceFile, cache: &mut FormatCache) -> Formatted {
    if file.load_error.is_some() {
        return Formatted::Refused(format!(
            "{} was not analysed, so it is not formatted",
            file.name
        ));
    }
    if file
        .doc
        .errors
        .iter()
        .any(|e| e.kind == TomlErrorKind::TooDeep)
    {
        // taplo's formatter parses the text again, without the model's nesting guard; its
        // recursive parser would overflow the stack, an abort that no panic handler catches.
        return Formatted::Refused(format!(
            "{} is nested too deeply to be analysed, so it is not formatted",
            file.name
        ));
    }
    let syntax = file
        .doc
        .errors
        .iter()
        .filter(|e| e.kind == TomlErrorKind::Syntax)
        .count();
    if syntax > 0 {
        return Formatted::Refused(format!(
            "{} has {syntax} syntax error{}; fix {} before formatting",
            file.name,
            if syntax == 1 { "" } else { "s" },
            if syntax == 1 { "it" } else { "them" }
        ));
    }
    let old = &*file.text;
    let options = taplo::formatter::Options {
        crlf: old.contains("\r\n"),
        ..Default::default()
    };
    // The file's own syntax tree: taplo's `format` would parse the text again first.
    let changes = format_pieces::format_changes(
        file.doc.green(),
        old,
        &options,
        cache,
        format_pieces::PIECE_BYTES,
    );
    let Some((start, end, new)) = changes else {
        return Formatted::Unchanged;
    };
    // The smallest single replacement within the changed pieces.
    match super::edits::diff_edit(&old[start..end], &new) {
        None => Formatted::Unchanged,
        Some(e) => Formatted::Edit {
            span: Span::new(start + e.span.start as usize, start + e.span.end as usize),
            text: e.new_text,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn apply(text: &str) -> Formatted {
        format_file(&SourceFile::from_text(
            Path::new("/p/.dlt/config.toml"),
            text.into(),
            None,
        ))
    }

    fn formatted(text: &str) -> String {
        match apply(text) {
            Formatted::Edit { span, text: t } => {
                format!(
                    "{}{}{}",
                    &text[..span.start as usize],
                    t,
                    &text[span.end as usize..]
                )
            }
            Formatted::Unchanged => text.to_string(),
            Formatted::Refused(r) => panic!("{r}"),
        }
    }

    #[test]
    fn formats_and_keeps_crlf() {
        assert_eq!(
            formatted("[a]\r\nx=1\r\ny =  \"é\"\r\n"),
            "[a]\r\nx = 1\r\ny = \"é\"\r\n"
        );
        assert_eq!(formatted("a=1\n"), "a = 1\n");
        assert_eq!(apply("a = 1\n"), Formatted::Unchanged);
    }

    /// Found by fuzzing: the nesting guard kept taplo's recursive parser away from such a file,
    /// but the formatter parsed the text again, unguarded, and overflowed the stack.
    #[test]
    fn refuses_files_nested_too_deeply_to_parse() {
        let text = format!("k = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000));
        assert_eq!(
            apply(&text),
            Formatted::Refused(
                "config.toml is nested too deeply to be analysed, so it is not formatted".into()
            )
        );
    }

    #[test]
    fn refuses_files_with_syntax_errors() {
        assert_eq!(
            apply("[a\nx = 1\n"),
            Formatted::Refused("config.toml has 1 syntax error; fix it before formatting".into())
        );
    }
}
