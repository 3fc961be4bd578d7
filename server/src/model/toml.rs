//! A TOML file as dlt sees it: taplo's syntax tree turned into a tree of tables and values
//! with the byte spans of every key, plus every syntax and semantic error of the file.
//!
//! The semantic checks (duplicate keys, tables defined twice, dotted keys reopening a table)
//! follow TOML 1.0; they are done here, in one walk, because the tree must be built anyway
//! and taplo's DOM would build a second, heavier one.

use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use rustc_hash::FxHasher;
use taplo::syntax::{SyntaxKind, SyntaxNode, SyntaxToken};

use super::reparse;
use super::text::Change;

mod build;
mod green;

/// A byte range in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    pub fn contains(&self, offset: usize) -> bool {
        self.start as usize <= offset && offset <= self.end as usize
    }
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    fn of(range: taplo::rowan::TextRange) -> Span {
        Span {
            start: range.start().into(),
            end: range.end().into(),
        }
    }
}

/// A scalar TOML value.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Date, time or date-time, as written.
    DateTime(String),
}

/// How a table came to exist; TOML allows reopening only some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Def {
    /// A key = value entry (scalar or array value).
    Value,
    /// `[a.b]`.
    Header,
    /// A parent created by a header or a dotted key of a deeper table, `a` in `[a.b]`.
    Implicit,
    /// Created by a dotted key, `a` in `a.b = 1`.
    Dotted,
    /// `{ ... }`: closed once written.
    Inline,
    /// `[[a]]`.
    ArrayOfTables,
}

/// What a node holds.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Scalar(Scalar),
    Array(Vec<Node>),
    Table(Table),
    /// A value taplo could not parse; already reported as a syntax error.
    Invalid,
}

/// One key of a table (or one element of an array) with where it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub def: Def,
    /// The key segment that names this node where it is first written.
    pub key_span: Span,
    /// The value as written (for tables: the header or inline table; for implicit ones the key).
    pub value_span: Span,
    /// The whole entry: `key = value`, or a header with the entries of its section.
    pub full_span: Span,
}

impl Node {
    fn shrink_to_fit(&mut self) {
        match &mut self.value {
            Value::Table(t) => t.shrink_to_fit(),
            Value::Array(items) => {
                items.shrink_to_fit();
                items.iter_mut().for_each(Node::shrink_to_fit);
            }
            Value::Scalar(_) | Value::Invalid => {}
        }
    }

    pub fn as_table(&self) -> Option<&Table> {
        match &self.value {
            Value::Table(t) => Some(t),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(Scalar::Str(s)) => Some(s),
            _ => None,
        }
    }
    pub fn is_table(&self) -> bool {
        matches!(self.value, Value::Table(_))
    }
}

/// The hasher of [`Table`]: keys come from the user's own files, so the DoS resistance of the
/// default SipHash buys nothing, and SipHash was ~6% of checking a 20,000-line file (issue 7).
pub type KeyHasher = std::hash::BuildHasherDefault<FxHasher>;

/// An ordered map of keys to nodes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub entries: IndexMap<String, Node, KeyHasher>,
}

impl Table {
    /// An empty table with room for `n` entries and no more: a file read from disk keeps its
    /// tables at their size ([`TomlDoc::shrink_to_fit`]), and a table sized when its entries are
    /// known is neither grown by doubling nor moved again to shrink it.
    pub fn with_capacity(n: usize) -> Table {
        Table {
            entries: IndexMap::with_capacity_and_hasher(n, KeyHasher::default()),
        }
    }

    /// Drops the spare capacity of this table and of every table and array below it.
    fn shrink_to_fit(&mut self) {
        // Only with room to give back: `IndexMap::shrink_to_fit` moves a full table too (it
        // reaches `Vec::shrink_to`, which reallocates at the same size), a jemalloc `realloc` for
        // each of the ~23,000 tables of a monorepo's files (callgrind, issue 7).
        if self.entries.len() < self.entries.capacity() {
            self.entries.shrink_to_fit();
        }
        for node in self.entries.values_mut() {
            node.shrink_to_fit();
        }
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries.get(key)
    }

    /// The node at a dotted path of keys.
    pub fn get_path<S: AsRef<str>>(&self, path: &[S]) -> Option<&Node> {
        let (first, rest) = path.split_first()?;
        let node = self.entries.get(first.as_ref())?;
        if rest.is_empty() {
            return Some(node);
        }
        match &node.value {
            Value::Table(t) => t.get_path(rest),
            Value::Array(items) if node.def == Def::ArrayOfTables => {
                items.last()?.as_table()?.get_path(rest)
            }
            _ => None,
        }
    }
}

/// What kind of problem a [`TomlError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TomlErrorKind {
    Syntax,
    DuplicateKey,
    DuplicateTable,
    TooDeep,
}

/// A syntax or semantic error of a TOML file.
#[derive(Debug, Clone, PartialEq)]
pub struct TomlError {
    pub kind: TomlErrorKind,
    pub span: Span,
    pub message: String,
    /// Where the conflicting earlier definition is, for duplicates.
    pub first: Option<Span>,
}

/// A parsed TOML file.
#[derive(Debug, Clone)]
pub struct TomlDoc {
    /// The tree of tables; see [`TomlDoc::root`]. Boxed: most documents of a monorepo are
    /// dormant, and an empty slot the size of a table took 48 bytes more in each (issue 7).
    root: OnceLock<Box<Table>>,
    pub errors: Vec<TomlError>,
    /// The syntax tree, for position lookups, formatting and folding; see [`TomlDoc::green`].
    tree: OnceLock<taplo::rowan::GreenNode>,
    /// The text a dropped tree is built again from ([`TomlDoc::drop_tree`]).
    dropped_from: Option<Arc<str>>,
    /// taplo's own errors for the tree, as it reported them: what an edit's re-parse starts from.
    parse_errors: Vec<taplo::parser::Error>,
}

/// Deeper nesting than this is refused before taplo's recursive parser sees it.
pub const MAX_NESTING: usize = 128;

impl TomlDoc {
    /// Parses `text` and builds the tree; never panics on any input.
    pub fn parse(text: &str) -> TomlDoc {
        if let Some(at) = nesting_exceeds(text, MAX_NESTING) {
            return TomlDoc {
                root: OnceLock::from(Box::default()),
                errors: vec![TomlError {
                    kind: TomlErrorKind::TooDeep,
                    span: Span::new(at, at + 1),
                    message: format!(
                        "arrays or inline tables nested deeper than {MAX_NESTING} levels; the file was not analysed"
                    ),
                    first: None,
                }],
                tree: OnceLock::from(taplo::parser::parse("").green_node),
                dropped_from: None,
                parse_errors: Vec::new(),
            };
        }
        let parse = taplo::parser::parse(text);
        TomlDoc::build(parse.green_node, parse.errors)
    }

    /// Parses `new`, an edit of `old`, which `self` is the parse of: only the top-level sections
    /// the edit touches are parsed again when that gives exactly the whole parse
    /// ([`reparse`](super::reparse)), the whole text otherwise.
    pub fn reparse(&self, old: &str, new: &str) -> TomlDoc {
        match Change::between(old, new) {
            Some(change) => self.reparse_change(old, new, change),
            None => self.clone(),
        }
    }

    /// [`TomlDoc::reparse`] for a `change` the caller has already found.
    pub fn reparse_change(&self, old: &str, new: &str, change: Change) -> TomlDoc {
        if nesting_exceeds(new, MAX_NESTING).is_some() {
            return TomlDoc::parse(new);
        }
        match reparse::reparse(self.green(), &self.parse_errors, old, new, change) {
            Some(r) => TomlDoc::build(r.green, r.errors),
            None => TomlDoc::parse(new),
        }
    }

    /// The tree of tables and every error, from taplo's syntax tree and errors.
    fn build(green: taplo::rowan::GreenNode, parse_errors: Vec<taplo::parser::Error>) -> TomlDoc {
        let syntax = SyntaxNode::new_root(green.clone());
        let mut errors: Vec<TomlError> = parse_errors
            .iter()
            .map(|e| TomlError {
                kind: TomlErrorKind::Syntax,
                span: bad_char_span(&syntax, e).unwrap_or(Span::of(e.range)),
                message: e.message.clone(),
                first: None,
            })
            .collect();
        unclosed_array_header_at_eof(&syntax, &mut errors);
        let (root, semantic) = build::tables(&green);
        errors.extend(semantic);
        errors.sort_by_key(|e| e.span);
        TomlDoc {
            root: OnceLock::from(Box::new(root)),
            errors,
            tree: OnceLock::from(green),
            dropped_from: None,
            parse_errors,
        }
    }

    /// Drops the room tables keep for entries never added. Worth it for files read from disk
    /// (that room was a quarter of the memory of a 1,000-project monorepo, issue 7), not for a
    /// document being typed in: it re-parses on every keystroke, and shrinking a 20,000-line
    /// document's tables cost each edit ~10 ms.
    pub fn shrink_to_fit(&mut self) {
        if let Some(root) = self.root.get_mut() {
            root.shrink_to_fit();
        }
    }

    /// The tree of tables, built again from the text on first use after [`TomlDoc::dormant`].
    pub fn root(&self) -> &Table {
        self.root.get_or_init(|| {
            // The tree is not kept for this: tables alone are what features walk most.
            let mut root = match self.tree.get() {
                Some(green) => build::tables(green).0,
                None => {
                    let text = self.dropped_from.as_deref().unwrap_or_default();
                    build::tables(&taplo::parser::parse(text).green_node).0
                }
            };
            root.shrink_to_fit();
            Box::new(root)
        })
    }

    /// A copy that keeps the errors but neither tables nor tree, which [`TomlDoc::root`] and
    /// [`TomlDoc::green`] build again from `text`, this document's text, when a feature asks:
    /// for a file nobody looks at once its findings are published. The tables of a
    /// 1,000-project monorepo were a third of the server's memory (issue 7). `None` when already
    /// dormant, and for a refused file (too deep for taplo's parser to see it ever).
    pub fn dormant(&self, text: Arc<str>) -> Option<TomlDoc> {
        if self.is_refused() || self.is_dormant() {
            return None;
        }
        Some(TomlDoc {
            root: OnceLock::new(),
            errors: self.errors.clone(),
            tree: OnceLock::new(),
            dropped_from: Some(text),
            parse_errors: self.parse_errors.clone(),
        })
    }

    /// Neither tables nor tree are built (see [`TomlDoc::dormant`]).
    pub fn is_dormant(&self) -> bool {
        self.root.get().is_none() && self.tree.get().is_none()
    }

    /// Nested too deep: the text was never given to taplo's recursive parser.
    fn is_refused(&self) -> bool {
        self.errors.iter().any(|e| e.kind == TomlErrorKind::TooDeep)
    }

    pub fn syntax(&self) -> SyntaxNode {
        SyntaxNode::new_root(self.green().clone())
    }

    /// The syntax tree (taplo's green tree), built again from the text on first use after
    /// [`TomlDoc::drop_tree`].
    pub fn green(&self) -> &taplo::rowan::GreenNode {
        self.tree.get_or_init(|| {
            taplo::parser::parse(self.dropped_from.as_deref().unwrap_or_default()).green_node
        })
    }

    /// Lets go of the syntax tree of `text`, this document's text, until a feature walks it:
    /// a file read from disk is diagnosed from its tables alone, and its tree was a fifth of
    /// the memory of a 1,000-project monorepo (issue 7). A refused file keeps its empty tree.
    pub fn drop_tree(&mut self, text: Arc<str>) {
        if self.is_refused() {
            return;
        }
        self.tree = OnceLock::new();
        self.dropped_from = Some(text);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// taplo stops without an error when the text ends right after the first `]` of a `[[table]]`
/// header (`[[jobs]` at end of file), so the file would pass as valid although dlt cannot read
/// it; formatting then appends a newline and the error appears (found by fuzzing). Reports it.
fn unclosed_array_header_at_eof(root: &SyntaxNode, errors: &mut Vec<TomlError>) {
    let end = root.text_range().end();
    // Only the last node can end where the file ends (nodes are never empty).
    let Some(header) = root
        .last_child()
        .filter(|h| h.kind() == SyntaxKind::TABLE_ARRAY_HEADER && h.text_range().end() == end)
    else {
        return;
    };
    let closing = header
        .children_with_tokens()
        .filter(|t| t.kind() == SyntaxKind::BRACKET_END)
        .count();
    let reported = errors
        .iter()
        .any(|e| e.span.end as usize >= usize::from(header.text_range().start()));
    if closing < 2 && !reported {
        errors.push(TomlError {
            kind: TomlErrorKind::Syntax,
            span: Span::of(taplo::rowan::TextRange::empty(end)),
            message: r#"expected "]]""#.into(),
            first: None,
        });
    }
}

/// taplo reports a forbidden character in a string or comment at the token's start plus the
/// character's *char* index (its `allowed_chars` checks count chars, not bytes), which is too
/// early — or inside another multi-byte character — when non-ASCII text precedes it in the token.
/// Returns the byte span of the character itself for such an error (found by fuzzing).
fn bad_char_span(root: &SyntaxNode, e: &taplo::parser::Error) -> Option<Span> {
    const CHAR_INDEXED: &[&str] = &[
        "invalid character in comment",
        "invalid character in string",
        "invalid control character in string literal",
    ];
    if !e.range.is_empty() || !CHAR_INDEXED.contains(&e.message.as_str()) {
        return None;
    }
    // The char index is at most the byte index, so the reported offset is still in the token.
    let token = match root.token_at_offset(e.range.start()) {
        taplo::rowan::TokenAtOffset::Single(t) | taplo::rowan::TokenAtOffset::Between(_, t) => t,
        taplo::rowan::TokenAtOffset::None => return None,
    };
    let chars = usize::from(e.range.start() - token.text_range().start());
    let (at, c) = token.text().char_indices().nth(chars)?;
    let start = usize::from(token.text_range().start()) + at;
    Some(Span::new(start, start + c.len_utf8()))
}

/// The text of a key segment with quotes removed and escapes resolved.
pub fn key_text(token: &SyntaxToken) -> String {
    unquote_key(token.text())
}

/// A key segment's text with quotes removed and escapes resolved.
fn unquote_key(t: &str) -> String {
    if let Some(inner) = t.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        taplo::util::unescape(inner).unwrap_or_else(|_| inner.to_string())
    } else if let Some(inner) = t.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        inner.to_string()
    } else {
        t.to_string()
    }
}

/// The key segments of a KEY node, with their spans.
pub fn key_segments(key: &SyntaxNode) -> Vec<(String, Span)> {
    key.children_with_tokens()
        .filter_map(|e| e.into_token())
        .filter(|t| t.kind() == SyntaxKind::IDENT)
        .map(|t| (key_text(&t), Span::of(t.text_range())))
        .collect()
}

/// Offset of the first bracket or brace that opens a level deeper than `max`, outside strings
/// and comments.
///
/// It runs over the whole text on every keystroke (an edit's re-parse checks the new text), so it
/// jumps to the bytes that matter instead of matching each byte: a string's end and a comment's
/// end are found with `memchr`, code between them through a table of the bytes that matter. A
/// byte at a time it took 8.8 M instructions per parse of a 20,000-line file, 11 % of the bench's
/// session on it; now 3.3 M (issue 7).
fn nesting_exceeds(text: &str, max: usize) -> Option<usize> {
    let b = text.as_bytes();
    // No more than `max` openings in all cannot nest deeper: counted with `memchr`, up to the
    // first one past `max` (1 % of the instructions of indexing the monorepo went to the scan
    // below; issue 7).
    memchr::memchr2_iter(b'[', b'{', b).nth(max)?;
    let (mut depth, mut i) = (0usize, 0usize);
    loop {
        i += b
            .get(i..)?
            .iter()
            .position(|&c| MATTERS_IN_CODE[c as usize])?;
        match b[i] {
            b'#' => i = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k),
            q @ (b'"' | b'\'') => i = string_end(b, i, q),
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
}

/// The bytes [`nesting_exceeds`] stops at outside strings and comments.
const MATTERS_IN_CODE: [bool; 256] = {
    let mut table = [false; 256];
    let mut k = 0;
    let bytes = b"#\"'[{]}";
    while k < bytes.len() {
        table[bytes[k] as usize] = true;
        k += 1;
    }
    table
};

/// Where the string opened by the quote `q` at `at` ends: its closing quote (the last of three
/// for a multi-line string), the line break that ends an unterminated one-line string, or past
/// the end of the text.
fn string_end(b: &[u8], at: usize, q: u8) -> usize {
    let triple = b.get(at + 1) == Some(&q) && b.get(at + 2) == Some(&q);
    let mut i = at + if triple { 3 } else { 1 };
    loop {
        let Some(k) = b
            .get(i..)
            .and_then(|rest| memchr::memchr3(q, b'\\', b'\n', rest))
        else {
            return b.len();
        };
        i += k;
        match b[i] {
            // Basic strings escape the next byte; literal strings have no escapes.
            b'\\' if q == b'"' => i += 2,
            c if c == q && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q))) => {
                return i + if triple { 2 } else { 0 };
            }
            b'\n' if !triple => return i,
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tables sized as they are built, and shrunk only where room is left, end without spare
    /// room: implicit and dotted tables, sections reopened by a later header, arrays of tables.
    #[test]
    fn a_shrunk_document_keeps_no_spare_room_in_its_tables() {
        fn spare(t: &Table, path: &str, out: &mut Vec<String>) {
            if t.entries.capacity() > t.entries.len() {
                out.push(format!(
                    "{path}: {} of {}",
                    t.entries.len(),
                    t.entries.capacity()
                ));
            }
            for (k, node) in &t.entries {
                let items = match &node.value {
                    Value::Table(sub) => vec![sub],
                    Value::Array(items) => items.iter().filter_map(Node::as_table).collect(),
                    _ => vec![],
                };
                items
                    .into_iter()
                    .for_each(|sub| spare(sub, &format!("{path}.{k}"), out));
            }
        }
        let text = "top = 1\na.b.c = 2\na.b.d = 3\n[runtime]\nlog_level = \"INFO\"\n\
                    [destination.warehouse]\ndestination_type = \"postgres\"\n\
                    [destination.warehouse.credentials]\nhost = \"h\"\nport = 1\nx = 1\ny = 2\nz = 3\n\
                    [[sources.items]]\nname = \"a\"\n[[sources.items]]\nname = \"b\"\nq = { r.s = 1, t = 2 }\n";
        let mut doc = TomlDoc::parse(text);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        doc.shrink_to_fit();
        let mut out = Vec::new();
        spare(doc.root(), "", &mut out);
        assert!(out.is_empty(), "tables with spare room: {out:?}");
        let creds = doc
            .root()
            .get_path(&["destination", "warehouse", "credentials"])
            .unwrap();
        assert_eq!(creds.as_table().unwrap().entries.len(), 5);
    }

    fn errors(text: &str) -> Vec<String> {
        TomlDoc::parse(text)
            .errors
            .iter()
            .map(|e| {
                format!(
                    "{:?} {}..{} {}",
                    e.kind, e.span.start, e.span.end, e.message
                )
            })
            .collect()
    }

    /// A dormant document builds its tables and tree again from the text, as they were, and
    /// keeps its errors meanwhile; a refused one never goes dormant.
    #[test]
    fn a_dormant_document_builds_the_same_tables_again() {
        let text: Arc<str> = "[a]\nx = 1\nx = 2\n[b.c]\ny = [\"é\", { z = 1 }]\n[[d]]\n[e\n".into();
        let doc = TomlDoc::parse(&text);
        let (root, tree) = (doc.root().clone(), doc.green().clone());
        assert_eq!(doc.errors.len(), 2, "{:?}", doc.errors);
        let dormant = doc.dormant(text.clone()).unwrap();
        assert!(dormant.is_dormant() && !doc.is_dormant());
        assert_eq!(dormant.errors, doc.errors);
        assert!(
            dormant.dormant(text.clone()).is_none(),
            "nothing left to let go of"
        );
        assert_eq!(dormant.root(), &root);
        assert!(
            dormant.tree.get().is_none(),
            "tables are built without keeping a tree"
        );
        assert_eq!(dormant.green(), &tree);
        let again = dormant.dormant(text.clone()).unwrap();
        assert_eq!(
            again.root().get_path(&["b", "c", "y"]),
            root.get_path(&["b", "c", "y"])
        );
        let deep: Arc<str> = format!("v = {}", "[".repeat(MAX_NESTING + 1)).into();
        assert!(TomlDoc::parse(&deep).dormant(deep.clone()).is_none());
    }

    /// A dropped tree comes back, built again from the text, exactly as it was.
    #[test]
    fn a_dropped_tree_is_built_again_from_the_text() {
        let text: Arc<str> = "[a] # h\nx = [1,\n 2]\n\n[[b]]\ny = \"é\"\n".into();
        let mut doc = TomlDoc::parse(&text);
        let tree = doc.green().clone();
        doc.drop_tree(text.clone());
        assert!(doc.tree.get().is_none());
        assert_eq!(doc.green(), &tree);
        let deep: Arc<str> = format!("v = {}", "[".repeat(MAX_NESTING + 1)).into();
        let mut refused = TomlDoc::parse(&deep);
        refused.drop_tree(deep.clone());
        assert_eq!(
            refused.green().text_len(),
            0.into(),
            "never parsed, not even later"
        );
    }

    #[test]
    fn builds_nested_tables_from_headers_dotted_keys_and_inline_tables() {
        let doc = TomlDoc::parse(
            "a = 1\n[destination.warehouse]\ndestination_type = \"duckdb\"\ncredentials.password = 'x'\n\
             [runtime]\nopts = { level = \"INFO\", n.m = 2 }\n[[items]]\nk = 1\n[[items]]\nk = 2\n",
        );
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let r = doc.root();
        assert_eq!(
            r.get_path(&["destination", "warehouse", "destination_type"])
                .unwrap()
                .as_str(),
            Some("duckdb")
        );
        assert_eq!(
            r.get_path(&["destination", "warehouse", "credentials", "password"])
                .unwrap()
                .as_str(),
            Some("x")
        );
        assert_eq!(
            r.get_path(&["runtime", "opts", "n", "m"]).unwrap().value,
            Value::Scalar(Scalar::Int(2))
        );
        assert_eq!(
            r.get_path(&["items", "k"]).unwrap().value,
            Value::Scalar(Scalar::Int(2))
        );
        assert_eq!(r.get_path(&["destination"]).unwrap().def, Def::Implicit);
    }

    #[test]
    fn decodes_every_string_form_and_quoted_keys() {
        let doc = TomlDoc::parse(
            "\"a.b\" = \"\\u00e9\\n\"\n'c' = 'raw\\n'\nd = \"\"\"\nml\"\"\"\ne = '''\r\nlit'''\n",
        );
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        assert_eq!(doc.root().get("a.b").unwrap().as_str(), Some("é\n"));
        assert_eq!(doc.root().get("c").unwrap().as_str(), Some("raw\\n"));
        assert_eq!(doc.root().get("d").unwrap().as_str(), Some("ml"));
        assert_eq!(doc.root().get("e").unwrap().as_str(), Some("lit"));
    }

    #[test]
    fn reports_duplicates_as_toml_1_0_defines_them() {
        expect_test::expect![[r#"
            [
                "DuplicateKey 6..7 duplicate key `a`",
            ]
        "#]]
        .assert_debug_eq(&errors("a = 1\na = 2\n"));
        expect_test::expect![[r#"
            [
                "DuplicateTable 11..12 table `t` is defined more than once",
            ]
        "#]]
        .assert_debug_eq(&errors("[t]\nx = 1\n[t]\ny = 2\n"));
        // Dotted keys cannot extend a header table, and a header cannot reopen a dotted one.
        assert_eq!(errors("[a.b.c]\nz = 9\n[a]\nb.c.t = 9\n").len(), 1);
        assert_eq!(errors("[f]\napple.color = 1\n[f.apple]\n").len(), 1);
        // But a sub-table of a dotted table may be added, and a parent opened later.
        assert!(errors("[f]\napple.color = 1\n[f.apple.texture]\ns = 1\n").is_empty());
        assert!(errors("[a.b]\nx = 1\n[a]\ny = 2\n").is_empty());
        assert_eq!(errors("a = 1\n[a]\n").len(), 1);
        assert_eq!(errors("t = { a = 1 }\n[t]\n").len(), 1);
    }

    #[test]
    fn points_at_a_forbidden_character_after_non_ascii_text() {
        // taplo's own offset (token start + char index) would be 6, inside `é`.
        for text in [
            "a = \"é\u{1}\"\n",
            "a = 'é\u{1}'\n",
            "# é\u{1}\n",
            "a = \"\"\"😀😀\n\u{1}\"\"\"\n",
        ] {
            let doc = TomlDoc::parse(text);
            let bad = text.find('\u{1}').unwrap();
            assert_eq!(
                doc.errors.iter().map(|e| e.span).collect::<Vec<_>>(),
                [Span::new(bad, bad + 1)],
                "{text:?}: {:?}",
                doc.errors
            );
        }
    }

    #[test]
    fn reports_an_array_of_tables_header_left_open_at_end_of_file() {
        for text in ["[[jobs]", "a = 1\n[[x.y]", "[[jobs]\n", "[[jobs"] {
            let doc = TomlDoc::parse(text);
            assert_eq!(
                doc.errors
                    .iter()
                    .filter(|e| e.kind == TomlErrorKind::Syntax)
                    .count(),
                1,
                "{text:?}: {:?}",
                doc.errors
            );
        }
        assert!(TomlDoc::parse("[[jobs]]").errors.is_empty());
    }

    #[test]
    fn reports_syntax_errors_with_their_span() {
        let doc = TomlDoc::parse("[destination\nkey = = 1\n");
        assert!(doc.errors.iter().all(|e| e.kind == TomlErrorKind::Syntax));
        assert!(!doc.errors.is_empty());
    }

    #[test]
    fn refuses_pathological_nesting_without_recursing() {
        let text = format!("a = {}1{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let doc = TomlDoc::parse(&text);
        assert_eq!(doc.errors[0].kind, TomlErrorKind::TooDeep);
        // Brackets inside strings and comments do not count.
        let text = format!("a = \"{}\" # {}\n", "[".repeat(1000), "{".repeat(1000));
        assert!(TomlDoc::parse(&text).errors.is_empty());
        // The limit itself, where counting the openings no longer settles it.
        let nested = |n: usize| format!("a = {}1{}\n", "[".repeat(n), "]".repeat(n));
        assert_eq!(nesting_exceeds(&nested(MAX_NESTING), MAX_NESTING), None);
        let deeper = nested(MAX_NESTING + 1);
        assert_eq!(nesting_exceeds(&deeper, MAX_NESTING), Some(4 + MAX_NESTING));
        let siblings = "a = [[1], [2]]\n".repeat(MAX_NESTING);
        assert_eq!(nesting_exceeds(&siblings, MAX_NESTING), None);
    }

    /// The nesting check as it was written first, a byte at a time: the reference the faster
    /// one must agree with.
    fn nesting_exceeds_byte_by_byte(text: &str, max: usize) -> Option<usize> {
        let b = text.as_bytes();
        let (mut depth, mut i) = (0usize, 0usize);
        while i < b.len() {
            match b[i] {
                b'#' => {
                    while i < b.len() && b[i] != b'\n' {
                        i += 1;
                    }
                }
                q @ (b'"' | b'\'') => {
                    let triple = b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q);
                    i += if triple { 3 } else { 1 };
                    while i < b.len() {
                        if q == b'"' && b[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        if b[i] == q
                            && (!triple || (b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q)))
                        {
                            i += if triple { 2 } else { 0 };
                            break;
                        }
                        if !triple && b[i] == b'\n' {
                            break;
                        }
                        i += 1;
                    }
                }
                b'[' | b'{' => {
                    depth += 1;
                    if depth > max {
                        return Some(i);
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            i += 1;
        }
        None
    }

    /// Texts made of the bytes that matter (quotes, escapes, comments, line breaks, brackets),
    /// mixed at random with a fixed seed: the fast check finds what the reference finds, in each.
    #[test]
    fn nesting_check_agrees_with_the_byte_by_byte_reference() {
        let alphabet: &[&str] = &[
            "[", "[", "{", "]", "}", "\"", "'", "\"\"\"", "'''", "\\", "\\\"", "#", "\n", "a",
            " = ", "é",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut deep = 0;
        for round in 0..4_000 {
            let len = (next() % 200) as usize;
            let text: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            for max in [0, 1, 3, 8] {
                let expected = nesting_exceeds_byte_by_byte(&text, max);
                deep += usize::from(expected.is_some());
                assert_eq!(
                    nesting_exceeds(&text, max),
                    expected,
                    "round {round}, max {max}: {text:?}"
                );
            }
        }
        // The corpus reaches both answers often.
        assert!(deep > 2_000 && deep < 14_000, "{deep} of 16,000 too deep");
    }

    #[test]
    fn header_span_covers_its_entries() {
        let text = "[a]\nx = 1\ny = 2\n\n[b]\n";
        let doc = TomlDoc::parse(text);
        let a = doc.root().get("a").unwrap();
        assert_eq!(
            &text[a.full_span.start as usize..a.full_span.end as usize],
            "[a]\nx = 1\ny = 2"
        );
    }
}
