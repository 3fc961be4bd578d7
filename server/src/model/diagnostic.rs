//! Findings about `.dlt` files, independent of any protocol, and the registry of their codes.

use std::path::PathBuf;

use super::toml::Span;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "info",
            Severity::Hint => "hint",
        }
    }
}

/// A stable diagnostic code with the one-line explanation the README lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Code {
    pub id: &'static str,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal : $summary:literal;)*) => {
        $(#[doc = $summary] pub const $name: Code = Code { id: $id, summary: $summary };)*
        /// Every code the server can emit, in the order the README lists them.
        pub const ALL_CODES: &[Code] = &[$($name),*];
    };
}

codes! {
    TOML_SYNTAX = "toml-syntax": "The file is not valid TOML; dlt fails to load every profile that reads it.";
    TOML_DUPLICATE_KEY = "toml-duplicate-key": "A key is set twice in the same table, which TOML forbids.";
    TOML_DUPLICATE_TABLE = "toml-duplicate-table": "A table is defined twice, or a value is reopened as a table, which TOML forbids.";
    TOML_TOO_DEEP = "toml-too-deep": "Arrays or inline tables are nested too deeply to analyse.";
    FILE_TOO_LARGE = "file-too-large": "The file is larger than the analysis limit (8 MiB) and was not analysed.";
    FILE_ENCODING = "file-encoding": "The file is not UTF-8; dlt cannot read it.";
    FILE_UNREADABLE = "file-unreadable": "The file could not be read.";
    MISNAMED_PROFILE_FILE = "misnamed-profile-file": "A profile file is spelled `secrets.prod.toml`; dlt 1.31 only reads `prod.secrets.toml`.";
    ORGANIZATION_ID_CONFLICT = "organization-id-conflict": "runtime.organization_id differs between files; dlthub writes it once and refuses another.";
    SECRET_IN_CONFIG = "secret-in-config": "A value dlt types as secret is in a config file; dlt raises ValueNotSecretException at run time.";
    CREDENTIALS_IN_CONFIG = "credentials-in-config": "A credentials table is in a config file; dlt reads whole credentials as a secret and raises ValueNotSecretException.";
    SECRET_COMMITTED = "secret-committed": "A secret is in a file that git would commit.";
    SECRETS_FILE_NOT_IGNORED = "secrets-file-not-ignored": "A secrets file is not covered by the repository's ignore rules.";
    SECRETS_FILE_TRACKED = "secrets-file-tracked": "A secrets file is tracked by git or committed in HEAD; untrack it and rotate the credentials.";
    UNKNOWN_KEY = "unknown-key": "A key that dlt's spec for this destination, its credentials or this section does not have; dlt ignores it (often a typo).";
    UNKNOWN_DESTINATION_TYPE = "unknown-destination-type": "destination_type names no destination of dlt 1.31 (nor a module path); dlt cannot create the destination.";
    WRONG_VALUE_TYPE = "wrong-value-type": "A value dlt cannot coerce to the field's type (a string that is no number where an integer belongs).";
    INVALID_LITERAL = "invalid-literal": "A value outside the field's allowed set of literal values.";
    INVALID_CONNECTION_STRING = "invalid-connection-string": "Credentials given as a string that dlt cannot parse for this destination (malformed URL, wrong scheme, no string form).";
    MISSING_CREDENTIALS = "missing-credentials": "A named destination whose required credentials no file of a profile (nor the environment) sets.";
    ACCESS_REUSES_PROD_CREDENTIALS = "access-reuses-prod-credentials": "A secret of the `access` profile has the same value as under `prod`; access serves shared notebooks and apps and must not hold prod's read-write credentials.";
    ACCESS_FALLS_BACK_TO_PROD = "access-falls-back-to-prod": "The workspace has `prod` files and no `access` files; on the platform interactive jobs then run with prod's read-write credentials.";
    PINNED_PROFILE_WITHOUT_FILES = "pinned-profile-without-files": "`.dlt/profile-name` pins a profile that has no files; the pin is local (never synced), so the profile exists on this machine only and reads just the base files.";
    PROFILE_FILE_OUTSIDE_WORKSPACE = "profile-file-outside-workspace": "A profile file in a `.dlt/` without `.dlt/.workspace`; dlt reads profile files only in a dltHub workspace, so it ignores this one.";
    WORKSPACE_SETTING_MISPLACED = "workspace-setting-misplaced": "runtime.workspace_id or runtime.organization_id in a secrets or profile-scoped file; `dlthub workspace connect` writes them into `.dlt/config.toml`.";
    LOCAL_STATE_NOT_IGNORED = "local-state-not-ignored": "The pin file, `.dlt/state`, `.dlt/data` or a `*.duckdb` database is not covered by .gitignore; they are local to one machine and `dlthub init` ignores them.";
}

/// The README's table of diagnostic codes, generated from [`ALL_CODES`] so it cannot drift.
pub fn codes_markdown() -> String {
    let mut out = String::from("| code | meaning |\n|---|---|\n");
    for c in ALL_CODES {
        out.push_str(&format!("| `{}` | {} |\n", c.id, c.summary));
    }
    out
}

/// A related location, e.g. the first definition of a duplicate key.
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    pub path: PathBuf,
    pub span: Span,
    pub message: String,
}

/// One finding in one file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub related: Vec<Related>,
}

impl Diagnostic {
    pub fn new(span: Span, severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            severity,
            code,
            message: message.into(),
            related: Vec::new(),
        }
    }

    pub fn with_related(mut self, related: Related) -> Self {
        self.related.push(related);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut ids: Vec<_> = ALL_CODES.iter().map(|c| c.id).collect();
        assert!(ids
            .iter()
            .all(|id| id.chars().all(|c| c.is_ascii_lowercase() || c == '-')));
        ids.sort();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len());
    }
}
