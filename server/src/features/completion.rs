//! Completion at a byte offset: section names in headers, destination types, the keys dlt's spec
//! allows in the table at the cursor (variant-aware for credentials), literal and boolean values,
//! and snippets that write a destination's required credentials. Plain data, no protocol types.

use crate::model::catalog::{Catalog, Destination, Field, FieldType, NativeForm, Spec};
use crate::model::cursor::{locate, Cursor};
use crate::model::schema::{table_at, type_label, Owner, Scope};
use crate::model::source::SourceFile;
use crate::model::toml::Span;
use crate::model::workspace::{DltFolder, Snapshot};

use super::key_docs::{field_doc, owner_label};

/// What a completion item stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    /// A top-level section name (`runtime`).
    Section,
    /// A destination type or a named destination.
    Destination,
    /// A key of the table at the cursor.
    Key,
    /// A value (literal, boolean, default).
    Value,
    /// Several lines at once (a credentials table).
    Snippet,
}

/// One completion proposal.
#[derive(Debug, Clone, PartialEq)]
pub struct CompletionItem {
    /// What the list shows (a key, a quoted value, a header).
    pub label: String,
    /// What the item stands for.
    pub kind: CompletionKind,
    /// One line: type, required marker, default.
    pub detail: Option<String>,
    /// Markdown.
    pub documentation: Option<String>,
    /// The text that replaces `replace`; a snippet (`$1`, `${1|a,b|}`) when `is_snippet`.
    pub insert_text: String,
    /// Whether `insert_text` uses snippet syntax.
    pub is_snippet: bool,
    /// The byte range the insert text replaces (empty: insert at the offset).
    pub replace: Span,
    /// Orders required keys first; compare as strings.
    pub sort_text: String,
}

/// Completion proposals at `offset` of `file`.
pub fn completions(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    offset: usize,
) -> Vec<CompletionItem> {
    let scope = Scope::new(folder, file, &snapshot.context.env);
    let text: &str = &file.text;
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    if let Some(header) = before.trim_start().strip_prefix('[') {
        if !header.contains(']') {
            // Replace the whole segment, also the part after the cursor (`[destination.pos|tgres]`).
            let rest = &text[offset..];
            let after = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            return header_items(
                &scope,
                header.trim_start_matches('['),
                offset,
                offset + after,
            );
        }
    }
    match locate(&file.doc, offset) {
        Cursor::Value { path, span } => {
            let replace = if span.start == span.end || !span.contains(offset) {
                Span::new(offset, offset)
            } else {
                span
            };
            value_items(&scope, &path, replace)
        }
        Cursor::Key { path, span } => {
            let after_line = &text[span.end as usize..];
            let after_line = &after_line[..after_line.find('\n').unwrap_or(after_line.len())];
            let with_value = !after_line.contains('=');
            key_items(&scope, &path[..path.len() - 1], span, with_value)
        }
        Cursor::Table { path } => {
            let word = word_before(before);
            let replace = Span::new(offset - word.len(), offset);
            let mut items = key_items(&scope, &path, replace, true);
            items.extend(credentials_snippets(&scope, &path, replace));
            items
        }
        Cursor::Header { .. } => Vec::new(),
    }
}

/// The identifier characters right before the cursor.
fn word_before(before: &str) -> &str {
    // The separator may be any character (an emoji): step over it by its UTF-8 length.
    let start = before
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_' || *c == '-'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[start..]
}

#[cfg(test)]
mod word_tests {
    #[test]
    fn the_word_before_the_cursor_may_follow_a_multibyte_separator() {
        assert_eq!(super::word_before("x = \"postgreé😀dential"), "dential");
        assert_eq!(super::word_before("passw"), "passw");
        assert_eq!(super::word_before("a.😀"), "");
    }
}

/// Sections after `[`, destination types after `[destination.`, table-typed keys deeper down.
fn header_items(scope: &Scope, typed: &str, offset: usize, end: usize) -> Vec<CompletionItem> {
    let segments: Vec<String> = typed
        .split('.')
        .map(|s| s.trim().trim_matches(['"', '\'']).to_string())
        .collect();
    let (prefix, parent) = segments.split_last().expect("split always yields one");
    let raw_last = typed.rsplit('.').next().unwrap_or_default();
    let replace = Span::new(offset - raw_last.trim_start().len(), end);
    let _ = prefix;
    let parent: Vec<&str> = parent.iter().map(String::as_str).collect();
    let item = |label: &str, kind, detail: String, doc: Option<String>| CompletionItem {
        label: label.to_string(),
        kind,
        detail: Some(detail),
        documentation: doc,
        insert_text: label.to_string(),
        is_snippet: false,
        replace,
        sort_text: label.to_string(),
    };
    let catalog = Catalog::get();
    match parent.as_slice() {
        [] => {
            let mut out = vec![
                item(
                    "destination",
                    CompletionKind::Section,
                    "destinations by type or name".into(),
                    Some("`[destination.<type>]` or a named `[destination.<name>]` with `destination_type`.".into()),
                ),
                item(
                    "sources",
                    CompletionKind::Section,
                    "source arguments".into(),
                    Some("`[sources.<module>.<source>]`: arguments of `@dlt.source` functions; any key.".into()),
                ),
            ];
            let mut names: Vec<&str> = vec!["pipelines"];
            for s in catalog.sections() {
                if s.mode == crate::model::catalog::SectionMode::Workspace && !scope.workspace() {
                    continue;
                }
                for t in &s.tables {
                    let first = t.split('.').next().unwrap_or_default();
                    if !names.contains(&first) {
                        names.push(first);
                    }
                }
            }
            for name in names {
                let key = [name];
                let section = catalog.section_for_path(&key, scope.workspace());
                let detail = section.map_or_else(|| "section".to_string(), |(s, _)| s.spec.clone());
                let doc = section.map(|(s, _)| s.lookup.clone());
                out.push(item(name, CompletionKind::Section, detail, doc));
            }
            out
        }
        ["destination"] => {
            let mut out: Vec<CompletionItem> = catalog
                .destination_types()
                .filter_map(|t| catalog.destination(t))
                .map(|d| {
                    item(
                        &d.name,
                        CompletionKind::Destination,
                        format!("destination type ({})", d.factory),
                        Some(format!("Keys follow dlt's `{}` spec.", d.spec)),
                    )
                })
                .collect();
            for name in named_destinations(scope) {
                if let Some((d, true)) = scope.destination(&name) {
                    out.push(item(
                        &name,
                        CompletionKind::Destination,
                        format!("named destination ({})", d.name),
                        None,
                    ));
                }
            }
            out
        }
        ["workspace"] if scope.workspace() => ["settings", "runtime"]
            .into_iter()
            .map(|n| {
                let key = ["workspace", n];
                let section = catalog.section_for_path(&key, true);
                item(
                    n,
                    CompletionKind::Section,
                    section.map_or_else(String::new, |(s, _)| s.spec.clone()),
                    section.map(|(s, _)| s.lookup.clone()),
                )
            })
            .collect(),
        _ => {
            let Some(schema) = scope.table_schema(&parent) else {
                return Vec::new();
            };
            let mut out: Vec<CompletionItem> = schema
                .fields
                .iter()
                .filter(|f| f.ty == FieldType::Table && f.resolvable && !f.is_internal())
                .map(|f| {
                    let mut path: Vec<String> = parent.iter().map(|s| s.to_string()).collect();
                    path.push(f.name.clone());
                    let mut it = item(&f.name, CompletionKind::Key, detail(f), None);
                    it.documentation = documentation(scope, &path, f);
                    it
                })
                .collect();
            // Sections nested in a section's table (`[normalize.data_writer]`).
            for s in catalog.sections() {
                for t in &s.tables {
                    let segs: Vec<&str> = t.split('.').collect();
                    if segs.len() == parent.len() + 1 && segs[..parent.len()] == parent[..] {
                        out.push(item(
                            segs[parent.len()],
                            CompletionKind::Section,
                            s.spec.clone(),
                            Some(s.lookup.clone()),
                        ));
                    }
                }
            }
            out
        }
    }
}

/// Names of `[destination.<name>]` tables with a `destination_type` in any file of the folder.
fn named_destinations(scope: &Scope) -> Vec<String> {
    let mut out: Vec<String> = scope
        .files()
        .filter_map(|f| f.doc.root().get("destination")?.as_table())
        .flat_map(|t| t.entries.iter())
        .filter(|(_, n)| {
            n.as_table()
                .is_some_and(|t| t.get("destination_type").is_some())
        })
        .map(|(k, _)| k.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `integer = 5432 · required · secret`.
fn detail(field: &Field) -> String {
    let mut s = type_label(field);
    if !field.default.is_null() {
        s += &format!(" = {}", field.default);
    }
    if field.needs_value() {
        s += " · required";
    }
    if field.secret {
        s += " · secret";
    }
    s
}

fn documentation(scope: &Scope, path: &[String], field: &Field) -> Option<String> {
    let (owner, _) = scope.owner(path)?;
    Some(field_doc(scope, path, Span::default(), owner, field).markdown())
}

/// Keys dlt's spec allows in the table at `table` that the table does not have yet.
fn key_items(
    scope: &Scope,
    table: &[String],
    replace: Span,
    with_value: bool,
) -> Vec<CompletionItem> {
    let catalog = Catalog::get();
    if table == ["destination"] {
        return catalog
            .destination_types()
            .map(|t| CompletionItem {
                label: t.to_string(),
                kind: CompletionKind::Destination,
                detail: Some("destination type".into()),
                documentation: None,
                insert_text: t.to_string(),
                is_snippet: false,
                replace,
                sort_text: t.to_string(),
            })
            .collect();
    }
    let Some(schema) = scope.table_schema(table) else {
        return Vec::new();
    };
    let present = table_at(scope.file.doc.root(), table);
    schema
        .fields
        .iter()
        .filter(|f| f.resolvable && !f.is_internal())
        .filter(|f| present.is_none_or(|t| t.get(&f.name).is_none()))
        .map(|f| {
            let mut path = table.to_vec();
            path.push(f.name.clone());
            let (insert_text, is_snippet) = if with_value {
                (
                    format!("{} = {}", f.name, value_snippet(scope, table, f)),
                    true,
                )
            } else {
                (f.name.clone(), false)
            };
            CompletionItem {
                label: f.name.clone(),
                kind: CompletionKind::Key,
                detail: Some(detail(f)),
                documentation: documentation(scope, &path, f),
                insert_text,
                is_snippet,
                replace,
                sort_text: format!("{}{}", if f.needs_value() { 0 } else { 1 }, f.name),
            }
        })
        .collect()
}

/// A snippet for a field's value: choices for literals and booleans, the default as placeholder.
fn value_snippet(scope: &Scope, table: &[String], field: &'static Field) -> String {
    let default = (!field.default.is_null()).then(|| field.default.to_string());
    match field.ty {
        FieldType::Boolean => {
            let first = default.unwrap_or_else(|| "true".into());
            let second = if first == "true" { "false" } else { "true" };
            format!("${{1|{first},{second}|}}")
        }
        FieldType::Literal => format!(
            "${{1|{}|}}",
            field
                .literal_labels()
                .iter()
                .map(|l| l.replace(',', "\\,").replace('|', "\\|"))
                .collect::<Vec<_>>()
                .join(",")
        ),
        FieldType::Integer | FieldType::Float => {
            format!("${{1:{}}}", default.unwrap_or_else(|| "0".into()))
        }
        FieldType::List => "[$1]".into(),
        FieldType::Table if !field.variants.is_empty() => {
            let parent: Vec<&str> = table.iter().map(String::as_str).collect();
            let specs = scope.pick(field, &parent);
            let natives: Vec<_> = specs.iter().filter_map(|s| s.native.as_ref()).collect();
            // A duckdb path or a MotherDuck database name is the usual string, not a URL.
            let url = natives.iter().find(|n| {
                n.form == NativeForm::ConnectionString && !n.schemes.is_empty() && !n.plain_string
            });
            let plain = natives
                .iter()
                .any(|n| n.plain_string || n.form == NativeForm::String);
            match url {
                Some(n) => format!(
                    "\"${{1:{}://user:password@host:port/database}}\"",
                    n.schemes[0]
                ),
                None if plain => "\"$1\"".into(),
                None => "{ $1 }".into(),
            }
        }
        FieldType::Table => "{ $1 }".into(),
        _ => match default {
            Some(d) if d.starts_with('"') => {
                format!("\"${{1:{}}}\"", snippet_escape(&d[1..d.len() - 1]))
            }
            _ => "\"$1\"".into(),
        },
    }
}

fn snippet_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('$', "\\$")
        .replace('}', "\\}")
}

/// Destination types after `destination_type =`, literal values, booleans, defaults.
fn value_items(scope: &Scope, path: &[String], replace: Span) -> Vec<CompletionItem> {
    let catalog = Catalog::get();
    let value = |label: String, detail: Option<String>, doc: Option<String>, kind| CompletionItem {
        insert_text: label.clone(),
        sort_text: label.clone(),
        label,
        kind,
        detail,
        documentation: doc,
        is_snippet: false,
        replace,
    };
    let segs: Vec<&str> = path.iter().map(String::as_str).collect();
    if let ["destination", _, "destination_type"] = segs.as_slice() {
        return catalog
            .destination_types()
            .filter_map(|t| catalog.destination(t))
            .map(|d| {
                value(
                    format!("\"{}\"", d.name),
                    Some(format!("{} ({})", d.factory, d.package)),
                    Some(format!(
                        "Keys of this destination follow dlt's `{}` spec.",
                        d.spec
                    )),
                    CompletionKind::Destination,
                )
            })
            .collect();
    }
    let Some((_, field)) = scope.field(path) else {
        return Vec::new();
    };
    let default = (!field.default.is_null()).then(|| field.default.to_string());
    let labels: Vec<String> = match field.ty {
        FieldType::Literal => field.literal_labels(),
        FieldType::Boolean => vec!["true".into(), "false".into()],
        _ => default.iter().cloned().collect(),
    };
    labels
        .into_iter()
        .map(|l| {
            let detail = if Some(&l) == default.as_ref() {
                "default"
            } else {
                "allowed value"
            };
            value(l, Some(detail.into()), None, CompletionKind::Value)
        })
        .collect()
}

/// Whole-credentials snippets: the required fields of each credentials spec inside
/// `[destination.<x>.credentials]`, and a full `[destination.<type>.credentials]` table at the
/// top of a file.
fn credentials_snippets(scope: &Scope, table: &[String], replace: Span) -> Vec<CompletionItem> {
    let catalog = Catalog::get();
    match table {
        [] => catalog
            .destination_types()
            .filter_map(|t| catalog.destination(t))
            // Where a value picks the credentials (filesystem's bucket_url), no single table is right.
            .filter(|d| d.credentials().is_some_and(|c| c.selector.is_none()))
            .filter_map(|d| {
                let spec = d
                    .credentials_variants()
                    .iter()
                    .find(|s| !required(s).is_empty())?;
                let body = fields_snippet(spec, None);
                Some(snippet(
                    format!("[destination.{}.credentials]", d.name),
                    d,
                    spec,
                    format!("[destination.{}.credentials]\n{body}", d.name),
                    replace,
                ))
            })
            .collect(),
        [d, _, c] if d == "destination" && c == "credentials" => {
            let Some((Owner::Destination { destination, .. }, _)) = scope.owner(table) else {
                return Vec::new();
            };
            let parent: Vec<&str> = table[..2].iter().map(String::as_str).collect();
            let Some(field) = destination.credentials() else {
                return Vec::new();
            };
            let present = table_at(scope.file.doc.root(), table);
            scope
                .pick(field, &parent)
                .into_iter()
                .filter(|s| !required(s).is_empty())
                .filter_map(|spec| {
                    let body = fields_snippet(spec, present);
                    if body.is_empty() {
                        return None;
                    }
                    Some(snippet(
                        format!("required credentials ({})", spec.spec),
                        destination,
                        spec,
                        body,
                        replace,
                    ))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn required(spec: &Spec) -> Vec<&Field> {
    spec.fields
        .iter()
        .filter(|f| f.resolvable && f.needs_value())
        .collect()
}

/// `name = "$1"` lines for the spec's required fields not in `present`.
fn fields_snippet(spec: &Spec, present: Option<&crate::model::toml::Table>) -> String {
    required(spec)
        .iter()
        .filter(|f| present.is_none_or(|t| t.get(&f.name).is_none()))
        .enumerate()
        .map(|(i, f)| {
            let n = i + 1;
            match f.ty {
                FieldType::Integer | FieldType::Float => format!("{} = ${{{n}:0}}\n", f.name),
                FieldType::Boolean => format!("{} = ${{{n}|true,false|}}\n", f.name),
                _ => format!("{} = \"${{{n}:{}}}\"\n", f.name, f.name),
            }
        })
        .collect()
}

fn snippet(
    label: String,
    d: &Destination,
    spec: &Spec,
    insert: String,
    replace: Span,
) -> CompletionItem {
    // The keys the snippet writes, read back from its `name = ` lines.
    let names: Vec<&str> = insert
        .lines()
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k))
        .collect();
    CompletionItem {
        sort_text: format!("2{label}"),
        label,
        kind: CompletionKind::Snippet,
        detail: Some(format!("{} credentials: {}", d.name, names.join(", "))),
        documentation: Some(format!(
            "Writes the required fields of `{}` ({} destination). Secrets belong in a `secrets.toml`.",
            spec.spec, d.name
        )),
        insert_text: insert,
        is_snippet: true,
        replace,
    }
}

/// The label of the spec a table path belongs to, for the LSP layer's completion headers.
pub fn table_owner(scope: &Scope, table: &[String]) -> Option<String> {
    let (owner, _) = scope.owner(table)?;
    Some(owner_label(scope, table, owner))
}

#[cfg(test)]
pub(crate) mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::test_support::fixture;

    /// The file holding `$0`, the offset of the marker in it, and the fixture without it.
    pub(crate) fn marker(fx: &str) -> (String, usize, String) {
        let at = fx.find("$0").expect("fixture has a $0 marker");
        let header = fx[..at].rfind("//- ").expect("marker after a file header");
        let line_end = header + fx[header..].find('\n').unwrap() + 1;
        let path = fx[header + 4..line_end].trim();
        let name = path.rsplit('/').next().unwrap().to_string();
        (name, at - line_end, fx.replace("$0", ""))
    }

    /// One line per item: label, kind, detail, then the insert text when it differs from the label.
    fn check(fx: &str, expect: Expect) {
        let (name, offset, clean) = marker(fx);
        let snap = fixture(&clean);
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file(&name).unwrap();
        let mut items = completions(&snap, folder, file, offset);
        items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        let mut out = String::new();
        for it in items {
            out += &format!(
                "{} ({:?}) {}",
                it.label,
                it.kind,
                it.detail.unwrap_or_default()
            );
            if it.insert_text != it.label {
                out += &format!(" => {}", it.insert_text.replace('\n', "⏎"));
            }
            let replaced = &file.text[it.replace.start as usize..it.replace.end as usize];
            if !replaced.is_empty() {
                out += &format!(" [replaces {replaced:?}]");
            }
            out += "\n";
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn section_names_in_headers() {
        check(
            "//- .dlt/config.toml\n[ru$0\n",
            expect![[r#"
            data_writer (Section) BufferedDataWriter.BufferedDataWriterConfiguration [replaces "ru"]
            destination (Section) destinations by type or name [replaces "ru"]
            extract (Section) PipeIterator.PipeIteratorConfiguration [replaces "ru"]
            load (Section) LoaderConfiguration [replaces "ru"]
            normalize (Section) NormalizeConfiguration [replaces "ru"]
            pipelines (Section) PipelineConfiguration [replaces "ru"]
            providers (Section) ConfigProvidersConfiguration [replaces "ru"]
            runtime (Section) RuntimeConfiguration [replaces "ru"]
            schema (Section) SchemaConfiguration [replaces "ru"]
            sources (Section) source arguments [replaces "ru"]
        "#]],
        );
    }

    #[test]
    fn header_segment_is_replaced_whole() {
        check(
            "//- .dlt/config.toml\n[workspace.set$0tings]\n//- .dlt/.workspace\n",
            expect![[r#"
                runtime (Section) WorkspaceRuntimeConfiguration [replaces "settings"]
                settings (Section) WorkspaceSettings [replaces "settings"]
            "#]],
        );
    }

    #[test]
    fn destination_types_in_headers_and_after_destination_type() {
        check(
            "//- .dlt/config.toml\n[destination.warehouse]\ndestination_type = \"postgres\"\n[destination.$0\n",
            expect![[r#"
                athena (Destination) destination type (dlt.destinations.athena)
                bigquery (Destination) destination type (dlt.destinations.bigquery)
                clickhouse (Destination) destination type (dlt.destinations.clickhouse)
                databricks (Destination) destination type (dlt.destinations.databricks)
                delta (Destination) destination type (dlthub.destinations.delta)
                destination (Destination) destination type (dlt.destinations.destination)
                dremio (Destination) destination type (dlt.destinations.dremio)
                duckdb (Destination) destination type (dlt.destinations.duckdb)
                ducklake (Destination) destination type (dlt.destinations.ducklake)
                dummy (Destination) destination type (dlt.destinations.dummy)
                fabric (Destination) destination type (dlt.destinations.fabric)
                filesystem (Destination) destination type (dlt.destinations.filesystem)
                iceberg (Destination) destination type (dlthub.destinations.iceberg)
                lance (Destination) destination type (dlt.destinations.lance)
                lancedb (Destination) destination type (dlt.destinations.lancedb)
                motherduck (Destination) destination type (dlt.destinations.motherduck)
                mssql (Destination) destination type (dlt.destinations.mssql)
                postgres (Destination) destination type (dlt.destinations.postgres)
                qdrant (Destination) destination type (dlt.destinations.qdrant)
                redshift (Destination) destination type (dlt.destinations.redshift)
                snowflake (Destination) destination type (dlt.destinations.snowflake)
                snowflake_plus (Destination) destination type (dlthub.destinations.snowflake_plus)
                sqlalchemy (Destination) destination type (dlt.destinations.sqlalchemy)
                synapse (Destination) destination type (dlt.destinations.synapse)
                warehouse (Destination) named destination (postgres)
                weaviate (Destination) destination type (dlt.destinations.weaviate)
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.warehouse]\ndestination_type = $0\n",
            expect![[r#"
                "athena" (Destination) dlt.destinations.athena (dlt)
                "bigquery" (Destination) dlt.destinations.bigquery (dlt)
                "clickhouse" (Destination) dlt.destinations.clickhouse (dlt)
                "databricks" (Destination) dlt.destinations.databricks (dlt)
                "delta" (Destination) dlthub.destinations.delta (dlthub)
                "destination" (Destination) dlt.destinations.destination (dlt)
                "dremio" (Destination) dlt.destinations.dremio (dlt)
                "duckdb" (Destination) dlt.destinations.duckdb (dlt)
                "ducklake" (Destination) dlt.destinations.ducklake (dlt)
                "dummy" (Destination) dlt.destinations.dummy (dlt)
                "fabric" (Destination) dlt.destinations.fabric (dlt)
                "filesystem" (Destination) dlt.destinations.filesystem (dlt)
                "iceberg" (Destination) dlthub.destinations.iceberg (dlthub)
                "lance" (Destination) dlt.destinations.lance (dlt)
                "lancedb" (Destination) dlt.destinations.lancedb (dlt)
                "motherduck" (Destination) dlt.destinations.motherduck (dlt)
                "mssql" (Destination) dlt.destinations.mssql (dlt)
                "postgres" (Destination) dlt.destinations.postgres (dlt)
                "qdrant" (Destination) dlt.destinations.qdrant (dlt)
                "redshift" (Destination) dlt.destinations.redshift (dlt)
                "snowflake" (Destination) dlt.destinations.snowflake (dlt)
                "snowflake_plus" (Destination) dlthub.destinations.snowflake_plus (dlthub)
                "sqlalchemy" (Destination) dlt.destinations.sqlalchemy (dlt)
                "synapse" (Destination) dlt.destinations.synapse (dlt)
                "weaviate" (Destination) dlt.destinations.weaviate (dlt)
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.postgres.$0\n",
            expect![[r#"
                credentials (Key) table · required · secret
                csv_format (Key) table
                staging_config (Key) table
            "#]],
        );
    }

    #[test]
    fn postgres_credentials_keys_and_snippet() {
        check(
            "//- .dlt/secrets.toml\n[destination.postgres.credentials]\nhost = \"h\"\n$0\n",
            expect![[r#"
                database (Key) string · required => database = "$1"
                password (Key) string · required · secret => password = "$1"
                username (Key) string · required => username = "$1"
                client_encoding (Key) string => client_encoding = "$1"
                connect_timeout (Key) integer = 15 => connect_timeout = ${1:15}
                port (Key) integer = 5432 => port = ${1:5432}
                query (Key) table => query = { $1 }
                session_timezone (Key) string => session_timezone = "$1"
                required credentials (PostgresCredentials) (Snippet) postgres credentials: database, password, username => database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎
            "#]],
        );
    }

    #[test]
    fn named_snowflake_keys_with_partial_word() {
        check(
            "//- .dlt/config.toml\n[destination.warehouse]\ndestination_type = \"snowflake\"\n//- .dlt/secrets.toml\n[destination.warehouse.credentials]\npass$0\n",
            expect![[r#"
                database (Key) string · required => database = "$1" [replaces "pass"]
                host (Key) string · required => host = "$1" [replaces "pass"]
                application (Key) string = "dltHub_dlt" => application = "${1:dltHub_dlt}" [replaces "pass"]
                authenticator (Key) string => authenticator = "$1" [replaces "pass"]
                password (Key) string · secret => password = "$1" [replaces "pass"]
                port (Key) integer => port = ${1:0} [replaces "pass"]
                private_key (Key) string · secret => private_key = "$1" [replaces "pass"]
                private_key_passphrase (Key) string · secret => private_key_passphrase = "$1" [replaces "pass"]
                private_key_path (Key) string => private_key_path = "$1" [replaces "pass"]
                query (Key) table => query = { $1 } [replaces "pass"]
                role (Key) string => role = "$1" [replaces "pass"]
                session_timezone (Key) string = "UTC" => session_timezone = "${1:UTC}" [replaces "pass"]
                token (Key) string => token = "$1" [replaces "pass"]
                username (Key) string => username = "$1" [replaces "pass"]
                warehouse (Key) string => warehouse = "$1" [replaces "pass"]
                workload_identity_provider (Key) string => workload_identity_provider = "$1" [replaces "pass"]
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.warehouse]\ndestination_type = \"snowflake\"\nquery_t$0\n",
            expect![[r#"
                credentials (Key) table · required · secret => credentials = "${1:snowflake://user:password@host:port/database}" [replaces "query_t"]
                create_indexes (Key) boolean = false => create_indexes = ${1|false,true|} [replaces "query_t"]
                csv_format (Key) table => csv_format = { $1 } [replaces "query_t"]
                destination_name (Key) string => destination_name = "$1" [replaces "query_t"]
                enable_atomic_swap (Key) boolean = false => enable_atomic_swap = ${1|false,true|} [replaces "query_t"]
                enable_dataset_name_normalization (Key) boolean = true => enable_dataset_name_normalization = ${1|true,false|} [replaces "query_t"]
                environment (Key) string => environment = "$1" [replaces "query_t"]
                info_tables_query_threshold (Key) integer = 1000 => info_tables_query_threshold = ${1:1000} [replaces "query_t"]
                keep_staged_files (Key) boolean = true => keep_staged_files = ${1|true,false|} [replaces "query_t"]
                query_tag (Key) string => query_tag = "$1" [replaces "query_t"]
                replace_strategy (Key) "truncate-and-insert" | "insert-from-staging" | "staging-optimized" => replace_strategy = ${1|"truncate-and-insert","insert-from-staging","staging-optimized"|} [replaces "query_t"]
                stage_name (Key) string => stage_name = "$1" [replaces "query_t"]
                staging_config (Key) table => staging_config = { $1 } [replaces "query_t"]
                staging_dataset_name_layout (Key) string = "%s_staging" => staging_dataset_name_layout = "${1:%s_staging}" [replaces "query_t"]
                truncate_tables_on_staging_destination_before_load (Key) boolean = true => truncate_tables_on_staging_destination_before_load = ${1|true,false|} [replaces "query_t"]
                use_decfloat (Key) boolean = false => use_decfloat = ${1|false,true|} [replaces "query_t"]
                use_nested_types (Key) boolean = false => use_nested_types = ${1|false,true|} [replaces "query_t"]
                use_timestamp_tz (Key) boolean = false => use_timestamp_tz = ${1|false,true|} [replaces "query_t"]
                use_vectorized_scanner (Key) boolean = false => use_vectorized_scanner = ${1|false,true|} [replaces "query_t"]
            "#]],
        );
    }

    #[test]
    fn filesystem_credentials_follow_the_bucket() {
        check(
            "//- .dlt/config.toml\n[destination.filesystem]\nbucket_url = \"s3://bucket\"\n//- .dlt/secrets.toml\n[destination.filesystem.credentials]\n$0\n",
            expect![[r#"
                aws_access_key_id (Key) string · required => aws_access_key_id = "$1"
                aws_secret_access_key (Key) string · required · secret => aws_secret_access_key = "$1"
                aws_session_token (Key) string · secret => aws_session_token = "$1"
                aws_sts_token_expiration_hours (Key) float = 24.0 => aws_sts_token_expiration_hours = ${1:24.0}
                endpoint_url (Key) string => endpoint_url = "$1"
                profile_name (Key) string => profile_name = "$1"
                region_name (Key) string => region_name = "$1"
                s3_url_style (Key) string => s3_url_style = "$1"
                required credentials (AwsCredentials) (Snippet) filesystem credentials: aws_access_key_id, aws_secret_access_key => aws_access_key_id = "${1:aws_access_key_id}"⏎aws_secret_access_key = "${2:aws_secret_access_key}"⏎
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.lake]\ndestination_type = \"filesystem\"\nbucket_url = \"gs://bucket\"\n[destination.lake.credentials]\n$0\n",
            expect![[r#"
                client_email (Key) string · required => client_email = "$1"
                client_id (Key) string · required => client_id = "$1"
                client_secret (Key) string · required · secret => client_secret = "$1"
                private_key (Key) string · required · secret => private_key = "$1"
                project_id (Key) string · required => project_id = "$1"
                refresh_token (Key) string · required · secret => refresh_token = "$1"
                private_key_id (Key) string => private_key_id = "$1"
                scopes (Key) list => scopes = [$1]
                token (Key) string · secret => token = "$1"
                required credentials (GcpOAuthCredentials) (Snippet) filesystem credentials: client_id, client_secret, refresh_token, project_id => client_id = "${1:client_id}"⏎client_secret = "${2:client_secret}"⏎refresh_token = "${3:refresh_token}"⏎project_id = "${4:project_id}"⏎
                required credentials (GcpServiceAccountCredentials) (Snippet) filesystem credentials: project_id, private_key, client_email => project_id = "${1:project_id}"⏎private_key = "${2:private_key}"⏎client_email = "${3:client_email}"⏎
            "#]],
        );
    }

    #[test]
    fn values_literals_and_booleans() {
        check(
            "//- .dlt/config.toml\n[destination.duckdb]\nreplace_strategy = $0\n",
            expect![[r#"
                "insert-from-staging" (Value) allowed value
                "staging-optimized" (Value) allowed value
                "truncate-and-insert" (Value) allowed value
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.motherduck]\ncreate_indexes = $0\n",
            expect![[r#"
                false (Value) default
                true (Value) allowed value
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.bigquery]\nlocation = $0\n",
            expect![[r#"
                "US" (Value) default
            "#]],
        );
    }

    #[test]
    fn runtime_keys_and_whole_table_snippets() {
        check(
            "//- .dlt/config.toml\n[runtime]\nlog_$0\n",
            expect![[r#"
            config_files_storage_path (Key) string = "/run/config/" => config_files_storage_path = "${1:/run/config/}" [replaces "log_"]
            dlthub_dsn (Key) string · secret => dlthub_dsn = "$1" [replaces "log_"]
            dlthub_telemetry (Key) boolean = true => dlthub_telemetry = ${1|true,false|} [replaces "log_"]
            dlthub_telemetry_endpoint (Key) string = "https://telemetry.scalevector.ai" => dlthub_telemetry_endpoint = "${1:https://telemetry.scalevector.ai}" [replaces "log_"]
            dlthub_telemetry_segment_write_key (Key) string => dlthub_telemetry_segment_write_key = "$1" [replaces "log_"]
            http_max_error_body_length (Key) integer = 8192 => http_max_error_body_length = ${1:8192} [replaces "log_"]
            http_show_error_body (Key) boolean = false => http_show_error_body = ${1|false,true|} [replaces "log_"]
            log_format (Key) string = "{asctime}|[{levelname}]|{process}|{thread}|{name}|{filename}|{funcName}:{lineno}|{message}" => log_format = "${1:{asctime\}|[{levelname\}]|{process\}|{thread\}|{name\}|{filename\}|{funcName\}:{lineno\}|{message\}}" [replaces "log_"]
            log_level (Key) string = "WARNING" => log_level = "${1:WARNING}" [replaces "log_"]
            pipeline_name (Key) string => pipeline_name = "$1" [replaces "log_"]
            request_backoff_factor (Key) float = 1 => request_backoff_factor = ${1:1} [replaces "log_"]
            request_max_attempts (Key) integer = 5 => request_max_attempts = ${1:5} [replaces "log_"]
            request_max_retry_delay (Key) float = 300 => request_max_retry_delay = ${1:300} [replaces "log_"]
            request_timeout (Key) float = 60 => request_timeout = ${1:60} [replaces "log_"]
            run_id (Key) string => run_id = "$1" [replaces "log_"]
            sentry_dsn (Key) string => sentry_dsn = "$1" [replaces "log_"]
            slack_incoming_hook (Key) string · secret => slack_incoming_hook = "$1" [replaces "log_"]
        "#]],
        );
        check(
            "//- .dlt/secrets.toml\n$0\n",
            expect![[r#"
                [destination.athena.credentials] (Snippet) athena credentials: aws_access_key_id, aws_secret_access_key => [destination.athena.credentials]⏎aws_access_key_id = "${1:aws_access_key_id}"⏎aws_secret_access_key = "${2:aws_secret_access_key}"⏎
                [destination.bigquery.credentials] (Snippet) bigquery credentials: project_id, private_key, client_email => [destination.bigquery.credentials]⏎project_id = "${1:project_id}"⏎private_key = "${2:private_key}"⏎client_email = "${3:client_email}"⏎
                [destination.clickhouse.credentials] (Snippet) clickhouse credentials: host => [destination.clickhouse.credentials]⏎host = "${1:host}"⏎
                [destination.databricks.credentials] (Snippet) databricks credentials: catalog => [destination.databricks.credentials]⏎catalog = "${1:catalog}"⏎
                [destination.dremio.credentials] (Snippet) dremio credentials: database, password, username, host => [destination.dremio.credentials]⏎database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎host = "${4:host}"⏎
                [destination.ducklake.credentials] (Snippet) ducklake credentials: catalog, storage => [destination.ducklake.credentials]⏎catalog = "${1:catalog}"⏎storage = "${2:storage}"⏎
                [destination.fabric.credentials] (Snippet) fabric credentials: azure_tenant_id, azure_client_id, azure_client_secret, host, database => [destination.fabric.credentials]⏎azure_tenant_id = "${1:azure_tenant_id}"⏎azure_client_id = "${2:azure_client_id}"⏎azure_client_secret = "${3:azure_client_secret}"⏎host = "${4:host}"⏎database = "${5:database}"⏎
                [destination.motherduck.credentials] (Snippet) motherduck credentials: password => [destination.motherduck.credentials]⏎password = "${1:password}"⏎
                [destination.mssql.credentials] (Snippet) mssql credentials: database, password, username, host, driver => [destination.mssql.credentials]⏎database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎host = "${4:host}"⏎driver = "${5:driver}"⏎
                [destination.postgres.credentials] (Snippet) postgres credentials: database, password, username, host => [destination.postgres.credentials]⏎database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎host = "${4:host}"⏎
                [destination.redshift.credentials] (Snippet) redshift credentials: database, password, username, host => [destination.redshift.credentials]⏎database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎host = "${4:host}"⏎
                [destination.snowflake.credentials] (Snippet) snowflake credentials: database, host => [destination.snowflake.credentials]⏎database = "${1:database}"⏎host = "${2:host}"⏎
                [destination.snowflake_plus.credentials] (Snippet) snowflake_plus credentials: database, host => [destination.snowflake_plus.credentials]⏎database = "${1:database}"⏎host = "${2:host}"⏎
                [destination.sqlalchemy.credentials] (Snippet) sqlalchemy credentials: drivername => [destination.sqlalchemy.credentials]⏎drivername = "${1:drivername}"⏎
                [destination.synapse.credentials] (Snippet) synapse credentials: database, password, username, host, driver => [destination.synapse.credentials]⏎database = "${1:database}"⏎password = "${2:password}"⏎username = "${3:username}"⏎host = "${4:host}"⏎driver = "${5:driver}"⏎
            "#]],
        );
    }

    #[test]
    fn motherduck_bigquery_and_duckdb_keys() {
        check(
            "//- .dlt/secrets.toml\n[destination.motherduck.credentials]\ndatabase = \"db\"\n$0\n",
            expect![[r#"
                password (Key) string · required · secret => password = "$1"
                custom_user_agent (Key) string = "dlt/1.31.0(linux)" => custom_user_agent = "${1:dlt/1.31.0(linux)}"
                extensions (Key) list => extensions = [$1]
                global_config (Key) table => global_config = { $1 }
                host (Key) string => host = "$1"
                local_config (Key) table => local_config = { $1 }
                port (Key) integer => port = ${1:0}
                pragmas (Key) list => pragmas = [$1]
                query (Key) table => query = { $1 }
                read_only (Key) boolean = false => read_only = ${1|false,true|}
                session_timezone (Key) string = "UTC" => session_timezone = "${1:UTC}"
                statements (Key) list · secret => statements = [$1]
                username (Key) string = "motherduck" => username = "${1:motherduck}"
                required credentials (MotherDuckCredentials) (Snippet) motherduck credentials: password => password = "${1:password}"⏎
            "#]],
        );
        check(
            "//- .dlt/secrets.toml\n[destination.bq]\ndestination_type = \"bigquery\"\n[destination.bq.credentials]\nproject_id = \"p\"\npriv$0\n",
            expect![[r#"
                client_email (Key) string · required => client_email = "$1" [replaces "priv"]
                client_id (Key) string · required => client_id = "$1" [replaces "priv"]
                client_secret (Key) string · required · secret => client_secret = "$1" [replaces "priv"]
                private_key (Key) string · required · secret => private_key = "$1" [replaces "priv"]
                refresh_token (Key) string · required · secret => refresh_token = "$1" [replaces "priv"]
                private_key_id (Key) string => private_key_id = "$1" [replaces "priv"]
                scopes (Key) list => scopes = [$1] [replaces "priv"]
                token (Key) string · secret => token = "$1" [replaces "priv"]
            "#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.duckdb]\ncreate_$0\n",
            expect![[r#"
                create_indexes (Key) boolean = false => create_indexes = ${1|false,true|} [replaces "create_"]
                credentials (Key) table · secret => credentials = "$1" [replaces "create_"]
                destination_name (Key) string => destination_name = "$1" [replaces "create_"]
                destination_type (Key) string => destination_type = "$1" [replaces "create_"]
                enable_dataset_name_normalization (Key) boolean = true => enable_dataset_name_normalization = ${1|true,false|} [replaces "create_"]
                environment (Key) string => environment = "$1" [replaces "create_"]
                info_tables_query_threshold (Key) integer = 1000 => info_tables_query_threshold = ${1:1000} [replaces "create_"]
                replace_strategy (Key) "truncate-and-insert" | "insert-from-staging" | "staging-optimized" => replace_strategy = ${1|"truncate-and-insert","insert-from-staging","staging-optimized"|} [replaces "create_"]
                staging_config (Key) table => staging_config = { $1 } [replaces "create_"]
                staging_dataset_name_layout (Key) string = "%s_staging" => staging_dataset_name_layout = "${1:%s_staging}" [replaces "create_"]
                truncate_tables_on_staging_destination_before_load (Key) boolean = true => truncate_tables_on_staging_destination_before_load = ${1|true,false|} [replaces "create_"]
            "#]],
        );
    }

    #[test]
    fn nothing_in_free_sections() {
        check(
            "//- .dlt/config.toml\n[sources.github]\n$0\n",
            expect![[r#""#]],
        );
        check(
            "//- .dlt/config.toml\n[sources.github]\nkey = $0\n",
            expect![[r#""#]],
        );
    }
}
