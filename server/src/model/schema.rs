//! Which dlt spec governs a TOML key path of a `.dlt` folder: a destination (by type, or named
//! with `destination_type`, which may be set in another file of the folder), or one of the
//! top-level sections whose spec is closed (`[runtime]`, `[load]` …). Shared by validation,
//! completion and hover so the three agree on what a key is.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;

use rustc_hash::FxHashMap;

use super::catalog::{Catalog, Destination, Field, FieldType, Section};
use super::files::FileRole;
use super::source::SourceFile;
use super::toml::{Node, Scalar, Span, Table, Value};
use super::workspace::DltFolder;

/// Sections dlt resolves from one closed spec, so an unknown key there is a mistake. `schema`
/// (naming conventions take free arguments) and `pipelines.<name>` (user sections live there)
/// are left out on purpose.
const CLOSED_SECTIONS: &[&str] = &[
    "runtime",
    "runtime (workspace)",
    "workspace.settings",
    "normalize",
    "load",
    "extract",
    "data_writer",
    "providers",
];

/// The files of one folder and the environment, as seen from the file being analysed.
#[derive(Clone)]
pub struct Scope<'a> {
    /// The `.dlt` folder whose files are searched.
    pub folder: &'a DltFolder,
    /// The file the key paths come from; it is searched first.
    pub file: &'a SourceFile,
    /// The environment dlt would run in.
    pub env: &'a BTreeMap<String, String>,
    /// [`Scope::files`], in their order: found once, read for every key the rules look up.
    order: Vec<&'a SourceFile>,
    /// [`Scope::destination`] by name, found once: the rules ask for the destination of every
    /// table and key under `[destination.<name>]`, and each answer reads the type, the
    /// environment and the bucket (3 % of the instructions of indexing the monorepo; issue 7).
    /// A map, not a list: with a list searched per lookup, a file naming 1,249 destinations (the
    /// bench's 20k-line file) spent 29 % of its bench session's instructions (a first diagnosis
    /// and 30 edits) searching it.
    destinations: RefCell<FxHashMap<String, DestinationOf>>,
}

/// [`Scope::destination`]'s answer: the spec, and whether `destination_type` named it.
type DestinationOf = Option<(&'static Destination, bool)>;

/// Where a destination's type comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeOrigin {
    /// `destination_type = "…"` in a file of the folder (file name, value span).
    File { file: String, span: Span },
    /// `DESTINATION__<NAME>__DESTINATION_TYPE` in the environment.
    Env(String),
    /// No `destination_type`: the section name is the type (`[destination.postgres]`).
    SectionName,
}

/// The `destination_type` of `destination.<name>` as written, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationType {
    /// The value as written (`postgres`, `dlt.destinations.postgres`).
    pub value: String,
    /// Where it comes from.
    pub origin: TypeOrigin,
}

/// The spec that governs a key path.
#[derive(Debug, Clone, Copy)]
pub enum Owner {
    /// `destination.<name>.…`: the destination's spec (`filesystem[hf]` when the bucket says so).
    Destination {
        destination: &'static Destination,
        /// Set when `<name>` is not itself the type.
        named: bool,
    },
    /// A closed top-level section.
    Section(&'static Section),
}

/// The keys a table may hold under its spec.
#[derive(Debug, Clone)]
pub struct TableSchema {
    /// Valid keys, first occurrence of each name: the catalog's own list for a destination's
    /// or a section's table.
    pub fields: Cow<'static, [&'static Field]>,
    /// When false, other keys are valid too (the custom sink takes its function's arguments).
    pub closed: bool,
    /// The embedded specs the keys come from (`AwsCredentials`), when a value picked them.
    pub picked: Option<Picked>,
}

/// The variants a selector value picked, for messages.
#[derive(Debug, Clone)]
pub struct Picked {
    /// `bucket_url = "gs://…"` or `catalog_type = "sql"`, as a reader would write it.
    pub by: String,
    /// Spec class names.
    pub specs: Vec<String>,
}

impl TableSchema {
    /// The field named `key`, if the spec has one.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        self.fields.iter().copied().find(|f| f.name == key)
    }
}

/// Runs `f` on `items` gathered in a buffer on the stack (on the heap past eight): key paths
/// are short, and gathering each one asked for in a `Vec` was an allocation per table and key
/// of a diagnosis (issue 7).
fn on_stack<'s, R>(items: impl IntoIterator<Item = &'s str>, f: impl FnOnce(&[&'s str]) -> R) -> R {
    let mut buf = [""; 8];
    let mut items = items.into_iter();
    for n in 0..buf.len() {
        match items.next() {
            Some(item) => buf[n] = item,
            None => return f(&buf[..n]),
        }
    }
    let mut all = buf.to_vec();
    all.extend(items);
    f(&all)
}

/// dlt's placeholder for a value the user still has to fill in (`<configure me>`).
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    v.starts_with('<') && v.ends_with('>')
}

/// [`Scope::files`] of `file` in `folder`.
fn files_in_order<'a>(folder: &'a DltFolder, file: &'a SourceFile) -> Vec<&'a SourceFile> {
    let own_profile = file.role.profile();
    let rank = |f: &SourceFile| match &f.role {
        FileRole::Profile { profile, .. } if Some(profile.as_str()) == own_profile => 0,
        FileRole::Base(_) => 1,
        _ => 2,
    };
    let mut order = Vec::with_capacity(folder.files.len() + 1);
    order.push(file);
    order.extend(
        folder
            .files
            .values()
            .map(|f| f.as_ref())
            // The folder's own copy of `file` (names are unique in a folder), and files dlt
            // never reads (misnamed `secrets.prod.toml`, others).
            .filter(|f| f.name != file.name)
            .filter(|f| matches!(f.role, FileRole::Base(_) | FileRole::Profile { .. })),
    );
    order[1..].sort_by_key(|f| rank(f));
    order
}

impl<'a> Scope<'a> {
    /// A scope for `file` in `folder`.
    pub fn new(
        folder: &'a DltFolder,
        file: &'a SourceFile,
        env: &'a BTreeMap<String, String>,
    ) -> Self {
        Scope {
            folder,
            file,
            env,
            order: files_in_order(folder, file),
            destinations: RefCell::default(),
        }
    }

    /// Files of the folder, the scope's own file first, then the files of its profile (a
    /// profile file overrides the base file for that profile), base files, other profiles' files.
    pub fn files(&self) -> impl Iterator<Item = &'a SourceFile> + '_ {
        self.order.iter().copied()
    }

    /// The first node at `path` in the scope's files (own file first).
    pub fn node<S: AsRef<str>>(&self, path: &[S]) -> Option<(&'a SourceFile, &'a Node)> {
        self.files()
            .find_map(|f| f.doc.root().get_path(path).map(|n| (f, n)))
    }

    /// The string value at `path` in the scope's files, placeholders excluded.
    pub fn string<S: AsRef<str>>(&self, path: &[S]) -> Option<String> {
        self.files().find_map(|f| {
            let s = f.doc.root().get_path(path)?.as_str()?;
            (!is_placeholder(s)).then(|| s.to_string())
        })
    }

    /// Whether the folder is a dltHub workspace.
    pub fn workspace(&self) -> bool {
        self.folder.is_workspace
    }

    /// The `destination_type` of `destination.<name>`: read by exact path (dlt does), from the
    /// scope's files or the environment; else the name itself when it is a destination type.
    pub fn destination_type(&self, name: &str) -> Option<DestinationType> {
        for f in self.files() {
            if let Some(node) = f
                .doc
                .root()
                .get_path(&["destination", name, "destination_type"])
            {
                if let Some(value) = node.as_str().filter(|v| !is_placeholder(v)) {
                    return Some(DestinationType {
                        value: value.to_string(),
                        origin: TypeOrigin::File {
                            file: f.name.clone(),
                            span: node.value_span,
                        },
                    });
                }
            }
        }
        let var = super::resolve::env_var_name(&["destination", name, "destination_type"]);
        if let Some(value) = self.env.get(&var) {
            return Some(DestinationType {
                value: value.clone(),
                origin: TypeOrigin::Env(var),
            });
        }
        let catalog = Catalog::get();
        catalog.resolve_destination_type(name)?;
        (!name.contains('.')).then(|| DestinationType {
            value: name.to_string(),
            origin: TypeOrigin::SectionName,
        })
    }

    /// The destination spec of `destination.<name>`, or `None` when its type is unknown (a name
    /// configured in code, or a `destination_type` dlt imports from user code).
    pub fn destination(&self, name: &str) -> Option<(&'static Destination, bool)> {
        let known = self.destinations.borrow().get(name).copied();
        known.unwrap_or_else(|| {
            let found = self.find_destination(name);
            self.destinations
                .borrow_mut()
                .insert(name.to_string(), found);
            found
        })
    }

    fn find_destination(&self, name: &str) -> Option<(&'static Destination, bool)> {
        let ty = self.destination_type(name)?;
        let bucket = self.string(&["destination", name, "bucket_url"]);
        let destination = Catalog::get().destination_for(&ty.value, bucket.as_deref())?;
        Some((destination, ty.origin != TypeOrigin::SectionName))
    }

    /// The spec governing `path` and how many leading segments name it (`destination.<name>`
    /// is 2, `runtime` 1, `workspace.settings` 2). `None` for free sections (`sources`, pipeline
    /// names) and destinations of unknown type.
    pub fn owner<S: AsRef<str>>(&self, path: &[S]) -> Option<(Owner, usize)> {
        on_stack(path.iter().map(AsRef::as_ref), |segs| self.owner_of(segs))
    }

    fn owner_of(&self, segs: &[&str]) -> Option<(Owner, usize)> {
        if segs.first() == Some(&"destination") {
            let name = segs.get(1)?;
            let (destination, named) = self.destination(name)?;
            return Some((Owner::Destination { destination, named }, 2));
        }
        let (section, rest) = Catalog::get().section_for_path(segs, self.workspace())?;
        if !CLOSED_SECTIONS.contains(&section.name.as_str()) {
            return None;
        }
        Some((Owner::Section(section), segs.len() - rest.len()))
    }

    /// The schema of the table at `path` (a destination, a section, or a table inside one);
    /// `None` where keys are free (free sections, dict-typed fields such as `query`).
    pub fn table_schema<S: AsRef<str>>(&self, path: &[S]) -> Option<TableSchema> {
        on_stack(path.iter().map(AsRef::as_ref), |segs| {
            self.table_schema_of(segs)
        })
    }

    fn table_schema_of(&self, segs: &[&str]) -> Option<TableSchema> {
        let (owner, used) = self.owner_of(segs)?;
        let rest = &segs[used..];
        let (top, closed) = match owner {
            Owner::Destination { destination, .. } => {
                (destination.field_refs(), !destination.extensible)
            }
            Owner::Section(section) => (section.keys(), true),
        };
        let Some((first, below)) = rest.split_first() else {
            return Some(TableSchema {
                fields: Cow::Borrowed(top),
                closed,
                picked: None,
            });
        };
        let mut field = top.iter().copied().find(|f| f.name == *first)?;
        // Sized for every key of the path: it grows by one per key below the field.
        let mut parent: Vec<&str> = Vec::with_capacity(segs.len());
        parent.extend_from_slice(&segs[..used]);
        let mut specs = self.pick(field, &parent);
        for key in below {
            let next = specs
                .iter()
                .flat_map(|s| s.fields.iter())
                .find(|f| f.name == *key)?;
            parent.push(field.name.as_str());
            field = next;
            specs = self.pick(field, &parent);
        }
        if field.variants.is_empty() {
            return None;
        }
        let all = specs.iter().flat_map(|s| s.fields.iter());
        let mut fields: Vec<&'static Field> = Vec::with_capacity(all.clone().count());
        for f in all {
            if !fields.iter().any(|g| g.name == f.name) {
                fields.push(f);
            }
        }
        let picked = field.selector.as_ref().and_then(|sel| {
            let mut at = parent.clone();
            at.push(sel.key.as_str());
            let value = self.string(&at)?;
            Some(Picked {
                by: format!("{} = {value:?}", sel.key),
                specs: specs.iter().map(|s| s.spec.clone()).collect(),
            })
        });
        Some(TableSchema {
            fields: Cow::Owned(fields),
            closed: true,
            picked,
        })
    }

    /// The field a key path names, looking through every variant (for hover and type checks).
    pub fn field<S: AsRef<str>>(&self, path: &[S]) -> Option<(Owner, &'static Field)> {
        on_stack(path.iter().map(AsRef::as_ref), |segs| {
            let (last, parent) = segs.split_last()?;
            let schema = self.table_schema_of(parent)?;
            let field = schema.field(last)?;
            Some((self.owner_of(segs)?.0, field))
        })
    }

    /// The embedded specs of `field` (written in the table at `parent`) that its selector's
    /// value picks; all of them when there is no selector or no value yet.
    pub fn pick(
        &self,
        field: &'static Field,
        parent: &[&str],
    ) -> Vec<&'static super::catalog::Spec> {
        let all = || field.variants.iter().collect();
        let Some(selector) = &field.selector else {
            return all();
        };
        let at = parent.iter().copied().chain([selector.key.as_str()]);
        match on_stack(at, |at| self.string(at)) {
            Some(value) => field
                .variants_for(&selector.key, &value)
                .unwrap_or_else(all),
            None => all(),
        }
    }
}

/// A field's type as a reader says it (`integer`, `"a" | "b"`, `table`).
pub fn type_label(field: &Field) -> String {
    match field.ty {
        FieldType::String => "string".into(),
        FieldType::Integer => "integer".into(),
        FieldType::Float => "float".into(),
        FieldType::Boolean => "boolean".into(),
        FieldType::List => "list".into(),
        FieldType::Table => "table".into(),
        FieldType::Any => "any".into(),
        FieldType::Literal => field.literal_labels().join(" | "),
    }
}

/// What a TOML value is, for messages.
pub fn value_kind(value: &Value) -> &'static str {
    match value {
        Value::Scalar(Scalar::Str(_)) => "a string",
        Value::Scalar(Scalar::Int(_)) => "an integer",
        Value::Scalar(Scalar::Float(_)) => "a float",
        Value::Scalar(Scalar::Bool(_)) => "a boolean",
        Value::Scalar(Scalar::DateTime(_)) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
        Value::Invalid => "an invalid value",
    }
}

/// Whether dlt turns `value` into the field's type. dlt coerces generously (checked against
/// dlt 1.31's resolver): `"5433"`, `"0x10"` and `5.0` are integers, `"yes"`/`"t"`/`"1"` and any
/// number are booleans, integers are floats, any value is a string, and JSON text (only JSON,
/// not Python literals) is a list or a dict. Placeholders are never wrong.
pub fn coerces(field: &Field, value: &Value) -> bool {
    let text = match value {
        Value::Scalar(Scalar::Str(s)) => Some(s.trim()),
        _ => None,
    };
    if text.is_some_and(is_placeholder) || matches!(value, Value::Invalid) {
        return true;
    }
    let json = |t: &str| serde_json::from_str::<serde_json::Value>(t).ok();
    match field.ty {
        FieldType::Any => true,
        // A table or array becomes its JSON text; odd, but dlt accepts it.
        FieldType::String => true,
        FieldType::Integer => match value {
            Value::Scalar(Scalar::Int(_)) => true,
            Value::Scalar(Scalar::Float(f)) => f.fract() == 0.0,
            _ => text.is_some_and(parses_as_int),
        },
        FieldType::Float => match value {
            Value::Scalar(Scalar::Int(_) | Scalar::Float(_)) => true,
            _ => text.is_some_and(|t| t.replace('_', "").parse::<f64>().is_ok()),
        },
        FieldType::Boolean => match value {
            Value::Scalar(Scalar::Bool(_) | Scalar::Int(_) | Scalar::Float(_)) => true,
            _ => text.is_some_and(|t| {
                matches!(
                    t.to_ascii_lowercase().as_str(),
                    "true" | "false" | "yes" | "no" | "t" | "f" | "y" | "n" | "1" | "0"
                )
            }),
        },
        FieldType::List => match value {
            Value::Array(_) => true,
            _ => text.and_then(json).is_some_and(|v| v.is_array()),
        },
        FieldType::Table => match value {
            Value::Table(_) => true,
            // Embedded specs may have a native string form; the native check judges those.
            _ if !field.variants.is_empty() => text.is_some(),
            _ => text.and_then(json).is_some_and(|v| v.is_object()),
        },
        FieldType::Literal => literal_matches(field, value),
    }
}

/// Python's `int(text, 0)`-like reading dlt applies: decimal with `_`, or `0x`/`0o`/`0b`.
fn parses_as_int(text: &str) -> bool {
    let t = text.replace('_', "");
    let t = t.strip_prefix(['-', '+']).map_or(t.clone(), str::to_string);
    let lower = t.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).is_ok();
    }
    if let Some(oct) = lower.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).is_ok();
    }
    if let Some(bin) = lower.strip_prefix("0b") {
        return i64::from_str_radix(bin, 2).is_ok();
    }
    !t.is_empty() && t.parse::<u64>().is_ok()
}

/// Whether `value` is one of the field's literal values (a number may be written as a string).
pub fn literal_matches(field: &Field, value: &Value) -> bool {
    field
        .literal_values
        .iter()
        .any(|allowed| match (allowed, value) {
            (serde_json::Value::String(a), Value::Scalar(Scalar::Str(s))) => a == s,
            (serde_json::Value::Number(a), Value::Scalar(Scalar::Int(i))) => a.as_i64() == Some(*i),
            (serde_json::Value::Number(a), Value::Scalar(Scalar::Str(s))) => {
                a.to_string() == s.trim()
            }
            (serde_json::Value::Bool(a), Value::Scalar(Scalar::Bool(b))) => a == b,
            _ => false,
        })
}

/// The table at `path` in `root`, if it is one.
pub fn table_at<'t, S: AsRef<str>>(root: &'t Table, path: &[S]) -> Option<&'t Table> {
    if path.is_empty() {
        return Some(root);
    }
    root.get_path(path)?.as_table()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::toml::TomlDoc;

    /// Paths up to the buffer's length and past it reach `f` whole and in order.
    #[test]
    fn on_stack_passes_every_item_in_order() {
        for len in [0, 1, 7, 8, 9, 20] {
            let items: Vec<String> = (0..len).map(|i| format!("k{i}")).collect();
            let got = on_stack(items.iter().map(String::as_str), |segs| {
                segs.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            });
            assert_eq!(got, items, "{len} items");
        }
    }

    /// Each case is checked against what dlt 1.31's resolver did with the same value.
    #[test]
    fn coercions_follow_dlt() {
        let catalog = Catalog::get();
        let pg = catalog.destination("postgres").unwrap();
        let bq = catalog.destination("bigquery").unwrap();
        let fs = catalog.destination("filesystem").unwrap();
        let field = |d: &'static Destination, p: &str| {
            let path: Vec<&str> = p.split('.').collect();
            d.field_at(&path).unwrap()
        };
        let cases: [(&Field, &str, bool); 22] = [
            (field(pg, "credentials.port"), r#""5433""#, true),
            (field(pg, "credentials.port"), "5.0", true),
            (field(pg, "credentials.port"), "5.5", false),
            (field(pg, "credentials.port"), "true", false),
            (field(pg, "credentials.port"), r#""0x10""#, true),
            (field(pg, "credentials.port"), r#"" 7 ""#, true),
            (field(pg, "credentials.port"), r#""five""#, false),
            (field(pg, "create_indexes"), r#""yes""#, true),
            (field(pg, "create_indexes"), r#""on""#, false),
            (field(pg, "create_indexes"), "2", true),
            (field(pg, "create_indexes"), r#""T""#, true),
            (field(bq, "http_timeout"), "3", true),
            (field(bq, "http_timeout"), r#""abc""#, false),
            (field(pg, "credentials.host"), "5", true),
            (field(pg, "credentials.host"), "{ a = 1 }", true),
            (field(bq, "credentials.scopes"), r#"'["a"]'"#, true),
            (field(bq, "credentials.scopes"), r#""['a']""#, false),
            (field(bq, "credentials.scopes"), r#""a,b""#, false),
            (field(fs, "kwargs"), r#"'{"a": 1}'"#, true),
            (field(fs, "kwargs"), r#""x=1""#, false),
            (
                field(pg, "replace_strategy"),
                r#""staging-optimized""#,
                true,
            ),
            (field(pg, "credentials.port"), r#""<configure me>""#, true),
        ];
        let mut wrong = Vec::new();
        for (f, toml, want) in cases {
            let doc = TomlDoc::parse(&format!("v = {toml}"));
            let value = &doc.root().get("v").unwrap().value;
            if coerces(f, value) != want {
                wrong.push(format!("{} = {toml}: want {want}", f.name));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }
}
