//! End-to-end: destination validation, completion and key docs over stdio.

use dlt_lsp_e2e::*;

fn by_code<'a>(diags: &'a [Value], code: &str) -> Vec<&'a Value> {
    diags.iter().filter(|d| d["code"] == code).collect()
}

fn message(d: &Value) -> &str {
    d["message"].as_str().unwrap()
}

#[test]
fn validates_keys_types_literals_and_connection_strings_per_destination() {
    let ws = Workspace::new(
        r#"//- .dlt/.workspace
//- .dlt/secrets.toml
[destination.postgres.credentials]
host = "db"
pasword = "<configure me>"
port = "not-a-number"

[destination.motherduck.credentials]
database = "analytics"
password = "<configure me>"
tokn = "x"

[destination.snowflake.credentials]
private_key_passphrase = "<configure me>"
warehouse = "wh"

[destination.bigquery]
location = "EU"
credentials = "{not json"

[destination.duckdb]
credentials = "postgresql://u:p@h/db"

[destination.s3_lake]
destination_type = "filesystem"
bucket_url = "s3://bucket/path"
[destination.s3_lake.credentials]
aws_access_key_id = "<configure me>"
project_id = "p"

[destination.gcs_lake]
destination_type = "filesystem"
bucket_url = "gs://bucket/path"
[destination.gcs_lake.credentials]
project_id = "p"
aws_access_key_id = "x"

[destination.typo]
destination_type = "duckdbb"

[sources.anything]
whatever_key = 1
"#,
    );
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let diags = server.diagnostics(&ws.uri(".dlt/secrets.toml"), |d| !d.is_empty());
    let unknown: Vec<&str> = by_code(&diags, "unknown-key")
        .into_iter()
        .map(message)
        .collect();
    assert!(
        unknown
            .iter()
            .any(|m| m.contains("pasword") && m.contains("Did you mean `password`?")),
        "{unknown:#?}"
    );
    assert!(unknown.iter().any(|m| m.contains("tokn")), "{unknown:#?}");
    // Variant-aware: an s3 bucket takes AWS credentials, a gs bucket GCP ones.
    assert!(
        unknown
            .iter()
            .any(|m| m.contains("project_id") && m.contains("s3")),
        "{unknown:#?}"
    );
    assert!(
        unknown
            .iter()
            .any(|m| m.contains("aws_access_key_id") && m.contains("gs")),
        "{unknown:#?}"
    );
    assert!(
        !unknown.iter().any(|m| m.contains("whatever_key")),
        "sources are free-form"
    );
    assert!(
        !unknown
            .iter()
            .any(|m| m.contains("warehouse") || m.contains("location")),
        "{unknown:#?}"
    );
    assert_eq!(by_code(&diags, "wrong-value-type").len(), 1, "{diags:#?}");
    let bad_type = by_code(&diags, "unknown-destination-type");
    assert!(
        message(bad_type[0]).contains("did you mean `duckdb`?"),
        "{bad_type:?}"
    );
    assert_eq!(bad_type[0]["severity"], 1);
    let conn: Vec<&str> = by_code(&diags, "invalid-connection-string")
        .into_iter()
        .map(message)
        .collect();
    assert_eq!(
        conn.len(),
        2,
        "bigquery bad JSON and a postgres URL for duckdb: {conn:#?}"
    );
    server.shutdown();
}

#[test]
fn warns_per_profile_about_missing_credentials_of_a_named_destination() {
    let ws = Workspace::new(
        r#"//- .dlt/.workspace
//- .dlt/config.toml
[destination.warehouse]
destination_type = "postgres"
//- .dlt/dev.secrets.toml
[destination.warehouse.credentials]
host = "localhost"
database = "dev"
username = "me"
password = "dev-password"
//- .dlt/prod.config.toml
[destination.warehouse.credentials]
host = "db.internal"
database = "analytics"
username = "loader"
"#,
    );
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let diags = server.diagnostics(&ws.uri(".dlt/config.toml"), |d| {
        !by_code(d, "missing-credentials").is_empty()
    });
    let missing = by_code(&diags, "missing-credentials");
    assert_eq!(
        missing.len(),
        1,
        "only prod lacks the password: {missing:#?}"
    );
    assert!(
        message(missing[0]).contains("prod") && message(missing[0]).contains("password"),
        "{missing:?}"
    );
    assert_eq!(
        missing[0]["range"]["start"]["line"], 1,
        "on the destination_type line"
    );
    server.shutdown();
}

fn labels(server: &mut Server, uri: &str, line: u32, character: u32) -> Vec<Value> {
    let r = server
        .request("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": character } }))
        .unwrap();
    r.as_array().cloned().unwrap_or_default()
}

fn has(items: &[Value], label: &str) -> bool {
    items.iter().any(|i| i["label"] == label)
}

#[test]
fn completes_sections_types_keys_literals_and_credentials_snippets() {
    let ws = Workspace::new("//- .dlt/config.toml\na = 1\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    server.indexed();
    // One incomplete spot at a time, as when typing.
    let mut version = 1;
    let mut at = |server: &mut Server, text: &str, line: u32, character: u32| {
        version += 1;
        server.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "text": text }] }),
        );
        labels(server, &uri, line, character)
    };
    server.open(&uri, "");
    let types = at(
        &mut server,
        "[destination.warehouse]\ndestination_type = \n",
        1,
        19,
    );
    for t in [
        "duckdb",
        "postgres",
        "snowflake",
        "bigquery",
        "motherduck",
        "filesystem",
    ] {
        assert!(
            types
                .iter()
                .any(|i| i["label"].as_str().unwrap().trim_matches('"') == t),
            "{t} missing: {types:#?}"
        );
    }
    let keys = at(
        &mut server,
        "[destination.postgres.credentials]\n\n[runtime]\n",
        1,
        0,
    );
    let password = keys
        .iter()
        .find(|i| i["label"] == "password")
        .unwrap_or_else(|| panic!("{keys:#?}"));
    assert!(
        password["detail"].as_str().unwrap().contains("required"),
        "{password}"
    );
    assert!(has(&keys, "host") && has(&keys, "port"));
    let booleans = at(&mut server, "[runtime]\ndlthub_telemetry = \n", 1, 19);
    assert!(
        has(&booleans, "true") && has(&booleans, "false"),
        "{booleans:#?}"
    );
    let literals = at(
        &mut server,
        "[destination.postgres]\nreplace_strategy = \n",
        1,
        19,
    );
    assert!(
        literals
            .iter()
            .any(|i| i["label"].as_str().unwrap().contains("insert-from-staging")),
        "{literals:#?}"
    );
    let sections = at(&mut server, "[\n", 0, 1);
    assert!(
        has(&sections, "runtime") && has(&sections, "destination"),
        "{sections:#?}"
    );
    let dest_types = at(&mut server, "[destination.\n", 0, 13);
    assert!(has(&dest_types, "snowflake"), "{dest_types:#?}");
    // The harness does not announce snippet support, so no snippet may be offered.
    assert!(keys
        .iter()
        .chain(&sections)
        .all(|i| i["insertTextFormat"] != 2));
    server.shutdown();
}

#[test]
fn hover_on_a_key_shows_its_type_default_and_doc() {
    let ws = Workspace::new("//- .dlt/config.toml\n[runtime]\nrequest_timeout = 30\n");
    let (mut server, _) = Server::start(&ws.root_uri(), None, full_capabilities());
    let uri = ws.uri(".dlt/config.toml");
    server.indexed();
    let hover = server
        .request(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": 1, "character": 3 } }),
        )
        .unwrap();
    let md = hover["contents"]["value"].as_str().unwrap();
    assert!(
        md.contains("request_timeout") && md.contains("float") && md.contains("60"),
        "{md}"
    );
    assert!(md.contains("Timeout for http requests"), "{md}");
    server.shutdown();
}
