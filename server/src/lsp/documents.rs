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
    let (line_no, col) = (pos.line as usize, pos.character as usize);
    // Past the last line, the line found is empty and starts at the end of the text.
    match line_in_one_chunk(rope, line_no) {
        Some((line, first_char)) => first_char + column_chars(line, col, enc),
        None if line_no >= rope.len_lines() => rope.len_chars(),
        None => char_index_by_slices(rope, line_no, col, enc),
    }
}

/// The text of line `line_no` and the char index it starts at, when the line lies in one of the
/// rope's chunks (always, but in a document of more than a chunk's few hundred bytes for a
/// line at a chunk's end). Found with one descent of the rope and counted in the chunk's own
/// text: ropey's `line_to_char` and slices count a leaf's text from its start each time, and
/// converting a change's two positions through them was 5 % of the instructions of an edit on
/// the monorepo (callgrind, 100 edits; issue 7).
fn line_in_one_chunk(rope: &Rope, line_no: usize) -> Option<(&str, usize)> {
    use ropey::str_utils::{byte_to_char_idx, line_to_byte_idx};
    let (chunk, chunk_byte, chunk_char, chunk_line) = rope.get_chunk_at_line_break(line_no)?;
    let nth = line_no.checked_sub(chunk_line)?;
    let start = line_to_byte_idx(chunk, nth);
    let end = line_to_byte_idx(chunk, nth + 1);
    // A line that reaches the chunk's end may go on in the next chunk.
    if end == chunk.len() && chunk_byte + end < rope.len_bytes() {
        return None;
    }
    Some((
        &chunk[start..end],
        chunk_char + byte_to_char_idx(chunk, start),
    ))
}

/// The chars before column `col` (in `enc`'s units) of `line`, clamped to its content (the line
/// break left out); a column inside a char counts up to that char's start, as ropey does.
fn column_chars(line: &str, col: usize, enc: Encoding) -> usize {
    let content = line.strip_suffix('\n').unwrap_or(line);
    let content = content.strip_suffix('\r').unwrap_or(content);
    match enc {
        Encoding::Utf8 => {
            let mut at = col.min(content.len());
            while !content.is_char_boundary(at) {
                at -= 1;
            }
            content[..at].chars().count()
        }
        Encoding::Utf16 => {
            let mut units = 0;
            content
                .chars()
                .take_while(|c| {
                    units += c.len_utf16();
                    units <= col
                })
                .count()
        }
        Encoding::Utf32 => col.min(content.chars().count()),
    }
}

/// [`char_index`] through rope slices, for a line split between chunks.
fn char_index_by_slices(rope: &Rope, line_no: usize, col: usize, enc: Encoding) -> usize {
    let line = rope.line(line_no);
    let chars = content_chars(line);
    let content = line.slice(..chars);
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
    fn a_position_maps_to_the_same_char_read_off_a_chunk_or_through_slices() {
        // Multi-byte chars (2, 3 and 4 bytes; a UTF-16 surrogate pair), CRLF, a lone CR (a line
        // break for ropey's `cr_lines`), an empty last line, and a text long enough for lines
        // that straddle two chunks.
        let short = "k = \"é€😀\"\r\nb = 1\rc = [\"x\"]\n\n";
        let long: String = (0..400)
            .map(|i| format!("key_{i} = \"välue-😀-{i}\"\r\n"))
            .collect();
        for text in [short, long.as_str(), "", "no break at the end é"] {
            let rope = Rope::from_str(text);
            let (mut fast, mut straddling) = (0, 0);
            for line in 0..rope.len_lines() + 2 {
                for col in 0..40 {
                    for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                        let got = char_index(&rope, pos(line as u32, col), enc);
                        let want = if line >= rope.len_lines() {
                            rope.len_chars()
                        } else {
                            char_index_by_slices(&rope, line, col as usize, enc)
                        };
                        assert_eq!(got, want, "{text:?} line {line} col {col} {enc:?}");
                        if line < rope.len_lines() {
                            match line_in_one_chunk(&rope, line) {
                                Some(_) => fast += 1,
                                None => straddling += 1,
                            }
                        }
                    }
                }
            }
            assert!(fast > 0, "{text:?}: no line read off a chunk");
            if text.len() > 10_000 {
                assert!(straddling > 0, "no line straddles two chunks");
            }
        }
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
