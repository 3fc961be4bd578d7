//! Stress over stdio: 10,000 seeded random operations (hover, completion, document symbols,
//! code actions, formatting, folding, incremental edits) with concurrent cancellations, while a
//! second thread rewrites the workspace's files on disk and the client reports those changes.
//! No crash, no error response but a cancellation (or MethodNotFound for a feature not wired
//! yet), and memory back near its baseline once every document is closed.

use std::collections::HashSet;
use std::sync::mpsc;

use dlt_lsp::model::text::{Encoding, LineCol, LineIndex};
use dlt_lsp_e2e::*;

const OPERATIONS: usize = 10_000;
/// Operations sent before their responses are collected, so cancellations race real work.
const BATCH: usize = 24;
const REQUEST_CANCELLED: i64 = -32800;
const METHOD_NOT_FOUND: i64 = -32601;

/// SplitMix64: a tiny seeded generator, so every run sends the same operations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const OPEN: &[&str] = &[
    ".dlt/config.toml",
    ".dlt/secrets.toml",
    ".dlt/prod.config.toml",
    ".dlt/prod.secrets.toml",
];

const SNIPPETS: &[&str] = &[
    "",
    "a = 1\n",
    "[destination.postgres.credentials]\n",
    "password = \"hunter2-stress\"\n",
    "[runtime]\nlog_level = \"INFO\"\n",
    "é😀",
    "\r\n",
    "\"",
    "[",
    "}",
    "= ",
    "{ host = \"h\", port = 5432 }",
    "# comment\n",
    "[[sources.items]]\n",
    "x",
];

/// Contents the disk thread writes: valid, broken, empty, secret-bearing.
const DISK_TEXTS: &[&str] = &[
    "[runtime]\nlog_level = \"WARNING\"\n",
    "[destination.warehouse]\ndestination_type = \"postgres\"\ncredentials = \"postgresql://u:pw-disk@h/db\"\n",
    "[broken\nkey = = 1\n",
    "",
    "[sources.api]\napi_key = \"sk-disk-0123456789\"\n",
    "k = [[[[1]]]]\r\n",
];

/// Files the disk thread rewrites, creates and deletes (some open in the editor as well).
const DISK_FILES: &[&str] = &[
    ".dlt/dev.config.toml",
    ".dlt/dev.secrets.toml",
    ".dlt/prod.secret.toml",
    ".dlt/tests.config.toml",
    ".dlt/secrets.toml",
    ".dlt/config.toml",
    ".dlt/profile-name",
    ".gitignore",
];

const FIXTURE: &str = r#"
//- .dlt/.workspace
//- .dlt/config.toml
[runtime]
log_level = "INFO"

[destination.warehouse]
destination_type = "postgres"

[sources.github]
repo = "dlt-hub/dlt"
//- .dlt/secrets.toml
[destination.warehouse.credentials]
host = "localhost"
password = "stress-secret-1"
//- .dlt/prod.config.toml
[runtime]
log_level = "WARNING"
//- .dlt/prod.secrets.toml
[sources.github]
access_token = "ghp_stress0123456789abcdefghijklmnop"
"#;

/// A document as the client sees it.
struct Doc {
    uri: String,
    text: String,
    version: i32,
}

fn position(text: &str, offset: usize, enc: Encoding) -> Value {
    let lc = LineIndex::new(text).line_col(text, offset, enc);
    json!({ "line": lc.line, "character": lc.col })
}

/// A random char boundary of `text`.
fn boundary(rng: &mut Rng, text: &str) -> usize {
    let mut at = rng.below(text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[test]
fn ten_thousand_random_requests_with_cancellations_and_disk_churn() {
    let ws = Workspace::new(FIXTURE);
    let (mut server, init) = Server::start(&ws.root_uri(), None, full_capabilities());
    let enc = match init["capabilities"]["positionEncoding"].as_str() {
        Some("utf-8") => Encoding::Utf8,
        Some("utf-32") => Encoding::Utf32,
        _ => Encoding::Utf16,
    };
    // Settle: the workspace is indexed and diagnosed before the baseline is taken.
    server.indexed();
    settle(&mut server, &ws);
    let baseline = server.rss_kib();

    let mut docs: Vec<Doc> = OPEN
        .iter()
        .map(|rel| Doc {
            uri: ws.uri(rel),
            text: std::fs::read_to_string(ws.path(rel)).unwrap(),
            version: 1,
        })
        .collect();
    for d in &docs {
        server.open(&d.uri, &d.text);
    }

    // The disk thread changes one file per tick and reports the event it caused.
    let (tick_tx, tick_rx) = mpsc::channel::<()>();
    let (event_tx, event_rx) = mpsc::channel::<Value>();
    let root = ws.dir.path().to_path_buf();
    let disk = std::thread::spawn(move || {
        let mut rng = Rng(0xD15C);
        while tick_rx.recv().is_ok() {
            let rel = *rng.pick(DISK_FILES);
            let path = root.join(rel);
            let kind = if rng.below(4) == 0 && path.exists() {
                std::fs::remove_file(&path).unwrap();
                3
            } else {
                let existed = path.exists();
                std::fs::write(&path, rng.pick(DISK_TEXTS)).unwrap();
                if existed {
                    2
                } else {
                    1
                }
            };
            let uri = file_uri(&path);
            if event_tx
                .send(json!({ "changes": [{ "uri": uri, "type": kind }] }))
                .is_err()
            {
                break;
            }
        }
    });

    let mut rng = Rng(0x5EED_2026);
    let mut pending: HashSet<i64> = HashSet::new();
    let mut answered: Vec<i64> = Vec::new();
    let (mut cancelled, mut not_found, mut ok, mut edits, mut disk_events) = (0, 0, 0, 0, 0);
    let mut peak = baseline.unwrap_or(0);
    let mut sent = 0;
    while sent < OPERATIONS {
        for _ in 0..BATCH.min(OPERATIONS - sent) {
            sent += 1;
            let d = rng.below(docs.len());
            let uri = docs[d].uri.clone();
            let text_doc = json!({ "uri": uri });
            let at = boundary(&mut rng, &docs[d].text);
            let pos = position(&docs[d].text, at, enc);
            let (method, params) = match rng.below(100) {
                0..=9 => (
                    "textDocument/hover",
                    json!({ "textDocument": text_doc, "position": pos }),
                ),
                10..=19 => (
                    "textDocument/completion",
                    json!({ "textDocument": text_doc, "position": pos }),
                ),
                20..=29 => (
                    "textDocument/documentSymbol",
                    json!({ "textDocument": text_doc }),
                ),
                30..=41 => {
                    let end = (at + rng.below(40)).min(docs[d].text.len());
                    let end = boundary_at_or_before(&docs[d].text, end);
                    (
                        "textDocument/codeAction",
                        json!({
                            "textDocument": text_doc,
                            "range": { "start": pos, "end": position(&docs[d].text, end, enc) },
                            "context": { "diagnostics": [] }
                        }),
                    )
                }
                42..=49 => (
                    "textDocument/formatting",
                    json!({ "textDocument": text_doc, "options": { "tabSize": 2, "insertSpaces": true } }),
                ),
                50..=57 => (
                    "textDocument/foldingRange",
                    json!({ "textDocument": text_doc }),
                ),
                58..=61 => ("textDocument/codeLens", json!({ "textDocument": text_doc })),
                _ => {
                    edit(&mut server, &mut rng, &mut docs[d], enc);
                    edits += 1;
                    continue;
                }
            };
            let id = server.send_request(method, params);
            pending.insert(id);
            // Cancel some right away, and some that may already be answered.
            if rng.below(5) == 0 {
                server.notify("$/cancelRequest", json!({ "id": id }));
            }
            if rng.below(20) == 0 && !answered.is_empty() {
                let old = *rng.pick(&answered);
                server.notify("$/cancelRequest", json!({ "id": old }));
            }
        }
        if sent % (BATCH * 4) < BATCH {
            tick_tx.send(()).unwrap();
        }
        while let Ok(event) = event_rx.try_recv() {
            server.notify("workspace/didChangeWatchedFiles", event);
            disk_events += 1;
        }
        for id in pending.drain() {
            match server.response(id, "a stress request") {
                Ok(_) => ok += 1,
                Err(e) if e["code"] == REQUEST_CANCELLED => cancelled += 1,
                Err(e) if e["code"] == METHOD_NOT_FOUND => not_found += 1,
                Err(e) => panic!(
                    "request {id} failed: {e}\nstderr tail: {}",
                    tail(&server.stderr())
                ),
            }
            answered.push(id);
        }
        // Notifications (diagnostics, progress, messages) are not under test here.
        server.inbox.clear();
        server.log.clear();
        peak = peak.max(server.rss_kib().unwrap_or(0));
    }
    drop(tick_tx);
    disk.join().unwrap();
    while let Ok(event) = event_rx.try_recv() {
        server.notify("workspace/didChangeWatchedFiles", event);
        disk_events += 1;
    }

    // Incremental sync kept the server's text equal to the client's: the outline (every key,
    // value and range) of each document is what the client's own copy yields.
    for d in &docs {
        let served = server
            .request(
                "textDocument/documentSymbol",
                json!({ "textDocument": { "uri": d.uri } }),
            )
            .unwrap();
        assert_eq!(
            served,
            local_symbols(&uri_path(&d.uri), &d.text, enc),
            "{}",
            d.uri
        );
    }
    for d in &docs {
        server.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": d.uri } }),
        );
    }
    settle(&mut server, &ws);
    let after = server.rss_kib();
    eprintln!(
        "stress: {OPERATIONS} operations ({edits} edits, {ok} answered, {cancelled} cancelled, \
         {not_found} method not found, {disk_events} disk events); VmRSS KiB: baseline {baseline:?}, \
         peak {peak}, after closing {after:?}"
    );
    assert_eq!(ok + cancelled + not_found + edits, OPERATIONS);
    if let (Some(base), Some(after)) = (baseline, after) {
        // Allocators keep some freed memory; a leak of the documents' versions or snapshots
        // (thousands of parsed files) would be far above this bound.
        let bound = base + (base / 2).max(48 * 1024);
        assert!(
            after <= bound,
            "VmRSS {after} KiB after closing every document, baseline {base} KiB (bound {bound})"
        );
    }
    assert!(server.shutdown().success());
}

/// Sends one incremental (sometimes full) change and applies it to the client's copy.
fn edit(server: &mut Server, rng: &mut Rng, doc: &mut Doc, enc: Encoding) {
    doc.version += 1;
    let change = if rng.below(50) == 0 || doc.text.len() > 6000 {
        doc.text = rng.pick(DISK_TEXTS).to_string();
        json!({ "text": doc.text })
    } else {
        let a = boundary(rng, &doc.text);
        let b = boundary_at_or_before(&doc.text, (a + rng.below(24)).min(doc.text.len()));
        let new = *rng.pick(SNIPPETS);
        let range =
            json!({ "start": position(&doc.text, a, enc), "end": position(&doc.text, b, enc) });
        // The client's copy clamps as the server does (e.g. a position between `\r` and `\n`).
        let idx = LineIndex::new(&doc.text);
        let (a, b) = (
            idx.offset(&doc.text, lc(&range["start"]), enc),
            idx.offset(&doc.text, lc(&range["end"]), enc),
        );
        doc.text.replace_range(a..b.max(a), new);
        json!({ "range": range, "text": new })
    };
    server.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": doc.uri, "version": doc.version },
            "contentChanges": [change]
        }),
    );
}

/// The hierarchical outline the server should send for `text`.
fn local_symbols(path: &std::path::Path, text: &str, enc: Encoding) -> Value {
    use dlt_lsp::features::symbols::document_symbols;
    use dlt_lsp::lsp::convert;
    use dlt_lsp::model::source::SourceFile;
    let file = SourceFile::from_text(path, text.into(), Some(1));
    let symbols: Vec<_> = document_symbols(file.doc.root())
        .iter()
        .map(|s| convert::symbol(&file, s, enc))
        .collect();
    serde_json::to_value(symbols).unwrap()
}

fn lc(pos: &Value) -> LineCol {
    LineCol {
        line: pos["line"].as_u64().unwrap() as u32,
        col: pos["character"].as_u64().unwrap() as u32,
    }
}

fn boundary_at_or_before(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Waits until the server has handled everything sent so far, then lets it finish the
/// diagnostics those messages scheduled (a few sequential round trips; no sleeps).
fn settle(server: &mut Server, ws: &Workspace) {
    for _ in 0..20 {
        let r = server.request(
            "textDocument/documentSymbol",
            json!({ "textDocument": { "uri": ws.uri(".dlt/prod.config.toml") } }),
        );
        assert!(r.is_ok(), "{r:?}");
    }
    server.inbox.clear();
    server.log.clear();
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(3000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
