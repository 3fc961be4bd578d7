//! End-to-end: the effective value per profile over stdio — hover, definition, references,
//! inlay hints, dlt/effectiveValue and dlt/activeProfile — on the cases dlt 1.31 decides.

use dlt_lsp_e2e::*;

const WS: &str = r#"//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
log_level = "WARNING"

[workspace.runtime]
request_timeout = 30

[destination.warehouse]
destination_type = "duckdb"

[destination.warehouse.credentials]
host = "config-host"
password = "config-exact-path"

[sources.chess]
players = ["a", "b"]
region = "eu"
//- .dlt/secrets.toml
[credentials]
password = "short-path-in-secrets"
//- .dlt/prod.config.toml
[runtime]
log_level = "INFO"
request_timeout = 10

[destination.warehouse]
destination_type = "postgres"

[sources.chess]
players = ["c"]
//- .dlt/dev.config.toml
[sources.chess]
max_players = 2
"#;

struct Session {
    ws: Workspace,
    server: Server,
    global: tempfile::TempDir,
}

fn start(fixture: &str, env: &[(&str, &str)]) -> Session {
    let ws = Workspace::new(fixture);
    let global = tempfile::tempdir().unwrap();
    let mut server = Server::spawn(env);
    server.initialize(
        &ws.root_uri(),
        Some(json!({ "globalDir": global.path() })),
        full_capabilities(),
    );
    server.indexed();
    Session { ws, server, global }
}

/// The `dlt/effectiveValue` rows for a key, as `profile=value@file:line` strings.
fn rows(s: &mut Session, key: &str) -> Vec<String> {
    let r = s
        .server
        .request(
            "dlt/effectiveValue",
            json!({ "root": s.ws.dir.path(), "key": key }),
        )
        .unwrap();
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let src = &row["source"];
            let at = match src["kind"].as_str() {
                Some("env") => format!(
                    "env {}",
                    src["name"].as_str().or(src["key"].as_str()).unwrap_or("?")
                ),
                Some(kind) => format!(
                    "{}{}:{}",
                    if kind == "global" { "global:" } else { "" },
                    std::path::Path::new(src["path"].as_str().unwrap())
                        .file_name()
                        .unwrap()
                        .to_string_lossy(),
                    src["line"]
                ),
                None => "unset".into(),
            };
            let value = if row["value"].is_null() {
                "null".to_string()
            } else {
                row["value"].to_string()
            };
            format!(
                "{}{}={}@{}",
                if row["active"] == true { "*" } else { "" },
                row["profile"].as_str().unwrap_or("-"),
                value,
                at
            )
        })
        .collect()
}

#[test]
fn resolves_every_profile_as_dlt_does() {
    let mut s = start(WS, &[]);
    // A profile file beats the workspace file.
    assert_eq!(
        rows(&mut s, "runtime.log_level"),
        [
            "*dev=\"WARNING\"@config.toml:2",
            "tests=\"WARNING\"@config.toml:2",
            "prod=\"INFO\"@prod.config.toml:2",
            "access=\"WARNING\"@config.toml:2"
        ]
    );
    // [workspace.runtime] beats [runtime], even a profile file's [runtime].
    let timeout = rows(&mut s, "runtime.request_timeout");
    assert!(
        timeout.iter().all(|r| r.contains("=30@config.toml:5")),
        "{timeout:?}"
    );
    // A shorter credentials path in a secrets file beats the exact path in a config file.
    let pw = rows(&mut s, "destination.warehouse.credentials.password");
    assert!(
        pw.iter()
            .all(|r| r.contains("@secrets.toml:2") && r.contains("••••")),
        "{pw:?}"
    );
    // Lists are replaced, tables merged.
    let players = rows(&mut s, "sources.chess.players");
    assert!(
        players
            .iter()
            .any(|r| r == "prod=[\"c\"]@prod.config.toml:9"),
        "{players:?}"
    );
    assert!(
        players
            .iter()
            .any(|r| r == "*dev=[\"a\",\"b\"]@config.toml:15"),
        "{players:?}"
    );
    s.server.shutdown();
}

#[test]
fn environment_variables_and_the_pin_file_take_part() {
    let fixture = format!("{WS}//- .dlt/profile-name\nstaging\n//- .dlt/staging.config.toml\n[runtime]\nlog_level = \"ERROR\"\n");
    let mut s = start(
        &fixture,
        &[
            ("RUNTIME__LOG_LEVEL", "CRITICAL"),
            ("runtime__request_timeout", "1"),
        ],
    );
    let level = rows(&mut s, "runtime.log_level");
    assert!(
        level.iter().all(|r| r.contains("=\"CRITICAL\"@env")),
        "{level:?}"
    );
    assert!(
        level.iter().any(|r| r.starts_with("*staging=")),
        "the pinned custom profile is active: {level:?}"
    );
    // Lower-case variables are ignored, as dlt ignores them.
    assert!(rows(&mut s, "runtime.request_timeout")
        .iter()
        .all(|r| r.contains("=30@")));
    let active = s
        .server
        .request(
            "dlt/activeProfile",
            json!({ "uri": s.ws.uri(".dlt/config.toml") }),
        )
        .unwrap();
    assert_eq!(active, json!({ "profile": "staging", "source": "pin" }));
    s.server.shutdown();
}

#[test]
fn hover_shows_a_table_per_profile_with_secrets_masked() {
    let mut s = start(WS, &[]);
    let uri = s.ws.uri(".dlt/config.toml");
    // On `log_level` (line 1).
    let hover = s
        .server
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 2 } }),
        )
        .unwrap();
    let md = hover["contents"]["value"].as_str().unwrap();
    for needle in [
        "| **dev** (active) |",
        "| prod |",
        "INFO",
        "WARNING",
        "prod.config.toml:2",
    ] {
        assert!(md.contains(needle), "{needle} missing in\n{md}");
    }
    assert_eq!(
        hover["range"]["start"],
        json!({ "line": 1, "character": 0 })
    );
    // On the password: masked everywhere, and shadowed by the secrets file.
    let hover = s
        .server
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 11, "character": 2 } }),
        )
        .unwrap();
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(
        !md.contains("short-path-in-secrets") && !md.contains("config-exact-path"),
        "{md}"
    );
    assert!(md.contains("secrets.toml"), "{md}");
    s.server.shutdown();
}

#[test]
fn definition_references_and_inlay_hints_follow_the_effective_key() {
    let mut s = start(WS, &[]);
    let uri = s.ws.uri(".dlt/config.toml");
    let pos = json!({ "line": 1, "character": 2 });
    let defs = s
        .server
        .request(
            "textDocument/definition",
            json!({ "textDocument": { "uri": uri }, "position": pos }),
        )
        .unwrap();
    let files: Vec<String> = defs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                uri_path(l["uri"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy(),
                l["range"]["start"]["line"]
            )
        })
        .collect();
    assert!(
        files.contains(&"config.toml:1".to_string())
            && files.contains(&"prod.config.toml:1".to_string()),
        "{files:?}"
    );
    let refs = s.server.request("textDocument/references", json!({ "textDocument": { "uri": uri }, "position": pos, "context": { "includeDeclaration": true } })).unwrap();
    assert_eq!(
        refs.as_array().unwrap().len(),
        defs.as_array().unwrap().len()
    );
    let hints = s.server.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 30, "character": 0 } } })).unwrap();
    let labels: Vec<String> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| format!("{}:{}", h["position"]["line"], h["label"].as_str().unwrap()))
        .collect();
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("1:") && l.contains("prod.config.toml")),
        "{labels:?}"
    );
    assert!(
        labels
            .iter()
            .any(|l| l.starts_with("11:") && l.contains("secrets.toml")),
        "{labels:?}"
    );
    s.server.shutdown();
}

#[test]
fn clients_without_inlay_hints_get_the_override_notes_as_code_lenses() {
    let ws = Workspace::new(WS);
    let mut caps = full_capabilities();
    caps["textDocument"]
        .as_object_mut()
        .unwrap()
        .remove("inlayHint");
    let (mut server, _) = Server::start(&ws.root_uri(), None, caps);
    let uri = ws.uri(".dlt/config.toml");
    server.diagnostics(&uri, |_| true);
    let lenses = server
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": uri } }),
        )
        .unwrap();
    let notes: Vec<String> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            format!(
                "{}:{}",
                l["range"]["start"]["line"],
                l["command"]["title"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("1:") && n.contains("prod.config.toml")),
        "{notes:?}"
    );
    server.shutdown();
}

#[test]
fn a_classic_project_reads_no_profile_files_and_the_global_dir_counts() {
    let fixture = "//- .dlt/config.toml\n[runtime]\nlog_level = \"WARNING\"\n//- .dlt/prod.config.toml\n[runtime]\nlog_level = \"INFO\"\n";
    let mut s = start(fixture, &[]);
    std::fs::write(
        s.global.path().join("config.toml"),
        "[runtime]\nlog_level = \"GLOBAL\"\ndlthub_telemetry = false\n",
    )
    .unwrap();
    let global = s.global.path().to_path_buf();
    s.server.notify(
        "workspace/didChangeConfiguration",
        json!({ "settings": { "dlt": { "globalDir": global } } }),
    );
    let level = rows(&mut s, "runtime.log_level");
    assert_eq!(
        level,
        ["*-=\"WARNING\"@config.toml:2"],
        "no profiles in a classic project"
    );
    let telemetry = rows(&mut s, "runtime.dlthub_telemetry");
    assert_eq!(
        telemetry,
        ["*-=false@global:config.toml:3"],
        "from the global dir's config.toml"
    );
    let hover = s
        .server
        .request("textDocument/hover", json!({ "textDocument": { "uri": s.ws.uri(".dlt/prod.config.toml") }, "position": { "line": 1, "character": 2 } }))
        .unwrap();
    let md = hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        md.contains("workspace"),
        "a hover in a classic project's profile file says it is not read: {md}"
    );
    s.server.shutdown();
}
