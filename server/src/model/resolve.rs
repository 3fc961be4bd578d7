//! Where dlt 1.31 finds the value of a key under a profile (`common/configuration/resolve.py`):
//! providers are the outer loop (environment, merged secrets files, merged config files), the
//! lookup paths of the spec that owns the field the inner one, and an optional pipeline-prefixed
//! pass runs first. Also: every place that sets a key, and what shadows one file's value.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::files::{FileKind, FileRole};
use super::profiles::{self, Layer};
use super::source::SourceFile;
use super::toml::{Node, Scalar, Span, Table, Value};
use super::workspace::{DltFolder, Snapshot};

/// Top-level sections where dlt also tries `<top>.<name>` (`COMPACT_LAYOUT_SECTIONS`).
const COMPACT_LAYOUT_SECTIONS: &[&str] = &["sources"];

/// Secret-typed fields beyond the credentials and `[runtime]` ones that `model::secrets` lists:
/// the pipeline salt, iceberg's `credential`, duckdb's `statements`.
const OTHER_SECRET_FIELDS: &[&str] = &["pipeline_salt", "credential", "statements"];

/// Whether a field name is secret-typed in dlt, by name (one list, in `model::secrets`).
pub fn is_secret_field(name: &str) -> bool {
    use super::secrets::{GENERIC_SECRET_FIELDS, RUNTIME_SECRET_FIELDS};
    // Suffixes catch spec fields named after these (`sftp_password`, `azure_client_secret`)
    // without masking flags like `enable_airflow_secrets`.
    GENERIC_SECRET_FIELDS.contains(&name)
        || RUNTIME_SECRET_FIELDS.contains(&name)
        || OTHER_SECRET_FIELDS.contains(&name)
        || name.ends_with("password")
        || name.ends_with("secret")
}

/// The three providers dlt asks, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// Environment variables.
    Env,
    /// The merged `*secrets.toml` files.
    Secrets,
    /// The merged `*config.toml` files.
    Config,
}

impl ProviderKind {
    /// The file kind a TOML provider merges.
    pub fn file_kind(self) -> Option<FileKind> {
        match self {
            ProviderKind::Env => None,
            ProviderKind::Secrets => Some(FileKind::Secrets),
            ProviderKind::Config => Some(FileKind::Config),
        }
    }
}

/// How dlt looks up one field: the sections of the spec that owns it (`_build_section_lookup_paths`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The key as written, dotted segments.
    pub written: Vec<String>,
    /// Explicit sections, popped from the right.
    pub explicit: Vec<String>,
    /// Embedded sections, appended to the explicit ones and popped first.
    pub embedded: Vec<String>,
    /// The spec's own section, never popped.
    pub config_section: Option<String>,
    /// The field name.
    pub key: String,
    /// Read with an exact-path lookup (`dlt.config.get`), no fallback and no pipeline pass.
    pub exact: bool,
    /// Whether the field is secret-typed; name-based for now, the catalog may refine it.
    pub secret: bool,
    /// Why the layout was chosen, for display.
    pub layout: Layout,
}

/// Which spec layout a key was classified as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// `destination.<name>.<f>` → `destination.<f>` → `<f>`.
    DestinationConfig,
    /// `destination.<name>.credentials.<f>` → `destination.credentials.<f>` → `credentials.<f>`.
    DestinationCredentials,
    /// `destination.<name>.credentials` as a whole (native value or table).
    WholeCredentials,
    /// `destination.<name>.destination_type`, exact path.
    DestinationType,
    /// `[runtime]`: `workspace.runtime.<k>` → `runtime.<k>` in a workspace.
    Runtime,
    /// `[workspace.settings]`: `workspace.settings.<k>` → `settings.<k>`.
    WorkspaceSettings,
    /// Source arguments, with the compact `sources.<name>` layout.
    Sources,
    /// Anything else: sections popped from the right (or an exact path for a table).
    Generic,
}

impl Lookup {
    /// Classifies a key as written in a file (or typed by a user) by the spec dlt would read it with.
    /// `workspace` selects the workspace layout of `[runtime]` and `[workspace.settings]`.
    pub fn classify(path: &[String], workspace: bool) -> Option<Lookup> {
        let (key, sections) = path.split_last()?;
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let mk = |explicit: Vec<String>,
                  config_section: Option<&str>,
                  key: &str,
                  layout: Layout| Lookup {
            written: path.to_vec(),
            explicit,
            embedded: Vec::new(),
            config_section: config_section.map(str::to_string),
            key: key.to_string(),
            exact: false,
            secret: is_secret_field(key) || key == "credentials",
            layout,
        };
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let lookup = match p.as_slice() {
            ["destination", name, "destination_type"] if *name != "credentials" => Lookup {
                exact: true,
                ..mk(
                    s(&["destination", name]),
                    None,
                    "destination_type",
                    Layout::DestinationType,
                )
            },
            ["destination", name, "credentials"] => mk(
                s(&["destination", name]),
                None,
                "credentials",
                Layout::WholeCredentials,
            ),
            ["destination", "credentials"] => mk(
                s(&["destination"]),
                None,
                "credentials",
                Layout::WholeCredentials,
            ),
            ["credentials"] => mk(vec![], None, "credentials", Layout::WholeCredentials),
            ["destination", name, "credentials", f] => mk(
                s(&["destination", name]),
                Some("credentials"),
                f,
                Layout::DestinationCredentials,
            ),
            ["destination", "credentials", f] => mk(
                s(&["destination"]),
                Some("credentials"),
                f,
                Layout::DestinationCredentials,
            ),
            ["credentials", f] => mk(
                vec![],
                Some("credentials"),
                f,
                Layout::DestinationCredentials,
            ),
            ["destination", _, f] | ["destination", f] => {
                mk(sections.to_vec(), None, f, Layout::DestinationConfig)
            }
            ["runtime", k] if workspace => {
                mk(s(&["workspace"]), Some("runtime"), k, Layout::Runtime)
            }
            ["runtime", k] => mk(vec![], Some("runtime"), k, Layout::Runtime),
            ["workspace", sec @ ("runtime" | "settings"), k] if workspace => {
                let layout = if *sec == "runtime" {
                    Layout::Runtime
                } else {
                    Layout::WorkspaceSettings
                };
                mk(s(&["workspace"]), Some(sec), k, layout)
            }
            ["settings", k] if workspace => mk(
                s(&["workspace"]),
                Some("settings"),
                k,
                Layout::WorkspaceSettings,
            ),
            _ => {
                let layout = if p[0] == "sources" {
                    Layout::Sources
                } else {
                    Layout::Generic
                };
                // An embedded credentials spec keeps its section while the outer ones are popped.
                if sections.len() >= 2 && sections[sections.len() - 1] == "credentials" {
                    mk(
                        sections[..sections.len() - 1].to_vec(),
                        Some("credentials"),
                        key,
                        layout,
                    )
                } else {
                    mk(sections.to_vec(), None, key, layout)
                }
            }
        };
        Some(lookup)
    }

    /// The section paths with the key appended, most specific first, without a pipeline prefix.
    pub fn paths(&self) -> Vec<Vec<String>> {
        let tail = |mut v: Vec<String>| {
            v.extend(self.config_section.clone());
            v.push(self.key.clone());
            v
        };
        if self.exact {
            let mut v = self.explicit.clone();
            v.extend(self.embedded.iter().cloned());
            return vec![tail(v)];
        }
        let mut ns: Vec<String> = self
            .explicit
            .iter()
            .chain(&self.embedded)
            .cloned()
            .collect();
        let mut out = Vec::new();
        loop {
            out.push(tail(ns.clone()));
            if ns.pop().is_none() {
                break;
            }
        }
        let e = &self.explicit;
        if e.len() >= 3 && COMPACT_LAYOUT_SECTIONS.contains(&e[0].as_str()) && e[1] != e[2] {
            let mut compact = vec![e[0].clone(), e[2].clone()];
            compact.extend(self.embedded.iter().cloned());
            let compact = tail(compact);
            if !out.contains(&compact) {
                out.insert(2, compact);
            }
        }
        out
    }

    /// The passes dlt runs: with the pipeline name as first section, then without.
    pub fn passes<'p>(&self, pipeline: Option<&'p str>) -> Vec<Option<&'p str>> {
        match pipeline.filter(|p| !p.is_empty() && !self.exact) {
            Some(p) => vec![Some(p), None],
            None => vec![None],
        }
    }

    /// Every path dlt probes, pipeline-prefixed ones first.
    pub fn all_paths(&self, pipeline: Option<&str>) -> Vec<Vec<String>> {
        let paths = self.paths();
        let mut out = Vec::new();
        for pass in self.passes(pipeline) {
            for p in &paths {
                out.push(prefixed(pass, p));
            }
        }
        out
    }
}

fn prefixed(pipeline: Option<&str>, path: &[String]) -> Vec<String> {
    pipeline
        .map(str::to_string)
        .into_iter()
        .chain(path.iter().cloned())
        .collect()
}

/// The environment variable dlt reads for a path (`EnvironProvider.get_key_name`).
pub fn env_var_name<S: AsRef<str>>(path: &[S]) -> String {
    let len = path.iter().map(|s| s.as_ref().len() + 2).sum::<usize>();
    let mut var = String::with_capacity(len);
    for (i, segment) in path.iter().enumerate() {
        if i > 0 {
            var.push_str("__");
        }
        var.push_str(segment.as_ref());
    }
    // One buffer, upper-cased in place when ASCII (keys nearly always are): the rules ask for
    // the variable of every key they look up (issue 7).
    if var.is_ascii() {
        var.make_ascii_uppercase();
        var
    } else {
        var.to_uppercase()
    }
}

/// A value as dlt's merged providers hold it.
#[derive(Clone, PartialEq)]
pub enum Val {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(String),
    Array(Vec<Val>),
    /// A table, possibly merged from several files, in key order of first appearance.
    Table(Vec<(String, Val)>),
    /// A value the parser could not read.
    Invalid,
}

impl std::fmt::Debug for Val {
    // Values may be secrets: a debug print (logs, test failures) never shows them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Val::Table(entries) => f
                .debug_list()
                .entries(entries.iter().map(|(k, _)| k))
                .finish(),
            Val::Array(items) => write!(f, "Array({} items)", items.len()),
            _ => f.write_str("Val(..)"),
        }
    }
}

impl Val {
    /// Converts a parsed node.
    pub fn of(node: &Node) -> Val {
        match &node.value {
            Value::Scalar(Scalar::Str(s)) => Val::Str(s.clone()),
            Value::Scalar(Scalar::Int(i)) => Val::Int(*i),
            Value::Scalar(Scalar::Float(x)) => Val::Float(*x),
            Value::Scalar(Scalar::Bool(b)) => Val::Bool(*b),
            Value::Scalar(Scalar::DateTime(d)) => Val::DateTime(d.clone()),
            Value::Array(items) => Val::Array(items.iter().map(Val::of).collect()),
            Value::Table(t) => merge_tables(&[t]),
            Value::Invalid => Val::Invalid,
        }
    }

    /// The value as TOML source text (tables inline), unmasked.
    pub fn to_toml(&self) -> String {
        match self {
            Val::Str(s) => format!("{s:?}"),
            Val::Int(i) => i.to_string(),
            Val::Float(x) => x.to_string(),
            Val::Bool(b) => b.to_string(),
            Val::DateTime(d) => d.clone(),
            Val::Array(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Val::to_toml)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Val::Table(entries) => format!(
                "{{ {} }}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{k} = {}", v.to_toml()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Val::Invalid => "<invalid>".to_string(),
        }
    }

    /// The value as JSON, unmasked.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Val::Str(s) | Val::DateTime(s) => J::String(s.clone()),
            Val::Int(i) => J::from(*i),
            Val::Float(x) => serde_json::Number::from_f64(*x)
                .map(J::Number)
                .unwrap_or(J::Null),
            Val::Bool(b) => J::Bool(*b),
            Val::Array(items) => J::Array(items.iter().map(Val::to_json).collect()),
            Val::Table(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
            Val::Invalid => J::Null,
        }
    }
}

/// Deep-merges tables, highest precedence first, as `update_dict_nested` folds dlt's files:
/// tables merge key by key, anything else (scalars, lists) is taken whole from the highest file.
pub fn merge_tables(tables: &[&Table]) -> Val {
    let mut keys: Vec<&String> = Vec::new();
    for t in tables {
        for k in t.entries.keys() {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
    }
    let entries = keys
        .into_iter()
        .map(|k| {
            let nodes: Vec<&Node> = tables.iter().filter_map(|t| t.get(k)).collect();
            let v = match nodes[0].as_table() {
                // Lower tables merge in even past a scalar between them: the fold goes top-down.
                Some(_) => merge_tables(
                    &nodes
                        .iter()
                        .filter_map(|n| n.as_table())
                        .collect::<Vec<_>>(),
                ),
                None => Val::of(nodes[0]),
            };
            (k.clone(), v)
        })
        .collect();
    Val::Table(entries)
}

/// The fields a connection string sets, as dlt's `ConnectionStringCredentials` parses it
/// (SQLAlchemy's URL form `drivername://username:password@host:port/database?query`); `None`
/// when the string is not a URL. Only fields present in the string are returned.
pub fn parse_connection_string(s: &str) -> Option<Vec<(&'static str, Val)>> {
    let (scheme, rest) = s.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+')
    {
        return None;
    }
    let mut out = vec![("drivername", Val::Str(scheme.to_string()))];
    let (mut rest, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    // Userinfo: a username without ':' or '/', an optional password without '@', then '@'.
    let user_end = rest.find([':', '/']).unwrap_or(rest.len());
    let user = &rest[..user_end];
    let after_user = &rest[user_end..];
    let userinfo = if let Some(pw) = after_user.strip_prefix(':') {
        pw.find('@')
            .map(|at| (user.to_string(), Some(&pw[..at]), &pw[at + 1..]))
    } else {
        None
    };
    let userinfo = userinfo.or_else(|| {
        user.find('@')
            .map(|at| (user[..at].to_string(), None, &rest[at + 1..]))
    });
    if let Some((username, password, remaining)) = userinfo {
        if !username.is_empty() {
            out.push(("username", Val::Str(percent_decode(&username))));
        }
        if let Some(pw) = password.filter(|p| !p.is_empty()) {
            out.push(("password", Val::Str(percent_decode(pw))));
        }
        rest = remaining;
    }
    let host_end = if rest.starts_with('[') {
        rest.find(']').map(|i| i + 1).unwrap_or(rest.len())
    } else {
        rest.find([':', '/']).unwrap_or(rest.len())
    };
    let host = rest[..host_end]
        .trim_start_matches('[')
        .trim_end_matches(']');
    if !host.is_empty() {
        out.push(("host", Val::Str(host.to_string())));
    }
    rest = &rest[host_end..];
    if let Some(port) = rest.strip_prefix(':') {
        let end = port.find('/').unwrap_or(port.len());
        if let Ok(n) = port[..end].parse::<i64>() {
            out.push(("port", Val::Int(n)));
        }
        rest = &port[end..];
    }
    if let Some(db) = rest.strip_prefix('/').filter(|d| !d.is_empty()) {
        out.push(("database", Val::Str(db.to_string())));
    }
    if let Some(q) = query.filter(|q| !q.is_empty()) {
        let pairs = q
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (percent_decode(k), Val::Str(percent_decode(v)))
            })
            .collect();
        out.push(("query", Val::Table(pairs)));
    }
    Some(out)
}

/// Decodes `%XX` escapes, as SQLAlchemy does for the user name and password.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Where an effective value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A TOML file of the folder or the global dir.
    File {
        path: PathBuf,
        /// File name, `prod.secrets.toml`.
        name: String,
        layer: Layer,
        /// The key segment that sets the value.
        span: Span,
        /// 1-based line of `span`.
        line: u32,
    },
    /// An environment variable.
    Env { name: String },
}

impl Origin {
    /// Whether it is a file of the global dir.
    pub fn is_global(&self) -> bool {
        matches!(self, Origin::File { layer, .. } if layer.is_global())
    }

    /// `file:line` (global files as dlt names them, `global:config.toml`) or `env NAME`.
    pub fn label(&self) -> String {
        match self {
            Origin::File {
                name, line, layer, ..
            } if layer.is_global() => format!("global:{name}:{line}"),
            Origin::File { name, line, .. } => format!("{name}:{line}"),
            Origin::Env { name } => format!("env {name}"),
        }
    }
}

/// The value dlt resolves for a key under one profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub provider: ProviderKind,
    pub value: Val,
    pub origin: Origin,
    /// The lookup path that answered, with the pipeline name first in the pipeline pass.
    pub path: Vec<String>,
    /// Whether it was found in the pipeline-prefixed pass.
    pub pipeline_pass: bool,
    /// The field was parsed out of a native credentials value (a connection string).
    pub native: bool,
}

/// The merged view of one TOML provider: its files, highest precedence first.
fn lookup_merged(
    files: &[(Layer, Arc<SourceFile>)],
    path: &[String],
) -> Option<(usize, Val, Span)> {
    let mut tables: Vec<(usize, &Table)> = files
        .iter()
        .enumerate()
        .map(|(i, (_, f))| (i, f.doc.root()))
        .collect();
    for (depth, seg) in path.iter().enumerate() {
        let nodes: Vec<(usize, &Node)> = tables
            .iter()
            .filter_map(|(i, t)| Some((*i, t.get(seg)?)))
            .collect();
        let (top_idx, top) = *nodes.first()?;
        if depth + 1 == path.len() {
            if top.as_table().is_none() {
                return Some((top_idx, Val::of(top), top.key_span));
            }
            let tables: Vec<(usize, &Node)> =
                nodes.into_iter().filter(|(_, n)| n.is_table()).collect();
            let value = merge_tables(
                &tables
                    .iter()
                    .filter_map(|(_, n)| n.as_table())
                    .collect::<Vec<_>>(),
            );
            // dlt keeps the lowest file's table object when merging, so that file is the origin
            // it reports for a merged table (`_doc_origins` folded by `update_dict_nested`).
            let (origin_idx, origin) = *tables.last()?;
            return Some((origin_idx, value, origin.key_span));
        }
        // A higher scalar or list replaces lower tables, so the path ends there.
        top.as_table()?;
        tables = nodes
            .iter()
            .filter_map(|(i, n)| Some((*i, n.as_table()?)))
            .collect();
    }
    None
}

fn file_origin(layer: Layer, file: &SourceFile, span: Span) -> Origin {
    Origin::File {
        path: file.path.clone(),
        name: file.name.clone(),
        layer,
        span,
        line: file
            .line_index()
            .line_col(&file.text, span.start as usize, super::text::Encoding::Utf8)
            .line
            + 1,
    }
}

/// One place in a file that sets a key at one of its lookup paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub origin: Origin,
    /// The lookup path written there.
    pub path: Vec<String>,
}

/// How one file's value of a key fares under a profile.
#[derive(Debug, Clone, PartialEq)]
pub enum FileStatus {
    /// dlt does not read the file under this profile (another profile's file, or a classic project).
    NotRead,
    /// The file's value is the effective one.
    Effective,
    /// The file's table is merged into the effective table.
    Merged,
    /// Another source answers first.
    ShadowedBy(Found),
    /// The file does not set the key.
    Absent,
}

/// Everything resolution needs besides the key: one folder, the global dir, the environment.
#[derive(Debug, Clone, Copy)]
pub struct Resolver<'a> {
    pub folder: &'a DltFolder,
    pub global: Option<&'a DltFolder>,
    pub env: &'a BTreeMap<String, String>,
    pub pipeline: Option<&'a str>,
}

impl<'a> Resolver<'a> {
    /// A resolver for `folder` with the snapshot's context and global dir.
    pub fn new(snapshot: &'a Snapshot, folder: &'a DltFolder) -> Resolver<'a> {
        Resolver {
            folder,
            global: snapshot.global.as_deref(),
            env: &snapshot.context.env,
            pipeline: snapshot.context.pipeline_name.as_deref(),
        }
    }

    /// The value dlt uses for `lookup` when `profile` is active (ignored in a classic project).
    pub fn resolve(&self, lookup: &Lookup, profile: &str) -> Option<Found> {
        // dlt first looks up the whole credentials; a native value (not a table) is parsed and
        // the fields it sets are explicit, beating any provider's value for the field itself
        // (`_maybe_parse_native_value`).
        if lookup.config_section.as_deref() == Some("credentials") && !lookup.exact {
            let whole = Lookup {
                config_section: None,
                key: "credentials".to_string(),
                layout: Layout::WholeCredentials,
                secret: true,
                ..lookup.clone()
            };
            if let Some(found) = self.resolve_plain(&whole, profile) {
                if let Val::Str(native) = &found.value {
                    let field = parse_connection_string(native)
                        .and_then(|fields| fields.into_iter().find(|(k, _)| *k == lookup.key));
                    if let Some((_, value)) = field {
                        return Some(Found {
                            value,
                            native: true,
                            ..found
                        });
                    }
                }
            }
        }
        self.resolve_plain(lookup, profile)
    }

    /// Provider by provider, path by path, without native values.
    fn resolve_plain(&self, lookup: &Lookup, profile: &str) -> Option<Found> {
        let paths = lookup.paths();
        let secrets =
            profiles::provider_files(self.folder, self.global, profile, FileKind::Secrets);
        let config = profiles::provider_files(self.folder, self.global, profile, FileKind::Config);
        for pass in lookup.passes(self.pipeline) {
            // The pass's paths, built once for the three providers.
            let fulls: Vec<Vec<String>> = paths.iter().map(|p| prefixed(pass, p)).collect();
            for provider in [
                ProviderKind::Env,
                ProviderKind::Secrets,
                ProviderKind::Config,
            ] {
                for full in &fulls {
                    let hit = match provider {
                        ProviderKind::Env => {
                            let name = env_var_name(full);
                            self.env
                                .get(&name)
                                .map(|v| (Val::Str(v.clone()), Origin::Env { name }))
                        }
                        ProviderKind::Secrets | ProviderKind::Config => {
                            let files = if provider == ProviderKind::Secrets {
                                &secrets
                            } else {
                                &config
                            };
                            lookup_merged(files, full).map(|(i, v, span)| {
                                let (layer, file) = &files[i];
                                (v, file_origin(*layer, file, span))
                            })
                        }
                    };
                    if let Some((value, origin)) = hit {
                        return Some(Found {
                            provider,
                            value,
                            origin,
                            path: full.clone(),
                            pipeline_pass: pass.is_some(),
                            native: false,
                        });
                    }
                }
            }
        }
        None
    }

    /// Every place in the folder's files and the global dir that sets `lookup` at any of its
    /// paths (files dlt reads under some profile; misnamed files are left out).
    pub fn sites(&self, lookup: &Lookup) -> Vec<Site> {
        let paths = lookup.all_paths(self.pipeline);
        let mut out = Vec::new();
        let dirs = [(self.folder, false)]
            .into_iter()
            .chain(self.global.map(|g| (g, true)));
        for (dir, global) in dirs {
            for file in dir.files.values() {
                let layer = match (&file.role, global) {
                    (FileRole::Base(_), false) => Layer::Base,
                    (FileRole::Profile { .. }, false) => Layer::Profile,
                    (FileRole::Base(_), true) => Layer::GlobalBase,
                    (FileRole::Profile { .. }, true) => Layer::GlobalProfile,
                    _ => continue,
                };
                for path in &paths {
                    if let Some(node) = file.doc.root().get_path(path) {
                        out.push(Site {
                            origin: file_origin(layer, file, node.key_span),
                            path: path.clone(),
                        });
                    }
                }
            }
        }
        out
    }

    /// Classifies a key as written in a file of this folder; with a pipeline set, a leading
    /// pipeline name is dlt's pipeline-prefixed spelling of the same key. A key that is a table
    /// in the folder is not a spec field (whole credentials aside): it is looked up at exactly
    /// its path, so `[destination.warehouse]` is not read as a fallback field `warehouse`.
    pub fn classify(&self, path: &[String]) -> Option<Lookup> {
        let stripped = match self.pipeline {
            Some(p) if path.len() > 1 && path[0] == p => &path[1..],
            _ => path,
        };
        let mut lookup = Lookup::classify(stripped, self.folder.is_workspace)?;
        let dirs = [Some(self.folder), self.global];
        let table = dirs
            .iter()
            .flatten()
            .flat_map(|d| d.files.values())
            .any(|f| f.doc.root().get_path(path).is_some_and(|n| n.is_table()));
        if table && lookup.layout != Layout::WholeCredentials {
            lookup.exact = true;
            lookup.layout = Layout::Generic;
        }
        Some(lookup)
    }

    /// How the value `file` writes at `at` (a path of `lookup`, as written) fares under `profile`.
    pub fn file_status(
        &self,
        lookup: &Lookup,
        at: &[String],
        profile: &str,
        file: &SourceFile,
    ) -> FileStatus {
        self.status_with(|| self.resolve(lookup, profile), at, profile, file)
    }

    /// Like [`Resolver::file_status`] when the value `profile` resolves to is known already
    /// (`found`, from [`Resolver::resolve`]): a hover resolves each profile once, not once more
    /// for the file it is on.
    pub fn file_status_given(
        &self,
        found: Option<&Found>,
        at: &[String],
        profile: &str,
        file: &SourceFile,
    ) -> FileStatus {
        self.status_with(|| found.cloned(), at, profile, file)
    }

    /// [`Resolver::file_status`] with the resolved value asked of `found` only when the file is
    /// read under `profile` and sets `at`.
    fn status_with(
        &self,
        found: impl FnOnce() -> Option<Found>,
        at: &[String],
        profile: &str,
        file: &SourceFile,
    ) -> FileStatus {
        // Same rule for local and global files: base files always, profile files in a workspace.
        let read = match &file.role {
            FileRole::Base(_) => true,
            FileRole::Profile { profile: p, .. } => self.folder.is_workspace && p == profile,
            _ => false,
        };
        if !read {
            return FileStatus::NotRead;
        }
        let Some(node) = file.doc.root().get_path(at) else {
            return FileStatus::Absent;
        };
        let Some(found) = found() else {
            return FileStatus::Absent;
        };
        match &found.origin {
            Origin::File { path, span, .. } if *path == file.path && *span == node.key_span => {
                FileStatus::Effective
            }
            Origin::File { .. }
                if node.is_table()
                    && matches!(found.value, Val::Table(_))
                    && found.path == at
                    && found.provider.file_kind() == file.role.kind() =>
            {
                FileStatus::Merged
            }
            _ => FileStatus::ShadowedBy(found),
        }
    }
}

/// Splits a dotted key typed by a user; quoted segments (`a."b.c".d`) keep their dots.
pub fn parse_dotted(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in key.chars() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '.') => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

#[cfg(test)]
mod tests;
