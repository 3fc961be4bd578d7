//! Re-parsing only the top-level sections an edit touches.
//!
//! taplo parses a whole text at once; on a 20,000-line file that is a third of a keystroke's
//! cost (issue 7). A TOML file is a run of sections, each starting with a table header on a line
//! of its own. When an edit stays inside a run of sections, the sections around it parse exactly
//! as before, and only the edited run has to be parsed again, on its own, and put in place of
//! the old one in the syntax tree.
//!
//! That holds when neither the lexer nor the parser carries anything across the run's borders,
//! which is checked, never assumed:
//! - the run starts at a table header the old parse put at the top level right after a newline,
//!   after the edit's first byte and at or before the old parse's first error (after an error
//!   taplo's parser may not be in the state it starts a file in, and an unterminated string
//!   could be closed by the edit);
//! - the re-parsed run, followed by a probe section, must end with a top-level newline, hold no
//!   unlexable text (taplo's string lexer scans to the end of the file for a closing quote) and
//!   leave the probe parsing cleanly; when the old run had errors, it must pass the same test,
//!   so that the sections after it were parsed from a clean state too.
//!
//! When the run's end fails the test, the run grows by a section, a few times; otherwise the
//! caller parses the whole text. The result equals the whole parse exactly, tree and errors:
//! tests compare both on thousands of generated files and edits, and the fuzz target on every
//! edit it generates.

use std::ops::Range;

use taplo::parser::Error;

use super::text::Change;
use taplo::rowan::{
    GreenNode, GreenNodeData, GreenTokenData, Language, NodeOrToken, TextRange, TextSize,
};
use taplo::syntax::{Lang, SyntaxKind};

/// taplo's message for unlexable text: an `ERROR` token, e.g. a string without its closing quote.
const UNLEXABLE: &str = "unexpected token";

/// How many sections a run may grow by before the whole text is parsed instead.
const MAX_GROWTH: usize = 4;

/// The parse of an edited text, from a run of its sections and the old parse around it.
#[derive(Debug)]
pub struct Reparsed {
    pub green: GreenNode,
    pub errors: Vec<Error>,
    /// The bytes of the new text that were parsed again.
    pub run: Range<usize>,
}

/// The syntax tree and syntax errors of `new`, re-using those of `old` (`green`, `errors`)
/// outside the sections the change touches; `None` when the whole text must be parsed.
pub fn reparse(
    green: &GreenNode,
    errors: &[Error],
    old: &str,
    new: &str,
    change: Change,
) -> Option<Reparsed> {
    if usize::from(green.text_len()) != old.len() {
        return None; // not the parse of `old` (e.g. a file refused before parsing)
    }
    let sections = section_starts(green);
    // The run starts at the last section that starts before both the change and the first
    // error (the parser starts a run as it starts a file; after an error it may not), or at the
    // file's start.
    let first_error = errors.iter().map(|e| usize::from(e.range.start())).min();
    let limit = first_error.map_or(change.start, |e| e.saturating_add(1).min(change.start));
    let first = sections.partition_point(|s| s.offset < limit);
    let (start_child, start) = match first.checked_sub(1) {
        Some(i) => (sections[i].child, sections[i].offset),
        None => (0, 0),
    };
    let delta = new.len() as isize - old.len() as isize;
    // The run ends before the first section starting after the change, or grows.
    let after = sections.partition_point(|s| s.offset <= change.old_end);
    for next in after..=after + MAX_GROWTH {
        let Some(section) = sections.get(next) else {
            // The run reaches the end of the file: nothing after it to agree with.
            let run = taplo::parser::parse(new.get(start..)?);
            let end_child = green.children().len();
            return Some(Reparsed {
                green: splice(green, start_child..end_child, run.green_node.children()),
                errors: merge(errors, &run.errors, start, usize::MAX, delta),
                run: start..new.len(),
            });
        };
        let (end_child, end) = (section.child, section.offset);
        let new_end = end.checked_add_signed(delta)?;
        let old_was_clean = !errors.iter().any(|e| usize::from(e.range.start()) < end);
        let run = parse_before_section(new.get(start..new_end)?);
        let agreed = old_was_clean || parse_before_section(old.get(start..end)?).is_some();
        if let (Some((run, run_errors)), true) = (run, agreed) {
            let children = run.children().take(run.children().len() - PROBE_CHILDREN);
            return Some(Reparsed {
                green: splice(green, start_child..end_child, children),
                errors: merge(errors, &run_errors, start, end, delta),
                run: start..new_end,
            });
        }
    }
    None
}

/// A section put after a run to check that the run leaves the parser as a file's start does.
/// Its spaces matter: an error in a `[[header]]` can leave taplo's parser no longer skipping
/// whitespace, and the probe's entry then fails to parse.
const PROBE: &str = "[p]\nq = 1\n";

/// The children the probe adds to the root: header, newline, entry, newline.
const PROBE_CHILDREN: usize = 4;

/// Parses `run` followed by [`PROBE`]; `Some` (the tree, probe included, and the run's errors)
/// when the run parses exactly as it does before any other section: it ends with a top-level
/// newline, nothing in it is unlexable (taplo's string lexer scans to the end of the file for a
/// closing quote, which another section may hold) and the probe parses cleanly after it.
fn parse_before_section(run: &str) -> Option<(GreenNode, Vec<Error>)> {
    let parse = taplo::parser::parse(&format!("{run}{PROBE}"));
    let len = TextSize::try_from(run.len()).ok()?;
    let inside = |e: &Error| e.range.start() < len && e.range.end() <= len;
    if !parse
        .errors
        .iter()
        .all(|e| e.message != UNLEXABLE && inside(e))
    {
        return None;
    }
    let kinds: Vec<SyntaxKind> = parse
        .green_node
        .children()
        .map(|c| Lang::kind_from_raw(c.kind()))
        .collect();
    let split = kinds.len().checked_sub(PROBE_CHILDREN)?;
    let probe = [
        SyntaxKind::TABLE_HEADER,
        SyntaxKind::NEWLINE,
        SyntaxKind::ENTRY,
        SyntaxKind::NEWLINE,
    ];
    (kinds[split..] == probe).then_some((parse.green_node, parse.errors))
}

/// Where a section starts: a top-level table header right after a top-level newline.
#[derive(Debug, Clone, Copy)]
struct SectionStart {
    /// Index among the root's children.
    child: usize,
    /// Byte offset of the header.
    offset: usize,
}

fn section_starts(green: &GreenNodeData) -> Vec<SectionStart> {
    let mut starts = Vec::new();
    let mut offset = 0usize;
    let mut after_newline = false;
    for (child, element) in green.children().enumerate() {
        let kind = Lang::kind_from_raw(element.kind());
        if after_newline
            && matches!(
                kind,
                SyntaxKind::TABLE_HEADER | SyntaxKind::TABLE_ARRAY_HEADER
            )
        {
            starts.push(SectionStart { child, offset });
        }
        after_newline = kind == SyntaxKind::NEWLINE;
        offset += usize::from(element.text_len());
    }
    starts
}

/// `green` with its children `replaced` swapped for `children`.
fn splice<'a>(
    green: &GreenNodeData,
    replaced: Range<usize>,
    children: impl Iterator<Item = NodeOrToken<&'a GreenNodeData, &'a GreenTokenData>>,
) -> GreenNode {
    let owned = |c: NodeOrToken<&GreenNodeData, &GreenTokenData>| match c {
        NodeOrToken::Node(n) => NodeOrToken::Node(n.to_owned()),
        NodeOrToken::Token(t) => NodeOrToken::Token(t.to_owned()),
    };
    green.splice_children(replaced, children.map(owned))
}

/// The errors of the whole new text: the old ones before the run, the run's own (moved to where
/// the run starts) and the old ones after it (moved by the change in length).
fn merge(old: &[Error], run: &[Error], start: usize, end: usize, delta: isize) -> Vec<Error> {
    let shift = |e: &Error, by: isize| Error {
        range: TextRange::new(
            TextSize::from((usize::from(e.range.start()) as isize + by) as u32),
            TextSize::from((usize::from(e.range.end()) as isize + by) as u32),
        ),
        message: e.message.clone(),
    };
    let before = old
        .iter()
        .filter(|e| usize::from(e.range.start()) < start)
        .cloned();
    let inside = run.iter().map(|e| shift(e, start as isize));
    let after = old
        .iter()
        .filter(|e| usize::from(e.range.start()) >= end)
        .map(|e| shift(e, delta));
    before.chain(inside).chain(after).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Re-parses `new` from the whole parse of `old` and checks the result against the whole
    /// parse of `new`; `true` when only a part of the text was parsed again.
    fn check(old: &str, new: &str) -> bool {
        let before = taplo::parser::parse(old);
        let Some(change) = Change::between(old, new) else {
            return false;
        };
        let whole = taplo::parser::parse(new);
        match reparse(&before.green_node, &before.errors, old, new, change) {
            Some(r) => {
                assert_eq!(r.green, whole.green_node, "tree of {new:?} (from {old:?})");
                assert_eq!(r.errors, whole.errors, "errors of {new:?} (from {old:?})");
                r.run.len() < new.len()
            }
            None => false,
        }
    }

    #[test]
    fn reparses_only_the_edited_section_when_that_is_exact() {
        let old = "[a]\nx = 1\n\n[b]\ny = 2\n\n[c]\nz = 3\n";
        assert!(check(old, &old.replace("y = 2", "y = 23")));
        assert!(
            check(old, &old.replace("y = 2", "y = \"open")),
            "an error inside a section"
        );
        assert!(check(old, &old.replace("x = 1", "x = 1\n[new]\nw = 0")));
        assert!(check(old, &old.replace("[b]", "[b.c]")));
        // A string left open runs to the end of the file: so does the re-parse.
        assert!(check(old, &old.replace("y = 2", "y = \"\"\"")));
        assert!(!check(old, &old.replace("x = 1", "x = \"\"\"")));
        // An open string before the edit may be closed by it: the run starts at the file's
        // start, before the first error.
        let open = old.replace("x = 1", "x = \"1");
        assert!(!check(&open, &open.replace("z = 3", "z = \"3")));
    }

    #[test]
    fn keeps_the_errors_around_the_edited_section_in_place() {
        let old = "a = \n[b]\ny = 2\n[c]\nz = [1,\nw = 1\n";
        assert!(check(old, &old.replace("y = 2", "y = 2000")));
        assert!(check(old, &old.replace("y = 2", "")));
    }

    /// Many generated files, valid and broken, with edits of every kind: a re-parse must be
    /// exactly the whole parse, and it must be possible most of the time.
    #[test]
    fn reparse_equals_the_whole_parse_on_generated_edits() {
        let parts = [
            "\n",
            "\n\n",
            "# comment [x]\n",
            "[t]\n",
            "[t.u] # h\n",
            "[[arr]]\n",
            "  [ind]\n",
            "a=1\n",
            "bb = \"x\" # c\n",
            "c = [1,\n2,\n  3]\n",
            "d = { x = 1, y = [2] }\n",
            "e = \"\"\"\n\n[in.string]\n\"\"\"\n",
            "f = '''\n[x]\n'''\n",
            "g = 'lit'\n",
            "open = \"abc\n",
            "nov =\n",
            "[bad\n",
            "y = [1,\n",
            "= 3\n",
            "[[z]\n",
            "k.l.m = 1\n",
            "\r\n",
            "t = 1979-05-27T07:32:00Z\n",
            "u = \"a\\\"b\"\n",
        ];
        let snippets = [
            "", "\"", "\"\"\"", "'", "'''", "[", "]", "[[", "\n", "\r\n", "[s]\n", "\n[h]\n",
            "k = 1", "=", "#", "{", "}", ",", "1", "x", " ", "é", "\\", "\n\n", "]]\n", ".",
        ];
        let mut next = crate::test_support::xorshift(0x9e37_79b9_7f4a_7c15u64);
        let (mut total, mut reparsed) = (0, 0);
        // REPARSE_N=200000 for a longer search.
        let edits: usize = std::env::var("REPARSE_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(6000);
        for _ in 0..edits {
            let n = 2 + (next() % 20) as usize;
            let old: String = (0..n)
                .map(|_| parts[(next() % parts.len() as u64) as usize])
                .collect();
            let mut start = (next() % (old.len() as u64 + 1)) as usize;
            while !old.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + (next() % 6) as usize).min(old.len());
            while !old.is_char_boundary(end) {
                end += 1;
            }
            let insert = snippets[(next() % snippets.len() as u64) as usize];
            let new = format!("{}{insert}{}", &old[..start], &old[end..]);
            total += 1;
            if check(&old, &new) {
                reparsed += 1;
            }
        }
        eprintln!("{reparsed} of {total} re-parsed a part");
        assert!(
            reparsed * 3 > total,
            "only {reparsed} of {total} edits re-parsed a part"
        );
    }
}
