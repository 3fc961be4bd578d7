//! Open documents: ropey text with incremental edits in the negotiated position encoding.

use ropey::{Rope, RopeSlice};
use tower_lsp::lsp_types::{Position, Range};

use crate::model::text::Encoding;

/// A document the editor has open.
#[derive(Debug, Clone)]
pub struct Document {
    pub rope: Rope,
    pub version: i32,
}

impl Document {
    pub fn new(text: &str, version: i32) -> Self {
        Document {
            rope: Rope::from_str(text),
            version,
        }
    }

    /// Applies one content change; out-of-range positions clamp, reversed ranges are ordered.
    pub fn apply(&mut self, range: Option<Range>, text: &str, enc: Encoding) {
        match range {
            None => self.rope = Rope::from_str(text),
            Some(r) => {
                let mut start = char_index(&self.rope, r.start, enc);
                let mut end = char_index(&self.rope, r.end, enc);
                if start > end {
                    std::mem::swap(&mut start, &mut end);
                }
                self.rope.remove(start..end);
                self.rope.insert(start, text);
            }
        }
    }

    pub fn text(&self) -> String {
        self.rope.to_string()
    }
}

/// Chars of a rope line without its line break.
fn content_chars(line: RopeSlice) -> usize {
    let mut n = line.len_chars();
    if n > 0 && line.char(n - 1) == '\n' {
        n -= 1;
    }
    if n > 0 && line.char(n - 1) == '\r' {
        n -= 1;
    }
    n
}

/// The char index of an LSP position, clamped to the line's content and the text.
fn char_index(rope: &Rope, pos: Position, enc: Encoding) -> usize {
    let line_no = pos.line as usize;
    if line_no >= rope.len_lines() {
        return rope.len_chars();
    }
    let line = rope.line(line_no);
    let chars = content_chars(line);
    let content = line.slice(..chars);
    let col = pos.character as usize;
    let within = match enc {
        Encoding::Utf8 => content.byte_to_char(col.min(content.len_bytes())),
        Encoding::Utf16 => content.utf16_cu_to_char(col.min(content.len_utf16_cu())),
        Encoding::Utf32 => col.min(chars),
    };
    rope.line_to_char(line_no) + within
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn applies_incremental_edits_in_each_encoding() {
        let mut d = Document::new("k = \"😀\"\r\nb = 1\n", 1);
        // After the emoji: UTF-16 column 7, UTF-8 column 9, UTF-32 column 6.
        d.apply(
            Some(Range {
                start: pos(0, 7),
                end: pos(0, 7),
            }),
            "x",
            Encoding::Utf16,
        );
        d.apply(
            Some(Range {
                start: pos(0, 10),
                end: pos(0, 10),
            }),
            "y",
            Encoding::Utf8,
        );
        d.apply(
            Some(Range {
                start: pos(0, 8),
                end: pos(0, 8),
            }),
            "z",
            Encoding::Utf32,
        );
        assert_eq!(d.text(), "k = \"😀xyz\"\r\nb = 1\n");
    }

    #[test]
    fn clamps_out_of_range_and_orders_reversed_ranges() {
        let mut d = Document::new("ab\r\ncd", 1);
        d.apply(
            Some(Range {
                start: pos(0, 99),
                end: pos(0, 99),
            }),
            "!",
            Encoding::Utf16,
        );
        assert_eq!(d.text(), "ab!\r\ncd");
        d.apply(
            Some(Range {
                start: pos(9, 0),
                end: pos(9, 5),
            }),
            "?",
            Encoding::Utf16,
        );
        assert_eq!(d.text(), "ab!\r\ncd?");
        d.apply(
            Some(Range {
                start: pos(1, 1),
                end: pos(0, 1),
            }),
            "",
            Encoding::Utf16,
        );
        assert_eq!(d.text(), "ad?");
    }
}
