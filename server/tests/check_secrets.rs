//! `dlt-lsp check` as a pre-commit hook runs it: on a real git repository, with the staged
//! `.dlt` files as arguments; it must report the secret findings and exit 1 on errors.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dlt-lsp"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn check_fails_a_commit_that_would_publish_secrets() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::create_dir_all(dir.join(".dlt")).unwrap();
    git(dir, &["init", "-q"]);
    git(
        dir,
        &[
            "config",
            "core.excludesFile",
            dir.join("none").to_str().unwrap(),
        ],
    );
    std::fs::write(dir.join(".gitignore"), "secrets.toml\n*.secrets.toml\n").unwrap();
    std::fs::write(
        dir.join(".dlt/config.toml"),
        "[runtime]\nlog_level = \"INFO\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join(".dlt/secrets.toml"),
        "[sources.github]\naccess_token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n",
    )
    .unwrap();

    // Ignored secrets, clean config: the hook passes.
    let (code, out) = check(dir, &[".dlt/config.toml"]);
    assert_eq!((code, out.as_str()), (0, ""));

    // A force-added secrets file is an error, and the token is never printed.
    git(dir, &["add", "-f", ".dlt/secrets.toml"]);
    let (code, out) = check(dir, &[".dlt/secrets.toml"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[secrets-file-tracked]"), "{out}");
    assert!(out.contains("[secret-committed]"), "{out}");
    assert!(
        !out.contains("ghp_abcdef"),
        "a secret leaked into the output: {out}"
    );

    // JSON output carries the same findings for CI.
    let (code, json) = check(dir, &["--format", "json", "."]);
    assert_eq!(code, 1);
    let findings: serde_json::Value = serde_json::from_str(&json).unwrap();
    let codes: Vec<&str> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["secrets-file-tracked", "secret-committed"]);
}
