//! End-to-end over stdio on real git repositories: every secrets diagnostic and every fix.

use dlt_lsp_e2e::*;

fn codes(diags: &[Value]) -> Vec<String> {
    let mut c: Vec<String> = diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    c.sort();
    c
}

fn repo(fixture: &str) -> Workspace {
    let ws = Workspace::new(fixture);
    git(ws.dir.path(), &["init", "-q"]);
    ws
}

fn start(ws: &Workspace) -> Server {
    let (server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    server
}

fn actions(server: &mut Server, uri: &str, line: u32) -> Vec<Value> {
    let r = server
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 200 } }, "context": { "diagnostics": [], "only": ["quickfix"] } }),
        )
        .unwrap();
    r.as_array().cloned().unwrap_or_default()
}

fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_string())
        .collect()
}

const PASSWORD_IN_CONFIG: &str = r#"//- .gitignore
secrets.toml
*.secrets.toml
//- .dlt/config.toml
# warehouse settings
[destination.postgres.credentials]
host = "db.internal"
password = "Sup3r-s3cret-pw"
"#;

#[test]
fn a_password_in_config_toml_is_an_error_and_moves_to_secrets_toml() {
    let ws = repo(PASSWORD_IN_CONFIG);
    let mut server = start(&ws);
    let uri = ws.uri(".dlt/config.toml");
    let diags = server.diagnostics(&uri, |d| !d.is_empty());
    assert!(
        codes(&diags).contains(&"secret-in-config".to_string()),
        "{diags:#?}"
    );
    assert!(
        codes(&diags).contains(&"secret-committed".to_string()),
        "config.toml is not ignored: {diags:#?}"
    );
    let all = serde_json::to_string(&server.log).unwrap();
    assert!(
        !all.contains("Sup3r-s3cret-pw"),
        "a secret value reached the client"
    );
    let acts = actions(&mut server, &uri, 3);
    let t = titles(&acts);
    let mv = acts
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Move"))
        .unwrap_or_else(|| panic!("{t:?}"));
    assert!(t.iter().any(|x| x.starts_with("Replace `destination.postgres.credentials.password` with a comment naming `DESTINATION__POSTGRES__CREDENTIALS__PASSWORD`")), "{t:?}");
    apply_workspace_edit(&mv["edit"]);
    let secrets = std::fs::read_to_string(ws.path(".dlt/secrets.toml")).unwrap();
    assert!(
        secrets.contains("password = \"Sup3r-s3cret-pw\""),
        "{secrets}"
    );
    let config = std::fs::read_to_string(ws.path(".dlt/config.toml")).unwrap();
    assert!(
        config.starts_with("# warehouse settings\n") && !config.contains("Sup3r"),
        "{config}"
    );
    for rel in [".dlt/config.toml", ".dlt/secrets.toml"] {
        server.notify(
            "workspace/didChangeWatchedFiles",
            json!({ "changes": [{ "uri": ws.uri(rel), "type": 2 }] }),
        );
    }
    let after = server.diagnostics(&uri, |d| {
        !codes(d).contains(&"secret-in-config".to_string())
    });
    assert!(
        !codes(&after).contains(&"secret-committed".to_string()),
        "{after:#?}"
    );
    server.shutdown();
    let (code, out, _) = run_cli(ws.dir.path(), &["check"]);
    assert!(!out.contains("Sup3r"), "{out}");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn an_unignored_secrets_file_gets_a_gitignore_fix_that_really_takes_effect() {
    let ws = repo("//- .dlt/secrets.toml\n[sources.github]\naccess_token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n");
    let mut server = start(&ws);
    let uri = ws.uri(".dlt/secrets.toml");
    let diags = server.diagnostics(&uri, |d| {
        codes(d).contains(&"secrets-file-not-ignored".to_string())
    });
    let d = diags
        .iter()
        .find(|d| d["code"] == "secrets-file-not-ignored")
        .unwrap();
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"]["line"], 0);
    assert!(codes(&diags).contains(&"secret-committed".to_string()));
    let acts = actions(&mut server, &uri, 0);
    let add = acts
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Add"))
        .unwrap_or_else(|| panic!("{:?}", titles(&acts)));
    apply_workspace_edit(&add["edit"]);
    assert!(git(ws.dir.path(), &["check-ignore", ".dlt/secrets.toml"]).contains("secrets.toml"));
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": ws.uri(".gitignore"), "type": 1 }] }),
    );
    server.diagnostics(&uri, |d| d.is_empty());
    server.shutdown();
}

#[test]
fn a_placeholder_only_secrets_file_is_information_only() {
    let ws = repo("//- .dlt/secrets.toml\n[destination.postgres.credentials]\npassword = \"<configure me>\"\n");
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/secrets.toml"), |d| !d.is_empty());
    assert_eq!(codes(&diags), ["secrets-file-not-ignored"]);
    assert_eq!(diags[0]["severity"], 3);
    server.shutdown();
}

#[test]
fn a_force_added_secrets_file_is_an_error_and_can_be_untracked_after_confirmation() {
    let ws = repo("//- .gitignore\n*.secrets.toml\n//- .dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"pr0d-pa55word\"\n");
    git(ws.dir.path(), &["add", "-f", ".dlt/prod.secrets.toml"]);
    let mut server = start(&ws);
    server.replies.insert(
        "window/showMessageRequest".into(),
        json!({ "title": "Untrack" }),
    );
    let uri = ws.uri(".dlt/prod.secrets.toml");
    let diags = server.diagnostics(&uri, |d| {
        codes(d).contains(&"secrets-file-tracked".to_string())
    });
    let tracked = diags
        .iter()
        .find(|d| d["code"] == "secrets-file-tracked")
        .unwrap();
    assert_eq!(tracked["severity"], 1);
    assert!(
        tracked["message"].as_str().unwrap().contains("rotate"),
        "{tracked}"
    );
    let acts = actions(&mut server, &uri, 0);
    let untrack = acts
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Untrack"))
        .unwrap_or_else(|| panic!("{:?}", titles(&acts)));
    let cmd = &untrack["command"];
    let result = server
        .request(
            "workspace/executeCommand",
            json!({ "command": cmd["command"], "arguments": cmd["arguments"] }),
        )
        .unwrap();
    assert_eq!(result["success"], true, "{result}");
    let question = server
        .log
        .iter()
        .find(|m| m["method"] == "window/showMessageRequest")
        .expect("asked for confirmation");
    assert!(question["params"]["message"]
        .as_str()
        .unwrap()
        .contains("git rm --cached"));
    assert_eq!(git(ws.dir.path(), &["ls-files", ".dlt"]), "");
    assert!(
        ws.path(".dlt/prod.secrets.toml").exists(),
        "the file stays on disk"
    );
    server.diagnostics(&uri, |d| {
        !codes(d).contains(&"secrets-file-tracked".to_string())
    });
    // Only `git rm --cached -- <file>` is accepted.
    let evil = server.request("workspace/executeCommand", json!({ "command": "dlt.gitUntrack", "arguments": [{ "argv": ["rm", "-rf", "/"], "cwd": ws.dir.path() }] }));
    assert!(evil.is_err());
    server.shutdown();
}

#[test]
fn a_jwt_under_an_innocent_key_is_found_and_an_allow_comment_silences_it() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    let ws = repo(&format!(
        "//- .dlt/config.toml\n[sources.my_api]\nsetting = \"{jwt}\"\nother = \"{jwt}\" # dlt-lsp: allow-secret\nthird = \"{jwt}\" # gitleaks:allow\n"
    ));
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), |d| !d.is_empty());
    assert_eq!(codes(&diags), ["secret-committed"], "{diags:#?}");
    assert_eq!(diags[0]["range"]["start"]["line"], 1);
    assert!(!serde_json::to_string(&server.log).unwrap().contains(jwt));
    server.shutdown();
}

#[test]
fn nested_gitignore_negation_and_core_excludes_file_follow_git() {
    let ws = repo(
        "//- .gitignore\n*.secrets.toml\n//- a/.gitignore\n!prod.secrets.toml\n//- a/.dlt/prod.secrets.toml\ntoken = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n//- b/.dlt/secrets.toml\ntoken = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n//- excludes\nsecrets.toml\n",
    );
    let excludes = ws.path("excludes");
    git(
        ws.dir.path(),
        &["config", "core.excludesFile", excludes.to_str().unwrap()],
    );
    let mut server = start(&ws);
    // a/: the nested negation re-includes prod.secrets.toml, exactly as `git check-ignore` says.
    let a = server.diagnostics(&ws.uri("a/.dlt/prod.secrets.toml"), |d| !d.is_empty());
    let not_ignored = a
        .iter()
        .find(|d| d["code"] == "secrets-file-not-ignored")
        .expect("negated file is not ignored");
    assert!(
        not_ignored["message"]
            .as_str()
            .unwrap()
            .contains("!prod.secrets.toml"),
        "{not_ignored}"
    );
    // b/: core.excludesFile covers secrets.toml. Both folders were diagnosed (a file without
    // findings is not published, so that an empty result below means something).
    assert_eq!(server.indexed(), "Indexed 2 files in 2 .dlt folders");
    let b = server.shown_diagnostics(&ws.uri("b/.dlt/secrets.toml"));
    assert!(b.is_empty(), "{b:#?}");
    server.shutdown();
}

#[test]
fn outside_a_git_repository_nothing_git_related_is_said() {
    let ws = Workspace::new("//- .dlt/secrets.toml\ntoken = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n//- .dlt/config.toml\n[destination.postgres.credentials]\npassword = \"x-secret-value\"\n");
    let mut server = start(&ws);
    assert!(server
        .shown_diagnostics(&ws.uri(".dlt/secrets.toml"))
        .is_empty());
    let config = server.diagnostics(&ws.uri(".dlt/config.toml"), |d| !d.is_empty());
    // dlt's own rule still holds without git.
    assert!(
        codes(&config)
            .iter()
            .all(|c| c == "secret-in-config" || c == "credentials-in-config"),
        "{config:#?}"
    );
    server.shutdown();
    let (code, out, _) = run_cli(ws.dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("x-secret-value"));
}

/// A file opened in a folder the server has not read (outside the workspace roots, or before
/// indexing reaches it) is diagnosed at once from the folder's files, and its git findings follow
/// as soon as the repository is read: the first publication never waits for git.
#[test]
fn a_file_opened_before_its_folder_is_read_still_gets_its_git_findings() {
    let text = "[sources.github]\naccess_token = \"ghp_abcdefghijklmnopqrstuvwxyz0123456789\"\n";
    let ws = repo(&format!(
        "//- ws/README.md\nnot a dlt project\n//- other/.dlt/secrets.toml\n{text}\
         //- other/.dlt/config.toml\n[sources.github]\nrepo = \"dlt-hub/dlt\"\n"
    ));
    let (mut server, _) = Server::start(&ws.uri("ws"), None, full_capabilities());
    let uri = ws.uri("other/.dlt/secrets.toml");
    server.open(&uri, text);
    let diags = server.diagnostics(&uri, |d| {
        codes(d).contains(&"secrets-file-not-ignored".to_string())
    });
    assert!(
        codes(&diags).contains(&"secret-committed".to_string()),
        "{diags:#?}"
    );
    // The git state is the folder's for good: an edit keeps the findings.
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": format!("{text}# edited\n") }] }),
    );
    let after = server.wait_for("diagnostics of version 2", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(uri)
            && m["params"]["version"] == 2
    });
    let after = after["params"]["diagnostics"].as_array().unwrap();
    assert!(
        codes(after).contains(&"secrets-file-not-ignored".to_string()),
        "{after:#?}"
    );
    server.shutdown();
}
