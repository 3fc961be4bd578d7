//! End-to-end over stdio: the profile hygiene rules (issue 9), positive and negative, and in
//! `dlt-lsp check`.
//!
//! A negative case waits for a marker finding in the same file (a trailing `[marker` syntax
//! error, or another rule's finding), so the absence is checked on a complete publication.

use dlt_lsp_e2e::*;

fn codes(diags: &[Value]) -> Vec<String> {
    let mut c: Vec<String> = diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect();
    c.sort();
    c
}

fn has(code: &'static str) -> impl Fn(&[Value]) -> bool {
    move |d: &[Value]| d.iter().any(|x| x["code"] == code)
}

fn find<'a>(diags: &'a [Value], code: &str) -> &'a Value {
    diags
        .iter()
        .find(|d| d["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {diags:?}"))
}

fn start(ws: &Workspace) -> Server {
    Server::start(&ws.root_uri(), None, full_capabilities()).0
}

fn repo(fixture: &str) -> Workspace {
    let ws = Workspace::new(fixture);
    git(ws.dir.path(), &["init", "-q"]);
    ws
}

/// The dlt lines of `dlthub init`'s .gitignore (`reference/dlthub-init.gitignore`).
const INIT_GITIGNORE: &str =
    "secrets.toml\n*.secrets.toml\n.dlt/profile-name\n.dlt/state\n.dlt/data\n*.duckdb\n*.wal\n";

#[test]
fn access_reusing_prods_secret_is_a_warning_that_never_shows_the_value() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"Pr0d-pw-123\"\n//- .dlt/access.secrets.toml\n[destination.warehouse.credentials]\npassword = \"Pr0d-pw-123\"\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/access.secrets.toml"),
        has("access-reuses-prod-credentials"),
    );
    let d = find(&diags, "access-reuses-prod-credentials");
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"]["line"], 1);
    let message = d["message"].as_str().unwrap();
    assert!(message.contains("prod.secrets.toml:2"), "{message}");
    assert!(!serde_json::to_string(&diags).unwrap().contains("Pr0d-pw"));
    server.shutdown();
}

#[test]
fn access_with_its_own_secret_is_fine() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"rw\"\n//- .dlt/access.secrets.toml\n[destination.warehouse.credentials]\npassword = \"ro\"\n[marker\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/access.secrets.toml"), has("toml-syntax"));
    assert_eq!(codes(&diags), ["toml-syntax"]);
    server.shutdown();
}

#[test]
fn prod_without_access_is_information_on_prod_secrets_toml() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\n# prod\n[destination.warehouse.credentials]\npassword = \"x\"\n//- .dlt/prod.config.toml\n[destination.warehouse]\ndestination_type = \"postgres\"\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/prod.secrets.toml"),
        has("access-falls-back-to-prod"),
    );
    let d = find(&diags, "access-falls-back-to-prod");
    assert_eq!(d["severity"], 3);
    assert_eq!(d["range"]["start"]["line"], 0);
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("fall back to the prod profile"));
    server.shutdown();
}

#[test]
fn prod_with_access_files_has_no_fallback_finding() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\na = 1\n[marker\n//- .dlt/access.config.toml\nb = 1\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/prod.secrets.toml"), has("toml-syntax"));
    assert_eq!(codes(&diags), ["toml-syntax"]);
    server.shutdown();
}

#[test]
fn a_pinned_profile_without_files_is_information_on_config_toml() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\n[runtime]\nlog_level = \"INFO\"\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/config.toml"),
        has("pinned-profile-without-files"),
    );
    let d = find(&diags, "pinned-profile-without-files");
    assert_eq!(d["severity"], 3);
    assert_eq!(d["range"]["start"]["line"], 0);
    assert!(d["message"].as_str().unwrap().contains("`staging`"));
    server.shutdown();
}

#[test]
fn a_pinned_profile_with_files_is_fine() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/profile-name\nstaging\n//- .dlt/config.toml\na = 1\n[marker\n//- .dlt/staging.config.toml\nb = 1\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), has("toml-syntax"));
    assert_eq!(codes(&diags), ["toml-syntax"]);
    server.shutdown();
}

#[test]
fn a_profile_file_outside_a_workspace_is_a_warning() {
    let ws = Workspace::new("//- .dlt/config.toml\n//- .dlt/prod.secrets.toml\na = 1\n");
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/prod.secrets.toml"),
        has("profile-file-outside-workspace"),
    );
    let d = find(&diags, "profile-file-outside-workspace");
    assert_eq!(d["severity"], 2);
    assert!(d["message"].as_str().unwrap().contains("`.dlt/.workspace`"));
    server.shutdown();
}

#[test]
fn a_profile_file_in_a_workspace_is_not_outside_one() {
    // The fallback finding marks the complete publication.
    let ws = Workspace::new("//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\na = 1\n");
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/prod.secrets.toml"),
        has("access-falls-back-to-prod"),
    );
    assert_eq!(codes(&diags), ["access-falls-back-to-prod"]);
    server.shutdown();
}

#[test]
fn the_workspace_binding_in_a_secrets_file_is_a_warning() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/secrets.toml\n[runtime]\nworkspace_id = \"w\"\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(
        &ws.uri(".dlt/secrets.toml"),
        has("workspace-setting-misplaced"),
    );
    let d = find(&diags, "workspace-setting-misplaced");
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"]["line"], 1);
    server.shutdown();
}

#[test]
fn the_workspace_binding_in_config_toml_is_fine() {
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/config.toml\n[runtime]\nworkspace_id = \"w\"\norganization_id = \"o\"\n[marker\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), has("toml-syntax"));
    assert_eq!(codes(&diags), ["toml-syntax"]);
    server.shutdown();
}

#[test]
fn local_state_not_ignored_is_information_on_config_toml() {
    let ws = repo(
        "//- .dlt/.workspace\n//- .dlt/config.toml\na = 1\n//- .dlt/state/dev/x\n//- local.duckdb\n",
    );
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), has("local-state-not-ignored"));
    let d = find(&diags, "local-state-not-ignored");
    assert_eq!(d["severity"], 3);
    let message = d["message"].as_str().unwrap();
    assert!(
        message.contains("`.dlt/state`") && message.contains("`local.duckdb`"),
        "{message}"
    );
    server.shutdown();
}

#[test]
fn local_state_under_dlthub_init_ignores_is_fine() {
    let ws = repo(
        "//- .dlt/.workspace\n//- .dlt/config.toml\na = 1\n[marker\n//- .dlt/state/dev/x\n//- .dlt/data/y\n//- local.duckdb\n",
    );
    ws.write(".gitignore", INIT_GITIGNORE);
    let mut server = start(&ws);
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), has("toml-syntax"));
    assert_eq!(codes(&diags), ["toml-syntax"]);
    server.shutdown();
}

#[test]
fn every_hygiene_rule_shows_in_check() {
    let ws = repo(
        "//- ws/.dlt/.workspace\n//- ws/.dlt/profile-name\nstaging\n//- ws/.dlt/config.toml\na = 1\n//- ws/.dlt/prod.secrets.toml\n[runtime]\nworkspace_id = \"w\"\n//- ws/.dlt/prod.config.toml\nb = 1\n//- ws/.dlt/state/x\n\
         //- reuse/.dlt/.workspace\n//- reuse/.dlt/prod.secrets.toml\ntoken = \"t0k\"\n//- reuse/.dlt/access.secrets.toml\ntoken = \"t0k\"\n\
         //- classic/.dlt/config.toml\n//- classic/.dlt/dev.config.toml\nc = 1\n",
    );
    let (_, out, err) = run_cli(ws.dir.path(), &["check"]);
    for code in [
        "access-reuses-prod-credentials",
        "access-falls-back-to-prod",
        "pinned-profile-without-files",
        "profile-file-outside-workspace",
        "workspace-setting-misplaced",
        "local-state-not-ignored",
    ] {
        assert!(
            out.contains(code),
            "{code} missing from check:\n{out}\n{err}"
        );
    }
    assert!(!out.contains("t0k"));
}

fn quick_fixes(server: &mut Server, uri: &str) -> Vec<Value> {
    let r = server
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [], "only": ["quickfix"] } }),
        )
        .unwrap();
    r.as_array().cloned().unwrap_or_default()
}

#[test]
fn quick_fixes_create_access_files_the_workspace_marker_and_gitignore_lines() {
    // access falls back to prod: create access.secrets.toml / access.config.toml with placeholders.
    let ws = Workspace::new(
        "//- .dlt/.workspace\n//- .dlt/prod.secrets.toml\n[destination.warehouse.credentials]\npassword = \"prod-only-pw-1\"\n//- .dlt/prod.config.toml\n[runtime]\nlog_level = \"INFO\"\n",
    );
    let mut server = start(&ws);
    let uri = ws.uri(".dlt/prod.secrets.toml");
    server.diagnostics(&uri, has("access-falls-back-to-prod"));
    let fixes = quick_fixes(&mut server, &uri);
    let create = fixes
        .iter()
        .find(|a| a["title"].as_str().unwrap().contains("access"))
        .expect("create access files");
    apply_workspace_edit(&create["edit"]);
    let secrets = std::fs::read_to_string(ws.path(".dlt/access.secrets.toml")).unwrap();
    assert!(
        secrets.contains("password = \"<configure me>\"") && !secrets.contains("prod-only-pw-1"),
        "{secrets}"
    );
    assert!(ws.path(".dlt/access.config.toml").exists());
    server.notify("workspace/didChangeWatchedFiles", json!({ "changes": [
        { "uri": ws.uri(".dlt/access.secrets.toml"), "type": 1 }, { "uri": ws.uri(".dlt/access.config.toml"), "type": 1 } ] }));
    server.diagnostics(&uri, |d| !has("access-falls-back-to-prod")(d));
    server.shutdown();

    // A profile file outside a workspace: create .dlt/.workspace.
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n//- .dlt/prod.config.toml\nb = 1\n");
    let mut server = start(&ws);
    let uri = ws.uri(".dlt/prod.config.toml");
    server.diagnostics(&uri, has("profile-file-outside-workspace"));
    let fixes = quick_fixes(&mut server, &uri);
    let marker = fixes
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Create .dlt/.workspace")
        })
        .expect("marker fix");
    apply_workspace_edit(&marker["edit"]);
    assert!(ws.path(".dlt/.workspace").is_file());
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": ws.uri(".dlt/.workspace"), "type": 1 }] }),
    );
    server.diagnostics(&uri, |d| !has("profile-file-outside-workspace")(d));
    server.shutdown();

    // Local state not ignored: the dlthub init lines go to the .gitignore that takes effect.
    let ws = repo("//- .dlt/.workspace\n//- .dlt/config.toml\na = 1\n//- .dlt/profile-name\ndev\n//- .dlt/state/dev/x\n\n");
    let mut server = start(&ws);
    let uri = ws.uri(".dlt/config.toml");
    server.diagnostics(&uri, has("local-state-not-ignored"));
    let fixes = quick_fixes(&mut server, &uri);
    let add = fixes
        .iter()
        .find(|a| a["title"].as_str().unwrap().starts_with("Add"))
        .expect("gitignore fix");
    apply_workspace_edit(&add["edit"]);
    assert!(git(ws.dir.path(), &["check-ignore", ".dlt/profile-name"]).contains("profile-name"));
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": ws.uri(".gitignore"), "type": 1 }] }),
    );
    server.diagnostics(&uri, |d| !has("local-state-not-ignored")(d));
    server.shutdown();
}
