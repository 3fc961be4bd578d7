//! Formatting a file piece by piece, remembering what each piece formats to (issue 7).
//!
//! taplo's formatter walks the root's children keeping a little state: entries and comments
//! waiting to be written (for alignment), newlines to skip, blank lines counted across
//! whitespace. At a blank line (a newline token of two or more line breaks) that directly follows
//! an entry, a comment or a header and directly precedes a table header, that state is empty
//! once the blank line has been read: the blank line writes out whatever waited, and what follows
//! is formatted exactly as at the start of a file. So the file can be cut right before such blank
//! lines, and each piece formatted on its own gives that piece's part of the whole output:
//! - a piece that is not the last is formatted with a sentinel blank line and header after it
//!   (`\n\n[s]`), which flushes what waits at its end just as the next piece's blank line would;
//!   the sentinel's known output is then cut off again;
//! - the last piece is formatted as it is, so taplo's end-of-file handling applies to it alone,
//!   as it does to the whole file.
//!
//! This holds for the options dlt-lsp formats with (taplo's defaults, line endings kept); the
//! indenting options, which carry table history across headers, are not used. Tests compare the
//! two ways on every fixture and on many cut points, and the fuzzer does on every input.
//!
//! A piece's formatting depends on its text alone, so `FormatCache` remembers it by text: after
//! an edit only the edited piece is formatted again, and formatting an unchanged file again costs
//! a lookup per piece.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use rustc_hash::FxHasher;
use taplo::formatter::Options;
use taplo::rowan::{GreenNode, GreenNodeData, GreenToken, GreenTokenData, NodeOrToken};
use taplo::syntax::{SyntaxKind, SyntaxNode};

/// Pieces are at least this long in bytes, where the file allows (a later cut point).
pub const PIECE_BYTES: usize = 4096;

type Child<'a> = NodeOrToken<&'a GreenNodeData, &'a GreenTokenData>;
type OwnedChild = NodeOrToken<GreenNode, GreenToken>;

/// What the pieces of the last formatted version of a document formatted to.
#[derive(Debug, Default)]
pub struct FormatCache {
    /// The line ending the pieces were formatted with.
    crlf: bool,
    /// Piece text → its formatted text, `None` when formatting leaves it as it is.
    pieces: HashMap<Box<str>, Option<Box<str>>, BuildHasherDefault<FxHasher>>,
    /// The last piece is formatted without the sentinel, so it is kept apart.
    last: Option<(Box<str>, Option<Box<str>>)>,
    /// How many pieces the last request had to format (the others came from the cache).
    pub misses: usize,
}

impl FormatCache {
    /// Number of pieces remembered (for tests).
    pub fn len(&self) -> usize {
        self.pieces.len() + usize::from(self.last.is_some())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One piece of the file: its byte range and what it formats to (`None`: unchanged).
struct Piece {
    start: usize,
    end: usize,
    formatted: Option<Box<str>>,
}

/// Formats the syntax tree `root` of `text` (which must have no syntax errors): the byte range
/// of `text` that formatting changes, from the first changed piece to the last, and its
/// formatted replacement; `None` when formatting changes nothing. Splicing it in gives exactly
/// taplo's `format_syntax` of the whole tree.
pub fn format_changes(
    root: &GreenNode,
    text: &str,
    options: &Options,
    cache: &mut FormatCache,
    min_piece: usize,
) -> Option<(usize, usize, String)> {
    let pieces = format_pieces(root, text, options, cache, min_piece);
    let first = pieces.iter().position(|p| p.formatted.is_some())?;
    let last = pieces.iter().rposition(|p| p.formatted.is_some())?;
    let mut out = String::new();
    for p in &pieces[first..=last] {
        out.push_str(p.formatted.as_deref().unwrap_or(&text[p.start..p.end]));
    }
    Some((pieces[first].start, pieces[last].end, out))
}

/// The pieces of `text` with their formatting, reusing and then refreshing `cache`.
fn format_pieces(
    root: &GreenNode,
    text: &str,
    options: &Options,
    cache: &mut FormatCache,
    min_piece: usize,
) -> Vec<Piece> {
    let children: Vec<Child> = root.children().collect();
    let cuts = cut_points(&children, min_piece);
    let nl = if options.crlf { "\r\n" } else { "\n" };
    let sentinel_suffix = format!("{nl}{nl}[s]{nl}");
    let sentinel = sentinel(nl);
    let mut old = std::mem::take(cache);
    if old.crlf != options.crlf {
        old = FormatCache::default();
    }
    cache.crlf = options.crlf;

    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut offset = 0usize;
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .chain(std::iter::once(children.len()))
        .collect();
    for (n, w) in bounds.windows(2).enumerate() {
        let slice = &children[w[0]..w[1]];
        let len: usize = slice.iter().map(|c| child_len(c)).sum();
        let (start, end) = (offset, offset + len);
        offset = end;
        let piece_text = &text[start..end];
        let is_last = n + 2 == bounds.len();
        let remembered = if is_last {
            old.last
                .take()
                .filter(|(t, _)| &**t == piece_text)
                .map(|(_, f)| f)
        } else {
            old.pieces.remove(piece_text)
        };
        let formatted = match remembered {
            Some(f) => f,
            None => {
                cache.misses += 1;
                let out = match (is_last, &sentinel) {
                    (true, _) => Some(format_children(slice, &[], options)),
                    (false, Some(s)) => {
                        let mut out = format_children(slice, s, options);
                        out.ends_with(&sentinel_suffix).then(|| {
                            out.truncate(out.len() - sentinel_suffix.len());
                            out
                        })
                    }
                    (false, None) => None,
                };
                match out {
                    Some(out) => (out != piece_text).then(|| out.into_boxed_str()),
                    // The sentinel did not format as expected: never guess, format it all.
                    None => return whole(root, text, options),
                }
            }
        };
        if is_last {
            cache.last = Some((piece_text.into(), formatted.clone()));
        } else {
            cache.pieces.insert(piece_text.into(), formatted.clone());
        }
        pieces.push(Piece {
            start,
            end,
            formatted,
        });
    }
    pieces
}

/// The whole file as one piece, formatted by taplo directly (not remembered).
fn whole(root: &GreenNode, text: &str, options: &Options) -> Vec<Piece> {
    let out = taplo::formatter::format_syntax(SyntaxNode::new_root(root.clone()), options.clone());
    vec![Piece {
        start: 0,
        end: text.len(),
        formatted: (out != text).then(|| out.into_boxed_str()),
    }]
}

/// Indices of the root children a piece may start at (see the module comment), at least
/// `min_piece` bytes apart.
fn cut_points(children: &[Child], min_piece: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut since_cut = 0usize;
    for (i, c) in children.iter().enumerate() {
        if since_cut >= min_piece && i > 0 && is_cut(children[i - 1], *c, children.get(i + 1)) {
            cuts.push(i);
            since_cut = 0;
        }
        since_cut += child_len(c);
    }
    cuts
}

/// Whether `c`, between `before` and `after`, is a blank line a piece can start at.
fn is_cut(before: Child, c: Child, after: Option<&Child>) -> bool {
    let NodeOrToken::Token(t) = c else {
        return false;
    };
    let blank_line = t.kind() == SyntaxKind::NEWLINE.into()
        && t.text().bytes().filter(|&b| b == b'\n').count() >= 2;
    let after_content = match before {
        NodeOrToken::Node(_) => true,
        NodeOrToken::Token(t) => t.kind() == SyntaxKind::COMMENT.into(),
    };
    let before_header = matches!(after, Some(NodeOrToken::Node(n))
        if n.kind() == SyntaxKind::TABLE_HEADER.into()
            || n.kind() == SyntaxKind::TABLE_ARRAY_HEADER.into());
    blank_line && after_content && before_header
}

fn child_len(c: &Child) -> usize {
    match c {
        NodeOrToken::Node(n) => n.text_len().into(),
        NodeOrToken::Token(t) => t.text_len().into(),
    }
}

fn to_owned(c: &Child) -> OwnedChild {
    match c {
        NodeOrToken::Node(n) => NodeOrToken::Node((*n).to_owned()),
        NodeOrToken::Token(t) => NodeOrToken::Token((*t).to_owned()),
    }
}

/// taplo's formatting of a root made of `children` followed by `extra`.
fn format_children(children: &[Child], extra: &[OwnedChild], options: &Options) -> String {
    let owned: Vec<OwnedChild> = children
        .iter()
        .map(to_owned)
        .chain(extra.iter().cloned())
        .collect();
    let green = GreenNode::new(SyntaxKind::ROOT.into(), owned);
    taplo::formatter::format_syntax(SyntaxNode::new_root(green), options.clone())
}

/// The root children of `<nl><nl>[s]`: a blank line and a header, or `None` if taplo parses it
/// otherwise.
fn sentinel(nl: &str) -> Option<Vec<OwnedChild>> {
    let green = taplo::parser::parse(&format!("{nl}{nl}[s]")).green_node;
    let children: Vec<OwnedChild> = green.children().map(|c| to_owned(&c)).collect();
    let fits = children.len() == 2
        && children[0].kind() == SyntaxKind::NEWLINE.into()
        && children[1].kind() == SyntaxKind::TABLE_HEADER.into();
    fits.then_some(children)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the pieces give, spliced into the text.
    fn by_pieces(text: &str, min_piece: usize, cache: &mut FormatCache) -> String {
        let green = taplo::parser::parse(text).green_node;
        let options = options_for(text);
        match format_changes(&green, text, &options, cache, min_piece) {
            None => text.to_string(),
            Some((start, end, new)) => format!("{}{new}{}", &text[..start], &text[end..]),
        }
    }

    fn options_for(text: &str) -> Options {
        Options {
            crlf: text.contains("\r\n"),
            ..Default::default()
        }
    }

    fn whole(text: &str) -> String {
        let green = taplo::parser::parse(text).green_node;
        taplo::formatter::format_syntax(SyntaxNode::new_root(green), options_for(text))
    }

    /// Pieces of every size give taplo's output, fresh and from a warm cache.
    fn assert_same(text: &str) {
        let expected = whole(text);
        for min_piece in [0, 1, 40, 200, PIECE_BYTES] {
            let mut cache = FormatCache::default();
            assert_eq!(
                by_pieces(text, min_piece, &mut cache),
                expected,
                "{text:?} in pieces of {min_piece}"
            );
            assert_eq!(
                by_pieces(text, min_piece, &mut cache),
                expected,
                "{text:?} again, from the cache"
            );
        }
    }

    #[test]
    fn cuts_only_at_blank_lines_before_headers() {
        let text = "a=1\n\n[t]\nb=2\n[u]\nc=3\n\n\n[[v]]\nd=4\n  \n\n[w]\n";
        let green = taplo::parser::parse(text).green_node;
        let children: Vec<Child> = green.children().collect();
        let starts: Vec<&str> = cut_points(&children, 0)
            .into_iter()
            .map(|i| {
                let at: usize = children[..i].iter().map(child_len).sum();
                &text[at..]
            })
            .collect();
        // Not before `[u]` (no blank line) nor `[w]` (whitespace in the blank lines).
        assert_eq!(
            starts,
            [
                "\n\n[t]\nb=2\n[u]\nc=3\n\n\n[[v]]\nd=4\n  \n\n[w]\n",
                "\n\n\n[[v]]\nd=4\n  \n\n[w]\n"
            ]
        );
    }

    #[test]
    fn pieces_format_like_the_whole_file() {
        for text in [
            "",
            "a=1",
            "a=1\n\n[t]\nb=2\n",
            "# top\n\n[t]\nb  =  2 # note   \nc = [1,2,\n3]\n# tail   \n\n[u]\n",
            "[t]\nx=1\n\n\n\n\n[u]\ny=2\n\n\n\n",
            "[t]\r\nx=1\r\n\r\n[u]\r\ny=\"é\"\r\n\r\n",
            "[t]\nk = 1 # a\nkk = 22 # b\n\n[u]\nm = 1 # c\nmm = 2 # d\n",
            "[t]\ns = \"\"\"\n\n[not.a.header]\n\"\"\"\n\n[u]\n",
            "[t]\n# before u\n\n[u]\n# only a comment\n\n[[v]]\n\n[[v]]\nq = { a = 1,   b = [ 1 ] }\n",
            "x = 1\n\n[a]\n\n[b]\n\n[c]   # header comment\n\n[d]\n",
        ] {
            assert_same(text);
        }
    }

    /// Many generated files mixing every construct around the cut points.
    #[test]
    fn pieces_format_like_the_whole_file_on_generated_files() {
        let parts = [
            "\n", "\n\n", "\n\n\n\n", "\n  \n", "  \n\n", "# comment\n", "# trailing spaces   \n",
            "[t]\n", "[t.u] # h\n", "[[arr]]\n", "  [ind . ented ]\n", "a=1\n", "bb  =  \"x\"  # c\n",
            "c = [1,\n2,\n  3]\n", "d = { x = 1, y = [2] }\n", "e = \"\"\"\n\n[in.string]\n\"\"\"\n",
            "long = [\"aaaaaaaaaaaaaaaaaaaa\", \"bbbbbbbbbbbbbbbbbbbbbbbb\", \"cccccccccccccccccccccccc\", \"ddd\"]\n",
            "f = 1 # x\n", "ff = 22 # yy\n", "\t\n",
        ];
        let mut next = crate::test_support::xorshift(0x2545_f491_4f6c_dd1du64);
        let mut checked = 0;
        for _ in 0..3000 {
            let n = 1 + (next() % 24) as usize;
            let mut text: String = (0..n)
                .map(|_| parts[(next() % parts.len() as u64) as usize])
                .collect();
            if next() % 5 == 0 {
                text = text.replace('\n', "\r\n");
            }
            if next() % 4 == 0 {
                text.pop();
            }
            if taplo::parser::parse(&text).errors.is_empty() {
                assert_same(&text);
                checked += 1;
            }
        }
        assert!(checked > 1000, "only {checked} generated files parsed");
    }

    #[test]
    fn an_edit_formats_only_its_piece_again() {
        let mut text = String::new();
        for i in 0..400 {
            text.push_str(&format!("[t{i}]\nk = {i}\nname = \"n{i}\"\n\n"));
        }
        let mut cache = FormatCache::default();
        assert_eq!(by_pieces(&text, 200, &mut cache), whole(&text));
        let pieces = cache.len();
        assert!(pieces > 50, "{pieces} pieces");
        assert_eq!(cache.misses, pieces);
        assert_eq!(by_pieces(&text, 200, &mut cache), whole(&text));
        assert_eq!(cache.misses, 0);
        let edited = text.replacen("k = 200", "k=  201", 1);
        assert_eq!(by_pieces(&edited, 200, &mut cache), whole(&edited));
        assert_eq!(cache.misses, 1);
        assert_eq!(cache.len(), pieces);
        // Other line endings: nothing remembered fits.
        let crlf = edited.replace('\n', "\r\n");
        assert_eq!(by_pieces(&crlf, 200, &mut cache), whole(&crlf));
        assert_eq!(cache.misses, cache.len());
    }
}
