//! End-to-end: bad input never crashes or hangs the server.

use dlt_lsp_e2e::*;

fn alive(server: &mut Server, ws: &Workspace) {
    let r = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": ws.uri(".dlt/config.toml") } }),
    );
    assert!(r.is_ok(), "server stopped answering: {r:?}");
}

#[test]
fn a_panicking_handler_answers_with_an_error_and_the_server_keeps_serving() {
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let err = server.request("dlt/debugPanic", json!({})).unwrap_err();
    assert_eq!(err["code"], -32603);
    assert!(err["message"].as_str().unwrap().contains("keeps running"));
    alive(&mut server, &ws);
    assert!(server.stderr().contains("panicked"));
    server.shutdown();
}

#[test]
fn requests_before_initialize_unknown_methods_and_malformed_frames_are_answered() {
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n");
    let mut server = Server::spawn(&[]);
    let early = server.request(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": ws.uri(".dlt/config.toml") } }),
    );
    assert_eq!(early.unwrap_err()["code"], -32002, "not initialized");
    server.initialize(&ws.root_uri(), None, full_capabilities());
    assert_eq!(
        server.request("dlt/noSuchMethod", json!({})).unwrap_err()["code"],
        -32601
    );
    server.notify("dlt/noSuchNotification", json!({}));
    // A body that is not JSON: a parse error response, then business as usual.
    server.send_raw(b"Content-Length: 9\r\n\r\n{not json");
    let parse_error = server.wait_for("parse error", |m| m["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], Value::Null);
    alive(&mut server, &ws);
    // A header without Content-Length, then a valid message.
    server.send_raw(b"Content-Type: nothing\r\n\r\n");
    alive(&mut server, &ws);
    server.shutdown();
}

#[test]
fn a_truncated_frame_at_end_of_input_ends_the_server_instead_of_hanging() {
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    server.send_raw(b"Content-Length: 100\r\n\r\n{\"jsonrpc\"");
    server.close_stdin();
    let status = server.wait_exit();
    assert!(
        !status.success(),
        "exit without shutdown is code 1: {status:?}"
    );
}

#[test]
fn bad_files_on_disk_become_diagnostics() {
    // A workspace, so the `*.config.toml` names below are profile files dlt reads (in a classic
    // project each would get a profile-file-outside-workspace warning).
    let ws = Workspace::new("//- .dlt/.workspace\n//- .dlt/config.toml\na = 1\n");
    let dlt = ws.path(".dlt");
    std::fs::write(dlt.join("latin1.secrets.toml"), b"password = \"caf\xe9\"\n").unwrap();
    std::fs::write(dlt.join("utf16.config.toml"), b"\xff\xfea\x00=\x001\x00").unwrap();
    let big = std::fs::File::create(dlt.join("huge.config.toml")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    std::fs::write(
        dlt.join("longline.config.toml"),
        format!("k = \"{}\"\n", "x".repeat(1024 * 1024)),
    )
    .unwrap();
    std::fs::write(
        dlt.join("deep.config.toml"),
        format!("k = {}1{}\n", "[".repeat(50_000), "]".repeat(50_000)),
    )
    .unwrap();
    std::fs::write(
        dlt.join("inline.config.toml"),
        format!("k = {}{}\n", "{ a = ".repeat(5000), "}".repeat(5000)),
    )
    .unwrap();
    std::fs::write(
        dlt.join("mixed.config.toml"),
        "a = 1\r\nb = 2\rc = 3\nd = \n",
    )
    .unwrap();
    std::fs::write(dlt.join("bom.config.toml"), "\u{feff}a = 1\n").unwrap();
    std::fs::create_dir(dlt.join("dir.config.toml")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&dlt, dlt.join("loop")).unwrap();
        std::os::unix::fs::symlink(dlt.join("missing.toml"), dlt.join("dangling.config.toml"))
            .unwrap();
    }
    // A `.dlt` that is a file, next to the real one.
    std::fs::create_dir_all(ws.path("other")).unwrap();
    std::fs::write(ws.path("other/.dlt"), "not a folder").unwrap();

    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let code_of = |server: &mut Server, rel: &str| -> Vec<String> {
        server
            .shown_diagnostics(&ws.uri(rel))
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        code_of(&mut server, ".dlt/latin1.secrets.toml"),
        ["file-encoding"]
    );
    assert_eq!(
        code_of(&mut server, ".dlt/utf16.config.toml"),
        ["file-encoding"]
    );
    assert_eq!(
        code_of(&mut server, ".dlt/huge.config.toml"),
        ["file-too-large"]
    );
    assert!(code_of(&mut server, ".dlt/longline.config.toml").is_empty());
    assert_eq!(
        code_of(&mut server, ".dlt/deep.config.toml"),
        ["toml-too-deep"]
    );
    assert_eq!(
        code_of(&mut server, ".dlt/inline.config.toml"),
        ["toml-too-deep"]
    );
    // TOML allows LF and CRLF only: the lone CR is an error (as for dlt), yet LSP counts it as
    // a line end, so the missing value of `d` is reported on line 3.
    let mixed = server.shown_diagnostics(&ws.uri(".dlt/mixed.config.toml"));
    assert!(
        mixed.iter().all(|d| d["code"] == "toml-syntax"),
        "{mixed:?}"
    );
    assert!(
        mixed
            .iter()
            .any(|d| d["range"]["start"]["line"] == 3 && d["message"] == "expected value"),
        "{mixed:?}"
    );
    assert!(code_of(&mut server, ".dlt/bom.config.toml").is_empty());
    let secret = "caf";
    let leaked = server
        .log
        .iter()
        .any(|m| m.to_string().contains(&format!("{secret}\\u00e9")));
    assert!(!leaked);
    // Every request on every bad file is answered (formatting the too-deep ones used to
    // overflow the stack and abort the server).
    for name in [
        "latin1.secrets",
        "utf16.config",
        "huge.config",
        "longline.config",
        "deep.config",
        "inline.config",
        "mixed.config",
        "bom.config",
    ] {
        let doc = json!({ "uri": ws.uri(&format!(".dlt/{name}.toml")) });
        let zero = json!({ "line": 0, "character": 0 });
        for (method, params) in [
            (
                "textDocument/formatting",
                json!({ "textDocument": doc, "options": { "tabSize": 2, "insertSpaces": true } }),
            ),
            (
                "textDocument/documentSymbol",
                json!({ "textDocument": doc }),
            ),
            ("textDocument/foldingRange", json!({ "textDocument": doc })),
            ("textDocument/codeLens", json!({ "textDocument": doc })),
            (
                "textDocument/codeAction",
                json!({ "textDocument": doc, "range": { "start": zero, "end": zero }, "context": { "diagnostics": [] } }),
            ),
        ] {
            let r = server.request(method, params);
            assert!(r.is_ok(), "{method} on {name}: {r:?}");
        }
    }
    alive(&mut server, &ws);
    server.shutdown();
}

#[test]
fn out_of_range_positions_and_edits_for_unknown_documents_are_harmless() {
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    server.open(&uri, "a = 1\n");
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "range": { "start": { "line": 99, "character": 99 }, "end": { "line": 0, "character": 3 } }, "text": " 2 # x\n" }] }),
    );
    server.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": ws.uri(".dlt/never-opened.toml"), "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    let diags = server.diagnostics(&uri, |_| true);
    assert!(diags.is_empty(), "{diags:?}");
    for (line, character) in [(0, 999), (999, 0), (u32::MAX, u32::MAX)] {
        let pos = json!({ "line": line, "character": character });
        let r = server.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": pos, "end": pos }, "context": { "diagnostics": [] } }),
        );
        assert!(r.is_ok(), "{r:?}");
        let r = server.request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": pos }),
        );
        assert!(
            r.is_ok() || r.as_ref().unwrap_err()["code"] == -32601,
            "{r:?}"
        );
    }
    // A document outside any .dlt folder is none of the server's business.
    let outside = ws.uri("pyproject.toml");
    server.open(&outside, "[project]\nname = 1\nname = 2\n");
    alive(&mut server, &ws);
    assert!(!server
        .log
        .iter()
        .any(|m| m["params"]["uri"] == json!(outside)));
    server.shutdown();
}
