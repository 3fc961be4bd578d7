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
    let sentinel = Sentinel::new(nl);
    let mut old = std::mem::take(cache);
    if old.crlf != options.crlf {
        old = FormatCache::default();
    }
    cache.crlf = options.crlf;

    // Where each piece is, and what the cache remembers of it.
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .chain(std::iter::once(children.len()))
        .collect();
    let mut slots = Vec::with_capacity(bounds.len() - 1);
    let mut offset = 0usize;
    for (n, w) in bounds.windows(2).enumerate() {
        let children = &children[w[0]..w[1]];
        let len: usize = children.iter().map(child_len).sum();
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
        slots.push(Slot {
            start,
            end,
            children,
            is_last,
            remembered,
        });
    }

    // What the cache did not know is formatted now, on every core when there is much of it
    // (the first request for a large file).
    let misses: Vec<&Slot> = slots.iter().filter(|s| s.remembered.is_none()).collect();
    cache.misses = misses.len();
    let miss_bytes: usize = misses.iter().map(|s| s.end - s.start).sum();
    let threads = if miss_bytes >= PARALLEL_BYTES {
        parallelism()
    } else {
        1
    };
    let formatted = map_in_chunks(&misses, threads, |slot| {
        format_piece(slot, &text[slot.start..slot.end], &sentinel, options)
    });
    let mut formatted = formatted.into_iter();

    let mut pieces = Vec::with_capacity(slots.len());
    for slot in slots {
        let piece_text = &text[slot.start..slot.end];
        let formatted = match slot.remembered {
            Some(f) => f,
            None => match formatted.next().flatten() {
                Some(f) => f,
                // The sentinel did not format as expected: never guess, format it all.
                None => return whole(root, text, options),
            },
        };
        if slot.is_last {
            cache.last = Some((piece_text.into(), formatted.clone()));
        } else {
            cache.pieces.insert(piece_text.into(), formatted.clone());
        }
        pieces.push(Piece {
            start: slot.start,
            end: slot.end,
            formatted,
        });
    }
    pieces
}

/// A piece before formatting: where it is, its root children, and what the cache remembers of
/// it (`None`: nothing; `Some(None)`: that formatting leaves it as it is).
struct Slot<'a> {
    start: usize,
    end: usize,
    children: &'a [Child<'a>],
    is_last: bool,
    remembered: Option<Option<Box<str>>>,
}

/// The blank line and header formatted after a piece that is not the last (module comment).
struct Sentinel {
    /// Its root children; `None` if taplo parses `<nl><nl>[s]` otherwise.
    children: Option<Vec<OwnedChild>>,
    /// What it formats to at the end of a piece's output.
    formatted: String,
}

impl Sentinel {
    fn new(nl: &str) -> Sentinel {
        let green = taplo::parser::parse(&format!("{nl}{nl}[s]")).green_node;
        let children: Vec<OwnedChild> = green.children().map(|c| to_owned(&c)).collect();
        let fits = children.len() == 2
            && children[0].kind() == SyntaxKind::NEWLINE.into()
            && children[1].kind() == SyntaxKind::TABLE_HEADER.into();
        Sentinel {
            children: fits.then_some(children),
            formatted: format!("{nl}{nl}[s]{nl}"),
        }
    }
}

/// What `slot` (whose text is `piece_text`) formats to: `Some(None)` when formatting leaves it
/// as it is, `None` when the sentinel did not format as expected.
fn format_piece(
    slot: &Slot,
    piece_text: &str,
    sentinel: &Sentinel,
    options: &Options,
) -> Option<Option<Box<str>>> {
    let out = match (slot.is_last, &sentinel.children) {
        (true, _) => format_children(slot.children, &[], options),
        (false, Some(s)) => {
            let mut out = format_children(slot.children, s, options);
            if !out.ends_with(&sentinel.formatted) {
                return None;
            }
            out.truncate(out.len() - sentinel.formatted.len());
            out
        }
        (false, None) => return None,
    };
    Some((out != piece_text).then(|| out.into_boxed_str()))
}

/// Pieces to format at least this many bytes in all are shared out between threads: spawning
/// one costs some tens of microseconds, formatting 64 KB a millisecond or two.
const PARALLEL_BYTES: usize = 64 * 1024;

/// The threads formatting may use: the machine's cores, at most four.
fn parallelism() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get().min(4))
            .unwrap_or(1)
    })
}

/// `f` of every item, in order, computed in `threads` contiguous chunks at once (the calling
/// thread takes the first); a panic in any chunk is raised again here.
fn map_in_chunks<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let f = &f;
        let others: Vec<_> = items
            .chunks(chunk)
            .skip(1)
            .map(|c| scope.spawn(move || c.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = items[..chunk].iter().map(f).collect();
        for handle in others {
            match handle.join() {
                Ok(results) => out.extend(results),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        out
    })
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

    #[test]
    fn a_large_file_formats_on_several_threads_like_the_whole_file() {
        // Unformatted entries in 4,000 sections: well over PARALLEL_BYTES in pieces of 200.
        let mut text = String::new();
        for i in 0..4000 {
            text.push_str(&format!(
                "[t{i}]\nk  =  {i}   # c\nlonger_key = [1,2,\n3]\n\n"
            ));
        }
        assert!(text.len() > 2 * PARALLEL_BYTES);
        let mut cache = FormatCache::default();
        assert_eq!(by_pieces(&text, 200, &mut cache), whole(&text));
        assert_eq!(cache.misses, cache.len());
        // Edits spread over the file: the misses again exceed the threshold, between hits.
        let edited: String = text
            .split_inclusive("\n\n")
            .enumerate()
            .map(|(i, s)| {
                if i % 10 == 0 {
                    s.replace("k  =", "k=")
                } else {
                    s.to_string()
                }
            })
            .collect();
        assert_eq!(by_pieces(&edited, 200, &mut cache), whole(&edited));
        // Pieces are at least 200 bytes: the misses are over the threshold.
        assert!(
            cache.misses * 200 >= PARALLEL_BYTES,
            "{} misses",
            cache.misses
        );
        assert!(cache.misses < cache.len());
    }

    #[test]
    fn chunks_computed_at_once_come_back_in_order() {
        let items: Vec<u32> = (0..101).collect();
        let expected: Vec<u32> = items.iter().map(|x| x * 3).collect();
        for threads in [1, 2, 3, 4, 7, 200] {
            assert_eq!(
                map_in_chunks(&items, threads, |x| x * 3),
                expected,
                "{threads}"
            );
        }
        assert!(map_in_chunks(&[] as &[u32], 4, |x| *x).is_empty());
        // A panic in another thread's chunk reaches the caller.
        let panicked = std::panic::catch_unwind(|| {
            map_in_chunks(&items, 2, |x| if *x == 100 { panic!("boom") } else { *x })
        });
        assert!(panicked.is_err());
    }
}
