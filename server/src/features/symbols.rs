//! Document outline: tables and keys, nested as the TOML tree nests them.

use crate::model::toml::{Def, Node, Scalar, Span, Table, Value};

/// What a symbol stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Table,
    Array,
    String,
    Number,
    Boolean,
    DateTime,
    Invalid,
}

/// One entry of the outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    pub name: String,
    /// A short rendering of a scalar value.
    pub detail: Option<String>,
    pub kind: SymbolKind,
    /// Everything the symbol covers.
    pub range: Span,
    /// The key that names it.
    pub selection: Span,
    pub children: Vec<Symbol>,
}

/// The outline of a parsed file, in source order.
pub fn document_symbols(root: &Table) -> Vec<Symbol> {
    table_symbols(root)
}

fn table_symbols(table: &Table) -> Vec<Symbol> {
    let mut out: Vec<Symbol> = Vec::new();
    for (name, node) in &table.entries {
        if node.def == Def::ArrayOfTables {
            if let Value::Array(items) = &node.value {
                for (i, item) in items.iter().enumerate() {
                    out.push(symbol(format!("{name}[{i}]"), item));
                }
            }
            continue;
        }
        out.push(symbol(name.clone(), node));
    }
    out.sort_by_key(|s| s.range.start);
    out
}

fn symbol(name: String, node: &Node) -> Symbol {
    let (kind, detail, children) = match &node.value {
        Value::Table(t) => (SymbolKind::Table, None, table_symbols(t)),
        Value::Array(items) => (
            SymbolKind::Array,
            Some(format!("{} items", items.len())),
            Vec::new(),
        ),
        Value::Scalar(s) => {
            let (k, d) = match s {
                Scalar::Str(_) => (SymbolKind::String, None),
                Scalar::Int(i) => (SymbolKind::Number, Some(i.to_string())),
                Scalar::Float(f) => (SymbolKind::Number, Some(f.to_string())),
                Scalar::Bool(b) => (SymbolKind::Boolean, Some(b.to_string())),
                Scalar::DateTime(d) => (SymbolKind::DateTime, Some(d.clone())),
            };
            (k, d, Vec::new())
        }
        Value::Invalid => (SymbolKind::Invalid, None, Vec::new()),
    };
    // Implicit and dotted tables are spread over the file: cover all their children.
    let mut range = node.full_span.cover(node.key_span);
    for c in &children {
        range = range.cover(c.range);
    }
    Symbol {
        name,
        detail,
        kind,
        range,
        selection: node.key_span,
        children,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::toml::TomlDoc;

    fn outline(symbols: &[Symbol], depth: usize, out: &mut String) {
        for s in symbols {
            out.push_str(&format!(
                "{}{} {:?} {}..{}\n",
                "  ".repeat(depth),
                s.name,
                s.kind,
                s.range.start,
                s.range.end
            ));
            outline(&s.children, depth + 1, out);
        }
    }

    #[test]
    fn nests_tables_and_keys_in_source_order() {
        let doc = TomlDoc::parse(
            "[runtime]\nlog_level = \"INFO\"\n[destination.warehouse]\ndestination_type = \"duckdb\"\ncredentials.password = \"x\"\n[[jobs]]\nn = 1\n",
        );
        let mut out = String::new();
        outline(&document_symbols(doc.root()), 0, &mut out);
        expect_test::expect![[r#"
            runtime Table 0..28
              log_level String 10..28
            destination Table 29..107
              warehouse Table 29..107
                destination_type String 53..80
                credentials Table 81..107
                  password String 81..107
            jobs[0] Table 108..122
              n Number 117..122
        "#]]
        .assert_eq(&out);
    }
}
