//! The catalog of dlt's configuration specs: every destination (fields, credentials variants, native
//! connection-string forms) and the common top-level sections, generated from dlt itself by
//! `tools/catalog/generate.py` into `server/catalog/destinations.json` and embedded in the binary.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The generated catalog, checked in beside the crate; regenerate it with `tools/catalog/generate.py`.
const EMBEDDED: &str = include_str!("../../catalog/destinations.json");

/// Why a catalog document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The JSON does not have the shape `generate.py` writes.
    #[error("destination catalog is not valid: {0}")]
    Parse(#[from] serde_json::Error),
}

/// Everything the server knows about dlt's configuration specs, for one dlt version.
#[derive(Debug, Deserialize)]
pub struct Catalog {
    /// The dlt version the catalog was generated from.
    pub dlt_version: String,
    /// The dlthub version (it contributes `iceberg`, `delta`, `snowflake_plus`).
    pub dlthub_version: String,
    /// Destinations by catalog name: destination types, plus spec variants such as `filesystem[hf]`.
    pub destinations: BTreeMap<String, Destination>,
    /// Non-destination sections by catalog name (`runtime`, `runtime (workspace)`, `load`, …).
    pub sections: BTreeMap<String, Section>,
}

/// One destination factory and its configuration spec.
#[derive(Debug, Deserialize)]
pub struct Destination {
    /// The catalog name (`postgres`, `filesystem[hf]`); filled in from the map key.
    #[serde(skip)]
    pub name: String,
    /// `dlt` or `dlthub`, the package that registers the factory.
    pub package: String,
    /// The factory's import path, e.g. `dlt.destinations.postgres`.
    pub factory: String,
    /// The configuration spec class name.
    pub spec: String,
    /// Set when this entry is another spec of an existing destination type, picked by a value.
    #[serde(default)]
    pub variant_of: Option<VariantOf>,
    /// Keys beyond `fields` are valid too: the custom sink `destination` builds its real spec from
    /// the user's function signature, so only that code knows them.
    #[serde(default)]
    pub extensible: bool,
    /// The spec's fields in declaration order, `credentials` among them.
    pub fields: Vec<Field>,
}

/// How a spec variant of a destination type (like `filesystem[hf]`) is selected.
#[derive(Debug, Deserialize)]
pub struct VariantOf {
    /// The destination type it belongs to.
    pub destination: String,
    /// The config field whose value selects it (`bucket_url`).
    pub key: String,
    /// The URL scheme of that field that selects it (`hf`).
    pub scheme: String,
}

/// A non-destination section such as `[runtime]` or `[load]`.
#[derive(Debug, Deserialize)]
pub struct Section {
    /// The catalog name; filled in from the map key.
    #[serde(skip)]
    pub name: String,
    /// The configuration spec class name.
    pub spec: String,
    /// TOML tables dlt reads it from, most specific first (`workspace.runtime`, `runtime`).
    pub tables: Vec<String>,
    /// Which project mode reads the section.
    pub mode: SectionMode,
    /// How dlt looks the section up, in words, for hover and docs.
    pub lookup: String,
    /// The spec's fields in declaration order.
    pub fields: Vec<Field>,
}

/// Which project mode a section applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SectionMode {
    /// A plain project, without `.dlt/.workspace`.
    Classic,
    /// A dltHub workspace.
    Workspace,
    /// Both.
    Both,
}

/// One configuration field of a spec.
#[derive(Debug, Deserialize)]
pub struct Field {
    /// The key as written in TOML.
    pub name: String,
    /// The value type, reduced to a closed set.
    #[serde(rename = "type")]
    pub ty: FieldType,
    /// The allowed values when `ty` is [`FieldType::Literal`] (strings, sometimes integers).
    #[serde(default, rename = "values")]
    pub literal_values: Vec<serde_json::Value>,
    /// dlt's rule: not `Optional` and no default, so resolution fails without a value.
    pub required: bool,
    /// The default value (`null` when none, or for embedded specs).
    #[serde(default)]
    pub default: serde_json::Value,
    /// Secret-typed: dlt refuses the value from a `config.toml` (`ValueNotSecretException`).
    pub secret: bool,
    /// `false` for fields dlt never reads from a provider (`Final`, `NotResolved`, injected contexts).
    #[serde(default = "yes")]
    pub resolvable: bool,
    /// The field's docstring in dlt, when it has one.
    #[serde(default)]
    pub doc: Option<String>,
    /// For fields whose spec is computed from another field's value (filesystem credentials).
    #[serde(default)]
    pub selector: Option<Selector>,
    /// Embedded specs this field may hold; several for unions (dlt takes the first that resolves).
    #[serde(default)]
    pub variants: Vec<Spec>,
}

fn yes() -> bool {
    true
}

/// The closed set of value types the server checks values against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    /// A TOML string.
    String,
    /// A TOML integer.
    Integer,
    /// A TOML float (an integer is accepted too).
    Float,
    /// A TOML boolean.
    Boolean,
    /// A TOML array.
    List,
    /// A TOML table (or an embedded spec).
    Table,
    /// One of [`Field::literal_values`].
    Literal,
    /// Anything: the Python type has no TOML counterpart the server checks.
    Any,
}

/// Which field's value selects a field's spec, and how.
#[derive(Debug, Deserialize)]
pub struct Selector {
    /// The sibling field whose value decides (`bucket_url`, `catalog_type`).
    pub key: String,
    /// Whether the value's URL scheme or the value itself is matched against [`Spec::when`].
    pub by: SelectBy,
}

/// How a selector value is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SelectBy {
    /// By the URL scheme of the value; a local path counts as `file`.
    Scheme,
    /// By the value itself.
    Value,
}

/// An embedded spec: a credentials class or a nested configuration.
#[derive(Debug, Deserialize)]
pub struct Spec {
    /// The class name, e.g. `AwsCredentials`.
    pub spec: String,
    /// Selector values that pick this spec (empty when the field has no selector).
    #[serde(default)]
    pub when: Vec<String>,
    /// The native (single string) form dlt parses instead of a table, if any.
    #[serde(default)]
    pub native: Option<Native>,
    /// Missing fields may be filled from the machine's default credentials (AWS, GCP, Azure chains).
    #[serde(default)]
    pub ambient_default: bool,
    /// The spec's fields.
    pub fields: Vec<Field>,
}

/// The native form of a credentials spec: what a single string value stands for.
#[derive(Debug, Deserialize)]
pub struct Native {
    /// The kind of string dlt parses.
    pub form: NativeForm,
    /// Expected URL schemes for connection strings; empty means any scheme (SQLAlchemy URLs).
    pub schemes: Vec<String>,
    /// A string that is not a URL is accepted too (a duckdb file path, a MotherDuck database name).
    pub plain_string: bool,
}

/// The kinds of native values dlt accepts for credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NativeForm {
    /// A connection URL, `scheme://user:password@host:port/database?query`.
    ConnectionString,
    /// A JSON document (GCP service-account or OAuth credentials).
    Json,
    /// Any string.
    String,
    /// Only a live Python object (boto3 session, azure credential): nothing a TOML file can hold.
    Object,
}

impl Catalog {
    /// The embedded catalog, parsed on first use.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        // The embedded JSON is checked by the tests below, so a failure here is a build defect.
        CATALOG.get_or_init(|| Catalog::parse(EMBEDDED).expect("embedded destination catalog"))
    }

    /// Parses a catalog document in the shape `tools/catalog/generate.py` writes.
    pub fn parse(json: &str) -> Result<Catalog, CatalogError> {
        let mut catalog: Catalog = serde_json::from_str(json)?;
        for (name, destination) in &mut catalog.destinations {
            destination.name = name.clone();
        }
        for (name, section) in &mut catalog.sections {
            section.name = name.clone();
        }
        Ok(catalog)
    }

    /// A catalog entry by its exact name (`postgres`, `filesystem[hf]`).
    pub fn destination(&self, name: &str) -> Option<&Destination> {
        self.destinations.get(name)
    }

    /// The names a `destination_type` value may take, sorted; spec variants such as
    /// `filesystem[hf]` are not among them.
    pub fn destination_types(&self) -> impl Iterator<Item = &str> {
        self.destinations
            .values()
            .filter(|d| d.variant_of.is_none())
            .map(|d| d.name.as_str())
    }

    /// The destination a `destination_type` value names, as dlt resolves it: a bare type name, or a
    /// module path `dlt.destinations.<type>` / `dlthub.destinations.<type>` / `destinations.<type>`.
    /// Any other dotted value is a module path dlt imports from user code: `None` here, yet not
    /// necessarily wrong.
    pub fn resolve_destination_type(&self, value: &str) -> Option<&Destination> {
        let name = match value.rsplit_once('.') {
            None => value,
            Some((prefix, name)) => {
                let known = ["destinations", "dlt.destinations", "dlthub.destinations"];
                if !known.contains(&prefix) {
                    return None;
                }
                name
            }
        };
        self.destinations
            .get(name)
            .filter(|d| d.variant_of.is_none())
    }

    /// The spec dlt uses for a destination type given its `bucket_url`: `filesystem` with an `hf://`
    /// bucket is `filesystem[hf]`.
    pub fn destination_for(
        &self,
        type_name: &str,
        bucket_url: Option<&str>,
    ) -> Option<&Destination> {
        let base = self.resolve_destination_type(type_name)?;
        let Some(scheme) = bucket_url.map(url_scheme) else {
            return Some(base);
        };
        let variant = self.destinations.values().find(|d| {
            d.variant_of.as_ref().is_some_and(|v| {
                v.destination == base.name && v.key == "bucket_url" && v.scheme == scheme
            })
        });
        Some(variant.unwrap_or(base))
    }

    /// A non-destination section by catalog name (`runtime`, `runtime (workspace)`, `load`, …).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.get(name)
    }

    /// The section a TOML key path falls in, and the path left under it: `["normalize",
    /// "data_writer", "buffer_max_items"]` is `data_writer` with `["buffer_max_items"]`. The longest
    /// table of [`Section::tables`] wins; `<pipeline_name>` matches any one key. Only sections read in
    /// the given mode are considered, so `[runtime]` is the workspace spec in a workspace.
    pub fn section_for_path<'p>(
        &self,
        path: &'p [&'p str],
        workspace: bool,
    ) -> Option<(&Section, &'p [&'p str])> {
        let mut best: Option<(&Section, usize)> = None;
        for section in self.sections.values() {
            let applies = match section.mode {
                SectionMode::Both => true,
                SectionMode::Classic => !workspace,
                SectionMode::Workspace => workspace,
            };
            if !applies {
                continue;
            }
            for table in &section.tables {
                let pattern: Vec<&str> = table.split('.').collect();
                let matches = pattern.len() <= path.len()
                    && pattern
                        .iter()
                        .zip(path)
                        .all(|(p, k)| p == k || (p.starts_with('<') && p.ends_with('>')));
                if matches && best.is_none_or(|(_, len)| pattern.len() > len) {
                    best = Some((section, pattern.len()));
                }
            }
        }
        best.map(|(section, len)| (section, &path[len..]))
    }

    /// The `[runtime]` spec: the workspace one (with `api_key`, `workspace_id`…) or the plain one.
    pub fn runtime(&self, workspace: bool) -> Option<&Section> {
        self.section(if workspace {
            "runtime (workspace)"
        } else {
            "runtime"
        })
    }
}

impl Destination {
    /// A top-level field of `[destination.<name>]` (including `credentials`).
    pub fn config_field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The `credentials` field, if the spec has one.
    pub fn credentials(&self) -> Option<&Field> {
        self.config_field("credentials")
    }

    /// Every credentials spec this destination may use (one for most, several for unions and selectors).
    pub fn credentials_variants(&self) -> &[Spec] {
        self.credentials().map_or(&[], |c| &c.variants)
    }

    /// The union of the credentials fields over all variants, first occurrence of each name kept.
    pub fn credentials_fields(&self) -> Vec<&Field> {
        self.credentials().map_or_else(Vec::new, Field::subfields)
    }

    /// The credentials specs a selector value picks (filesystem: `bucket_url`, lance/iceberg:
    /// `catalog_type`). `None` when `key` does not select this destination's credentials; an empty
    /// list when the value picks no credentials at all (a `file://` bucket).
    pub fn variants_for(&self, key: &str, value: &str) -> Option<Vec<&Spec>> {
        self.credentials()?.variants_for(key, value)
    }

    /// The field at a key path under `[destination.<name>]`, e.g. `["credentials", "password"]`,
    /// looking through every variant of embedded specs.
    pub fn field_at(&self, path: &[&str]) -> Option<&Field> {
        let (first, rest) = path.split_first()?;
        self.config_field(first)?.field_at(rest)
    }

    /// The URL schemes of the destination's connection-string credentials (`postgresql`, `md`…).
    pub fn native_schemes(&self) -> Vec<&str> {
        let mut schemes: Vec<&str> = Vec::new();
        for native in self
            .credentials_variants()
            .iter()
            .filter_map(|s| s.native.as_ref())
        {
            for scheme in &native.schemes {
                if !schemes.contains(&scheme.as_str()) {
                    schemes.push(scheme);
                }
            }
        }
        schemes
    }

    /// Whether `credentials = "<string>"` can be meaningful here (some variant has a string native form).
    pub fn accepts_native_string(&self) -> bool {
        self.credentials_variants()
            .iter()
            .filter_map(|s| s.native.as_ref())
            .any(|n| n.form != NativeForm::Object)
    }
}

impl Section {
    /// A top-level key of the section.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The field at a key path under the section (e.g. `["json_normalizer", "add_dlt_id"]` in `normalize`).
    pub fn field_at(&self, path: &[&str]) -> Option<&Field> {
        let (first, rest) = path.split_first()?;
        self.field(first)?.field_at(rest)
    }
}

impl Field {
    /// The union of the fields of all embedded variants, first occurrence of each name kept.
    pub fn subfields(&self) -> Vec<&Field> {
        let mut out: Vec<&Field> = Vec::new();
        for field in self.variants.iter().flat_map(|s| &s.fields) {
            if !out.iter().any(|f| f.name == field.name) {
                out.push(field);
            }
        }
        out
    }

    /// A direct subfield by name, from the first variant that has it.
    pub fn subfield(&self, name: &str) -> Option<&Field> {
        self.variants
            .iter()
            .flat_map(|s| &s.fields)
            .find(|f| f.name == name)
    }

    /// The field at a path below this one; the empty path is this field.
    pub fn field_at(&self, path: &[&str]) -> Option<&Field> {
        match path.split_first() {
            None => Some(self),
            Some((first, rest)) => {
                // Variants can disagree on a name's subtree; take the first one that has the whole path.
                self.variants
                    .iter()
                    .flat_map(|s| s.fields.iter().filter(|f| f.name == *first))
                    .find_map(|f| f.field_at(rest))
            }
        }
    }

    /// Whether the field at `path` below this one is secret in any variant that has it.
    fn is_secret_at(&self, path: &[&str]) -> bool {
        match path.split_first() {
            None => self.secret,
            Some((first, rest)) => self
                .variants
                .iter()
                .flat_map(|s| s.fields.iter().filter(|f| f.name == *first))
                .any(|f| f.is_secret_at(rest)),
        }
    }

    /// The variants a selector value picks; `None` when this field has no selector on `key`.
    pub fn variants_for(&self, key: &str, value: &str) -> Option<Vec<&Spec>> {
        let selector = self.selector.as_ref().filter(|s| s.key == key)?;
        let wanted = match selector.by {
            SelectBy::Scheme => url_scheme(value),
            SelectBy::Value => value.to_string(),
        };
        Some(
            self.variants
                .iter()
                .filter(|s| s.when.contains(&wanted))
                .collect(),
        )
    }

    /// Whether a file must give this field a value for dlt to resolve it. Unlike [`Field::required`]
    /// (dlt's static rule), an embedded spec counts only when every variant has such a field:
    /// dlt builds embedded specs from their defaults, and a union takes the first variant that
    /// resolves (duckdb credentials need nothing, postgres credentials need a password). Fields
    /// of [`Spec::ambient_default`] specs may still come from the machine's default credentials.
    pub fn needs_value(&self) -> bool {
        self.required
            && (self.variants.is_empty()
                || self
                    .variants
                    .iter()
                    .all(|s| s.fields.iter().any(Field::needs_value)))
    }

    /// dlt-internal fields (`_schema_storage_config`…) that dlt fills itself; completion skips them.
    pub fn is_internal(&self) -> bool {
        self.name.starts_with('_')
    }

    /// The literal values rendered as TOML would show them (`"dir"`, `1`), for messages and completion.
    pub fn literal_labels(&self) -> Vec<String> {
        self.literal_values.iter().map(|v| v.to_string()).collect()
    }
}

/// Whether the key at `path` under `[destination.<type>]` is secret-typed in dlt, e.g.
/// `("postgres", ["credentials", "password"])`. Unknown destinations and keys are not secret.
pub fn is_secret_field(destination_type: &str, path: &[&str]) -> bool {
    let Some(destination) = Catalog::get().resolve_destination_type(destination_type) else {
        return false;
    };
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    // filesystem[hf] shares the filesystem fields, so the base type answers for both.
    destination
        .config_field(first)
        .is_some_and(|f| f.is_secret_at(rest))
}

/// The connection-string schemes of a destination type (`postgres` → `postgresql`, `postgres`).
pub fn native_schemes(destination_type: &str) -> Vec<&'static str> {
    Catalog::get()
        .resolve_destination_type(destination_type)
        .map_or_else(Vec::new, |d| d.native_schemes())
}

/// The URL scheme of a value as dlt's `FilesystemConfiguration.parse_protocol` sees it: lower-cased,
/// and `file` for a local path (no scheme, or a Windows drive letter).
pub fn url_scheme(value: &str) -> String {
    let scheme = value.split_once(':').map(|(s, _)| s).filter(|s| {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    match scheme {
        Some(s) if s.len() > 1 => s.to_ascii_lowercase(),
        _ => "file".to_string(),
    }
}

/// The closest candidate to a misspelt name, if it is close enough to be what the user meant
/// (`pasword` → `password`, `postgress` → `postgres`). Ties go to the alphabetically first.
pub fn did_you_mean<'a>(
    candidates: impl IntoIterator<Item = &'a str>,
    typo: &str,
) -> Option<String> {
    let typo_lower = typo.to_lowercase();
    // One edit per three characters: catches typos without pairing unrelated short keys.
    let limit = (typo.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != typo)
        .map(|c| (edit_distance(&typo_lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c.to_string())
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and adjacent swaps.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use expect_test::{expect, Expect};

    use super::*;

    /// The 26 entries of `shared/reference/dlt-1.31-destinations.json`: dlt 1.31's 22 factories,
    /// dlthub's 3, and the `filesystem[hf]` spec variant.
    const DLT_1_31_DESTINATIONS: [&str; 26] = [
        "athena",
        "bigquery",
        "clickhouse",
        "databricks",
        "delta",
        "destination",
        "dremio",
        "duckdb",
        "ducklake",
        "dummy",
        "fabric",
        "filesystem",
        "filesystem[hf]",
        "iceberg",
        "lance",
        "lancedb",
        "motherduck",
        "mssql",
        "postgres",
        "qdrant",
        "redshift",
        "snowflake",
        "snowflake_plus",
        "sqlalchemy",
        "synapse",
        "weaviate",
    ];

    fn catalog() -> &'static Catalog {
        Catalog::get()
    }

    fn dest(name: &str) -> &'static Destination {
        catalog()
            .destination(name)
            .unwrap_or_else(|| panic!("{name} missing from the catalog"))
    }

    fn field<'a>(d: &'a Destination, path: &str) -> &'a Field {
        let path: Vec<&str> = path.split('.').collect();
        d.field_at(&path)
            .unwrap_or_else(|| panic!("{}: no field {path:?}", d.name))
    }

    /// One line per field: name, type, flags, literal values; nested variants indented under it.
    fn outline(fields: &[&Field]) -> String {
        fn walk(out: &mut String, fields: &[&Field], depth: usize) {
            for f in fields {
                let pad = "  ".repeat(depth);
                let mut flags = Vec::new();
                if f.required {
                    flags.push("required");
                }
                if f.secret {
                    flags.push("secret");
                }
                if !f.resolvable {
                    flags.push("not-resolved");
                }
                let values = if f.literal_values.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", f.literal_labels().join(", "))
                };
                let default = if f.default.is_null() {
                    String::new()
                } else {
                    format!(" = {}", f.default)
                };
                let line = format!(
                    "{pad}{}: {:?}{values}{default} {}",
                    f.name,
                    f.ty,
                    flags.join(" ")
                );
                let _ = writeln!(out, "{}", line.trim_end());
                if let Some(sel) = &f.selector {
                    let _ = writeln!(out, "{pad}  (selected by {} {:?})", sel.key, sel.by);
                }
                for spec in &f.variants {
                    let when = if spec.when.is_empty() {
                        String::new()
                    } else {
                        format!(" when {:?}", spec.when)
                    };
                    let _ = writeln!(out, "{pad}  <{}>{when}", spec.spec);
                    let sub: Vec<&Field> = spec.fields.iter().collect();
                    walk(out, &sub, depth + 2);
                }
            }
        }
        let mut out = String::new();
        walk(&mut out, fields, 0);
        out
    }

    fn check_outline(d: &Destination, path: &str, expect: Expect) {
        expect.assert_eq(&outline(&[field(d, path)]));
    }

    fn reference() -> Option<serde_json::Value> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/reference/dlt-1.31-destinations.json"
        );
        match std::fs::read_to_string(path) {
            Ok(text) => Some(serde_json::from_str(&text).expect("reference dump is JSON")),
            Err(err) => {
                println!("note: skipping the comparison with the reference dump, {path}: {err}");
                None
            }
        }
    }

    #[test]
    fn embedded_catalog_is_from_dlt_1_31() {
        assert_eq!(catalog().dlt_version, "1.31.0");
        assert_eq!(catalog().dlthub_version, "0.31.0");
    }

    #[test]
    fn covers_all_26_destinations_of_dlt_1_31() {
        let names: Vec<&str> = catalog().destinations.keys().map(String::as_str).collect();
        assert_eq!(names, DLT_1_31_DESTINATIONS);
        for (name, d) in &catalog().destinations {
            assert_eq!(&d.name, name);
            assert!(
                d.credentials().is_some() || name == "dummy",
                "{name} has no credentials field"
            );
        }
        if let Some(reference) = reference() {
            let mut keys: Vec<&str> = reference
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys, DLT_1_31_DESTINATIONS,
                "the reference dump names other destinations"
            );
        }
    }

    #[test]
    fn destination_types_are_the_factories_not_the_spec_variants() {
        let types: Vec<&str> = catalog().destination_types().collect();
        expect![[r#"athena bigquery clickhouse databricks delta destination dremio duckdb ducklake dummy fabric filesystem iceberg lance lancedb motherduck mssql postgres qdrant redshift snowflake snowflake_plus sqlalchemy synapse weaviate"#]]
            .assert_eq(&types.join(" "));
    }

    #[test]
    fn destination_type_values_resolve_like_dlt() {
        let c = catalog();
        let name = |v: &str| c.resolve_destination_type(v).map(|d| d.name.as_str());
        assert_eq!(name("postgres"), Some("postgres"));
        assert_eq!(name("dlt.destinations.duckdb"), Some("duckdb"));
        assert_eq!(name("dlthub.destinations.iceberg"), Some("iceberg"));
        assert_eq!(name("destinations.delta"), Some("delta"));
        assert_eq!(name("filesystem[hf]"), None);
        assert_eq!(name("mycompany.sinks.postgres"), None);
        assert_eq!(name("postgress"), None);
        // Every named destination may set `destination_type`, though the spec marks it Final.
        for d in c.destinations.values() {
            let f = d.config_field("destination_type").unwrap();
            assert!(
                f.resolvable && !f.required && f.ty == FieldType::String,
                "{}",
                d.name
            );
        }
    }

    #[test]
    fn hf_bucket_picks_the_hf_filesystem_spec() {
        let c = catalog();
        let name = |b: Option<&str>| c.destination_for("filesystem", b).map(|d| d.name.as_str());
        assert_eq!(name(Some("hf://datasets/org/repo")), Some("filesystem[hf]"));
        assert_eq!(name(Some("s3://bucket/path")), Some("filesystem"));
        assert_eq!(name(None), Some("filesystem"));
        assert!(dest("filesystem[hf]")
            .config_field("hf_dataset_card")
            .is_some());
        assert!(dest("filesystem").config_field("hf_dataset_card").is_none());
    }

    #[test]
    fn only_the_custom_sink_takes_keys_outside_its_spec() {
        let extensible: Vec<&str> = catalog()
            .destinations
            .values()
            .filter(|d| d.extensible)
            .map(|d| d.name.as_str())
            .collect();
        assert_eq!(extensible, ["destination"]);
    }

    #[test]
    fn postgres_credentials() {
        let pg = dest("postgres");
        let password = field(pg, "credentials.password");
        assert!(password.secret && password.required);
        assert_eq!(pg.native_schemes(), ["postgresql", "postgres"]);
        check_outline(
            pg,
            "credentials",
            expect![[r#"
                credentials: Table required secret
                  <PostgresCredentials>
                    drivername: String = "postgresql" not-resolved
                    database: String required
                    password: String required secret
                    username: String required
                    host: String required
                    port: Integer = 5432
                    query: Table
                    connect_timeout: Integer = 15
                    client_encoding: String
                    session_timezone: String
            "#]],
        );
    }

    #[test]
    fn snowflake_and_motherduck_secrets() {
        let sf = dest("snowflake");
        for secret in ["password", "private_key", "private_key_passphrase"] {
            assert!(
                field(sf, &format!("credentials.{secret}")).secret,
                "snowflake {secret}"
            );
        }
        assert!(field(sf, "credentials.host").required && !field(sf, "credentials.host").secret);
        assert_eq!(sf.native_schemes(), ["snowflake"]);

        let md = dest("motherduck");
        let password = field(md, "credentials.password");
        assert!(password.secret && password.required);
        let native = md.credentials_variants()[0].native.as_ref().unwrap();
        assert_eq!(
            (native.form, native.schemes.as_slice(), native.plain_string),
            (NativeForm::ConnectionString, &["md".to_string()][..], true)
        );
        let duck = dest("duckdb").credentials_variants()[0]
            .native
            .as_ref()
            .unwrap();
        assert_eq!(
            (duck.schemes.as_slice(), duck.plain_string),
            (&["duckdb".to_string()][..], true)
        );
    }

    #[test]
    fn filesystem_credentials_follow_the_bucket_scheme() {
        let fs = dest("filesystem");
        assert!(field(fs, "bucket_url").required);
        let picked = |url: &str| -> Vec<&str> {
            fs.variants_for("bucket_url", url)
                .unwrap()
                .iter()
                .map(|s| s.spec.as_str())
                .collect()
        };
        assert_eq!(picked("s3://bucket/data"), ["AwsCredentials"]);
        assert_eq!(
            picked("gs://bucket"),
            ["GcpServiceAccountCredentials", "GcpOAuthCredentials"]
        );
        assert_eq!(picked("gcs://bucket"), picked("gs://bucket"));
        assert_eq!(picked("sftp://host/dir"), ["SFTPCredentials"]);
        assert_eq!(picked("az://container").len(), 4);
        assert_eq!(picked("file:///data"), Vec::<&str>::new());
        assert_eq!(picked("/home/me/data"), Vec::<&str>::new());
        assert!(fs.variants_for("catalog_type", "sql").is_none());
        // The union over all schemes is what a file may hold before the bucket is known.
        let union: Vec<&str> = fs
            .credentials_fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        for name in [
            "aws_access_key_id",
            "private_key",
            "client_secret",
            "azure_storage_account_name",
            "sftp_password",
        ] {
            assert!(
                union.contains(&name),
                "{name} missing from the filesystem credentials union"
            );
        }
        assert_eq!(
            union.iter().filter(|n| **n == "project_id").count(),
            1,
            "union repeats a name"
        );
        let aws = fs.variants_for("bucket_url", "s3://b").unwrap()[0];
        assert!(
            aws.ambient_default,
            "AWS credentials can come from the default chain"
        );
        assert!(aws
            .fields
            .iter()
            .any(|f| f.name == "aws_secret_access_key" && f.secret && f.required));
    }

    #[test]
    fn bigquery_takes_service_account_or_oauth() {
        let bq = dest("bigquery");
        check_outline(
            bq,
            "credentials",
            expect![[r#"
                credentials: Table required secret
                  <GcpServiceAccountCredentials>
                    token_uri: String = "https://oauth2.googleapis.com/token" not-resolved
                    auth_uri: String = "https://accounts.google.com/o/oauth2/auth" not-resolved
                    project_id: String required
                    private_key: String required secret
                    private_key_id: String
                    client_email: String required
                    type: String = "service_account" not-resolved
                  <GcpOAuthCredentials>
                    client_id: String required
                    client_secret: String required secret
                    refresh_token: String required secret
                    scopes: List
                    token: String secret
                    token_uri: String = "https://oauth2.googleapis.com/token" not-resolved
                    auth_uri: String = "https://accounts.google.com/o/oauth2/auth" not-resolved
                    project_id: String required
                    client_type: String = "installed" not-resolved
            "#]],
        );
        assert!(
            bq.credentials().unwrap().selector.is_none(),
            "a plain union: dlt tries each in order"
        );
        assert!(bq
            .credentials_variants()
            .iter()
            .all(|s| s.native.as_ref().unwrap().form == NativeForm::Json));
        assert!(bq.accepts_native_string());
    }

    #[test]
    fn iceberg_and_lance_credentials_follow_catalog_type() {
        let picked = |d: &str, v: &str| -> Vec<String> {
            dest(d)
                .variants_for("catalog_type", v)
                .unwrap()
                .iter()
                .map(|s| s.spec.clone())
                .collect()
        };
        assert_eq!(picked("iceberg", "sql"), ["IcebergSqlCatalogCredentials"]);
        assert_eq!(picked("iceberg", "glue"), ["AwsGlueCatalogCredentials"]);
        assert_eq!(
            picked("iceberg", "s3tables-rest"),
            ["AwsRESTCatalogCredentials"]
        );
        assert_eq!(picked("lance", "rest"), ["RestCatalogCredentials"]);
        assert_eq!(picked("lance", "dir"), ["DirectoryCatalogCredentials"]);
        let catalog_type = field(dest("iceberg"), "catalog_type");
        assert_eq!(catalog_type.ty, FieldType::Literal);
        assert_eq!(
            catalog_type.literal_labels(),
            [
                r#""rest""#,
                r#""sql""#,
                r#""glue""#,
                r#""glue-rest""#,
                r#""s3tables-rest""#
            ]
        );
        // The lance directory catalog has its own filesystem credentials, again picked by bucket_url.
        assert!(
            field(
                dest("lance"),
                "credentials.credentials.aws_secret_access_key"
            )
            .secret
        );
    }

    #[test]
    fn secret_fields_by_path() {
        let cases = [
            ("postgres", "credentials.password", true),
            ("postgres", "credentials", true),
            ("postgres", "credentials.host", false),
            ("dlt.destinations.postgres", "credentials.password", true),
            ("snowflake", "credentials.private_key", true),
            ("bigquery", "credentials.private_key", true),
            ("bigquery", "credentials.refresh_token", true),
            ("filesystem", "credentials.aws_secret_access_key", true),
            ("filesystem", "bucket_url", false),
            ("motherduck", "credentials.password", true),
            // Not secret-typed in dlt 1.31, though a human would call them secret.
            ("qdrant", "credentials.api_key", false),
            ("weaviate", "credentials.api_key", false),
            ("postgres", "credentials.no_such_key", false),
            ("no_such_destination", "credentials.password", false),
            ("postgres", "", false),
        ];
        let mut wrong = Vec::new();
        for (destination, path, secret) in cases {
            let path: Vec<&str> = path.split('.').filter(|s| !s.is_empty()).collect();
            if is_secret_field(destination, &path) != secret {
                wrong.push(format!("{destination} {path:?} should be secret={secret}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn runtime_secrets() {
        fn secrets(s: &Section) -> Vec<&str> {
            s.fields
                .iter()
                .filter(|f| f.secret)
                .map(|f| f.name.as_str())
                .collect()
        }
        let workspace = catalog().runtime(true).unwrap();
        assert_eq!(
            secrets(workspace),
            ["slack_incoming_hook", "dlthub_dsn", "auth_token", "api_key"]
        );
        assert_eq!(workspace.tables, ["workspace.runtime", "runtime"]);
        assert_eq!(workspace.mode, SectionMode::Workspace);
        let plain = catalog().runtime(false).unwrap();
        assert_eq!(secrets(plain), ["slack_incoming_hook", "dlthub_dsn"]);
        assert!(plain.field("workspace_id").is_none() && workspace.field("workspace_id").is_some());
    }

    #[test]
    fn common_sections_are_present() {
        let names: Vec<&str> = catalog().sections.keys().map(String::as_str).collect();
        expect![[r#"data_writer extract load normalize pipelines.<pipeline_name> providers runtime runtime (workspace) schema workspace.settings"#]]
            .assert_eq(&names.join(" "));
        let normalize = catalog().section("normalize").unwrap();
        let add_dlt_id = normalize
            .field_at(&["json_normalizer", "add_dlt_id"])
            .unwrap();
        assert_eq!(
            (add_dlt_id.ty, &add_dlt_id.default),
            (FieldType::Boolean, &serde_json::json!(false))
        );
        let pool = normalize.field("pool_type").unwrap();
        assert_eq!(
            pool.literal_labels(),
            [r#""process""#, r#""thread""#, r#""none""#]
        );
        // Injected from dlt's container, so never read from a file.
        assert!(
            !normalize
                .field("destination_capabilities")
                .unwrap()
                .resolvable
        );
        let settings = catalog().section("workspace.settings").unwrap();
        let names: Vec<&str> = settings.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["name", "working_dir", "local_dir"]);
        assert_eq!(
            catalog()
                .section("load")
                .unwrap()
                .field("workers")
                .unwrap()
                .ty,
            FieldType::Integer
        );
    }

    /// Compares every destination field's name, `required` and `secret` with the raw dump.
    #[test]
    fn agrees_with_the_reference_dump() {
        let Some(reference) = reference() else { return };
        let mut report = String::new();
        for (name, r) in reference.as_object().unwrap() {
            let d = dest(name);
            let mut ref_fields: Vec<(String, &serde_json::Value)> = Vec::new();
            for f in r["config_fields"].as_array().unwrap() {
                ref_fields.push((f["name"].as_str().unwrap().to_string(), f));
            }
            let cred = &r["credentials"];
            ref_fields.push(("credentials".to_string(), &cred["field"]));
            for variant in cred["variants"].as_array().unwrap() {
                for f in variant["fields"].as_array().unwrap() {
                    ref_fields.push((format!("credentials.{}", f["name"].as_str().unwrap()), f));
                }
            }
            for (path, rf) in &ref_fields {
                if path == "destination_type" {
                    continue; // deliberately a settable key here, see destination_type_values_resolve_like_dlt
                }
                let segments: Vec<&str> = path.split('.').collect();
                let Some(ours) = d.field_at(&segments) else {
                    let _ = writeln!(report, "{name}: {path} missing");
                    continue;
                };
                for flag in ["secret", "required"] {
                    let theirs = rf[flag].as_bool().unwrap();
                    let mine = if flag == "secret" {
                        ours.secret
                    } else {
                        ours.required
                    };
                    // Union variants may differ on one name: ours is the first variant's answer.
                    let any_variant = cred["variants"].as_array().unwrap().iter().any(|v| {
                        v["fields"].as_array().unwrap().iter().any(|f| {
                            segments.len() == 2
                                && f["name"] == segments[1]
                                && f[flag].as_bool() == Some(mine)
                        })
                    });
                    if theirs != mine && !any_variant {
                        let _ = writeln!(
                            report,
                            "{name}: {path} {flag} is {mine}, reference says {theirs}"
                        );
                    }
                }
            }
            let ours_top: Vec<&str> = d.fields.iter().map(|f| f.name.as_str()).collect();
            for f in &d.fields {
                if !ref_fields.iter().any(|(p, _)| *p == f.name) {
                    let _ = writeln!(report, "{name}: {} not in the reference", f.name);
                }
            }
            assert!(!ours_top.is_empty());
        }
        // The filesystem scheme map matches dlt's PROTOCOL_CREDENTIALS as dumped.
        let map = &reference["filesystem"]["credentials"]["dynamic_type_maps"]
            ["PROTOCOL_CREDENTIALS"]["map"];
        for (scheme, classes) in map.as_object().unwrap() {
            let theirs: Vec<&str> = classes
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().rsplit('.').next().unwrap())
                .collect();
            let ours: Vec<&str> = dest("filesystem")
                .variants_for("bucket_url", &format!("{scheme}://x"))
                .unwrap()
                .iter()
                .map(|s| s.spec.as_str())
                .collect();
            if ours != theirs {
                let _ = writeln!(
                    report,
                    "filesystem {scheme}: {ours:?} vs reference {theirs:?}"
                );
            }
        }
        assert!(
            report.is_empty(),
            "catalog and reference dump disagree:\n{report}"
        );
    }

    #[test]
    fn did_you_mean_cases() {
        let pg_keys: Vec<&str> = dest("postgres")
            .credentials_fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let types: Vec<&str> = catalog().destination_types().collect();
        let cases = [
            (pg_keys.clone(), "pasword", Some("password")),
            (pg_keys.clone(), "passwrod", Some("password")),
            (pg_keys.clone(), "usernme", Some("username")),
            (pg_keys.clone(), "hots", Some("host")),
            (pg_keys.clone(), "Password", Some("password")),
            (pg_keys.clone(), "password", None),
            (pg_keys.clone(), "warehouse", None),
            (pg_keys.clone(), "x", None),
            (types.clone(), "postgress", Some("postgres")),
            (types.clone(), "duck_db", Some("duckdb")),
            (types.clone(), "bigqury", Some("bigquery")),
            (types.clone(), "snowflake_pluss", Some("snowflake_plus")),
            (types.clone(), "oracle", None),
        ];
        let mut wrong = Vec::new();
        for (candidates, typo, want) in cases {
            let got = did_you_mean(candidates.iter().copied(), typo);
            if got.as_deref() != want {
                wrong.push(format!("{typo}: got {got:?}, want {want:?}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn url_schemes_like_dlt_parse_protocol() {
        let cases = [
            ("s3://bucket/path", "s3"),
            ("GS://bucket", "gs"),
            ("abfss://container@account.dfs.core.windows.net/x", "abfss"),
            ("file:///data", "file"),
            ("/home/me/data", "file"),
            ("relative/dir", "file"),
            (r"C:\data\files", "file"),
            ("", "file"),
        ];
        for (value, scheme) in cases {
            assert_eq!(url_scheme(value), scheme, "{value}");
        }
    }

    #[test]
    fn key_paths_find_their_section() {
        let c = catalog();
        // (key path, workspace mode, expected (section, rest of the path))
        type Case = (&'static str, bool, Option<(&'static str, &'static str)>);
        let cases: [Case; 10] = [
            ("runtime.log_level", false, Some(("runtime", "log_level"))),
            (
                "runtime.api_key",
                true,
                Some(("runtime (workspace)", "api_key")),
            ),
            (
                "workspace.runtime.api_key",
                true,
                Some(("runtime (workspace)", "api_key")),
            ),
            ("workspace.runtime.api_key", false, None),
            (
                "workspace.settings.name",
                true,
                Some(("workspace.settings", "name")),
            ),
            (
                "pipelines.my_pipe.dataset_name",
                false,
                Some(("pipelines.<pipeline_name>", "dataset_name")),
            ),
            ("normalize.workers", true, Some(("normalize", "workers"))),
            (
                "normalize.data_writer.buffer_max_items",
                false,
                Some(("data_writer", "buffer_max_items")),
            ),
            (
                "load.raise_on_failed_jobs",
                false,
                Some(("load", "raise_on_failed_jobs")),
            ),
            ("sources.my_source.api_key", true, None),
        ];
        let mut wrong = Vec::new();
        for (key, workspace, want) in cases {
            let path: Vec<&str> = key.split('.').collect();
            let got = c
                .section_for_path(&path, workspace)
                .map(|(s, rest)| (s.name.as_str(), rest.join(".")));
            let want = want.map(|(s, rest)| (s, rest.to_string()));
            if got != want {
                wrong.push(format!(
                    "{key} (workspace={workspace}): got {got:?}, want {want:?}"
                ));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        // Every key the cases land on exists in its spec.
        let runtime = c.runtime(true).unwrap();
        assert!(runtime.field("api_key").is_some() && runtime.field("log_level").is_some());
        assert!(c
            .section("load")
            .unwrap()
            .field("raise_on_failed_jobs")
            .is_some());
        assert!(c
            .section("data_writer")
            .unwrap()
            .field("buffer_max_items")
            .is_some());
    }

    #[test]
    fn needs_value_looks_into_embedded_specs() {
        let needs = |d: &str, path: &str| field(dest(d), path).needs_value();
        assert!(needs("postgres", "credentials"));
        assert!(needs("postgres", "credentials.password"));
        assert!(!needs("postgres", "credentials.port"));
        // dlt's static rule calls these required; their specs resolve from defaults alone.
        assert!(field(dest("duckdb"), "credentials").required);
        assert!(!needs("duckdb", "credentials"));
        assert!(field(dest("lance"), "capabilities").required);
        assert!(!needs("lance", "capabilities"));
        assert!(
            needs("bigquery", "credentials"),
            "both GCP variants need a project_id"
        );
        assert!(needs("filesystem", "bucket_url"));
        let normalize = catalog().section("normalize").unwrap();
        assert!(normalize
            .field("_schema_storage_config")
            .unwrap()
            .is_internal());
        assert!(!normalize.field("workers").unwrap().is_internal());
    }

    const FIXTURE: &str = r#"{
      "dlt_version": "0.0.1", "dlthub_version": "0.0.1",
      "destinations": {
        "store": {"package": "dlt", "factory": "dlt.destinations.store", "spec": "StoreConfiguration", "fields": [
          {"name": "kind", "type": "literal", "values": ["a", "b", 3], "required": false, "default": "a", "secret": false},
          {"name": "credentials", "type": "table", "required": true, "default": null, "secret": true,
           "selector": {"key": "kind", "by": "value"},
           "variants": [
             {"spec": "A", "when": ["a"], "native": {"form": "connection_string", "schemes": ["sa"], "plain_string": false},
              "fields": [{"name": "token", "type": "string", "required": true, "default": null, "secret": true},
                         {"name": "user", "type": "string", "required": true, "default": null, "secret": false}]},
             {"spec": "B", "when": ["b"], "native": {"form": "object", "schemes": [], "plain_string": false},
              "fields": [{"name": "user", "type": "string", "required": false, "default": "me", "secret": false},
                         {"name": "key", "type": "string", "required": true, "default": null, "secret": true}]}
           ]}
        ]}
      },
      "sections": {}
    }"#;

    #[test]
    fn fixture_union_and_selector_semantics() {
        let c = Catalog::parse(FIXTURE).unwrap();
        let d = c.destination("store").unwrap();
        assert_eq!(d.name, "store");
        let union: Vec<&str> = d
            .credentials_fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(union, ["token", "user", "key"]);
        // The first variant that has a name answers for it.
        assert!(d.field_at(&["credentials", "user"]).unwrap().required);
        let b: Vec<&str> = d
            .variants_for("kind", "b")
            .unwrap()
            .iter()
            .map(|s| s.spec.as_str())
            .collect();
        assert_eq!(b, ["B"]);
        assert!(d.variants_for("kind", "c").unwrap().is_empty());
        assert!(d.variants_for("bucket_url", "b").is_none());
        assert_eq!(d.native_schemes(), ["sa"]);
        assert!(d.accepts_native_string());
        assert_eq!(
            d.config_field("kind").unwrap().literal_labels(),
            [r#""a""#, r#""b""#, "3"]
        );
        assert!(
            d.config_field("kind").unwrap().resolvable,
            "resolvable defaults to true"
        );
    }

    #[test]
    fn malformed_catalog_is_an_error_not_a_panic() {
        let err = Catalog::parse(r#"{"dlt_version": "1"}"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("destination catalog is not valid: missing field"),
            "{err}"
        );
        let err = Catalog::parse(&FIXTURE.replace(r#""type": "literal""#, r#""type": "datetime""#))
            .unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `datetime`"),
            "{err}"
        );
    }
}
