//! Which values of a `.dlt` file are secrets, and why.
//!
//! Three independent reasons make a value a secret (issue 3): dlt's specs type the field as
//! secret (then a config file cannot hold it at all), the key is named like a secret, or the value
//! looks like one whatever its key. Placeholders are never secrets, and a
//! `# dlt-lsp: allow-secret` or `gitleaks:allow` comment on the value's line silences the leak
//! finding for that value.

use std::collections::BTreeMap;

use super::files::{FileKind, FileRole};
use super::resolve::env_var_name;
use super::source::SourceFile;
use super::toml::{Def, Node, Scalar, Span, Table, Value};
use super::workspace::DltFolder;

/// Comment markers that silence one secret finding on their line.
pub const ALLOW_MARKERS: &[&str] = &["dlt-lsp: allow-secret", "gitleaks:allow"];

/// Why a value counts as a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// dlt's spec types the field as secret (`TSecretValue` or a credentials object).
    SecretTyped,
    /// Whole credentials given natively, as a connection string or JSON.
    NativeCredentials,
    /// The key is named like a secret (`password`, `token`, `*_secret*` …).
    KeyName,
    /// The value looks like a secret whatever its key.
    Pattern(ValuePattern),
}

/// Shapes of values that are secrets wherever they appear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ValuePattern {
    UrlWithPassword,
    AwsAccessKey,
    GitHubToken,
    GitLabToken,
    SlackToken,
    SlackWebhook,
    PemPrivateKey,
    Jwt,
    GcpServiceAccount,
}

impl ValuePattern {
    /// What the value is, for messages (never the value itself).
    pub fn describe(self) -> &'static str {
        match self {
            ValuePattern::UrlWithPassword => "a connection URL with a password",
            ValuePattern::AwsAccessKey => "an AWS access key",
            ValuePattern::GitHubToken => "a GitHub token",
            ValuePattern::GitLabToken => "a GitLab token",
            ValuePattern::SlackToken => "a Slack token",
            ValuePattern::SlackWebhook => "a Slack webhook URL",
            ValuePattern::PemPrivateKey => "a PEM private key",
            ValuePattern::Jwt => "a JSON Web Token",
            ValuePattern::GcpServiceAccount => "a GCP service-account key",
        }
    }
}

impl Reason {
    /// What the value is, for messages (never the value itself).
    pub fn describe(self) -> &'static str {
        match self {
            Reason::SecretTyped => "a field dlt types as secret",
            Reason::NativeCredentials => "credentials given as one string",
            Reason::KeyName => "a value whose key names a secret",
            Reason::Pattern(p) => p.describe(),
        }
    }
}

/// One value of a file that is (or is a placeholder for) a secret.
#[derive(Debug, Clone, PartialEq)]
pub struct SecretValue {
    /// Key path from the root, e.g. `destination.postgres.credentials.password`.
    pub path: Vec<String>,
    /// The key's last segment.
    pub key_span: Span,
    /// The value alone, without a trailing comment.
    pub value_span: Span,
    /// The whole `key = value` entry.
    pub entry_span: Span,
    /// The strongest reason; a value may have several.
    pub reason: Reason,
    /// dlt refuses this value in a config file (`ValueNotSecretException`), placeholder or not.
    pub secret_typed: bool,
    /// Empty, `<configure me>`, templated or an obvious placeholder: not a leak.
    pub placeholder: bool,
    /// A `# dlt-lsp: allow-secret` / `gitleaks:allow` comment is on the value's line.
    pub allowed: bool,
}

impl SecretValue {
    /// A real secret someone could leak: not a placeholder, not allowed by a comment.
    pub fn is_leakable(&self) -> bool {
        !self.placeholder && !self.allowed
    }

    /// The environment variable dlt would read for this key instead.
    pub fn env_var(&self) -> String {
        env_var_name(&self.path)
    }
}

/// A `[...credentials]` table (or inline table) in a file, which dlt reads as a whole first.
#[derive(Debug, Clone, PartialEq)]
pub struct CredentialsTable {
    /// Key path from the root, ending in `credentials`.
    pub path: Vec<String>,
    /// The `credentials` key segment.
    pub key_span: Span,
    /// The header (or inline table) with the entries of its section.
    pub full_span: Span,
    /// Whether it is written as `[header]` (a section) rather than inline or dotted.
    pub def: Def,
}

/// The secrets of one file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileSecrets {
    /// Secret (and placeholder) values, in file order.
    pub values: Vec<SecretValue>,
    /// `[...credentials]` tables, which dlt reads as a whole first.
    pub credentials_tables: Vec<CredentialsTable>,
}

impl FileSecrets {
    /// Values that are real secrets (not placeholders, not allowed).
    pub fn leakable(&self) -> impl Iterator<Item = &SecretValue> {
        self.values.iter().filter(|v| v.is_leakable())
    }
}

/// Destination types of the folder's named destinations (`destination.<name>.destination_type`),
/// from any of its files: a type set in `config.toml` applies to credentials in `secrets.toml`.
pub fn destination_types(folder: &DltFolder) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for file in folder.files.values() {
        let Some(dests) = file.doc.root().get("destination").and_then(Node::as_table) else {
            continue;
        };
        for (name, node) in &dests.entries {
            if let Some(t) = node
                .as_table()
                .and_then(|t| t.get("destination_type"))
                .and_then(Node::as_str)
            {
                out.entry(name.clone()).or_insert_with(|| t.to_string());
            }
        }
    }
    out
}

/// Finds every secret (and secret placeholder) of a file. `dest_types` maps named destinations
/// to their type, see [`destination_types`].
pub fn file_secrets(file: &SourceFile, dest_types: &BTreeMap<String, String>) -> FileSecrets {
    let mut out = FileSecrets::default();
    let mut path = Vec::new();
    walk(file.doc.root(), &mut path, file, dest_types, &mut out);
    out.values.sort_by_key(|v| v.value_span);
    out
}

/// `path` borrows the keys of the tree: walking a 20,000-line file copied every key before.
fn walk<'a>(
    table: &'a Table,
    path: &mut Vec<&'a str>,
    file: &SourceFile,
    dest_types: &BTreeMap<String, String>,
    out: &mut FileSecrets,
) {
    for (key, node) in &table.entries {
        path.push(key);
        match &node.value {
            Value::Table(t) => {
                if key == "credentials" && is_credentials_path(path) {
                    out.credentials_tables.push(CredentialsTable {
                        path: owned(path),
                        key_span: node.key_span,
                        full_span: node.full_span,
                        def: node.def,
                    });
                }
                walk(t, path, file, dest_types, out);
            }
            Value::Array(items) if node.def == Def::ArrayOfTables => {
                for item in items {
                    if let Some(t) = item.as_table() {
                        walk(t, path, file, dest_types, out);
                    }
                }
            }
            Value::Array(items) => {
                // Arrays of strings (dlt's `statements`) are secret-typed as a whole.
                let typed = secret_typed(path, dest_types);
                let strings: Vec<&str> = items.iter().filter_map(Node::as_str).collect();
                if typed {
                    let placeholder = strings.iter().all(|s| is_placeholder(s));
                    out.values.push(value(
                        path,
                        node,
                        file,
                        Reason::SecretTyped,
                        true,
                        placeholder,
                    ));
                } else if let Some(p) = strings.iter().find_map(|s| pattern_of(s)) {
                    out.values
                        .push(value(path, node, file, Reason::Pattern(p), false, false));
                }
            }
            Value::Scalar(scalar) => {
                if let Some(v) = classify(path, node, scalar, file, dest_types) {
                    out.values.push(v);
                }
            }
            Value::Invalid => {}
        }
        path.pop();
    }
}

fn classify(
    path: &[&str],
    node: &Node,
    scalar: &Scalar,
    file: &SourceFile,
    dest_types: &BTreeMap<String, String>,
) -> Option<SecretValue> {
    let typed = secret_typed(path, dest_types);
    let key = path.last().copied().unwrap_or_default();
    let Scalar::Str(s) = scalar else {
        // A number or boolean is never a secret, but a secret-typed field still may not sit in
        // a config file.
        return typed.then(|| value(path, node, file, Reason::SecretTyped, true, true));
    };
    let pattern = pattern_of(s);
    let native = key == "credentials" && is_credentials_path(path);
    // Judged only for a value that is reported: most values are not.
    let placeholder = || match pattern {
        Some(ValuePattern::UrlWithPassword) => url_password(s).is_none_or(is_placeholder),
        Some(_) => false,
        None => is_placeholder(s),
    };
    let reason = if typed && !native {
        Reason::SecretTyped
    } else if native && pattern.is_some() {
        Reason::NativeCredentials
    } else if let Some(p) = pattern {
        Reason::Pattern(p)
    } else if native {
        // `credentials = "duckdb.db"`: a credentials object, secret-typed, but no secret inside.
        return Some(value(
            path,
            node,
            file,
            Reason::NativeCredentials,
            true,
            true,
        ));
    } else if is_secret_key_name(key) && !names_a_field(s) {
        Reason::KeyName
    } else {
        return None;
    };
    Some(value(
        path,
        node,
        file,
        reason,
        typed || native,
        placeholder(),
    ))
}

fn value(
    path: &[&str],
    node: &Node,
    file: &SourceFile,
    reason: Reason,
    typed: bool,
    placeholder: bool,
) -> SecretValue {
    let value_span = value_only_span(file, node.value_span);
    SecretValue {
        path: owned(path),
        key_span: node.key_span,
        value_span,
        entry_span: Span {
            start: node.full_span.start,
            end: node.full_span.end.max(value_span.end),
        },
        reason,
        secret_typed: typed,
        placeholder,
        allowed: has_allow_comment(&file.text, value_span),
    }
}

/// The value without the trailing comment taplo's VALUE node carries, so findings underline the
/// value alone and the comment can be read on its own. The value's text is lexed again rather
/// than its syntax tree walked: files read from disk keep no tree ([`TomlDoc::drop_tree`]), and
/// a value is a run of whole tokens, so it lexes alone as it does in its file.
///
/// [`TomlDoc::drop_tree`]: super::toml::TomlDoc::drop_tree
fn value_only_span(file: &SourceFile, span: Span) -> Span {
    use logos::Logos;
    use taplo::syntax::SyntaxKind;
    let Some(value) = file.text.get(span.start as usize..span.end as usize) else {
        return span;
    };
    let mut lexer = SyntaxKind::lexer(value);
    let mut end = None;
    while let Some(kind) = lexer.next() {
        if !matches!(
            kind,
            SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::COMMENT
        ) {
            end = Some(lexer.span().end);
        }
    }
    match end {
        Some(end) => Span {
            start: span.start,
            end: span.start + end as u32,
        },
        None => span,
    }
}

/// Whether a `credentials` key at `path` is one dlt reads as whole credentials: under a
/// destination, a source, or at the top level.
fn is_credentials_path(path: &[&str]) -> bool {
    matches!(path.first(), Some(&("destination" | "sources" | "credentials")))
        || path.len() == 1
        // A pipeline-name prefix: `my_pipe.destination.x.credentials`.
        || path.get(1).is_some_and(|s| *s == "destination" || *s == "sources")
}

fn owned(path: &[&str]) -> Vec<String> {
    path.iter().map(|s| s.to_string()).collect()
}

/// Secret fields of the filesystem credentials, over all bucket schemes.
const FILESYSTEM_SECRET_FIELDS: &[&str] = &[
    "aws_secret_access_key",
    "aws_session_token",
    "azure_client_secret",
    "azure_storage_account_key",
    "azure_storage_sas_token",
    "client_secret",
    "private_key",
    "refresh_token",
    "sftp_key_passphrase",
    "sftp_password",
    "token",
];

/// Secret-typed fields of dlt's destination credentials, per destination type (from dlt 1.31's
/// specs, `secret: true` in `dlt-1.31-destinations.json`, nested specs flattened by field name).
const DESTINATION_SECRET_FIELDS: &[(&str, &[&str])] = &[
    ("postgres", &["password"]),
    ("redshift", &["password"]),
    (
        "snowflake",
        &["password", "private_key", "private_key_passphrase"],
    ),
    (
        "snowflake_plus",
        &["password", "private_key", "private_key_passphrase"],
    ),
    ("duckdb", &["password", "statements"]),
    ("motherduck", &["password", "statements"]),
    ("ducklake", &["catalog", "statements"]),
    ("mssql", &["password"]),
    ("synapse", &["password"]),
    ("fabric", &["azure_client_secret"]),
    (
        "bigquery",
        &["private_key", "client_secret", "refresh_token", "token"],
    ),
    ("athena", &["aws_secret_access_key", "aws_session_token"]),
    ("filesystem", FILESYSTEM_SECRET_FIELDS),
    // delta is the filesystem destination's spec.
    ("delta", FILESYSTEM_SECRET_FIELDS),
    ("lancedb", &["api_key"]),
    ("lance", &["credentials"]),
    (
        "databricks",
        &["access_token", "client_id", "client_secret"],
    ),
    ("dremio", &["password"]),
    ("clickhouse", &["password"]),
    ("sqlalchemy", &["password"]),
    (
        "iceberg",
        &[
            "aws_secret_access_key",
            "aws_session_token",
            "credential",
            "password",
        ],
    ),
    ("qdrant", &[]),
    ("weaviate", &[]),
    ("dummy", &[]),
];

/// Fields secret in some destination and meaningless elsewhere, so safe to call secret-typed
/// when the destination type is unknown (`credentials.password` at the top level).
pub(crate) const GENERIC_SECRET_FIELDS: &[&str] = &[
    "password",
    "private_key",
    "private_key_passphrase",
    "client_secret",
    "refresh_token",
    "token",
    "access_token",
    "aws_secret_access_key",
    "aws_session_token",
    "azure_client_secret",
    "azure_storage_account_key",
    "azure_storage_sas_token",
    "sftp_password",
    "sftp_key_passphrase",
];

/// Secret `[runtime]` fields (`RuntimeConfiguration`).
pub(crate) const RUNTIME_SECRET_FIELDS: &[&str] =
    &["api_key", "auth_token", "dlthub_dsn", "slack_incoming_hook"];

/// Whether dlt's spec types the credentials field `field` of a destination of type `dest_type`
/// as secret. THE place where the destination catalog plugs in (`secret: true` per field); until
/// then a built-in table from dlt 1.31 answers. `None` for the type means unknown.
pub fn is_secret_typed_credentials_field(dest_type: Option<&str>, field: &str) -> bool {
    let known = dest_type.and_then(|t| {
        DESTINATION_SECRET_FIELDS
            .iter()
            .find(|(name, _)| *name == t)
    });
    match known {
        Some((_, fields)) => fields.contains(&field),
        None => GENERIC_SECRET_FIELDS.contains(&field),
    }
}

/// Whether the value at `path` is secret-typed for dlt.
fn secret_typed(path: &[&str], dest_types: &BTreeMap<String, String>) -> bool {
    match path {
        ["runtime", k] | ["workspace", "runtime", k] => RUNTIME_SECRET_FIELDS.contains(k),
        ["destination", name, "credentials", field] => {
            let ty = dest_types.get(*name).map(String::as_str).unwrap_or(name);
            is_secret_typed_credentials_field(Some(ty), field)
        }
        ["destination", "credentials", field] | ["credentials", field] => {
            is_secret_typed_credentials_field(None, field)
        }
        ["sources", .., "credentials", field] => is_secret_typed_credentials_field(None, field),
        _ => false,
    }
}

/// Words that make a key name a secret's name.
const SECRET_KEY_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "passphrase",
    "api_key",
    "apikey",
    "private_key",
    "credential",
];
/// Key names that are secrets on their own.
const SECRET_KEY_NAMES: &[&str] = &[
    "pwd",
    "pass",
    "dsn",
    "auth",
    "access_key",
    "account_key",
    "sas",
    "webhook",
];
/// dlt's own non-secret keys that contain a secret word or end in `_key`.
const NON_SECRET_KEYS: &[&str] = &[
    "primary_key",
    "merge_key",
    "root_key",
    "parent_key",
    "natural_key",
    "sort_key",
    "partition_key",
    "cluster_key",
    "unique_key",
    "foreign_key",
    "dedup_key",
    "row_key",
    "cursor_key",
    "token_type",
    "token_expiry",
    "token_uri",
    "token_url",
    "max_tokens",
    "secret_name",
    "credentials_type",
    // dlt's telemetry key, public by design.
    "dlthub_telemetry_segment_write_key",
];
/// Suffixes of keys that hold a reference to a secret, not the secret.
const NON_SECRET_SUFFIXES: &[&str] = &[
    "_key_id",
    "_id",
    "_path",
    "_file",
    "_url",
    "_uri",
    "_endpoint",
    "_name",
    "_type",
    "_env",
    "_expiry",
    "_ttl",
    // dlt's settings about secrets rather than secrets: `secret_name_prefix`,
    // `azure_sas_token_permissions`, `aws_sts_token_expiration_hours`, `enable_aws_secrets`.
    "_prefix",
    "_permissions",
    "_hours",
    "_seconds",
    "_minutes",
    "_days",
    "_format",
    "_secrets",
    // How a secret is sent or shaped, not the secret: `token_location = "header"`.
    "_location",
    "_mode",
    "_method",
    "_param",
    "_params",
    "_field",
    "_style",
    "_strategy",
    "_kind",
    "_enabled",
    "_required",
    "_length",
    "_size",
    "_count",
];

/// Whether a key is named like a secret (`password`, `api_key`, `*_secret*` …), minus dlt's
/// non-secret words (`primary_key`, `*_key_id`, `*_path` …).
pub fn is_secret_key_name(key: &str) -> bool {
    // Copied only when it needs normalising: this runs for every string value of a file.
    let k: std::borrow::Cow<str> = if key.bytes().any(|b| b.is_ascii_uppercase() || b == b'-') {
        key.to_ascii_lowercase().replace('-', "_").into()
    } else {
        key.into()
    };
    let secret = SECRET_KEY_NAMES.contains(&k.as_ref())
        || contains_secret_word(&k)
        || (k.ends_with("_key") && !k.ends_with("primary_key") && !k.ends_with("merge_key"));
    // The exceptions are looked at only for the few names that look secret.
    secret
        && !(NON_SECRET_KEYS.contains(&k.as_ref())
            || NON_SECRET_SUFFIXES.iter().any(|s| k.ends_with(s)))
}

/// Whether `key` contains one of [`SECRET_KEY_WORDS`]. One pass over the key, trying the words
/// only where one could start: nine `str::contains` (a searcher set up for each) were 3 % of the
/// instructions of indexing the monorepo, where every key of every file is asked (issue 7).
fn contains_secret_word(key: &str) -> bool {
    let bytes = key.as_bytes();
    (0..bytes.len()).any(|i| {
        // The words' first letters: most bytes of a key start none of them.
        matches!(bytes[i], b'p' | b's' | b't' | b'a' | b'c')
            && SECRET_KEY_WORDS
                .iter()
                .any(|w| bytes[i..].starts_with(w.as_bytes()))
    })
}

/// A value that names a field or a mechanism rather than holding a secret, e.g.
/// `token_param = "access_token"` or `auth = "bearer"`; only judged for secret-looking keys.
fn names_a_field(value: &str) -> bool {
    const MECHANISMS: &[&str] = &[
        "header", "query", "body", "bearer", "basic", "cookie", "oauth", "oauth2", "auto",
        "default", "env",
    ];
    let v = value.trim();
    let identifier = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-');
    let field_name = SECRET_KEY_WORDS.contains(&v)
        || GENERIC_SECRET_FIELDS.contains(&v)
        || RUNTIME_SECRET_FIELDS.contains(&v)
        || ["id_token", "bearer_token", "api-key", "x-api-key"].contains(&v);
    identifier && (MECHANISMS.contains(&v) || field_name)
}

/// Whether a value is a placeholder, never a secret: empty, `<configure me>` and other `<...>`,
/// templated (`${VAR}`, `{{ ... }}`), masks (`***`, `xxx`) and obvious stand-ins.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty()
        || (v.starts_with('<') && v.ends_with('>'))
        || v.contains("${")
        || v.contains("{{")
    {
        return true;
    }
    if v.len() >= 3
        && v.chars()
            .all(|c| matches!(c, '*' | '•' | '.' | 'x' | 'X' | '#' | '-' | '_'))
    {
        return true;
    }
    let l = v.to_ascii_lowercase();
    let stand_ins = [
        "changeme",
        "change-me",
        "change_me",
        "replaceme",
        "replace-me",
        "replace_me",
        "placeholder",
        "todo",
        "tbd",
        "redacted",
        "secret",
        "password",
        "token",
        "none",
        "null",
    ];
    stand_ins.contains(&l.as_str())
        || l.starts_with("your-")
        || l.starts_with("your_")
        || l.starts_with("your ")
        || l.starts_with("<your")
        || l.starts_with("xxx")
        || l.starts_with("example")
}

/// The shape of a value that is a secret wherever it appears.
pub fn pattern_of(value: &str) -> Option<ValuePattern> {
    let v = value.trim();
    // The markers of a key or of a service account's JSON are longer than most values, which
    // then skip these searches.
    // A character found by `memchr` first, before the searches for words.
    if v.len() >= PEM_MARKERS
        && v.contains('-')
        && v.contains("-----BEGIN")
        && v.contains("PRIVATE KEY-----")
    {
        return Some(ValuePattern::PemPrivateKey);
    }
    if v.len() >= SERVICE_ACCOUNT_MARKERS
        && v.contains('"')
        && v.contains("\"service_account\"")
        && v.contains("\"private_key\"")
    {
        return Some(ValuePattern::GcpServiceAccount);
    }
    if v.starts_with("https://hooks.slack.com/services/") {
        return Some(ValuePattern::SlackWebhook);
    }
    if url_password(v).is_some() {
        return Some(ValuePattern::UrlWithPassword);
    }
    if v.len() < SHORTEST_TOKEN {
        return None; // no word of it can be a token
    }
    // Tokens may be embedded (`md:?motherduck_token=eyJ…`), so look at every word.
    for word in v.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))) {
        if let Some(p) = token_pattern(word) {
            return Some(p);
        }
    }
    None
}

/// The shortest value holding `-----BEGIN` and `PRIVATE KEY-----` (they may overlap, so the
/// longer one's length), which [`pattern_of`] looks for in a PEM key.
const PEM_MARKERS: usize = "PRIVATE KEY-----".len();
/// The shortest value holding the two keys [`pattern_of`] looks for in a service account's JSON.
const SERVICE_ACCOUNT_MARKERS: usize = "\"service_account\"".len();

/// The shortest word [`token_pattern`] can match: a Slack token, `xoxb-` and 10 characters.
const SHORTEST_TOKEN: usize = 15;

fn token_pattern(w: &str) -> Option<ValuePattern> {
    if w.len() < SHORTEST_TOKEN {
        return None; // most words of most values: skip the prefix tests
    }
    let tail_ok = |rest: &str, min: usize, extra: &[char]| {
        rest.len() >= min
            && rest
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
    };
    for prefix in ["AKIA", "ASIA", "ABIA", "ACCA"] {
        if let Some(rest) = w.strip_prefix(prefix) {
            if rest.len() == 16
                && rest
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            {
                return Some(ValuePattern::AwsAccessKey);
            }
        }
    }
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        if w.strip_prefix(prefix).is_some_and(|r| tail_ok(r, 30, &[])) {
            return Some(ValuePattern::GitHubToken);
        }
    }
    if w.strip_prefix("github_pat_")
        .is_some_and(|r| tail_ok(r, 22, &['_']))
    {
        return Some(ValuePattern::GitHubToken);
    }
    for prefix in [
        "glpat-", "glptt-", "gldt-", "glrt-", "glcbt-", "glsoat-", "glft-", "glimt-", "glagent-",
    ] {
        if w.strip_prefix(prefix)
            .is_some_and(|r| tail_ok(r, 20, &['_', '-']))
        {
            return Some(ValuePattern::GitLabToken);
        }
    }
    for prefix in [
        "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe-", "xapp-",
    ] {
        if w.strip_prefix(prefix)
            .is_some_and(|r| tail_ok(r, 10, &['-']))
        {
            return Some(ValuePattern::SlackToken);
        }
    }
    if is_jwt(w) {
        return Some(ValuePattern::Jwt);
    }
    None
}

/// `header.payload.signature`, base64url, with a JSON header (`eyJ` is `{"`).
fn is_jwt(w: &str) -> bool {
    let parts: Vec<&str> = w.split('.').collect();
    let b64 = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[0].len() >= 10
        && parts[1].len() >= 10
        && parts.iter().all(|p| b64(p))
}

/// The password of a `scheme://user:password@host…` URL, if it has one.
pub fn url_password(value: &str) -> Option<&str> {
    // The first `:` starts `://` or there is no scheme: a `://` further on would leave a `:` in
    // the scheme. Found with `memchr`, cheaper than a searcher for `://` on every value.
    let colon = value.find(':')?;
    let (scheme, rest) = (&value[..colon], value[colon + 1..].strip_prefix("//")?);
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    {
        return None;
    }
    // The authority ends at the first `/`, `?` or `#` after the last `@` that precedes them.
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    let (_, password) = userinfo.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

/// Whether an allow comment follows the value on its (last) line.
fn has_allow_comment(text: &str, value_span: Span) -> bool {
    let end = (value_span.end as usize).min(text.len());
    let line_end = text[end..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| end + i);
    let after = &text[end..line_end];
    after
        .find('#')
        .is_some_and(|hash| ALLOW_MARKERS.iter().any(|m| after[hash..].contains(m)))
}

/// The secrets file dlt pairs with a config file: `config.toml` → `secrets.toml`,
/// `prod.config.toml` → `prod.secrets.toml`.
pub fn matching_secrets_file(role: &FileRole) -> Option<String> {
    match role {
        FileRole::Base(FileKind::Config) => Some("secrets.toml".into()),
        FileRole::Profile {
            profile,
            kind: FileKind::Config,
        } => Some(format!("{profile}.secrets.toml")),
        _ => None,
    }
}

/// A masked rendering of a secret for hovers and logs: its length only, never a character of it.
pub fn mask(value: &str) -> String {
    format!("*** ({} characters)", value.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// Every key of dlt's destination specs, with and without the words around it, finds a
    /// secret word exactly where `str::contains` (the search [`contains_secret_word`] replaced)
    /// does.
    #[test]
    fn the_secret_word_search_agrees_with_contains() {
        fn names(fields: &[crate::model::catalog::Field], out: &mut Vec<String>) {
            for f in fields {
                out.push(f.name.clone());
                for v in &f.variants {
                    names(&v.fields, out);
                }
            }
        }
        let mut keys = Vec::new();
        for d in crate::model::catalog::Catalog::get().destinations() {
            names(&d.fields, &mut keys);
        }
        assert!(keys.len() > 500, "{}", keys.len());
        let mut found = 0;
        for key in &keys {
            for k in [
                key.clone(),
                format!("x{key}"),
                format!("{key}_x"),
                key[1..].to_string(),
                key[..key.len() - 1].to_string(),
            ] {
                let expected = SECRET_KEY_WORDS.iter().any(|w| k.contains(w));
                assert_eq!(contains_secret_word(&k), expected, "{k}");
                found += usize::from(expected);
            }
        }
        assert!(found > 100, "{found}");
        for w in SECRET_KEY_WORDS {
            assert!(contains_secret_word(w) && contains_secret_word(&format!("pas{w}")));
            assert!(
                !contains_secret_word(&w[1..])
                    || SECRET_KEY_WORDS.iter().any(|v| w[1..].contains(v))
            );
        }
    }

    /// The tree walk [`value_only_span`] replaced, kept as its test oracle.
    fn value_only_span_by_tree(file: &SourceFile, span: Span) -> Span {
        use taplo::rowan::{NodeOrToken, TextRange};
        use taplo::syntax::SyntaxKind;
        let root = file.doc.syntax();
        let range = TextRange::new(span.start.into(), span.end.into());
        if range.end() > root.text_range().end() {
            return span;
        }
        let start = match root.covering_element(range) {
            NodeOrToken::Node(n) => Some(n),
            NodeOrToken::Token(t) => t.parent(),
        };
        let Some(value) = start.and_then(|n| {
            n.ancestors()
                .find(|a| a.kind() == SyntaxKind::VALUE && a.text_range() == range)
        }) else {
            return span;
        };
        let end = value
            .children_with_tokens()
            .filter(|e| {
                !matches!(
                    e.kind(),
                    SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::COMMENT
                )
            })
            .last()
            .map(|e| e.text_range().end());
        match end {
            Some(end) => Span {
                start: span.start,
                end: end.into(),
            },
            None => span,
        }
    }

    /// Re-lexing a value's text ends it where the tree walk did, on every value of many
    /// generated files (strings holding `#`, comments after arrays spread over lines, CRLF).
    #[test]
    fn value_spans_by_lexing_match_the_tree() {
        let parts = [
            "k = \"a#b\"   # c\n",
            "k = 'x' #c\n",
            "k = \"\"\"\nx # y\n\"\"\"  # z\n",
            "k = [1, # c\n 2] # d\n",
            "k = { a = 1, b = \"#\" } # e\n",
            "k = 1\n",
            "k = \"x\"\t\n",
            "k.l = \"v\" # w\n",
            "k = [\n\"a\",\n]\n",
            "k = 'lit'\r\n",
            "k = 1979-05-27 # d\n",
            "k = \"\"\n",
            "[t]\n",
            "[[a]]\n",
            "k = '''\n#'''\n",
        ];
        let mut next = crate::test_support::xorshift(0x1234_5678_9abc_def1u64);
        fn values<'a>(table: &'a Table, out: &mut Vec<&'a Node>) {
            for node in table.entries.values() {
                match &node.value {
                    Value::Table(t) => values(t, out),
                    Value::Array(items) if node.def == Def::ArrayOfTables => {
                        for t in items.iter().filter_map(Node::as_table) {
                            values(t, out);
                        }
                    }
                    Value::Array(_) | Value::Scalar(_) => out.push(node),
                    Value::Invalid => {}
                }
            }
        }
        let mut checked = 0;
        for _ in 0..2000 {
            let n = 1 + (next() % 8) as usize;
            let text: String = (0..n)
                .map(|_| parts[(next() % parts.len() as u64) as usize])
                .collect();
            let path = std::path::Path::new("secrets.toml");
            let file = SourceFile::from_text(path, Arc::from(text.as_str()), None);
            let mut nodes = Vec::new();
            values(file.doc.root(), &mut nodes);
            for node in nodes {
                let span = node.value_span;
                assert_eq!(
                    value_only_span(&file, span),
                    value_only_span_by_tree(&file, span),
                    "{text:?} at {span:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 2000, "only {checked} values checked");
    }

    fn render(name: &str, text: &str) -> String {
        let file = SourceFile::from_text(std::path::Path::new(name), Arc::from(text), None);
        let secrets = file_secrets(&file, &BTreeMap::new());
        let mut out = String::new();
        for v in &secrets.values {
            out += &format!(
                "{} {:?}{}{}{}\n",
                v.path.join("."),
                v.reason,
                if v.secret_typed { " typed" } else { "" },
                if v.placeholder { " placeholder" } else { "" },
                if v.allowed { " allowed" } else { "" },
            );
        }
        for t in &secrets.credentials_tables {
            out += &format!("table {}\n", t.path.join("."));
        }
        out
    }

    /// The shortest token of each kind is still found: the length check before the prefix
    /// tests must never skip one.
    #[test]
    fn finds_the_shortest_token_of_every_kind() {
        let shortest = [
            ("xoxb-abcdefghij".to_string(), ValuePattern::SlackToken),
            (
                format!("AKIA{}", "A".repeat(16)),
                ValuePattern::AwsAccessKey,
            ),
            (format!("ghp_{}", "a".repeat(30)), ValuePattern::GitHubToken),
            (
                format!("github_pat_{}", "a".repeat(22)),
                ValuePattern::GitHubToken,
            ),
            (
                format!("gldt-{}", "a".repeat(20)),
                ValuePattern::GitLabToken,
            ),
            (
                format!("eyJ{}.{}.", "a".repeat(7), "b".repeat(10)),
                ValuePattern::Jwt,
            ),
        ];
        for (word, pattern) in shortest {
            assert!(word.len() >= SHORTEST_TOKEN, "{word}");
            assert_eq!(token_pattern(&word), Some(pattern), "{word}");
            assert_eq!(token_pattern(&word[..word.len() - 1]), None, "{word}");
        }
    }

    #[test]
    fn classifies_typed_named_and_shaped_secrets() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let text = format!(
            "[destination.postgres.credentials]\nhost = \"h\"\npassword = \"s3cr3t-pw\"\n\
             [destination.warehouse]\ncredentials = \"postgresql://u:hunter2@h:5432/db\"\n\
             [destination.lake]\ncredentials = \"duckdb.db\"\n\
             [sources.notion]\napi_key = \"abc123def456\"\nprimary_key = \"id\"\naws_access_key_id = \"x\"\n\
             private_key_path = \"/k.pem\"\nnote = \"{jwt}\"\nslack = \"xoxb-1234567890-abcdefghij\"\n\
             ak = \"AKIAABCDEFGHIJKLMNOP\"\n\
             [runtime]\nauth_token = \"t0k3n-value\"\nlog_level = \"INFO\"\n"
        );
        expect_test::expect![[r#"
            destination.postgres.credentials.password SecretTyped typed
            destination.warehouse.credentials NativeCredentials typed
            destination.lake.credentials NativeCredentials typed placeholder
            sources.notion.api_key KeyName
            sources.notion.note Pattern(Jwt)
            sources.notion.slack Pattern(SlackToken)
            sources.notion.ak Pattern(AwsAccessKey)
            runtime.auth_token SecretTyped typed
            table destination.postgres.credentials
        "#]]
        .assert_eq(&render("config.toml", &text));
    }

    #[test]
    fn placeholders_are_never_secrets() {
        let text = "[destination.postgres.credentials]\npassword = \"<configure me>\"\n\
                    [sources.a]\ntoken = \"${GITHUB_TOKEN}\"\nsecret = \"{{ secret }}\"\napi_key = \"****\"\n\
                    password = \"your-password\"\nclient_secret = \"changeme\"\npwd = \"xxx\"\nempty_token = \"\"\n\
                    dsn = \"postgresql://u:${PW}@h/db\"\n";
        expect_test::expect![[r#"
            destination.postgres.credentials.password SecretTyped typed placeholder
            sources.a.token KeyName placeholder
            sources.a.secret KeyName placeholder
            sources.a.api_key KeyName placeholder
            sources.a.password KeyName placeholder
            sources.a.client_secret KeyName placeholder
            sources.a.pwd KeyName placeholder
            sources.a.empty_token KeyName placeholder
            sources.a.dsn Pattern(UrlWithPassword) placeholder
            table destination.postgres.credentials
        "#]]
        .assert_eq(&render("secrets.toml", text));
    }

    #[test]
    fn allow_comments_silence_one_value() {
        let text = "token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\" # dlt-lsp: allow-secret\n\
                    other = \"glpat-abcdefghij0123456789\" # gitleaks:allow\n\
                    third = \"glpat-abcdefghij0123456789\"\n";
        expect_test::expect![[r#"
            token Pattern(GitHubToken) allowed
            other Pattern(GitLabToken) allowed
            third Pattern(GitLabToken)
        "#]]
        .assert_eq(&render("config.toml", text));
    }

    #[test]
    fn recognises_pem_keys_service_accounts_and_urls() {
        assert_eq!(
            pattern_of(
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----"
            ),
            Some(ValuePattern::PemPrivateKey)
        );
        assert_eq!(
            pattern_of(r#"{"type": "service_account", "private_key": "k"}"#),
            Some(ValuePattern::GcpServiceAccount)
        );
        assert_eq!(url_password("postgresql://user:p@ss@host/db"), Some("p@ss"));
        assert_eq!(url_password("postgresql://user@host/db"), None);
        assert_eq!(url_password("https://example.com/a:b@c"), None);
        assert_eq!(
            pattern_of(
                "md:?motherduck_token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4eHh4In0.abcdefghijkl"
            ),
            Some(ValuePattern::Jwt)
        );
        assert_eq!(pattern_of("s3://bucket/path"), None);
        assert_eq!(
            url_password("a:b://user:pw@host"),
            None,
            "a `:` in the scheme"
        );
        assert_eq!(url_password("://user:pw@host"), None, "no scheme");
        assert_eq!(url_password("mailto:user:pw@host"), None, "no `//`");
        assert_eq!(url_password("x+y://user:pw@host:5432/db"), Some("pw"));
        assert!(!is_secret_key_name("cursor_path"));
        assert!(!is_secret_key_name("aws_access_key_id"));
        assert!(is_secret_key_name("azure_storage_account_key"));
        assert!(is_secret_key_name("my_client_secret_value"));
        for dlt_setting in [
            "secret_name_prefix",
            "azure_sas_token_permissions",
            "private_key_id",
            "token_uri",
            "aws_secrets",
        ] {
            assert!(!is_secret_key_name(dlt_setting), "{dlt_setting}");
        }
        assert_eq!(
            env_var_name(&["destination", "x", "credentials", "password"]),
            "DESTINATION__X__CREDENTIALS__PASSWORD"
        );
    }
}
