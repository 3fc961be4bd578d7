//! What is at a byte offset of a TOML file: a key (with its full dotted path), a table header,
//! a value, or a free spot inside some table. Walks the syntax tree from the token at the
//! offset upwards, so it costs O(depth + siblings before the entry's section), not O(file).

use taplo::rowan::{TextRange, TextSize, TokenAtOffset};
use taplo::syntax::{SyntaxElement, SyntaxKind, SyntaxNode, SyntaxToken};

use super::toml::{key_segments, Span, TomlDoc};

/// The syntactic place of an offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cursor {
    /// On a key segment of `key = value`: the full path up to and including that segment.
    Key { path: Vec<String>, span: Span },
    /// On a segment of a `[table]` / `[[table]]` header: the path up to that segment.
    Header { path: Vec<String>, span: Span },
    /// On (or right after `=` before) the value of the entry with this full path.
    Value { path: Vec<String>, span: Span },
    /// Anywhere else: inside the table with this path (empty for the root).
    Table { path: Vec<String> },
}

impl Cursor {
    /// The key path the cursor designates, if any.
    pub fn path(&self) -> &[String] {
        match self {
            Cursor::Key { path, .. }
            | Cursor::Header { path, .. }
            | Cursor::Value { path, .. }
            | Cursor::Table { path } => path,
        }
    }
}

/// Locates `offset` in `doc`.
pub fn locate(doc: &TomlDoc, offset: usize) -> Cursor {
    let root = doc.syntax();
    let len: u32 = root.text_range().end().into();
    let offset = TextSize::from((offset as u32).min(len));
    let token = match token_at_offset(&root, offset) {
        TokenAtOffset::None => {
            return Cursor::Table {
                path: section_path(&root, offset),
            }
        }
        TokenAtOffset::Single(t) => t,
        // Between two tokens prefer the one that is not whitespace (the end of a word).
        TokenAtOffset::Between(a, b) => {
            if matches!(b.kind(), SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE)
                || b.kind() == SyntaxKind::BRACKET_END
            {
                a
            } else {
                b
            }
        }
    };
    let Some(parent) = token.parent() else {
        return Cursor::Table {
            path: section_path(&root, offset),
        };
    };
    // A key segment of a header or an entry.
    if parent.kind() == SyntaxKind::KEY && token.kind() == SyntaxKind::IDENT {
        let segs = key_segments(&parent);
        let upto = segs
            .iter()
            .position(|(_, s)| s.contains(usize::from(offset)))
            .unwrap_or(segs.len().saturating_sub(1));
        let span = segs.get(upto).map(|(_, s)| *s).unwrap_or_default();
        let own: Vec<String> = segs.into_iter().take(upto + 1).map(|(s, _)| s).collect();
        if parent.parent().is_some_and(|p| is_header(p.kind())) {
            return Cursor::Header { path: own, span };
        }
        if let Some(entry) = parent.parent().filter(|p| p.kind() == SyntaxKind::ENTRY) {
            let mut path = entry_prefix(&root, &entry, offset);
            path.extend(own);
            return Cursor::Key { path, span };
        }
    }
    // Inside a value: the innermost entry that owns it.
    let mut node = Some(parent);
    while let Some(n) = node {
        match n.kind() {
            SyntaxKind::ENTRY => {
                let on_value = n.children().find(|c| c.kind() == SyntaxKind::VALUE);
                let eq_end = n
                    .children_with_tokens()
                    .filter_map(|e| e.into_token())
                    .find(|t| t.kind() == SyntaxKind::EQ)
                    .map(|t| t.text_range().end());
                let after_eq = eq_end.is_some_and(|e| offset >= e);
                if on_value.is_some() || after_eq {
                    let path = entry_path(&root, &n, offset);
                    let span = on_value.map(|v| {
                        Span::new(v.text_range().start().into(), v.text_range().end().into())
                    });
                    return Cursor::Value {
                        path,
                        span: span.unwrap_or(Span::new(usize::from(offset), usize::from(offset))),
                    };
                }
                break;
            }
            SyntaxKind::INLINE_TABLE => {
                // Between entries of an inline table: inside that table.
                if let Some(entry) = n.ancestors().find(|a| a.kind() == SyntaxKind::ENTRY) {
                    return Cursor::Table {
                        path: entry_path(&root, &entry, offset),
                    };
                }
            }
            _ => {}
        }
        node = n.parent();
    }
    Cursor::Table {
        path: section_path(&root, offset),
    }
}

/// rowan's `token_at_offset`, without its linear scan of the root's children: rowan filters every
/// top-level child (16,000 on a 20,000-line file, 0.8 ms per hover) to find the one or two at
/// `offset`. Here rowan's binary search finds one, its neighbours settle a boundary, and rowan
/// descends into that small child as before (issue 7).
fn token_at_offset(root: &SyntaxNode, offset: TextSize) -> TokenAtOffset<SyntaxToken> {
    if root.text_range().is_empty() {
        return TokenAtOffset::None;
    }
    let touches = |e: &SyntaxElement| {
        let r = e.text_range();
        !r.is_empty() && r.start() <= offset && offset <= r.end()
    };
    let Some(found) = root.child_or_token_at_range(TextRange::empty(offset)) else {
        return root.token_at_offset(offset);
    };
    // The children touching `offset`, in order: `found` and its touching neighbours (zero-width
    // children, which rowan skips too, may sit between them).
    let mut first = found.clone();
    while let Some(prev) = first.prev_sibling_or_token() {
        if prev.text_range().end() < offset {
            break;
        }
        first = prev;
    }
    let mut touching = Vec::with_capacity(2);
    let mut next = Some(first);
    while let Some(e) = next {
        if e.text_range().start() > offset {
            break;
        }
        next = e.next_sibling_or_token();
        if touches(&e) {
            touching.push(e);
        }
    }
    let single = |e: SyntaxElement| match e {
        SyntaxElement::Node(n) => n.token_at_offset(offset),
        SyntaxElement::Token(t) => TokenAtOffset::Single(t),
    };
    let mut touching = touching.into_iter();
    match (touching.next(), touching.next(), touching.next()) {
        (Some(only), None, _) => single(only),
        (Some(left), Some(right), None) => match (single(left), single(right)) {
            (TokenAtOffset::Single(l), TokenAtOffset::Single(r)) => TokenAtOffset::Between(l, r),
            _ => root.token_at_offset(offset),
        },
        _ => root.token_at_offset(offset),
    }
}

fn is_header(kind: SyntaxKind) -> bool {
    matches!(
        kind,
        SyntaxKind::TABLE_HEADER | SyntaxKind::TABLE_ARRAY_HEADER
    )
}

/// The full key path of an ENTRY node.
fn entry_path(root: &SyntaxNode, entry: &SyntaxNode, offset: TextSize) -> Vec<String> {
    let mut path = entry_prefix(root, entry, offset);
    if let Some(key) = entry.children().find(|c| c.kind() == SyntaxKind::KEY) {
        path.extend(key_segments(&key).into_iter().map(|(s, _)| s));
    }
    path
}

/// The path of the table an ENTRY node is written in (its section, or its inline-table owner).
fn entry_prefix(root: &SyntaxNode, entry: &SyntaxNode, offset: TextSize) -> Vec<String> {
    // An entry inside an inline table: the owner entry's full path.
    if let Some(owner) = entry
        .parent()
        .and_then(|p| p.ancestors().find(|a| a.kind() == SyntaxKind::ENTRY))
    {
        return entry_path(root, &owner, offset);
    }
    section_path(root, entry.text_range().start().min(offset))
}

/// The path of the nearest table header at or before `offset` (root: empty).
fn section_path(root: &SyntaxNode, offset: TextSize) -> Vec<String> {
    // The last top-level child starting at or before `offset`, found by rowan's binary search
    // over the root's children, then back over its section's entries to the header: O(log n +
    // entries of the section). Collecting every top-level child first, as this did before,
    // allocated a cursor node per child and cost 1.3 ms per hover on 20,000 lines (issue 7).
    let Some(mut at) = root
        .child_or_token_at_range(TextRange::empty(offset))
        .or_else(|| root.last_child_or_token())
    else {
        return Vec::new();
    };
    // At a boundary the element ending at `offset` may come back; the next one starts there.
    while let Some(next) = at.next_sibling_or_token() {
        if next.text_range().start() > offset {
            break;
        }
        at = next;
    }
    std::iter::successors(Some(at), |e| e.prev_sibling_or_token())
        .filter_map(|e| e.into_node())
        .filter(|c| c.text_range().start() <= offset)
        .find(|c| is_header(c.kind()))
        .and_then(|h| h.children().find(|c| c.kind() == SyntaxKind::KEY))
        .map(|k| key_segments(&k).into_iter().map(|(s, _)| s).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders the cursor at the `$0` marker.
    fn at(text_with_marker: &str) -> String {
        let offset = text_with_marker.find("$0").unwrap();
        let text = text_with_marker.replace("$0", "");
        let doc = TomlDoc::parse(&text);
        match locate(&doc, offset) {
            Cursor::Key { path, .. } => format!("key {}", path.join(".")),
            Cursor::Header { path, .. } => format!("header {}", path.join(".")),
            Cursor::Value { path, .. } => format!("value {}", path.join(".")),
            Cursor::Table { path } => format!("table {}", path.join(".")),
        }
    }

    #[test]
    fn finds_keys_headers_values_and_free_spots() {
        let doc = "[destination.warehouse]\ncredentials.password = \"x\"\n\n[runtime]\nlog_level = \"INFO\"\n";
        let mark = |needle: &str, delta: usize| {
            let i = doc.find(needle).unwrap() + delta;
            format!("{}$0{}", &doc[..i], &doc[i..])
        };
        assert_eq!(at(&mark("destination", 2)), "header destination");
        assert_eq!(at(&mark("warehouse", 0)), "header destination.warehouse");
        assert_eq!(
            at(&mark("credentials", 3)),
            "key destination.warehouse.credentials"
        );
        assert_eq!(
            at(&mark("password", 8)),
            "key destination.warehouse.credentials.password"
        );
        assert_eq!(
            at(&mark("\"x\"", 1)),
            "value destination.warehouse.credentials.password"
        );
        assert_eq!(at(&mark("\n\n", 1)), "table destination.warehouse");
        assert_eq!(at(&mark("log_level", 0)), "key runtime.log_level");
        assert_eq!(at(&format!("{doc}$0")), "table runtime");
        assert_eq!(at("$0a = 1\n"), "key a");
    }

    /// The linear search `section_path` replaced: the last header among the top-level children
    /// starting at or before `offset`.
    fn section_path_linear(root: &SyntaxNode, offset: TextSize) -> Vec<String> {
        let children: Vec<SyntaxNode> = root.children().collect();
        let idx = children.partition_point(|c| c.text_range().start() <= offset);
        children[..idx]
            .iter()
            .rev()
            .find(|c| is_header(c.kind()))
            .and_then(|h| h.children().find(|c| c.kind() == SyntaxKind::KEY))
            .map(|k| key_segments(&k).into_iter().map(|(s, _)| s).collect())
            .unwrap_or_default()
    }

    #[test]
    fn section_path_agrees_with_a_linear_search_at_every_offset() {
        for text in [
            "",
            "\n\n",
            "a = 1",
            "# c\n[a]\nx = 1\n\n[b.c] # t\ny = 2\n[[d]]\nz = [1,\n 2]\n[[d]]\n\n",
            "top = 1\n[a]\n[b]\nk = { i = 1 }\n[broken\nv = 2\n  [  c  ]  \nw=3",
        ] {
            let root = TomlDoc::parse(text).syntax();
            for offset in 0..=text.len() {
                let o = TextSize::from(offset as u32);
                assert_eq!(
                    section_path(&root, o),
                    section_path_linear(&root, o),
                    "{text:?} at {offset}"
                );
            }
        }
    }

    #[test]
    fn token_at_offset_agrees_with_rowan_at_every_offset() {
        for text in [
            "",
            "\n",
            "a = 1",
            "# c\n[a]\nx = 1\n\n[b.c] # t\ny = 2\n[[d]]\nz = [1,\n 2]\n[[d]]\n\n",
            "top = 1\n[a]\n[b]\nk = { i = 1 }\n[broken\nv = 2\n  [  c  ]  \nw=3",
            "a=1\r\nb = \"\"\"x\ny\"\"\"\r\n[t]",
        ] {
            let root = TomlDoc::parse(text).syntax();
            for offset in 0..=text.len() {
                let o = TextSize::from(offset as u32);
                let ours: Vec<_> = token_at_offset(&root, o).collect();
                let rowans: Vec<_> = root.token_at_offset(o).collect();
                assert_eq!(ours, rowans, "{text:?} at {offset}");
            }
        }
    }

    #[test]
    fn understands_inline_tables_and_empty_values() {
        assert_eq!(
            at("[d]\nc = { host = \"h\", p$0ort = 1 }\n"),
            "key d.c.port"
        );
        assert_eq!(at("[d]\nc = { host = \"$0h\" }\n"), "value d.c.host");
        assert_eq!(at("[d]\nc = { host = \"h\", $0 }\n"), "table d.c");
        assert_eq!(
            at("[destination.w]\ndestination_type = $0\n"),
            "value destination.w.destination_type"
        );
    }
}
