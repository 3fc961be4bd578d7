//! Validation of destinations and closed sections against dlt's own specs: unknown keys (with a
//! did-you-mean), unknown `destination_type` values, values dlt cannot coerce, credentials given
//! as a string dlt cannot parse, and named destinations a profile leaves without credentials.

use std::collections::BTreeMap;

use crate::model::catalog::{did_you_mean, Catalog, Field, FieldType, NativeForm, Spec};
use crate::model::diagnostic::{self as codes, Diagnostic, Severity};
use crate::model::files::FileRole;
use crate::model::schema::{
    coerces, is_placeholder, type_label, value_kind, Owner, Scope, TableSchema,
};
use crate::model::source::SourceFile;
use crate::model::toml::{Def, Node, Scalar, Table, Value};
use crate::model::workspace::{DltFolder, Snapshot};

/// Every destination and section finding of `file`, appended to `out`.
pub fn destination_diagnostics(
    snapshot: &Snapshot,
    folder: &DltFolder,
    file: &SourceFile,
    out: &mut Vec<Diagnostic>,
) {
    // taplo's recovery guesses the tree of a broken file (an unclosed header swallows the next
    // line's key); findings on that guess would be noise next to the syntax error.
    if file
        .doc
        .errors
        .iter()
        .any(|e| e.kind == crate::model::toml::TomlErrorKind::Syntax)
    {
        return;
    }
    let scope = Scope::new(folder, file, &snapshot.context.env);
    let values = FolderValues::new(snapshot, folder);
    validate(&scope, out);
    missing_credentials(&scope, &values, out);
}

/// Unknown keys, types and native strings of every destination and closed section of the file.
pub fn validate(scope: &Scope, out: &mut Vec<Diagnostic>) {
    let root = scope.file.doc.root();
    for (key, node) in &root.entries {
        let Some(table) = node.as_table() else {
            continue;
        };
        match key.as_str() {
            "destination" => {
                for (name, node) in &table.entries {
                    if let Some(t) = node.as_table() {
                        destination_table(scope, name, t, out);
                    }
                }
            }
            // `[workspace]` itself is free; its `settings` and `runtime` tables are specs.
            "workspace" => {
                for (sub, node) in &table.entries {
                    section_table(scope, &mut vec!["workspace", sub], node, out);
                }
            }
            _ => section_table(scope, &mut vec![key.as_str()], node, out),
        }
    }
}

/// Checks the table at `path` when it is a closed section's own table. `path` is the key path
/// of the table, a stack the checks below push each key onto and pop: a path built anew for
/// each key was a tenth of the allocations of indexing the monorepo (issue 7).
fn section_table<'a>(
    scope: &Scope,
    path: &mut Vec<&'a str>,
    node: &'a Node,
    out: &mut Vec<Diagnostic>,
) {
    let (Some(table), Some((Owner::Section(_), used))) = (node.as_table(), scope.owner(path))
    else {
        return;
    };
    if used != path.len() {
        return;
    }
    if let Some(schema) = scope.table_schema(path) {
        check_table(scope, path, table, &schema, out);
    }
}

fn destination_table(scope: &Scope, name: &str, table: &Table, out: &mut Vec<Diagnostic>) {
    if let Some(node) = table.get("destination_type") {
        match &node.value {
            Value::Scalar(Scalar::Str(value)) if !is_placeholder(value) => {
                let catalog = Catalog::get();
                // A dotted value outside dlt's own packages is a module dlt imports from user code.
                let user_module = value.contains('.') && !value.contains("destinations.");
                if catalog.resolve_destination_type(value).is_none() && !user_module {
                    let mut message = format!(
                        "`{value}` is not a destination type of dlt {}",
                        catalog.dlt_version
                    );
                    let name = value.rsplit('.').next().unwrap_or(value);
                    if let Some(s) = did_you_mean(catalog.destination_types(), name) {
                        message += &format!("; did you mean `{s}`?");
                    } else {
                        let all: Vec<&str> = catalog.destination_types().collect();
                        message += &format!("; known types: {}", all.join(", "));
                    }
                    out.push(Diagnostic::new(
                        node.value_span,
                        Severity::Error,
                        codes::UNKNOWN_DESTINATION_TYPE,
                        message,
                    ));
                    return;
                }
            }
            Value::Scalar(Scalar::Str(_)) | Value::Invalid => {}
            other => out.push(Diagnostic::new(
                node.value_span,
                Severity::Error,
                codes::WRONG_VALUE_TYPE,
                format!(
                    "destination_type must be a string naming a destination type, not {}",
                    value_kind(other)
                ),
            )),
        }
    }
    let mut path = vec!["destination", name];
    if let Some(schema) = scope.table_schema(&path) {
        check_table(scope, &mut path, table, &schema, out);
    }
}

/// Checks every entry of `table` (at `path`) against `schema`, descending into embedded specs.
/// `path` is the table's key path, given back as it came.
fn check_table<'a>(
    scope: &Scope,
    path: &mut Vec<&'a str>,
    table: &'a Table,
    schema: &TableSchema,
    out: &mut Vec<Diagnostic>,
) {
    for (key, node) in &table.entries {
        path.push(key);
        check_entry(scope, path, node, schema, out);
        path.pop();
    }
}

/// Checks the entry at `path` (its key last) of a table of `schema`.
fn check_entry<'a>(
    scope: &Scope,
    path: &mut Vec<&'a str>,
    node: &'a Node,
    schema: &TableSchema,
    out: &mut Vec<Diagnostic>,
) {
    let Some((&key, parent)) = path.split_last() else {
        return;
    };
    if let Some(field) = schema.field(key) {
        return check_value(scope, path, field, node, out);
    }
    // `[normalize.data_writer]` is another section nested in this one.
    if let Some((Owner::Section(_), used)) = scope.owner(path) {
        if used == path.len() {
            return section_table(scope, path, node, out);
        }
    }
    if schema.closed {
        out.push(unknown_key(scope, parent, key, node, schema));
    }
}

fn unknown_key(
    scope: &Scope,
    path: &[&str],
    key: &str,
    node: &Node,
    schema: &TableSchema,
) -> Diagnostic {
    let mut message = format!(
        "`{key}` is not a key of {}; dlt ignores it",
        describe(scope, path, schema)
    );
    let candidates = schema
        .fields
        .iter()
        .filter(|f| !f.is_internal())
        .map(|f| f.name.as_str());
    if let Some(s) = did_you_mean(candidates, key) {
        message += &format!(". Did you mean `{s}`?");
    } else if path.last() == Some(&"credentials")
        && schema
            .field("query")
            .is_some_and(|f| f.ty == FieldType::Table)
    {
        // Connection-string credentials pass driver options through their `query` table.
        message += &format!(". Driver options go in the `query` table: query.{key} = …");
    } else if path.first() == Some(&"runtime") && !scope.workspace() {
        // A plain project reads the plain runtime spec; dlthub's keys need a workspace.
        if Catalog::get()
            .runtime(true)
            .is_some_and(|r| r.field(key).is_some())
        {
            message += " (it is read only in a dltHub workspace, with .dlt/.workspace)";
        }
    }
    Diagnostic::new(
        node.key_span,
        Severity::Warning,
        codes::UNKNOWN_KEY,
        message,
    )
}

/// `destination.warehouse.credentials (postgres: PostgresCredentials)` and the like.
fn describe(scope: &Scope, path: &[&str], schema: &TableSchema) -> String {
    let mut out = path.join(".");
    let owner = match scope.owner(path) {
        Some((Owner::Destination { destination, .. }, _)) => destination.name.clone(),
        Some((Owner::Section(section), _)) => section.spec.clone(),
        None => return out,
    };
    match &schema.picked {
        Some(p) if p.specs.is_empty() => {
            out += &format!(" ({owner} with {}: no credentials)", p.by)
        }
        Some(p) => out += &format!(" ({owner} with {}: {})", p.by, p.specs.join(", ")),
        None => out += &format!(" ({owner})"),
    }
    out
}

fn check_value<'a>(
    scope: &Scope,
    path: &mut Vec<&'a str>,
    field: &'static Field,
    node: &'a Node,
    out: &mut Vec<Diagnostic>,
) {
    if let Value::Table(table) = &node.value {
        if !field.variants.is_empty() {
            if let Some(schema) = scope.table_schema(path) {
                check_table(scope, path, table, &schema, out);
            }
            return;
        }
    }
    // An array of tables is a list of dicts, which only list- or any-typed fields take.
    let array_of_tables = node.def == Def::ArrayOfTables;
    if !array_of_tables && coerces(field, &node.value) {
        if let Value::Scalar(Scalar::Str(s)) = &node.value {
            if !field.variants.is_empty() {
                native_string(scope, path, field, s, node, out);
            }
        }
        return;
    }
    if array_of_tables && matches!(field.ty, FieldType::List | FieldType::Any) {
        return;
    }
    let key = path.last().copied().unwrap_or_default();
    let (code, message) = if field.ty == FieldType::Literal {
        (
            codes::INVALID_LITERAL,
            format!(
                "`{key}` must be one of {}; dlt rejects {}",
                field.literal_labels().join(", "),
                render(&node.value)
            ),
        )
    } else {
        (
            codes::WRONG_VALUE_TYPE,
            format!(
                "`{key}` is {}, which dlt cannot turn into {}",
                value_kind(&node.value),
                a_type(field)
            ),
        )
    };
    let span = if matches!(
        node.def,
        Def::Header | Def::Implicit | Def::Dotted | Def::ArrayOfTables
    ) {
        node.key_span
    } else {
        node.value_span
    };
    out.push(Diagnostic::new(span, Severity::Error, code, message));
}

fn a_type(field: &Field) -> String {
    let label = type_label(field);
    match label.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => format!("an {label}"),
        _ => format!("a {label}"),
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::Scalar(Scalar::Str(s)) => format!("{s:?}"),
        Value::Scalar(Scalar::Int(i)) => i.to_string(),
        Value::Scalar(Scalar::Float(f)) => f.to_string(),
        Value::Scalar(Scalar::Bool(b)) => b.to_string(),
        other => value_kind(other).to_string(),
    }
}

/// A string where an embedded spec belongs: dlt parses it with the spec's native form.
fn native_string(
    scope: &Scope,
    path: &[&str],
    field: &'static Field,
    value: &str,
    node: &Node,
    out: &mut Vec<Diagnostic>,
) {
    if is_placeholder(value) {
        return;
    }
    let specs = scope.pick(field, &path[..path.len() - 1]);
    if specs.is_empty() {
        return;
    }
    let Some(problem) = native_problem(&specs, value) else {
        return;
    };
    let key = path.join(".");
    out.push(Diagnostic::new(
        node.value_span,
        Severity::Error,
        codes::INVALID_CONNECTION_STRING,
        format!("{key}: {problem}"),
    ));
}

/// Why none of `specs` parses `value` as its native form; `None` when one does.
pub fn native_problem(specs: &[&Spec], value: &str) -> Option<String> {
    let string_forms: Vec<_> = specs
        .iter()
        .filter_map(|s| s.native.as_ref())
        .filter(|n| n.form != NativeForm::Object)
        .collect();
    if string_forms.is_empty() {
        let names: Vec<&str> = specs.iter().map(|s| s.spec.as_str()).collect();
        return Some(format!(
            "{} cannot be given as a string; write a table of its fields instead",
            names.join(" / ")
        ));
    }
    let mut reasons = Vec::new();
    for native in string_forms {
        match native.form {
            NativeForm::String | NativeForm::Object => return None,
            NativeForm::Json => match serde_json::from_str::<serde_json::Value>(value) {
                Ok(serde_json::Value::Object(_)) => return None,
                _ => reasons.push(
                    "is not a JSON document (a service-account or OAuth key file's content)"
                        .to_string(),
                ),
            },
            NativeForm::ConnectionString => {
                if !value.contains("://") {
                    if native.plain_string {
                        return None;
                    }
                    let example = native.schemes.first().map_or("driver", String::as_str);
                    reasons.push(format!(
                        "is not a connection string (expected {example}://user:password@host:port/database)"
                    ));
                    continue;
                }
                match parse_url(value) {
                    Err(e) => reasons.push(e),
                    Ok(scheme) => {
                        let base = scheme.split('+').next().unwrap_or_default().to_lowercase();
                        if native.schemes.is_empty() || native.schemes.contains(&base) {
                            return None;
                        }
                        reasons.push(format!(
                            "has the scheme `{scheme}`, expected {}",
                            native
                                .schemes
                                .iter()
                                .map(|s| format!("`{s}://`"))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ));
                    }
                }
            }
        }
    }
    reasons.dedup();
    Some(format!("the string {}", reasons.join("; it also ")))
}

/// Parses a connection URL the way dlt's copy of SQLAlchemy's `make_url` does, returning its
/// scheme (`postgresql+psycopg2`). That regex is lenient: only a bad scheme or a port that is
/// not a number make it fail.
pub fn parse_url(value: &str) -> Result<String, String> {
    let (scheme, rest) = value
        .split_once("://")
        .ok_or_else(|| "has no `scheme://`".to_string())?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '+')
    {
        return Err(format!("has an invalid scheme `{scheme}`"));
    }
    // The user info ends at the last `@` that the regex can reach: a username has no `:` or `/`,
    // a password no `@`.
    let user_end = rest.find([':', '/']).unwrap_or(rest.len());
    let mut host_start = 0;
    for end in (0..=user_end).rev() {
        // Byte positions inside a multibyte character are not places to split (found by fuzzing).
        if !rest.is_char_boundary(end) {
            continue;
        }
        let after = &rest[end..];
        if after.starts_with('@') {
            host_start = end + 1;
            break;
        }
        if let Some(pw) = after.strip_prefix(':') {
            if let Some(at) = pw.find('@') {
                host_start = end + 1 + at + 1;
                break;
            }
        }
    }
    let hostport = &rest[host_start..];
    let hostport = &hostport[..hostport.find(['/', '?']).unwrap_or(hostport.len())];
    let port = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split_once(']').and_then(|(_, p)| p.strip_prefix(':'))
    } else {
        hostport.split_once(':').map(|(_, p)| p)
    };
    if let Some(port) = port.filter(|p| !p.is_empty()) {
        if port.parse::<u32>().is_err() {
            return Err(format!("has a port `{port}` that is not a number"));
        }
    }
    Ok(scheme.to_string())
}

/// Answers whether dlt, running with a profile, finds a value for a key path. The local
/// implementation reads the folder's files and the environment; the profile resolver of
/// `model::resolve` can stand in for it.
pub trait ValueSource {
    /// The profiles worth checking: those the user has files for (or pinned).
    fn profiles(&self) -> Vec<String>;
    /// Whether a value for the exact key path `path` reaches dlt with `profile`, at any of the
    /// paths dlt looks it up under (including credentials given as a connection string).
    fn is_set(&self, profile: &str, path: &[&str]) -> bool;
}

/// A [`ValueSource`] from a list of profiles and a closure, for resolvers defined elsewhere.
pub struct FnValues<F: Fn(&str, &[&str]) -> bool> {
    /// The profiles to check.
    pub profiles: Vec<String>,
    /// `is_set(profile, exact key path)`.
    pub is_set: F,
}

impl<F: Fn(&str, &[&str]) -> bool> ValueSource for FnValues<F> {
    fn profiles(&self) -> Vec<String> {
        self.profiles.clone()
    }

    fn is_set(&self, profile: &str, path: &[&str]) -> bool {
        (self.is_set)(profile, path)
    }
}

/// [`ValueSource`] over one folder's files, the global dir and the environment.
pub struct FolderValues<'a> {
    folder: &'a DltFolder,
    global: Option<&'a DltFolder>,
    env: &'a BTreeMap<String, String>,
}

impl<'a> FolderValues<'a> {
    /// Values of `folder` as the snapshot's context sees them.
    pub fn new(snapshot: &'a Snapshot, folder: &'a DltFolder) -> Self {
        FolderValues {
            folder,
            global: snapshot.global.as_deref(),
            env: &snapshot.context.env,
        }
    }

    fn files_for<'p>(&self, profile: &'p str) -> impl Iterator<Item = &'a SourceFile> + 'p
    where
        'a: 'p,
    {
        [Some(self.folder), self.global]
            .into_iter()
            .flatten()
            .flat_map(|f| f.files.values())
            .map(|f| f.as_ref())
            .filter(move |f| match &f.role {
                FileRole::Base(_) => true,
                FileRole::Profile { profile: p, .. } => p == profile,
                _ => false,
            })
    }

    fn found(&self, profile: &str, path: &[&str], whole: bool) -> bool {
        if self
            .env
            .contains_key(&crate::model::resolve::env_var_name(path))
        {
            return true;
        }
        self.files_for(profile).any(|f| {
            f.doc.root().get_path(path).is_some_and(|n| match &n.value {
                Value::Scalar(Scalar::Str(s)) => !is_placeholder(s),
                // A whole-credentials table answers only through its fields.
                Value::Table(_) => !whole,
                Value::Invalid => false,
                _ => true,
            })
        })
    }
}

impl ValueSource for FolderValues<'_> {
    fn profiles(&self) -> Vec<String> {
        if !self.folder.is_workspace {
            return Vec::new();
        }
        let mut out: Vec<String> = self
            .folder
            .files
            .values()
            .filter_map(|f| {
                f.role
                    .profile()
                    .filter(|_| matches!(f.role, FileRole::Profile { .. }))
            })
            .map(str::to_string)
            .collect();
        out.extend(self.folder.pinned_profile.clone());
        out.sort();
        out.dedup();
        out
    }

    fn is_set(&self, profile: &str, path: &[&str]) -> bool {
        // dlt's lookup paths (reference: "Key lookup"): credentials fields drop the destination
        // name, then the `destination` section; config fields drop sections from the right.
        // Each path is tried as it is built, in one buffer: collecting them all first was 2 % of
        // the instructions of indexing the monorepo (issue 7).
        let found = |p: &[&str], whole: bool| self.found(profile, p, whole);
        if found(path, false) {
            return true;
        }
        let ["destination", name, rest @ ..] = path else {
            return false;
        };
        let mut candidate: Vec<&str> = Vec::with_capacity(path.len() + 1);
        if let ["credentials", field @ ..] = rest {
            if field.is_empty() {
                return false;
            }
            for prefix in [&["destination", name][..], &["destination"], &[]] {
                candidate.clear();
                candidate.extend_from_slice(prefix);
                candidate.push("credentials");
                // A whole-credentials value (a connection string) sets every field.
                if found(&candidate, true) {
                    return true;
                }
                candidate.extend_from_slice(field);
                if candidate != path && found(&candidate, false) {
                    return true;
                }
            }
            return false;
        }
        candidate.push("destination");
        candidate.extend_from_slice(rest);
        found(&candidate, false) || found(rest, false)
    }
}

/// Named destinations (`destination_type` in this file) whose required values a profile leaves
/// unset: warned on the `destination_type` line, one finding per profile.
pub fn missing_credentials(scope: &Scope, values: &dyn ValueSource, out: &mut Vec<Diagnostic>) {
    let Some(destinations) = scope
        .file
        .doc
        .root()
        .get("destination")
        .and_then(Node::as_table)
    else {
        return;
    };
    let profiles = values.profiles();
    if profiles.is_empty() {
        return;
    }
    for (name, node) in &destinations.entries {
        let Some(type_node) = node.as_table().and_then(|t| t.get("destination_type")) else {
            continue;
        };
        if type_node.as_str().is_none_or(is_placeholder) {
            continue;
        }
        let Some((destination, _)) = scope.destination(name) else {
            continue;
        };
        for profile in &profiles {
            if !governs(scope, name, profile) {
                continue;
            }
            let missing = missing_for(scope, values, profile, name, destination);
            if missing.is_empty() {
                continue;
            }
            let env: Vec<String> = missing
                .iter()
                .map(|p| crate::model::resolve::env_var_name(p))
                .collect();
            let keys: Vec<String> = missing.iter().map(|p| p.join(".")).collect();
            out.push(Diagnostic::new(
                type_node.value_span,
                Severity::Warning,
                codes::MISSING_CREDENTIALS,
                format!(
                    "with profile `{profile}`, `{name}` ({}) has no value (placeholders do not count) for {}: dlt will fail to use it. Set {} in {profile}.secrets.toml or secrets.toml, or in the environment as {}",
                    destination.name,
                    keys.join(", "),
                    if missing.len() == 1 { "it" } else { "them" },
                    env.join(", ")
                ),
            ));
        }
    }
}

/// Whether this file's `destination_type` is the one `profile` sees: a profile file of another
/// profile never is, and a base file yields to the profile's own files.
fn governs(scope: &Scope, name: &str, profile: &str) -> bool {
    match &scope.file.role {
        FileRole::Profile { profile: p, .. } => p == profile,
        FileRole::Base(_) => !scope.folder.files.values().any(|f| {
            matches!(&f.role, FileRole::Profile { profile: p, .. } if p == profile)
                && f.doc
                    .root()
                    .get_path(&["destination", name, "destination_type"])
                    .is_some()
        }),
        _ => false,
    }
}

/// The exact key paths `profile` leaves unset that `destination.<name>` needs.
fn missing_for(
    scope: &Scope,
    values: &dyn ValueSource,
    profile: &str,
    name: &str,
    destination: &'static crate::model::catalog::Destination,
) -> Vec<Vec<String>> {
    let mut missing: Vec<Vec<String>> = Vec::new();
    for field in destination
        .fields
        .iter()
        .filter(|f| f.name != "credentials")
    {
        if field.resolvable
            && field.needs_value()
            && !values.is_set(profile, &["destination", name, &field.name])
        {
            missing.push(vec!["destination".into(), name.into(), field.name.clone()]);
        }
    }
    let Some(credentials) = destination.credentials().filter(|c| c.required) else {
        return missing;
    };
    // Judged on the specs the bucket or catalog type picks: an sftp bucket needs nothing though
    // an s3 one would.
    let specs = scope.pick(credentials, &["destination", name]);
    // A spec that resolves from its defaults needs nothing, and the machine's default
    // credentials chain (AWS, GCP, Azure) may answer for the others.
    if specs.is_empty()
        || specs.iter().any(|s| s.ambient_default)
        || specs
            .iter()
            .any(|s| !s.fields.iter().any(Field::needs_value))
    {
        return missing;
    }
    let per_spec: Vec<Vec<Vec<String>>> = specs
        .iter()
        .map(|spec| {
            spec.fields
                .iter()
                .filter(|f| f.resolvable && f.needs_value())
                .filter(|f| !values.is_set(profile, &["destination", name, "credentials", &f.name]))
                .map(|f| {
                    vec![
                        "destination".into(),
                        name.into(),
                        "credentials".into(),
                        f.name.clone(),
                    ]
                })
                .collect()
        })
        .collect();
    // dlt takes the first variant that resolves; report the one closest to resolving.
    if let Some(best) = per_spec.into_iter().min_by_key(Vec::len) {
        missing.extend(best);
    }
    missing
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::test_support::fixture;

    /// `file:line:col severity [code] message` for every finding of this module's codes.
    fn check(fx: &str, expect: Expect) {
        let snap = fixture(fx);
        let mut out = String::new();
        for folder in snap.folders.values() {
            for file in folder.files.values() {
                let mut diags = Vec::new();
                destination_diagnostics(&snap, folder, file, &mut diags);
                diags.sort_by_key(|d| d.span);
                for d in diags {
                    out += &crate::test_support::render_diagnostic(file, &d);
                }
            }
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn unknown_keys_with_did_you_mean() {
        check(
            r#"
//- .dlt/secrets.toml
[destination.postgres.credentials]
database = "db"
pasword = "x"
hots = "h"

[destination.snowflake]
stage_nme = "s"
credentials.usernme = "u"

[destination.duckdb]
create_indexes = true
colour = "blue"
"#,
            expect![[r#"
                secrets.toml:3:1 warning [unknown-key] `pasword` is not a key of destination.postgres.credentials (postgres); dlt ignores it. Did you mean `password`?
                secrets.toml:4:1 warning [unknown-key] `hots` is not a key of destination.postgres.credentials (postgres); dlt ignores it. Did you mean `host`?
                secrets.toml:7:1 warning [unknown-key] `stage_nme` is not a key of destination.snowflake (snowflake); dlt ignores it. Did you mean `stage_name`?
                secrets.toml:8:13 warning [unknown-key] `usernme` is not a key of destination.snowflake.credentials (snowflake); dlt ignores it. Did you mean `username`?
                secrets.toml:12:1 warning [unknown-key] `colour` is not a key of destination.duckdb (duckdb); dlt ignores it
            "#]],
        );
    }

    #[test]
    fn named_destination_typed_in_another_file() {
        check(
            r#"
//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "motherduck"
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
database = "analytics"
pasword = "x"
password = "y"
//- .dlt/secrets.toml
[destination.lake]
destination_type = "bigqury"
[destination.lake.credentials]
anything = "goes, the type is unknown"
[destination.custom]
destination_type = "mycompany.sinks.warehouse"
whatever = 1
"#,
            expect![[r#"
                prod.secrets.toml:3:1 warning [unknown-key] `pasword` is not a key of destination.warehouse.credentials (motherduck); dlt ignores it. Did you mean `password`?
                secrets.toml:2:20 error [unknown-destination-type] `bigqury` is not a destination type of dlt 1.31.0; did you mean `bigquery`?
            "#]],
        );
    }

    #[test]
    fn filesystem_credentials_follow_the_bucket_scheme() {
        check(
            r#"
//- .dlt/config.toml
[destination.s3_lake]
destination_type = "filesystem"
bucket_url = "s3://bucket/data"
[destination.gcs_lake]
destination_type = "filesystem"
bucket_url = "gs://bucket/data"
[destination.any_lake]
destination_type = "filesystem"
//- .dlt/secrets.toml
[destination.s3_lake.credentials]
aws_access_key_id = "AKIA"
aws_secret_access_key = "s"
client_email = "me@example.com"
[destination.gcs_lake.credentials]
client_email = "me@example.com"
private_key = "k"
project_id = "p"
aws_access_key_id = "AKIA"
[destination.any_lake.credentials]
aws_access_key_id = "AKIA"
client_email = "me@example.com"
aws_secret_key = "x"
[destination.filesystem]
bucket_url = "file:///tmp/data"
credentials.project_id = "p"
"#,
            expect![[r#"
                secrets.toml:4:1 warning [unknown-key] `client_email` is not a key of destination.s3_lake.credentials (filesystem with bucket_url = "s3://bucket/data": AwsCredentials); dlt ignores it
                secrets.toml:9:1 warning [unknown-key] `aws_access_key_id` is not a key of destination.gcs_lake.credentials (filesystem with bucket_url = "gs://bucket/data": GcpServiceAccountCredentials, GcpOAuthCredentials); dlt ignores it
                secrets.toml:13:1 warning [unknown-key] `aws_secret_key` is not a key of destination.any_lake.credentials (filesystem); dlt ignores it
                secrets.toml:16:13 warning [unknown-key] `project_id` is not a key of destination.filesystem.credentials (filesystem with bucket_url = "file:///tmp/data": no credentials); dlt ignores it
            "#]],
        );
    }

    #[test]
    fn iceberg_and_lance_credentials_follow_catalog_type() {
        check(
            r#"
//- .dlt/config.toml
[destination.iceberg]
catalog_type = "sql"
[destination.iceberg.credentials]
uri = "sqlite:///catalog.db"
warehouse = "s3://bucket"
[destination.lake]
destination_type = "lance"
catalog_type = "rest"
[destination.lake.credentials]
bucket_url = "s3://bucket"
[destination.ice2]
destination_type = "iceberg"
catalog_type = "hive"
"#,
            expect![[r#"
                config.toml:4:1 warning [unknown-key] `uri` is not a key of destination.iceberg.credentials (iceberg with catalog_type = "sql": IcebergSqlCatalogCredentials); dlt ignores it. Driver options go in the `query` table: query.uri = …
                config.toml:5:1 warning [unknown-key] `warehouse` is not a key of destination.iceberg.credentials (iceberg with catalog_type = "sql": IcebergSqlCatalogCredentials); dlt ignores it. Driver options go in the `query` table: query.warehouse = …
                config.toml:10:1 warning [unknown-key] `bucket_url` is not a key of destination.lake.credentials (lance with catalog_type = "rest": RestCatalogCredentials); dlt ignores it
                config.toml:13:16 error [invalid-literal] `catalog_type` must be one of "rest", "sql", "glue", "glue-rest", "s3tables-rest"; dlt rejects "hive"
            "#]],
        );
    }

    #[test]
    fn value_types_follow_dlt_coercions() {
        check(
            r#"
//- .dlt/config.toml
[destination.postgres]
create_indexes = "yes"
replace_strategy = "truncate-and-insert"
info_tables_query_threshold = "5433"
[destination.postgres.credentials]
port = "5433"
connect_timeout = "soon"
host = 5
[destination.bigquery]
http_timeout = 10
retry_deadline = "fast"
location = "EU"
replace_strategy = "drop-everything"
[destination.bigquery.credentials]
scopes = "[\"a\"]"
[destination.snowflake.credentials]
port = "<configure me>"
password = "<configure me>"
[runtime]
log_level = "INFO"
request_max_attempts = "many"
[load]
workers = 4
raise_on_failed_jobs = "perhaps"
parallelism_strategy = "random"
"#,
            expect![[r#"
                config.toml:7:19 error [wrong-value-type] `connect_timeout` is a string, which dlt cannot turn into an integer
                config.toml:11:18 error [wrong-value-type] `retry_deadline` is a string, which dlt cannot turn into a float
                config.toml:13:20 error [invalid-literal] `replace_strategy` must be one of "truncate-and-insert", "insert-from-staging", "staging-optimized"; dlt rejects "drop-everything"
                config.toml:21:24 error [wrong-value-type] `request_max_attempts` is a string, which dlt cannot turn into an integer
                config.toml:24:24 error [wrong-value-type] `raise_on_failed_jobs` is a string, which dlt cannot turn into a boolean
                config.toml:25:24 error [invalid-literal] `parallelism_strategy` must be one of "parallel", "table-sequential", "sequential"; dlt rejects "random"
            "#]],
        );
    }

    #[test]
    fn native_connection_strings() {
        check(
            r#"
//- .dlt/secrets.toml
[destination.postgres]
credentials = "postgresql://loader:pa@ss@localhost:5432/dlt_data?sslmode=require"
[destination.pg2]
destination_type = "postgres"
credentials = "postgresql://loader:secret@localhost:54x2/dlt_data"
[destination.pg3]
destination_type = "postgres"
credentials = "mysql://loader:secret@localhost/dlt_data"
[destination.pg4]
destination_type = "postgres"
credentials = "host=localhost user=loader"
[destination.pg5]
destination_type = "postgres"
credentials = "postgresql+psycopg2://loader@localhost/db"
[destination.snowflake]
credentials = "snowflake://loader:pw@kgiotue-wn98412/dlt_data?warehouse=COMPUTE_WH&role=DLT_LOADER_ROLE"
[destination.motherduck]
credentials = "md:///my_db?token=abc"
[destination.duckdb]
credentials = "data/local.duckdb"
[destination.bigquery]
credentials = "not json"
[destination.bq2]
destination_type = "bigquery"
credentials = """{"project_id": "p", "private_key": "k", "client_email": "e"}"""
[destination.weaviate]
credentials = "http://localhost:8080"
[destination.sqlalchemy]
credentials = "mysql+pymysql://u:p@h:3306/db"
[destination.placeholder]
destination_type = "postgres"
credentials = "<configure me>"
[destination.lake]
destination_type = "filesystem"
bucket_url = "s3://bucket"
credentials = "aws-profile"
"#,
            expect![[r#"
                secrets.toml:5:15 error [invalid-connection-string] destination.pg2.credentials: the string has a port `54x2` that is not a number
                secrets.toml:8:15 error [invalid-connection-string] destination.pg3.credentials: the string has the scheme `mysql`, expected `postgresql://` or `postgres://`
                secrets.toml:11:15 error [invalid-connection-string] destination.pg4.credentials: the string is not a connection string (expected postgresql://user:password@host:port/database)
                secrets.toml:22:15 error [invalid-connection-string] destination.bigquery.credentials: the string is not a JSON document (a service-account or OAuth key file's content)
                secrets.toml:27:15 error [invalid-connection-string] destination.weaviate.credentials: WeaviateCredentials cannot be given as a string; write a table of its fields instead
                secrets.toml:36:15 error [invalid-connection-string] destination.lake.credentials: AwsCredentials cannot be given as a string; write a table of its fields instead
            "#]],
        );
    }

    #[test]
    fn per_profile_required_credentials() {
        check(
            r#"
//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "postgres"
[destination.warehouse.credentials]
host = "db.internal"
database = "analytics"
//- .dlt/dev.secrets.toml
[destination.warehouse.credentials]
username = "me"
password = "dev-secret"
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
username = "loader"
//- .dlt/access.config.toml
[runtime]
log_level = "INFO"
//- .dlt/secrets.toml
[destination.pond]
destination_type = "duckdb"
"#,
            expect![[r#"
                config.toml:2:20 warning [missing-credentials] with profile `access`, `warehouse` (postgres) has no value (placeholders do not count) for destination.warehouse.credentials.password, destination.warehouse.credentials.username: dlt will fail to use it. Set them in access.secrets.toml or secrets.toml, or in the environment as DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD, DESTINATION__WAREHOUSE__CREDENTIALS__USERNAME
                config.toml:2:20 warning [missing-credentials] with profile `prod`, `warehouse` (postgres) has no value (placeholders do not count) for destination.warehouse.credentials.password: dlt will fail to use it. Set it in prod.secrets.toml or secrets.toml, or in the environment as DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD
            "#]],
        );
    }

    #[test]
    fn shorter_paths_env_and_native_strings_count_as_set() {
        let fx = r#"
//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "postgres"
//- .dlt/prod.secrets.toml
[destination.warehouse]
credentials = "postgresql://loader:pw@db/analytics"
//- .dlt/tests.secrets.toml
[destination.credentials]
host = "h"
database = "d"
username = "u"
[credentials]
password = "p"
//- .dlt/staging.secrets.toml
[destination.warehouse.credentials]
host = "h"
database = "d"
username = "u"
"#;
        let snap = fixture(fx);
        let folder = snap.folders.values().next().unwrap();
        let values = FolderValues::new(&snap, folder);
        assert_eq!(values.profiles(), ["prod", "staging", "tests"]);
        let password = ["destination", "warehouse", "credentials", "password"];
        assert!(values.is_set("prod", &password));
        assert!(values.is_set("tests", &password));
        assert!(!values.is_set("staging", &password));
        let mut env_snap = snap.clone();
        let mut ctx = (*env_snap.context).clone();
        ctx.env.insert("CREDENTIALS__PASSWORD".into(), "p".into());
        env_snap.context = std::sync::Arc::new(ctx);
        let values = FolderValues::new(&env_snap, folder);
        assert!(values.is_set("staging", &password));
        // A plain project has no profiles, so nothing is checked per profile.
        let plain =
            fixture("//- .dlt/config.toml\n[destination.w]\ndestination_type = \"postgres\"\n");
        let folder = plain.folders.values().next().unwrap();
        assert!(FolderValues::new(&plain, folder).profiles().is_empty());
    }

    #[test]
    fn sections_are_checked_only_where_closed() {
        check(
            r#"
//- .dlt/config.toml
[runtime]
log_levl = "INFO"
workspace_id = "w"
[normalize]
workers = 2
[normalize.data_writer]
buffer_max_items = 100
buffr_max_items = 100
[load]
delete_completed_jobs = true
[extract]
max_paralel_items = 3
[sources.my_source]
anything = 1
[my_pipeline.destination.postgres]
whatever = true
[pipelines.my_pipe]
custom = 1
[schema]
naming = "snake_case"
[destination]
dataset_name = "x"
[destination.credentials]
password = "shared"
[destination.my_sink]
anything = 1
"#,
            expect![[r#"
                config.toml:2:1 warning [unknown-key] `log_levl` is not a key of runtime (RuntimeConfiguration); dlt ignores it. Did you mean `log_level`?
                config.toml:3:1 warning [unknown-key] `workspace_id` is not a key of runtime (RuntimeConfiguration); dlt ignores it (it is read only in a dltHub workspace, with .dlt/.workspace)
                config.toml:8:1 warning [unknown-key] `buffr_max_items` is not a key of normalize.data_writer (BufferedDataWriter.BufferedDataWriterConfiguration); dlt ignores it. Did you mean `buffer_max_items`?
                config.toml:12:1 warning [unknown-key] `max_paralel_items` is not a key of extract (PipeIterator.PipeIteratorConfiguration); dlt ignores it. Did you mean `max_parallel_items`?
            "#]],
        );
    }

    #[test]
    fn workspace_sections() {
        check(
            r#"
//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
workspace_id = "w"
log_level = "INFO"
[workspace.settings]
name = "demo"
nmae = "x"
[workspace.something_else]
free = true
"#,
            expect![[r#"
                config.toml:6:1 warning [unknown-key] `nmae` is not a key of workspace.settings (WorkspaceSettings); dlt ignores it. Did you mean `name`?
            "#]],
        );
    }

    #[test]
    fn a_profile_file_sees_its_profiles_destination_type() {
        check(
            r#"
//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "duckdb"
[destination.warehouse.credentials]
database = "local.duckdb"
//- .dlt/prod.config.toml
[destination.warehouse]
destination_type = "postgres"
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
host = "h"
database = "d"
username = "u"
password = "p"
sslmode = "require"
"#,
            expect![[r#"
                prod.secrets.toml:6:1 warning [unknown-key] `sslmode` is not a key of destination.warehouse.credentials (postgres); dlt ignores it. Driver options go in the `query` table: query.sslmode = …
            "#]],
        );
    }

    #[test]
    fn another_resolver_can_answer_for_the_files() {
        let snap = fixture(
            "//- .dlt/.workspace\n//- .dlt/config.toml\n[destination.lake]\ndestination_type = \"filesystem\"\nbucket_url = \"sftp://host/dir\"\n[destination.warehouse]\ndestination_type = \"postgres\"\n",
        );
        let folder = snap.folders.values().next().unwrap();
        let file = folder.file("config.toml").unwrap();
        let scope = Scope::new(folder, file, &snap.context.env);
        // Pretends `ci` sets everything but passwords; SFTP credentials need none.
        let values = FnValues {
            profiles: vec!["ci".into()],
            is_set: |_: &str, path: &[&str]| !path.last().is_some_and(|k| k.ends_with("password")),
        };
        let mut out = Vec::new();
        missing_credentials(&scope, &values, &mut out);
        let messages: Vec<&str> = out.iter().map(|d| d.message.as_str()).collect();
        expect![[r#"
            [
                "with profile `ci`, `warehouse` (postgres) has no value (placeholders do not count) for destination.warehouse.credentials.password: dlt will fail to use it. Set it in ci.secrets.toml or secrets.toml, or in the environment as DESTINATION__WAREHOUSE__CREDENTIALS__PASSWORD",
            ]
        "#]]
        .assert_debug_eq(&messages);
    }

    #[test]
    fn a_file_with_syntax_errors_gets_no_spec_findings() {
        check(
            "//- .dlt/secrets.toml\n[destination.duckdb\npassword = \"x\"\n",
            expect![[r#""#]],
        );
    }

    #[test]
    fn url_parsing_like_sqlalchemy() {
        let cases = [
            ("postgresql://u:p@h:5432/db", Ok("postgresql")),
            ("postgresql+psycopg2://u@h/db", Ok("postgresql+psycopg2")),
            ("postgresql://u:p:w@h/db", Ok("postgresql")),
            ("postgresql://u:p/w@h:1/db", Ok("postgresql")),
            (
                "postgresql://h:abc/db",
                Err("has a port `abc` that is not a number"),
            ),
            ("postgresql://[::1]:5432/db", Ok("postgresql")),
            ("post gres://h/db", Err("has an invalid scheme `post gres`")),
            ("postgresql:/h/db", Err("has no `scheme://`")),
            ("postgresql://", Ok("postgresql")),
        ];
        for (url, want) in cases {
            let got = parse_url(url);
            assert_eq!(got.as_deref().map_err(String::as_str), want, "{url}");
        }
    }
}
