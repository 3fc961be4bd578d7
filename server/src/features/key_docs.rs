//! What dlt's spec says about the key at an offset (type, default, required, secret, doc, owner),
//! for hover. The per-profile value table is rendered elsewhere and merged by the LSP layer.

use crate::model::catalog::{Catalog, Field};
use crate::model::cursor::{locate, Cursor};
use crate::model::schema::{type_label, Owner, Scope};
use crate::model::source::SourceFile;
use crate::model::toml::Span;
use crate::model::workspace::{DltFolder, Snapshot};

/// The catalog's knowledge of one key (or destination table).
#[derive(Debug, Clone, PartialEq)]
pub struct KeyDoc {
    /// The full key path, e.g. `destination.warehouse.credentials.password`.
    pub path: Vec<String>,
    /// The key segment (or header segment) hovered.
    pub span: Span,
    /// Whose spec the key belongs to, in words (`postgres credentials (PostgresCredentials)`).
    pub owner: String,
    /// `string`, `integer`, `"a" | "b"`, `table`, `destination` …
    pub type_label: String,
    /// The default as TOML would show it.
    pub default: Option<String>,
    /// A file must give it a value for dlt to resolve it.
    pub required: bool,
    /// Secret-typed: dlt refuses it from a `config.toml`.
    pub secret: bool,
    /// dlt's docstring, or a sentence of ours for destination tables.
    pub doc: Option<String>,
}

impl KeyDoc {
    /// The hover text, in Markdown.
    pub fn markdown(&self) -> String {
        let mut head = format!("**`{}`** · {}", self.path.join("."), self.type_label);
        if self.required {
            head += " · required";
        }
        if self.secret {
            head += " · secret";
        }
        let mut out = vec![head, self.owner.clone()];
        if let Some(d) = &self.default {
            out.push(format!("Default: `{d}`"));
        }
        if self.secret {
            out.push(
                "Secret-typed: dlt refuses it from a `config.toml`; keep it in a `secrets.toml` or the environment."
                    .into(),
            );
        }
        if let Some(doc) = &self.doc {
            out.push(doc.clone());
        }
        out.join("\n\n")
    }
}

/// The documentation of the key, header segment or value's key at `offset` of `file`.
pub fn key_doc(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    offset: usize,
) -> Option<KeyDoc> {
    let scope = Scope::new(folder, file, &snapshot.context.env);
    let (path, span) = match locate(&file.doc, offset) {
        Cursor::Key { path, span }
        | Cursor::Header { path, span }
        | Cursor::Value { path, span } => (path, span),
        Cursor::Table { .. } => return None,
    };
    doc_at(&scope, &path, span)
}

/// The documentation of the key at `path` as `scope` resolves it.
pub fn doc_at(scope: &Scope, path: &[String], span: Span) -> Option<KeyDoc> {
    if let [first, name] = path {
        if first == "destination" {
            return destination_doc(scope, name, path, span);
        }
    }
    let (owner, field) = scope.field(path)?;
    Some(field_doc(scope, path, span, owner, field))
}

/// The [`KeyDoc`] of a known field.
pub fn field_doc(
    scope: &Scope,
    path: &[String],
    span: Span,
    owner: Owner,
    field: &Field,
) -> KeyDoc {
    KeyDoc {
        path: path.to_vec(),
        span,
        owner: owner_label(scope, path, owner),
        type_label: type_label(field),
        default: (!field.default.is_null()).then(|| field.default.to_string()),
        required: field.needs_value(),
        secret: field.secret,
        doc: field.doc.clone(),
    }
}

/// `postgres destination` / `postgres credentials (PostgresCredentials)` / `[runtime] (RuntimeConfiguration)`.
pub fn owner_label(scope: &Scope, path: &[String], owner: Owner) -> String {
    match owner {
        Owner::Destination { destination, named } => {
            let mut s = format!(
                "`{}` destination ({})",
                destination.name, destination.factory
            );
            if named {
                s = format!("named destination `{}`: {s}", path[1]);
            }
            let parent = &path[..path.len().saturating_sub(1)];
            if parent.len() > 2 {
                if let Some(schema) = scope.table_schema(parent) {
                    let specs: Vec<String> = match &schema.picked {
                        Some(p) => p.specs.clone(),
                        None => {
                            let field = scope.field(parent).map(|(_, f)| f);
                            field.map_or_else(Vec::new, |f| {
                                f.variants.iter().map(|v| v.spec.clone()).collect()
                            })
                        }
                    };
                    if !specs.is_empty() {
                        s += &format!(", {} {}", parent[2..].join("."), specs.join(" or "));
                    }
                    if let Some(p) = &schema.picked {
                        s += &format!(" (picked by {})", p.by);
                    }
                }
            }
            s
        }
        Owner::Section(section) => format!(
            "[{}] ({}): {}",
            section.tables.first().map_or("", String::as_str),
            section.spec,
            section.lookup
        ),
    }
}

fn destination_doc(scope: &Scope, name: &str, path: &[String], span: Span) -> Option<KeyDoc> {
    let ty = scope.destination_type(name);
    let (destination, named) = scope.destination(name)?;
    let doc = if named {
        let from = match ty.map(|t| t.origin) {
            Some(crate::model::schema::TypeOrigin::File { file, .. }) => {
                format!(" (set in {file})")
            }
            Some(crate::model::schema::TypeOrigin::Env(var)) => format!(" (set by {var})"),
            _ => String::new(),
        };
        format!(
            "A named destination of type `{}`{from}: its keys follow the {} spec.",
            destination.name, destination.spec
        )
    } else {
        format!(
            "The `{}` destination type; keys follow the {} spec.",
            destination.name, destination.spec
        )
    };
    let natives = destination.native_schemes();
    let doc = if natives.is_empty() {
        doc
    } else {
        format!(
            "{doc} Credentials may be a connection string: {}.",
            natives
                .iter()
                .map(|s| format!("`{s}://…`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Some(KeyDoc {
        path: path.to_vec(),
        span,
        owner: format!(
            "from package `{}` ({}), dlt {}",
            destination.package,
            destination.factory,
            Catalog::get().dlt_version
        ),
        type_label: "destination".into(),
        default: None,
        required: false,
        secret: false,
        doc: Some(doc),
    })
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::test_support::fixture;

    /// The Markdown hover at the `$0` marker of the fixture file that holds it.
    fn check(fx: &str, expect: Expect) {
        let (name, offset, clean) = crate::features::completion::tests::marker(fx);
        let snap = fixture(&clean);
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file(&name).unwrap();
        let got = key_doc(&snap, folder, file, offset).map_or("(none)".into(), |d| d.markdown());
        expect.assert_eq(&got);
    }

    #[test]
    fn credentials_key_of_a_named_destination() {
        check(
            r#"
//- .dlt/config.toml
[destination.warehouse]
destination_type = "postgres"
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
pass$0word = "x"
"#,
            expect![[r#"
                **`destination.warehouse.credentials.password`** · string · required · secret

                named destination `warehouse`: `postgres` destination (dlt.destinations.postgres), credentials PostgresCredentials

                Secret-typed: dlt refuses it from a `config.toml`; keep it in a `secrets.toml` or the environment."#]],
        );
    }

    #[test]
    fn defaults_literals_and_sections() {
        check(
            "//- .dlt/config.toml\n[destination.postgres.credentials]\npo$0rt = 5432\n",
            expect![[r#"
                **`destination.postgres.credentials.port`** · integer

                `postgres` destination (dlt.destinations.postgres), credentials PostgresCredentials

                Default: `5432`"#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.duckdb]\nreplace_strat$0egy = \"x\"\n",
            expect![[r#"
                **`destination.duckdb.replace_strategy`** · "truncate-and-insert" | "insert-from-staging" | "staging-optimized"

                `duckdb` destination (dlt.destinations.duckdb)

                How to handle replace disposition for this destination, uses first strategy from caps if not declared"#]],
        );
        check(
            "//- .dlt/config.toml\n[load]\nwork$0ers = 4\n",
            expect![[r#"
                **`load.workers`** · integer

                [load] (LoaderConfiguration): resolved under the sections (<pipeline_name>, load)

                Default: `20`

                how many parallel loads can be executed"#]],
        );
        check(
            "//- .dlt/config.toml\n[sources.github]\nacc$0ess_token = 4\n",
            expect!["(none)"],
        );
    }

    #[test]
    fn filesystem_gcs_variant_and_destination_headers() {
        check(
            "//- .dlt/config.toml\n[destination.filesystem]\nbucket_url = \"gs://b\"\n[destination.filesystem.credentials]\nclient$0_email = \"e\"\n",
            expect![[r#"
                **`destination.filesystem.credentials.client_email`** · string · required

                `filesystem` destination (dlt.destinations.filesystem), credentials GcpServiceAccountCredentials or GcpOAuthCredentials (picked by bucket_url = "gs://b")"#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.ware$0house]\ndestination_type = \"snowflake\"\n",
            expect![[r#"
                **`destination.warehouse`** · destination

                from package `dlt` (dlt.destinations.snowflake), dlt 1.31.0

                A named destination of type `snowflake` (set in config.toml): its keys follow the SnowflakeClientConfiguration spec. Credentials may be a connection string: `snowflake://…`."#]],
        );
        check(
            "//- .dlt/config.toml\n[destination.bigquery]\nlocation = \"EU\"\n[destination.bigquery.credentials]\nproject$0_id = \"p\"\n",
            expect![[r#"
                **`destination.bigquery.credentials.project_id`** · string · required

                `bigquery` destination (dlt.destinations.bigquery), credentials GcpServiceAccountCredentials or GcpOAuthCredentials"#]],
        );
    }
}
