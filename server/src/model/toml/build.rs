//! Building the tree of tables from taplo's syntax tree, with TOML's semantic checks (duplicate
//! keys, tables defined twice, dotted keys reopening a table).
//!
//! It walks the green tree directly ([`green`]): this runs on every keystroke over the whole
//! file, and rowan's cursors cost an allocation per node visited.

use super::green;
use super::{unquote_key, Def, Node, Scalar, Span, Table, TomlError, TomlErrorKind, Value};
use taplo::syntax::SyntaxKind;

/// The tree of tables of a parsed file and the semantic errors found building it.
pub fn tables(root: &taplo::rowan::GreenNode) -> (Table, Vec<TomlError>) {
    let mut builder = Builder {
        root: Table::default(),
        errors: Vec::new(),
    };
    builder.build(green::Node::root(root));
    (builder.root, builder.errors)
}

/// The key segments of a KEY node, unquoted, with their spans.
fn segments(key: green::Node<'_>) -> Vec<(String, Span)> {
    key.tokens()
        .filter(|t| t.kind() == SyntaxKind::IDENT)
        .map(|t| (unquote_key(t.text()), t.span()))
        .collect()
}

struct Builder {
    root: Table,
    errors: Vec<TomlError>,
}

/// Where entries of the current section go: a path from the root, where an array of tables
/// means its last element.
type Section = Vec<String>;

impl Builder {
    fn build(&mut self, root: green::Node<'_>) {
        let mut section: Section = Vec::new();
        // Header node whose section is open, to extend its full span over its entries.
        let mut open_header: Option<Section> = None;
        // Entries of the current section, inserted together when it closes: the section's table
        // and header are then looked up once per section instead of once per entry (issue 7:
        // those lookups were a tenth of a 20,000-line file's parse).
        let mut pending: Vec<green::Node<'_>> = Vec::new();
        for child in root.children() {
            match child.kind() {
                SyntaxKind::TABLE_HEADER | SyntaxKind::TABLE_ARRAY_HEADER => {
                    let Some(key) = child.child(SyntaxKind::KEY) else {
                        continue;
                    };
                    let segs = segments(key);
                    if segs.is_empty() {
                        continue;
                    }
                    self.flush(&section, open_header.as_deref(), &mut pending);
                    let span = child.span();
                    let array = child.kind() == SyntaxKind::TABLE_ARRAY_HEADER;
                    if self.open_table(&segs, span, array) {
                        section = segs.into_iter().map(|(s, _)| s).collect();
                        open_header = Some(section.clone());
                    } else {
                        // Entries of a rejected header are still checked, in a scratch table.
                        section = vec!["\u{0}invalid".into()];
                        open_header = None;
                        self.root.entries.shift_remove("\u{0}invalid");
                        let scratch = Node {
                            value: Value::Table(Table::default()),
                            def: Def::Header,
                            key_span: span,
                            value_span: span,
                            full_span: span,
                        };
                        self.root.entries.insert("\u{0}invalid".into(), scratch);
                    }
                }
                SyntaxKind::ENTRY => pending.push(child),
                _ => {}
            }
        }
        self.flush(&section, open_header.as_deref(), &mut pending);
        self.root.entries.shift_remove("\u{0}invalid");
    }

    /// Inserts the pending entries of `section` and extends its header's span over them.
    fn flush(
        &mut self,
        section: &[String],
        header: Option<&[String]>,
        pending: &mut Vec<green::Node<'_>>,
    ) {
        let Some(cover) = pending.iter().map(|e| e.span()).reduce(Span::cover) else {
            return;
        };
        if let Some(table) = table_at_mut(&mut self.root, section) {
            // A section's own entries come together: room for all of them at once (dotted keys
            // may need less), rather than grown by doubling and shrunk later.
            if table.entries.is_empty() {
                table.entries.reserve_exact(pending.len());
            }
            for entry in pending.iter() {
                insert_entry(table, *entry, &mut self.errors, 0);
            }
        }
        if let Some(h) = header {
            if let Some(node) = node_at_mut(&mut self.root, h) {
                node.full_span = node.full_span.cover(cover);
            }
        }
        pending.clear();
    }

    /// Opens `[segs]` or `[[segs]]`; returns false (with an error) when TOML forbids it.
    fn open_table(&mut self, segs: &[(String, Span)], span: Span, array: bool) -> bool {
        let mut table = &mut self.root;
        let last = segs.len() - 1;
        for (i, (name, kspan)) in segs.iter().enumerate() {
            if i < last {
                // An implicit table holds the next key of the header, often its only one.
                let node = table.entries.entry(name.clone()).or_insert_with(|| Node {
                    value: Value::Table(Table::with_capacity(1)),
                    def: Def::Implicit,
                    key_span: *kspan,
                    value_span: *kspan,
                    full_span: *kspan,
                });
                let first = node.key_span;
                let next = match (&mut node.value, node.def) {
                    (Value::Table(t), Def::Implicit | Def::Header | Def::Dotted) => t,
                    (Value::Array(items), Def::ArrayOfTables) => match items.last_mut() {
                        Some(Node {
                            value: Value::Table(t),
                            ..
                        }) => t,
                        _ => return false,
                    },
                    _ => {
                        self.errors.push(TomlError {
                            kind: TomlErrorKind::DuplicateTable,
                            span: *kspan,
                            message: format!(
                                "`{name}` is already defined as a value, not a table that can be extended"
                            ),
                            first: Some(first),
                        });
                        return false;
                    }
                };
                table = next;
                continue;
            }
            let new_table = || Node {
                value: Value::Table(Table::default()),
                def: Def::Header,
                key_span: *kspan,
                value_span: span,
                full_span: span,
            };
            match table.entries.get_mut(name) {
                None if array => {
                    table.entries.insert(
                        name.clone(),
                        Node {
                            value: Value::Array(vec![new_table()]),
                            def: Def::ArrayOfTables,
                            key_span: *kspan,
                            value_span: span,
                            full_span: span,
                        },
                    );
                }
                None => {
                    table.entries.insert(name.clone(), new_table());
                }
                Some(node) if array && node.def == Def::ArrayOfTables => {
                    if let Value::Array(items) = &mut node.value {
                        items.push(new_table());
                    }
                }
                Some(node) if !array && node.def == Def::Implicit => {
                    node.def = Def::Header;
                    node.key_span = *kspan;
                    node.value_span = span;
                    node.full_span = span;
                }
                Some(node) => {
                    let full: Vec<&str> = segs.iter().map(|(s, _)| s.as_str()).collect();
                    let message = match node.def {
                        Def::Header | Def::Dotted | Def::Inline => {
                            format!("table `{}` is defined more than once", full.join("."))
                        }
                        _ => format!("`{}` is already defined as a value", full.join(".")),
                    };
                    self.errors.push(TomlError {
                        kind: TomlErrorKind::DuplicateTable,
                        span: *kspan,
                        message,
                        first: Some(node.key_span),
                    });
                    return false;
                }
            }
        }
        true
    }
}

fn table_at_mut<'a>(root: &'a mut Table, path: &[String]) -> Option<&'a mut Table> {
    let mut table = root;
    for name in path {
        let node = table.entries.get_mut(name)?;
        table = match &mut node.value {
            Value::Table(t) => t,
            Value::Array(items) => match items.last_mut() {
                Some(Node {
                    value: Value::Table(t),
                    ..
                }) => t,
                _ => return None,
            },
            _ => return None,
        };
    }
    Some(table)
}

fn node_at_mut<'a>(root: &'a mut Table, path: &[String]) -> Option<&'a mut Node> {
    let (last, parents) = path.split_last()?;
    let node = table_at_mut(root, parents)?.entries.get_mut(last)?;
    if node.def != Def::ArrayOfTables {
        return Some(node);
    }
    match &mut node.value {
        Value::Array(items) => items.last_mut(),
        _ => None,
    }
}

/// Inserts one `key = value` ENTRY node into `table`.
fn insert_entry(
    table: &mut Table,
    entry: green::Node<'_>,
    errors: &mut Vec<TomlError>,
    depth: usize,
) {
    let Some(key) = entry.child(SyntaxKind::KEY) else {
        return;
    };
    let mut segs = segments(key);
    let Some((last, last_span)) = segs.pop() else {
        return;
    };
    let full_span = entry.span();
    let value_node = entry.child(SyntaxKind::VALUE);
    let mut table = table;
    for (name, kspan) in segs {
        // The key is moved in, not copied: this runs for every dotted key of every keystroke.
        let index = match table.entries.get_index_of(name.as_str()) {
            Some(i) => i,
            None => {
                let node = Node {
                    value: Value::Table(Table::with_capacity(1)),
                    def: Def::Dotted,
                    key_span: kspan,
                    value_span: kspan,
                    full_span,
                };
                table.entries.insert_full(name, node).0
            }
        };
        let Some((name, node)) = table.entries.get_index_mut(index) else {
            return;
        };
        if node.def == Def::Dotted {
            node.full_span = node.full_span.cover(full_span);
        }
        let first = node.key_span;
        match (&mut node.value, node.def) {
            (Value::Table(t), Def::Dotted) => table = t,
            _ => {
                errors.push(TomlError {
                    kind: TomlErrorKind::DuplicateKey,
                    span: kspan,
                    message: format!("`{name}` is already defined; a dotted key cannot extend it"),
                    first: Some(first),
                });
                return;
            }
        }
    }
    let value = match &value_node {
        Some(v) => convert_value(*v, errors, depth),
        None => (Value::Invalid, Def::Value, full_span),
    };
    if let Some(existing) = table.entries.get(&last) {
        errors.push(TomlError {
            kind: TomlErrorKind::DuplicateKey,
            span: last_span,
            message: format!("duplicate key `{last}`"),
            first: Some(existing.key_span),
        });
        return;
    }
    table.entries.insert(
        last,
        Node {
            value: value.0,
            def: value.1,
            key_span: last_span,
            value_span: value.2,
            full_span,
        },
    );
}

/// Converts a VALUE node (or an ARRAY / INLINE_TABLE node inside one).
fn convert_value(
    value: green::Node<'_>,
    errors: &mut Vec<TomlError>,
    depth: usize,
) -> (Value, Def, Span) {
    let span = value.span();
    if let Some(inner) = value.children().next() {
        match inner.kind() {
            SyntaxKind::ARRAY => {
                let items = inner
                    .children()
                    .filter(|c| c.kind() == SyntaxKind::VALUE)
                    .map(|v| {
                        let (value, def, vspan) = convert_value(v, errors, depth + 1);
                        Node {
                            value,
                            def,
                            key_span: vspan,
                            value_span: vspan,
                            full_span: vspan,
                        }
                    })
                    .collect();
                return (Value::Array(items), Def::Value, span);
            }
            SyntaxKind::INLINE_TABLE => {
                let mut table = Table::default();
                for entry in inner.children().filter(|c| c.kind() == SyntaxKind::ENTRY) {
                    insert_entry(&mut table, entry, errors, depth + 1);
                }
                close_dotted(&mut table);
                return (Value::Table(table), Def::Inline, span);
            }
            _ => {}
        }
    }
    let Some(token) = value.tokens().find(|t| {
        !matches!(
            t.kind(),
            SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::COMMENT
        )
    }) else {
        return (Value::Invalid, Def::Value, span);
    };
    (
        scalar(token).map(Value::Scalar).unwrap_or(Value::Invalid),
        Def::Value,
        span,
    )
}

/// Dotted tables inside an inline table are closed with it.
fn close_dotted(table: &mut Table) {
    for node in table.entries.values_mut() {
        if let Value::Table(t) = &mut node.value {
            if node.def == Def::Dotted {
                node.def = Def::Inline;
            }
            close_dotted(t);
        }
    }
}

fn scalar(token: green::Token<'_>) -> Option<Scalar> {
    let t = token.text();
    Some(match token.kind() {
        SyntaxKind::STRING => Scalar::Str(unescape(&t[1..t.len().saturating_sub(1).max(1)])?),
        SyntaxKind::STRING_LITERAL => {
            Scalar::Str(t[1..t.len().saturating_sub(1).max(1)].to_string())
        }
        SyntaxKind::MULTI_LINE_STRING => {
            let inner = t.get(3..t.len().saturating_sub(3))?;
            Scalar::Str(unescape(trim_first_newline(inner))?)
        }
        SyntaxKind::MULTI_LINE_STRING_LITERAL => {
            let inner = t.get(3..t.len().saturating_sub(3))?;
            Scalar::Str(trim_first_newline(inner).to_string())
        }
        SyntaxKind::INTEGER => Scalar::Int(without_underscores(t).parse().ok()?),
        SyntaxKind::INTEGER_HEX => {
            Scalar::Int(i64::from_str_radix(&t[2..].replace('_', ""), 16).ok()?)
        }
        SyntaxKind::INTEGER_OCT => {
            Scalar::Int(i64::from_str_radix(&t[2..].replace('_', ""), 8).ok()?)
        }
        SyntaxKind::INTEGER_BIN => {
            Scalar::Int(i64::from_str_radix(&t[2..].replace('_', ""), 2).ok()?)
        }
        SyntaxKind::FLOAT => Scalar::Float(match t.trim_start_matches(['+', '-']) {
            "inf" => {
                if t.starts_with('-') {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            "nan" => f64::NAN,
            _ => without_underscores(t).parse().ok()?,
        }),
        SyntaxKind::BOOL => Scalar::Bool(t == "true"),
        SyntaxKind::DATE
        | SyntaxKind::TIME
        | SyntaxKind::DATE_TIME_LOCAL
        | SyntaxKind::DATE_TIME_OFFSET => Scalar::DateTime(t.to_string()),
        _ => return None,
    })
}

/// A string's escapes resolved; the common string without any is copied as it is.
fn unescape(s: &str) -> Option<String> {
    if s.contains('\\') {
        taplo::util::unescape(s).ok()
    } else {
        Some(s.to_string())
    }
}

/// A number's digits without `_` separators, copied only when it has any.
fn without_underscores(t: &str) -> std::borrow::Cow<'_, str> {
    if t.contains('_') {
        t.replace('_', "").into()
    } else {
        t.into()
    }
}

fn trim_first_newline(s: &str) -> &str {
    s.strip_prefix("\r\n")
        .or_else(|| s.strip_prefix('\n'))
        .unwrap_or(s)
}
