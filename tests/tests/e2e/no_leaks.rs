//! Security: secret values never appear in what the server prints, logs or publishes.

use dlt_lsp_e2e::*;

const SECRETS: &[&str] = &[
    "Pg-pa55word-0001",
    "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "AKIAABCDEFGHIJKLMNOP",
];

fn fixture() -> String {
    format!(
        r#"//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "postgres"
[destination.warehouse.credentials]
host = "db"
password = "{0}"
[sources.api]
token = "{1}"
broken = = 1
//- .dlt/prod.secrets.toml
[destination.warehouse.credentials]
password = "{0}"
[sources.motherduck]
setting = "{2}"
[destination.athena.credentials]
aws_access_key_id = "{3}"
aws_secret_access_key = "{0}"
//- .dlt/secrets.prod.toml
password = "{0}"
"#,
        SECRETS[0], SECRETS[1], SECRETS[2], SECRETS[3]
    )
}

fn assert_clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{what} contains the secret {}…", &s[..6]);
    }
}

#[test]
fn no_output_channel_carries_a_secret() {
    let ws = Workspace::new(&fixture());
    git(ws.dir.path(), &["init", "-q"]);
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let config = ws.uri(".dlt/config.toml");
    let prod = ws.uri(".dlt/prod.secrets.toml");
    server.diagnostics(&prod, |d| !d.is_empty());
    server.diagnostics(&config, |d| !d.is_empty());
    for uri in [&config, &prod] {
        let _ = server.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": uri } }),
        );
        let _ = server.request(
            "textDocument/codeLens",
            json!({ "textDocument": { "uri": uri } }),
        );
        for line in 0..8 {
            let pos = json!({ "line": line, "character": 12 });
            let _ = server.request(
                "textDocument/hover",
                json!({ "textDocument": { "uri": uri }, "position": pos }),
            );
            let _ = server.request(
                "textDocument/completion",
                json!({ "textDocument": { "uri": uri }, "position": pos }),
            );
            let _ = server.request("textDocument/inlayHint", json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 20, "character": 0 } } }));
        }
    }
    let _ = server.request(
        "workspace/executeCommand",
        json!({ "command": "dlt.sync", "arguments": [{ "dltDir": ws.path(".dlt") }] }),
    );
    let stderr = server.stderr();
    let published = serde_json::to_string(&server.log).unwrap();
    server.shutdown();
    assert_clean("the server's messages", &published);
    assert_clean("the server's log (debug level)", &stderr);
    for args in [&["check"][..], &["check", "--format", "json"][..]] {
        let (_, out, err) = run_cli(ws.dir.path(), args);
        assert!(out.contains("secret-in-config"), "{out}");
        assert_clean("dlt-lsp check output", &out);
        assert_clean("dlt-lsp check stderr", &err);
    }
}
