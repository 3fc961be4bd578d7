//! Static test of `editors/helix`: the `languages.toml` snippet parses, uses only keys Helix's
//! schema knows (`helix-core` deserialises `[[language]]` with `deny_unknown_fields`), and its
//! file-type glob, matched the way Helix matches it, picks `.dlt/*.toml` files and nothing else.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use toml::{Table, Value};

fn helix_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../editors/helix")
}

fn snippet() -> Table {
    let text = std::fs::read_to_string(helix_dir().join("languages.toml"))
        .expect("editors/helix/languages.toml");
    text.parse::<Table>().expect("languages.toml is valid TOML")
}

/// Keys of `[[language]]` in Helix's `LanguageConfiguration` (languages.md, "Language configuration").
const LANGUAGE_KEYS: &[&str] = &[
    "name",
    "language-id",
    "scope",
    "file-types",
    "shebangs",
    "roots",
    "comment-token",
    "comment-tokens",
    "block-comment-tokens",
    "text-width",
    "soft-wrap",
    "auto-format",
    "formatter",
    "path-completion",
    "word-completion",
    "diagnostic-severity",
    "grammar",
    "injection-regex",
    "language-servers",
    "indent",
    "debugger",
    "auto-pairs",
    "rulers",
    "workspace-lsp-roots",
    "persistent-diagnostic-sources",
];
/// Keys of `[language-server.<name>]` (languages.md, "Language Server configuration").
const SERVER_KEYS: &[&str] = &[
    "command",
    "args",
    "environment",
    "config",
    "timeout",
    "required-root-patterns",
];

fn language(snippet: &Table) -> &Table {
    let langs = snippet["language"].as_array().expect("[[language]] array");
    assert_eq!(langs.len(), 1, "one language");
    langs[0].as_table().unwrap()
}

/// Builds the matcher exactly as Helix's `FileType` deserialiser does: a glob that is not absolute
/// and does not start with `*/` gets a `*/` prefix, and is compared with the absolute path.
fn helix_globs(lang: &Table) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for ft in lang["file-types"].as_array().expect("file-types array") {
        let table = ft
            .as_table()
            .expect("file-types entries are { glob = ... } tables");
        assert_eq!(
            table.keys().collect::<Vec<_>>(),
            ["glob"],
            "only the `glob` key is allowed in a file-types table"
        );
        let mut glob = table["glob"].as_str().unwrap().to_string();
        if !glob.starts_with('/') && !glob.starts_with("*/") {
            glob.insert_str(0, "*/");
        }
        builder.add(Glob::new(&glob).expect("valid glob"));
    }
    builder.build().unwrap()
}

#[test]
fn language_entry_has_the_documented_shape() {
    let s = snippet();
    for key in s.keys() {
        assert!(
            ["language", "language-server", "grammar", "use-grammars"].contains(&key.as_str()),
            "unknown top-level key {key}"
        );
    }
    let lang = language(&s);
    for key in lang.keys() {
        assert!(
            LANGUAGE_KEYS.contains(&key.as_str()),
            "`{key}` is not a Helix [[language]] key"
        );
    }
    for required in ["name", "scope", "file-types"] {
        assert!(
            lang.contains_key(required),
            "[[language]] needs `{required}`"
        );
    }
    assert_eq!(lang["name"].as_str(), Some("dlt-toml"));
    assert_eq!(lang["grammar"].as_str(), Some("toml"));
    assert_eq!(lang["language-id"].as_str(), Some("toml"));
    assert_eq!(
        lang["roots"],
        Value::Array(vec![Value::String(".dlt".into())])
    );
    let servers: Vec<&str> = lang["language-servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        servers,
        ["dlt-lsp", "taplo"],
        "dlt-lsp first so that its hover wins"
    );
    if let Some(indent) = lang.get("indent") {
        let indent = indent.as_table().unwrap();
        assert!(
            indent.contains_key("tab-width") && indent.contains_key("unit"),
            "indent needs tab-width and unit"
        );
    }

    let defined = s["language-server"]
        .as_table()
        .expect("[language-server] table");
    for name in &servers {
        let server = defined
            .get(*name)
            .and_then(Value::as_table)
            .unwrap_or_else(|| panic!("[language-server.{name}] missing"));
        assert!(server.contains_key("command"), "{name} needs a command");
        for key in server.keys() {
            assert!(
                SERVER_KEYS.contains(&key.as_str()),
                "`{key}` is not a Helix language-server key"
            );
        }
    }
    let dlt = defined["dlt-lsp"].as_table().unwrap();
    assert_eq!(dlt["command"].as_str(), Some("dlt-lsp"));
    assert_eq!(dlt["args"], Value::Array(vec![Value::String("lsp".into())]));
    if let Some(config) = dlt.get("config") {
        assert!(
            config.is_table(),
            "config becomes initializationOptions and must be an object"
        );
    }
}

#[test]
fn glob_matches_dlt_files_only() {
    let s = snippet();
    let globs = helix_globs(language(&s));
    // Helix matches the absolute path; these are the brief's paths seen from a working directory.
    let cwd = Path::new("/home/user");
    for yes in [
        ".dlt/config.toml",
        "proj/.dlt/prod.secrets.toml",
        "proj/.dlt/secrets.toml",
        "a/b/.dlt/dev.config.toml",
    ] {
        assert!(globs.is_match(cwd.join(yes)), "{yes} should be dlt-toml");
    }
    for no in [
        "pyproject.toml",
        "proj/pyproject.toml",
        "proj/config.toml",
        "proj/.dlt.toml",
        "proj/dlt/config.toml",
        "proj/.dlt/profile-name",
        "proj/.dlt/.workspace",
        "proj/.dlt/config.toml.bak",
    ] {
        assert!(!globs.is_match(cwd.join(no)), "{no} must not be dlt-toml");
    }
}

#[test]
fn highlights_inherit_toml() {
    let lang_name = language(&snippet())["name"].as_str().unwrap().to_string();
    let path = helix_dir()
        .join("runtime/queries")
        .join(&lang_name)
        .join("highlights.scm");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(text.lines().next(), Some("; inherits: toml"));
}
