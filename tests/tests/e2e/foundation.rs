//! End-to-end: the foundation over stdio — capabilities, sync, diagnostics of closed files,
//! progress, watched files, formatting, symbols, folding, shutdown, and the check CLI.

use dlt_lsp_e2e::*;

const DEMO: &str = r#"//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
log_level = "WARNING"

[destination.warehouse]
destination_type = "duckdb"
//- .dlt/prod.secrets.toml
[destination.warehouse
password = "x"
//- .dlt/access.config.toml
# access has files of its own, so prod.secrets.toml carries no access-falls-back-to-prod note
"#;

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn initialize_advertises_incremental_sync_and_negotiates_utf8() {
    let ws = Workspace::new(DEMO);
    let (server, init) = Server::start(&ws.root_uri(), None, full_capabilities());
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-8");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    assert_eq!(caps["documentSymbolProvider"], true);
    assert_eq!(caps["documentFormattingProvider"], true);
    assert_eq!(caps["foldingRangeProvider"], true);
    assert_eq!(init["serverInfo"]["name"], "dlt-lsp");
    assert!(server.shutdown().success());
}

#[test]
fn falls_back_to_utf16_and_accepts_every_shape_of_initialization_options() {
    let ws = Workspace::new(DEMO);
    for opts in [None, Some(Value::Null), Some(json!({})), Some(json!([]))] {
        let (server, init) = Server::start(&ws.root_uri(), opts.clone(), json!({}));
        assert_eq!(
            init["capabilities"]["positionEncoding"], "utf-16",
            "options {opts:?}"
        );
        assert!(server.shutdown().success());
    }
}

#[test]
fn publishes_diagnostics_for_a_broken_file_that_is_not_open() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let diags = server.diagnostics(&ws.uri(".dlt/prod.secrets.toml"), |d| !d.is_empty());
    assert_eq!(codes(&diags), ["toml-syntax"]);
    assert_eq!(
        diags[0]["range"]["start"],
        json!({ "line": 0, "character": 22 })
    );
    assert_eq!(diags[0]["severity"], 1);
    // A clean file nobody opened is not published: the client would parse a message to show
    // nothing (a monorepo's indexing sent thousands).
    let clean = ws.uri(".dlt/config.toml");
    server.indexed();
    assert!(
        server.publications(&clean).is_empty(),
        "{:?}",
        server.publications(&clean)
    );
    server.shutdown();
}

#[test]
fn reports_indexing_progress() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let created = server.wait_for("progress token", |m| {
        m["method"] == "window/workDoneProgress/create"
    });
    let token = created["params"]["token"].clone();
    let begin = server.wait_for("progress begin", |m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "begin"
    });
    assert_eq!(begin["params"]["token"], token);
    assert_eq!(begin["params"]["value"]["title"], "Indexing dlt workspaces");
    let report = server.wait_for("progress report", |m| {
        m["params"]["value"]["kind"] == "report"
    });
    assert_eq!(report["params"]["value"]["message"], "3/3 files");
    server.wait_for("progress end", |m| m["params"]["value"]["kind"] == "end");
    server.shutdown();
}

#[test]
fn incremental_edits_with_multibyte_text_keep_ranges_exact_in_utf8_and_utf16() {
    for (caps, enc) in [(full_capabilities(), "utf-8"), (json!({}), "utf-16")] {
        let ws = Workspace::new(DEMO);
        let (mut server, _) = Server::start(&ws.root_uri(), None, caps);
        let uri = ws.uri(".dlt/config.toml");
        let text = "name = \"héllo 😀\"\r\nother = 1\r\n";
        server.open(&uri, text);
        server.diagnostics(&uri, |d| d.is_empty());
        // Append ` x = 1` after the emoji line's closing quote: a syntax error there.
        let col = if enc == "utf-8" {
            "name = \"héllo 😀\"".len()
        } else {
            "name = \"héllo 😀\"".encode_utf16().count()
        };
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": 2 },
                "contentChanges": [{ "range": { "start": { "line": 0, "character": col }, "end": { "line": 0, "character": col } }, "text": " other = 2" }]
            }),
        );
        let diags = server.diagnostics(&uri, |d| !d.is_empty());
        assert_eq!(
            diags[0]["range"]["start"]["character"],
            json!(col + 1),
            "{enc}: {diags:?}"
        );
        // Now delete the inserted text and rename the key on line 1 to duplicate line 0.
        server.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": 3 },
                "contentChanges": [
                    { "range": { "start": { "line": 0, "character": col }, "end": { "line": 0, "character": col + 10 } }, "text": "" },
                    { "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 5 } }, "text": "name" }
                ]
            }),
        );
        let diags = server.diagnostics(&uri, |d| codes(d) == ["toml-duplicate-key"]);
        assert_eq!(
            diags[0]["range"]["start"],
            json!({ "line": 1, "character": 0 })
        );
        assert_eq!(
            diags[0]["relatedInformation"][0]["location"]["range"]["start"],
            json!({ "line": 0, "character": 0 })
        );
        server.shutdown();
    }
}

#[test]
fn a_burst_of_edits_ends_with_diagnostics_for_the_last_version_only() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    server.open(&uri, "");
    server.diagnostics(&uri, |_| true);
    for v in 2..=40 {
        // Odd versions are broken, even ones fine; the last (40) is fine.
        let text = if v % 2 == 1 { "a = \n" } else { "a = 1\n" };
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": v }, "contentChanges": [{ "text": text }] }),
        );
    }
    let last = server.wait_for("diagnostics for version 40", |m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == json!(uri)
            && m["params"]["version"] == 40
    });
    assert_eq!(last["params"]["diagnostics"], json!([]));
    // Nothing older may arrive after it. Publications that arrived before it (kept in the inbox
    // while waiting) do not count.
    server.inbox.retain(|m| {
        !(m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri))
    });
    let late = server.try_wait_for(std::time::Duration::from_millis(300), &|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
    });
    assert!(
        late.is_none(),
        "stale diagnostics after the last version: {late:?}\n{}",
        server.stderr()
    );
    server.shutdown();
}

#[test]
fn picks_up_changes_made_on_disk_through_watched_files() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let reg = server.wait_for("watcher registration", |m| {
        m["method"] == "client/registerCapability"
    });
    let globs: Vec<_> = reg["params"]["registrations"][0]["registerOptions"]["watchers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["globPattern"].as_str().unwrap().to_string())
        .collect();
    assert!(
        globs.contains(&"**/.dlt/**".to_string()) && globs.contains(&"**/.gitignore".to_string()),
        "{globs:?}"
    );
    let uri = ws.uri(".dlt/prod.secrets.toml");
    server.diagnostics(&uri, |d| !d.is_empty());
    // Fixed, and valid for duckdb too (a `password` key here would be an unknown-key warning).
    ws.write(
        ".dlt/prod.secrets.toml",
        "[destination.warehouse]\ndataset_name = \"x\"\n",
    );
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": uri, "type": 2 }] }),
    );
    server.diagnostics(&uri, |d| d.is_empty());
    // A new file in a new .dlt folder is indexed too.
    ws.write("other/.dlt/config.toml", "a = 1\na = 2\n");
    let new_uri = ws.uri("other/.dlt/config.toml");
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": new_uri, "type": 1 }] }),
    );
    let diags = server.diagnostics(&new_uri, |d| !d.is_empty());
    assert_eq!(codes(&diags), ["toml-duplicate-key"]);
    // Deleting it clears its diagnostics.
    std::fs::remove_file(ws.path("other/.dlt/config.toml")).unwrap();
    server.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": new_uri, "type": 3 }] }),
    );
    server.diagnostics(&new_uri, |d| d.is_empty());
    server.shutdown();
}

#[test]
fn formats_with_taplo_keeping_crlf_and_refuses_broken_files() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    let text = "[runtime]\r\nlog_level=\"INFO\"\r\n";
    server.open(&uri, text);
    let edits = server
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        )
        .unwrap();
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["range"],
        json!({ "start": { "line": 1, "character": 9 }, "end": { "line": 1, "character": 10 } })
    );
    assert_eq!(edits[0]["newText"], " = ");
    let broken = ws.uri(".dlt/prod.secrets.toml");
    let r = server.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": broken }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    assert_eq!(r.unwrap(), Value::Null);
    let msg = server.wait_for("refusal message", |m| m["method"] == "window/showMessage");
    assert!(
        msg["params"]["message"]
            .as_str()
            .unwrap()
            .contains("syntax error"),
        "{msg}"
    );
    server.shutdown();
}

/// A large document is formatted piece by piece and each piece's result is remembered: after an
/// edit, formatting again must still answer for the whole current text (only the edited line
/// changes), and an unchanged document gets no edits.
#[test]
fn formatting_again_after_edits_answers_for_the_current_text() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    let mut text = String::new();
    for i in 0..600 {
        text.push_str(&format!(
            "[sources.s{i}]\nbase_url = \"https://e.com/{i}\"\npage_size = {i}\n\n"
        ));
    }
    text.pop(); // formatted: one line break at the end
    server.open(&uri, &text);
    let format = |server: &mut Server| {
        server
            .request(
                "textDocument/formatting",
                json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 4, "insertSpaces": true } }),
            )
            .unwrap()
    };
    assert_eq!(format(&mut server), json!([]));
    // Unformat line 1202 (`page_size = 300`) and a line near the end, in two versions.
    let edit = |server: &mut Server, version: i32, line: u32, old_len: u32, new: &str| {
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{
                "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": old_len } },
                "text": new }] }),
        );
    };
    edit(&mut server, 2, 1202, 15, "page_size=300");
    assert_eq!(
        format(&mut server),
        json!([{ "range": { "start": { "line": 1202, "character": 9 }, "end": { "line": 1202, "character": 10 } }, "newText": " = " }])
    );
    edit(&mut server, 3, 2390, 15, "page_size   =597");
    let mut current: Vec<String> = text.lines().map(String::from).collect();
    current[1202] = "page_size=300".into();
    current[2390] = "page_size   =597".into();
    let edits = format(&mut server);
    assert_eq!(edits.as_array().unwrap().len(), 1, "{edits}");
    let e = &edits[0];
    let pos = |p: &Value| {
        (
            p["line"].as_u64().unwrap() as usize,
            p["character"].as_u64().unwrap() as usize,
        )
    };
    let ((l0, c0), (l1, c1)) = (pos(&e["range"]["start"]), pos(&e["range"]["end"]));
    assert_eq!(
        (l0, l1),
        (1202, 2390),
        "only the edited lines and what lies between: {e}"
    );
    let joined = current.join("\n") + "\n";
    let offset = |l: usize, c: usize| current[..l].iter().map(|x| x.len() + 1).sum::<usize>() + c;
    let formatted = format!(
        "{}{}{}",
        &joined[..offset(l0, c0)],
        e["newText"].as_str().unwrap(),
        &joined[offset(l1, c1)..]
    );
    assert_eq!(formatted, text);
    // Undo both: nothing to format again.
    edit(&mut server, 4, 1202, 13, "page_size = 300");
    edit(&mut server, 5, 2390, 16, "page_size = 597");
    assert_eq!(format(&mut server), json!([]));
    server.shutdown();
}

/// An edit's diagnostics come first for the edited document, before those of its folder's other
/// files that the edit also changed (here a conflict of `organization_id` across two files).
#[test]
fn an_edited_document_is_published_before_its_siblings() {
    let ws = Workspace::new(DEMO);
    ws.write(
        ".dlt/prod.config.toml",
        "[runtime]\norganization_id = \"org-a\"\n",
    );
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    let sibling = ws.uri(".dlt/prod.config.toml");
    let text = "[runtime]\norganization_id = \"org-a\"\n";
    server.open(&uri, text);
    server.diagnostics(&uri, |_| true);
    server.diagnostics(&sibling, |_| true);
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{
            "range": { "start": { "line": 1, "character": 22 }, "end": { "line": 1, "character": 23 } },
            "text": "b" }] }),
    );
    let conflict = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["code"] == "organization-id-conflict"))
    };
    let first = server.wait_for("a conflict", conflict);
    assert_eq!(first["params"]["uri"], json!(uri), "{first}");
    assert_eq!(first["params"]["version"], json!(2));
    let second = server.wait_for("the sibling's conflict", conflict);
    assert_eq!(second["params"]["uri"], json!(sibling), "{second}");
    server.shutdown();
}

/// The workspace is read from `initialize` on, but nothing reaches the client before it says
/// `initialized` (the protocol forbids it); then every file's findings follow.
#[test]
fn reads_at_initialize_but_sends_nothing_before_initialized() {
    let ws = Workspace::new(DEMO);
    let mut server = Server::spawn(&[]);
    server
        .request(
            "initialize",
            json!({ "processId": null, "rootUri": ws.root_uri(), "capabilities": full_capabilities(),
                    "workspaceFolders": [{ "uri": ws.root_uri(), "name": "ws" }] }),
        )
        .unwrap();
    let early = server.try_wait_for(std::time::Duration::from_millis(500), &|m| {
        m.get("method").is_some()
    });
    assert_eq!(early, None, "sent before `initialized`");
    server.notify("initialized", json!({}));
    let diags = server.diagnostics(&ws.uri(".dlt/prod.secrets.toml"), |d| !d.is_empty());
    assert!(
        codes(&diags).iter().any(|c| c == "toml-syntax"),
        "{diags:?}"
    );
    server.shutdown();
}

#[test]
fn answers_nested_document_symbols_and_folding_ranges() {
    let ws = Workspace::new(DEMO);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    server.indexed();
    let syms = server
        .request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        )
        .unwrap();
    let outline: Vec<String> = syms
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let kids: Vec<_> = s["children"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string())
                .collect();
            format!("{}({})", s["name"].as_str().unwrap(), kids.join(","))
        })
        .collect();
    assert_eq!(outline, ["runtime(log_level)", "destination(warehouse)"]);
    let folds = server
        .request(
            "textDocument/foldingRange",
            json!({ "textDocument": { "uri": uri } }),
        )
        .unwrap();
    let lines: Vec<_> = folds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [(0, 1), (3, 4)]);
    server.shutdown();
}

#[test]
fn shutdown_then_exit_ends_the_process_cleanly() {
    let ws = Workspace::new(DEMO);
    let (server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let status = server.shutdown();
    assert!(status.success(), "{status:?}");
}

#[test]
fn check_cli_prints_findings_and_exits_1_on_errors() {
    let ws = Workspace::new(DEMO);
    let (code, out, err) = run_cli(ws.dir.path(), &["check"]);
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(
        out,
        ".dlt/prod.secrets.toml:1:23: error: expected \"]\" [toml-syntax]\n"
    );
    assert!(err.contains("checked 1 .dlt folder: 1 error"), "{err}");
    let (code, out, _) = run_cli(
        ws.dir.path(),
        &["check", "--format", "json", ".dlt/config.toml"],
    );
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "[]");
    let (code, out, _) = run_cli(ws.dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json[0]["code"], "toml-syntax");
    assert_eq!(json[0]["line"], 1);
    let (code, out, _) = run_cli(ws.dir.path(), &["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("dlt-lsp "), "{out}");
    let (code, _, err) = run_cli(ws.dir.path(), &["check", "missing-dir"]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file"), "{err}");
}
