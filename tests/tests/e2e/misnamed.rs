//! End-to-end: misnamed profile files are flagged and renamed with a file operation.

use dlt_lsp_e2e::*;

#[test]
fn a_misnamed_profile_file_is_flagged_and_renamed() {
    let ws = Workspace::new("//- .dlt/.workspace\n//- .dlt/secrets.prod.toml\n[destination.warehouse.credentials]\npassword = \"<configure me>\"\n//- .dlt/config.access.toml\na = 1\n//- .dlt/access.config.toml\nb = 1\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/secrets.prod.toml");
    let diags = server.diagnostics(&uri, |d| {
        d.iter().any(|x| x["code"] == "misnamed-profile-file")
    });
    let d = diags
        .iter()
        .find(|x| x["code"] == "misnamed-profile-file")
        .unwrap();
    assert_eq!(d["severity"], 2);
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("`prod.secrets.toml`"));
    let r = server
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
        )
        .unwrap();
    let rename = r
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "Rename to prod.secrets.toml")
        .expect("rename action");
    let op = &rename["edit"]["documentChanges"][0];
    assert_eq!(op["kind"], "rename");
    assert_eq!(op["oldUri"], json!(uri));
    assert_eq!(op["newUri"], json!(ws.uri(".dlt/prod.secrets.toml")));
    assert_eq!(op["options"]["overwrite"], false);
    // Refused when the target exists.
    let access = ws.uri(".dlt/config.access.toml");
    server.diagnostics(&access, |d| !d.is_empty());
    let r = server
        .request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": access }, "range": { "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 } }, "context": { "diagnostics": [] } }),
        )
        .unwrap();
    let titles: Vec<_> = r
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["title"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !titles.iter().any(|t| t.starts_with("Rename")),
        "{titles:?}"
    );
    server.shutdown();
}
