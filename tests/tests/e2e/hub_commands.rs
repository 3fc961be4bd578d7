//! End-to-end: dlthub connect / sync / profile info as code actions, lenses and commands, run
//! against a fake dlthub executable that records how it was called.

use dlt_lsp_e2e::*;

const WORKSPACE: &str = r#"//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
log_level = "WARNING"
//- .dlt/secrets.toml
[destination.warehouse.credentials]
password = "hunter2-very-secret"
//- .dlt/dev.config.toml
[runtime]
log_level = "DEBUG"
//- .dlt/prod.config.toml
[runtime]
log_level = "INFO"
"#;

struct Session {
    ws: Workspace,
    server: Server,
    log: std::path::PathBuf,
}

/// Starts a server whose dlthub is the fake, configured through `cli.path` unless `options` says otherwise.
fn session(
    fixture: &str,
    mode: &str,
    options: Option<Value>,
    extra_env: &[(&str, &str)],
) -> Session {
    let ws = Workspace::new(fixture);
    let log = ws.path("dlthub-calls.jsonl");
    let mut env = vec![
        ("FAKE_DLTHUB_LOG", log.to_str().unwrap()),
        ("FAKE_DLTHUB_MODE", mode),
    ];
    env.extend_from_slice(extra_env);
    let mut server = Server::spawn(&env);
    let fake = fixture_path("fake-dlthub");
    let options = options.unwrap_or_else(|| json!({ "cli": { "path": [fake.to_str().unwrap()] } }));
    server.initialize(&ws.root_uri(), Some(options), full_capabilities());
    server.indexed();
    Session { ws, server, log }
}

fn calls(log: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn action_titles(server: &mut Server, uri: &str) -> Vec<String> {
    let r = server
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
        )
        .unwrap();
    r.as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    let mut t = x["title"].as_str().unwrap().to_string();
                    if let Some(reason) = x["disabled"]["reason"].as_str() {
                        t += &format!(" [disabled: {reason}]");
                    }
                    t
                })
                .collect()
        })
        .unwrap_or_default()
}

fn execute(server: &mut Server, command: &str, dlt_dir: &std::path::Path) -> Result<Value, Value> {
    server.request(
        "workspace/executeCommand",
        json!({ "command": command, "arguments": [{ "dltDir": dlt_dir }] }),
    )
}

#[test]
fn offers_the_actions_in_the_right_places_only() {
    let mut s = session(WORKSPACE, "ok", None, &[]);
    let config = s.ws.uri(".dlt/config.toml");
    assert_eq!(
        action_titles(&mut s.server, &config),
        [
            "Connect workspace to dltHub",
            "Sync configuration to dltHub",
            "Show active dlt profile"
        ]
    );
    // dev files are never synced.
    assert_eq!(
        action_titles(&mut s.server, &s.ws.uri(".dlt/dev.config.toml")),
        ["Connect workspace to dltHub", "Show active dlt profile"]
    );
    // A broken synced file blocks sync, with the reason.
    s.ws.write(".dlt/prod.config.toml", "[runtime\n");
    s.server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": s.ws.uri(".dlt/prod.config.toml"), "type": 2 }] }),
    );
    // prod.config.toml already carries the access-falls-back-to-prod note: wait for the error.
    s.server
        .diagnostics(&s.ws.uri(".dlt/prod.config.toml"), |d| {
            d.iter().any(|x| x["code"] == "toml-syntax")
        });
    let titles = action_titles(&mut s.server, &config);
    assert_eq!(titles[1], "Sync configuration to dltHub [disabled: fix the errors in prod.config.toml before syncing]");
    let refused = execute(&mut s.server, "dlt.sync", &s.ws.path(".dlt")).unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("refused: fix the errors in prod.config.toml"),
        "{refused}"
    );
    assert!(
        calls(&s.log).is_empty(),
        "sync must not run on a broken folder"
    );
    // The lens sits on the [runtime] header.
    let lenses = s
        .server
        .request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": config } }),
        )
        .unwrap();
    let lens_titles: Vec<_> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        lens_titles,
        ["Connect workspace to dltHub", "Show active dlt profile"]
    );
    assert_eq!(
        lenses[0]["range"]["start"],
        json!({ "line": 0, "character": 1 })
    );
    s.server.shutdown();

    // A classic project (no .dlt/.workspace) gets none of them.
    let mut c = session(
        "//- .dlt/config.toml\n[runtime]\nlog_level = \"INFO\"\n",
        "ok",
        None,
        &[],
    );
    assert!(action_titles(&mut c.server, &c.ws.uri(".dlt/config.toml")).is_empty());
    c.server.shutdown();
}

#[test]
fn connect_runs_the_cli_in_the_project_with_progress_output_and_reindexes() {
    let mut s = session(WORKSPACE, "ok", None, &[]);
    let result = execute(&mut s.server, "dlt.connect", &s.ws.path(".dlt")).unwrap();
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(result["exitCode"], 0);
    let call = &calls(&s.log)[0];
    assert_eq!(
        call["argv"],
        json!(["--non-interactive", "workspace", "connect"])
    );
    assert_eq!(
        std::fs::canonicalize(call["cwd"].as_str().unwrap()).unwrap(),
        std::fs::canonicalize(s.ws.dir.path()).unwrap()
    );
    let log = &s.server.log;
    let begin = log
        .iter()
        .find(|m| m["params"]["value"]["title"] == "Running dlthub workspace connect")
        .expect("progress begin");
    assert_eq!(begin["params"]["value"]["cancellable"], true);
    let token = begin["params"]["token"].clone();
    assert!(log
        .iter()
        .any(|m| m["params"]["token"] == token && m["params"]["value"]["kind"] == "end"));
    assert!(log.iter().any(|m| m["method"] == "window/logMessage"
        && m["params"]["message"] == "[dlthub] Workspace connected."));
    let done = s
        .server
        .wait_for("success message", |m| m["method"] == "window/showMessage");
    assert_eq!(
        done["params"]["message"],
        "dlthub workspace connect finished"
    );
    assert_eq!(done["params"]["type"], 3);
    // The server re-read config.toml: connect is now a reconnect.
    let titles = action_titles(&mut s.server, &s.ws.uri(".dlt/config.toml"));
    assert_eq!(
        titles[0],
        "Reconnect workspace to dltHub (jobs of the current binding are deactivated)"
    );
    // Sync and profile info use their own argument vectors.
    execute(&mut s.server, "dlt.sync", &s.ws.path(".dlt")).unwrap();
    execute(&mut s.server, "dlt.showProfile", &s.ws.path(".dlt")).unwrap();
    let argvs: Vec<Value> = calls(&s.log).iter().map(|c| c["argv"].clone()).collect();
    assert_eq!(
        argvs[1],
        json!(["--non-interactive", "workspace", "configuration", "sync"])
    );
    assert_eq!(argvs[2], json!(["--non-interactive", "profile", "info"]));
    s.server.shutdown();
}

#[test]
fn a_failing_cli_is_reported_in_one_line_with_its_exit_code() {
    let mut s = session(WORKSPACE, "offline", None, &[]);
    let result = execute(&mut s.server, "dlt.connect", &s.ws.path(".dlt")).unwrap();
    assert_eq!(result["success"], false);
    assert_eq!(result["exitCode"], 255);
    let msg = s
        .server
        .wait_for("error message", |m| m["method"] == "window/showMessage");
    assert_eq!(msg["params"]["type"], 1);
    let text = msg["params"]["message"].as_str().unwrap();
    assert!(text.starts_with("dlthub workspace connect failed (exit code 255): Login failed. Error calling the dltHub API."), "{text}");
    assert!(!std::fs::read_to_string(s.ws.path(".dlt/config.toml"))
        .unwrap()
        .contains("workspace_id"));
    s.server.shutdown();
}

#[test]
fn a_missing_cli_gets_install_instructions_and_the_venv_is_used_only_when_trusted() {
    let empty = tempfile::tempdir().unwrap();
    let path = empty.path().to_str().unwrap().to_string();
    let mut s = session(WORKSPACE, "ok", Some(json!({})), &[("PATH", &path)]);
    let err = execute(&mut s.server, "dlt.connect", &s.ws.path(".dlt")).unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("uv add \"dlt[hub]\""),
        "{err}"
    );
    let shown = s
        .server
        .wait_for("error message", |m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("dlthub CLI was not found"));
    s.server.shutdown();

    // The project's .venv/bin/dlthub is found in a trusted folder…
    let ws_fixture = WORKSPACE.to_string();
    let mut s = session(&ws_fixture, "ok", Some(json!({})), &[]);
    let venv = s.ws.path(".venv/bin/dlthub");
    std::fs::create_dir_all(venv.parent().unwrap()).unwrap();
    std::fs::copy(fixture_path("fake-dlthub"), &venv).unwrap();
    let result = execute(&mut s.server, "dlt.showProfile", &s.ws.path(".dlt")).unwrap();
    assert_eq!(result["success"], true, "{result}");
    assert_eq!(calls(&s.log).len(), 1);
    s.server.shutdown();
    // …and never in an untrusted one.
    let mut s = session(
        &ws_fixture,
        "ok",
        Some(json!({ "trusted": false })),
        &[("PATH", &path)],
    );
    let venv = s.ws.path(".venv/bin/dlthub");
    std::fs::create_dir_all(venv.parent().unwrap()).unwrap();
    std::fs::copy(fixture_path("fake-dlthub"), &venv).unwrap();
    assert!(execute(&mut s.server, "dlt.showProfile", &s.ws.path(".dlt")).is_err());
    assert!(calls(&s.log).is_empty());
    s.server.shutdown();
}

#[test]
fn one_run_at_a_time_and_cancellation_kills_the_process() {
    let mut s = session(WORKSPACE, "slow", None, &[]);
    let dlt = s.ws.path(".dlt");
    let first = s.server.send_request(
        "workspace/executeCommand",
        json!({ "command": "dlt.sync", "arguments": [{ "dltDir": dlt }] }),
    );
    let begin = s.server.wait_for("progress begin", |m| {
        m["method"] == "$/progress"
            && m["params"]["value"]["title"] == "Running dlthub workspace configuration sync"
    });
    s.server.wait_for("streamed output", |m| {
        m["method"] == "window/logMessage" && m["params"]["message"] == "[dlthub] working 1"
    });
    let second = execute(&mut s.server, "dlt.connect", &dlt).unwrap_err();
    assert!(
        second["message"]
            .as_str()
            .unwrap()
            .contains("already running"),
        "{second}"
    );
    s.server.notify(
        "window/workDoneProgress/cancel",
        json!({ "token": begin["params"]["token"] }),
    );
    let result = s.server.response(first, "executeCommand").unwrap();
    assert_eq!(result["cancelled"], true, "{result}");
    let pid = calls(&s.log)[0]["pid"].as_i64().unwrap();
    let alive = std::process::Command::new("kill")
        .args(["-0", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(
        !alive,
        "the cancelled dlthub process {pid} is still running"
    );
    // The slot is free again.
    s.server.shutdown();
}

#[test]
fn secrets_never_reach_the_forwarded_output() {
    let mut s = session(
        WORKSPACE,
        "echo",
        None,
        &[("FAKE_DLTHUB_ECHO", "password is hunter2-very-secret")],
    );
    execute(&mut s.server, "dlt.showProfile", &s.ws.path(".dlt")).unwrap();
    let all = serde_json::to_string(&s.server.log).unwrap();
    assert!(
        !all.contains("hunter2-very-secret"),
        "a secret was forwarded"
    );
    assert!(
        all.contains("[dlthub] config value: password is ••••"),
        "{all}"
    );
    s.server.shutdown();
}
