//! Byte offsets ↔ line/column, for any of the three LSP position encodings.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`, as the LSP specification says. Columns are
//! counted in the negotiated unit; a column past the end of a line clamps to the line end, and
//! a column inside a multi-byte character snaps back to the character start.

use std::ops::Range;

/// What an edit changed: `old[start..old_end]` became `new[start..new_end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Change {
    /// The smallest change that turns `old` into `new` (longest common prefix and suffix, on
    /// character boundaries); `None` when they are equal.
    pub fn between(old: &str, new: &str) -> Option<Change> {
        if old == new {
            return None;
        }
        let (a, b) = (old.as_bytes(), new.as_bytes());
        let mut start = a.iter().zip(b).take_while(|(x, y)| x == y).count();
        while !old.is_char_boundary(start) || !new.is_char_boundary(start) {
            start -= 1;
        }
        let room = a.len().min(b.len()) - start;
        let mut suffix = a
            .iter()
            .rev()
            .zip(b.iter().rev())
            .take(room)
            .take_while(|(x, y)| x == y)
            .count();
        while !old.is_char_boundary(a.len() - suffix) || !new.is_char_boundary(b.len() - suffix) {
            suffix -= 1;
        }
        Some(Change {
            start,
            old_end: a.len() - suffix,
            new_end: b.len() - suffix,
        })
    }
}

/// Unit in which a column is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encoding {
    Utf8,
    #[default]
    Utf16,
    Utf32,
}

/// A zero-based line and column in some [`Encoding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// Start offsets of every line of a text, for O(log n) conversions.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    /// Byte offset where each line starts; `line_starts[0] == 0`.
    line_starts: Vec<u32>,
    /// Byte length of the text.
    len: u32,
    /// Whether any byte is non-ASCII; when not, every encoding counts bytes.
    ascii: bool,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        // Room for every line at once: counting the terminators is a pass the compiler
        // vectorizes, where growing the vector reallocated it for most files (issue 7).
        let ends = bytes.iter().filter(|&&b| b == b'\n' || b == b'\r').count();
        let mut line_starts = Vec::with_capacity(ends + 1);
        line_starts.push(0);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => line_starts.push(i as u32 + 1),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => line_starts.push(i as u32 + 1),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            line_starts,
            len: bytes.len() as u32,
            ascii: text.is_ascii(),
        }
    }

    /// Number of lines (a text ending in a newline has an empty last line).
    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    /// Byte range of `line` without its line terminator.
    pub fn line_range(&self, text: &str, line: u32) -> Range<usize> {
        let start = self
            .line_starts
            .get(line as usize)
            .copied()
            .unwrap_or(self.len) as usize;
        let mut end = self
            .line_starts
            .get(line as usize + 1)
            .copied()
            .unwrap_or(self.len) as usize;
        let b = text.as_bytes();
        if end > start && b.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && b.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end.max(start)
    }

    /// Line and column of a byte `offset` (clamped to the text).
    pub fn line_col(&self, text: &str, offset: usize, enc: Encoding) -> LineCol {
        let offset = offset.min(self.len as usize);
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(l) => l,
            Err(l) => l - 1,
        };
        let start = self.line_starts[line] as usize;
        let mut offset = offset;
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let col = if self.ascii || enc == Encoding::Utf8 {
            (offset - start) as u32
        } else {
            let s = &text[start..offset];
            match enc {
                Encoding::Utf16 => s.chars().map(|c| c.len_utf16() as u32).sum(),
                _ => s.chars().count() as u32,
            }
        };
        LineCol {
            line: line as u32,
            col,
        }
    }

    /// Byte offset of a line and column; positions past a line's end clamp to the end of that
    /// line, lines past the end clamp to the end of the text.
    pub fn offset(&self, text: &str, pos: LineCol, enc: Encoding) -> usize {
        if pos.line as usize >= self.line_starts.len() {
            return self.len as usize;
        }
        let range = self.line_range(text, pos.line);
        let line = &text[range.clone()];
        if self.ascii || enc == Encoding::Utf8 {
            let mut off = range.start + (pos.col as usize).min(line.len());
            while !text.is_char_boundary(off) {
                off -= 1;
            }
            return off;
        }
        let mut units = 0u32;
        for (i, c) in line.char_indices() {
            let w = match enc {
                Encoding::Utf16 => c.len_utf16() as u32,
                _ => 1,
            };
            if units + w > pos.col {
                return range.start + i;
            }
            units += w;
        }
        range.end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_smallest_change_on_character_boundaries() {
        let c = Change::between("a = 1\n", "a = 12\n").unwrap();
        assert_eq!((c.start, c.old_end, c.new_end), (5, 5, 6));
        let c = Change::between("x = \"é\"", "x = \"è\"").unwrap();
        assert_eq!((c.start, c.old_end, c.new_end), (5, 7, 7));
        let c = Change::between("aaa", "aa").unwrap();
        assert_eq!((c.start, c.old_end, c.new_end), (2, 3, 2));
        assert_eq!(Change::between("same", "same"), None);
    }

    fn round_trip(text: &str, enc: Encoding) {
        let idx = LineIndex::new(text);
        for (off, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let lc = idx.line_col(text, off, enc);
            let back = idx.offset(text, lc, enc);
            // Offsets inside a CRLF pair map to the line end.
            if text.as_bytes().get(off.wrapping_sub(1)) == Some(&b'\r')
                && text.as_bytes().get(off) == Some(&b'\n')
            {
                continue;
            }
            assert_eq!(back, off, "offset {off} via {lc:?} in {text:?} ({enc:?})");
        }
    }

    #[test]
    fn round_trips_every_offset_in_every_encoding() {
        for text in [
            "",
            "a = 1\n",
            "a = \"héllo 😀\"\r\nb = 2\r\n",
            "x\ry\r\nz\n",
            "😀😀\n€",
        ] {
            for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Utf32] {
                round_trip(text, enc);
            }
        }
    }

    #[test]
    fn counts_columns_in_the_negotiated_unit() {
        let text = "k = \"😀x\"";
        let idx = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(idx.line_col(text, x, Encoding::Utf8).col, 9);
        assert_eq!(idx.line_col(text, x, Encoding::Utf16).col, 7);
        assert_eq!(idx.line_col(text, x, Encoding::Utf32).col, 6);
    }

    #[test]
    fn treats_cr_crlf_and_lf_as_line_ends() {
        let text = "a\rb\r\nc\nd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(
            idx.line_col(text, text.find('d').unwrap(), Encoding::Utf16),
            LineCol { line: 3, col: 0 }
        );
        assert_eq!(&text[idx.line_range(text, 1)], "b");
    }

    #[test]
    fn clamps_positions_past_line_and_file_end() {
        let text = "ab\r\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16),
            2
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 9, col: 0 }, Encoding::Utf16),
            6
        );
        // Inside a surrogate pair snaps to the character start.
        let t = "😀";
        assert_eq!(
            LineIndex::new(t).offset(t, LineCol { line: 0, col: 1 }, Encoding::Utf16),
            0
        );
    }
}
