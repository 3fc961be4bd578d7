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
    ORGANIZATION_ID_CONFLICT = "organization-id-conflict": "runtime.organization_id differs between files; dlthub writes it once and refuses another.";
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
