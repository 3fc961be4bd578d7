//! A small LSP client for end-to-end tests: starts the built server, frames JSON-RPC with
//! Content-Length headers, answers the server's own requests, and waits for notifications with
//! a timeout (a failure bound, never a speed assertion).

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

pub use serde_json::{json, Value};

/// Path of a file under `tests/fixtures/`.
pub fn fixture_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// How long to wait for anything before failing a test.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Path of the server binary under test (override with `DLT_LSP_BIN`).
pub fn server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("DLT_LSP_BIN") {
        return PathBuf::from(p);
    }
    // Integration tests run from target/<profile>/deps/; Cargo builds this package's binary
    // into target/<profile>/ before running them.
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    profile_dir.join(format!(
        "dlt-lsp-under-test{}",
        std::env::consts::EXE_SUFFIX
    ))
}

/// A temporary workspace written from an inline `//- path` fixture.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(fixture: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("tempdir");
        dlt_lsp::fixture::write_fixture(dir.path(), fixture).expect("write fixture");
        Workspace { dir }
    }
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    pub fn uri(&self, rel: &str) -> String {
        file_uri(&self.path(rel))
    }
    pub fn root_uri(&self) -> String {
        file_uri(self.dir.path())
    }
    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

/// `file://` URI of an absolute path.
pub fn file_uri(path: &Path) -> String {
    let mut s = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                s.push(b as char)
            }
            _ => s.push_str(&format!("%{b:02X}")),
        }
    }
    s
}

/// Client capabilities of a modern editor: UTF-8 offered, progress, dynamic watchers.
pub fn full_capabilities() -> Value {
    json!({
        "general": { "positionEncodings": ["utf-8", "utf-16"] },
        "window": { "workDoneProgress": true, "showMessage": { "messageActionItem": { "additionalPropertiesSupport": false } } },
        "workspace": {
            "didChangeWatchedFiles": { "dynamicRegistration": true },
            "workspaceFolders": true,
            "workspaceEdit": { "documentChanges": true, "resourceOperations": ["create", "rename", "delete"] }
        },
        "textDocument": {
            "documentSymbol": { "hierarchicalDocumentSymbolSupport": true },
            "inlayHint": { "dynamicRegistration": false },
            "publishDiagnostics": { "versionSupport": true, "relatedInformation": true }
        }
    })
}

/// The end of the server's indexing progress ("Indexed N files in M .dlt folders").
fn is_indexing_end(m: &Value) -> bool {
    m["method"] == "$/progress"
        && m["params"]["value"]["kind"] == "end"
        && m["params"]["value"]["message"]
            .as_str()
            .is_some_and(|s| s.starts_with("Indexed "))
}

/// A running server and everything it sent that nobody consumed yet.
pub struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    next_id: i64,
    /// Notifications and server requests received so far, oldest first.
    pub inbox: VecDeque<Value>,
    /// Every message received, for assertions over the whole session.
    pub log: Vec<Value>,
    pub stderr_path: PathBuf,
    _stderr_dir: tempfile::TempDir,
    /// Results to answer server-to-client requests with, by method (default `null`).
    pub replies: std::collections::HashMap<String, Value>,
}

impl Server {
    /// Starts the server with extra environment variables.
    pub fn spawn(env: &[(&str, &str)]) -> Server {
        let stderr_dir = tempfile::tempdir().unwrap();
        let stderr_path = stderr_dir.path().join("stderr.log");
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut cmd = Command::new(server_bin());
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .env("DLT_LSP_LOG", "debug");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start server");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(msg) = read_message(&mut reader) {
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Server {
            child,
            stdin: Some(stdin),
            rx,
            next_id: 1,
            inbox: VecDeque::new(),
            log: Vec::new(),
            stderr_path,
            _stderr_dir: stderr_dir,
            replies: Default::default(),
        }
    }

    /// Starts and initializes a server for `root` with the given options and capabilities.
    pub fn start(root: &str, init_options: Option<Value>, capabilities: Value) -> (Server, Value) {
        let mut s = Server::spawn(&[]);
        let result = s.initialize(root, init_options, capabilities);
        (s, result)
    }

    pub fn initialize(
        &mut self,
        root: &str,
        init_options: Option<Value>,
        capabilities: Value,
    ) -> Value {
        let mut params = json!({
            "processId": std::process::id(),
            "rootUri": root,
            "capabilities": capabilities,
            "workspaceFolders": [{ "uri": root, "name": "ws" }],
        });
        if let Some(o) = init_options {
            params["initializationOptions"] = o;
        }
        let result = self
            .request("initialize", params)
            .expect("initialize succeeds");
        self.notify("initialized", json!({}));
        result
    }

    pub fn send(&mut self, msg: &Value) {
        let body = serde_json::to_string(msg).unwrap();
        let stdin = self.stdin.as_mut().expect("stdin is open");
        write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).unwrap();
        stdin.flush().unwrap();
    }

    /// Writes raw bytes to the server's stdin (for malformed-frame tests).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(bytes);
            let _ = stdin.flush();
        }
    }

    /// Closes the server's input, as an editor that dies would.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        let mut msg = json!({ "jsonrpc": "2.0", "method": method });
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send(&msg);
    }

    /// Sends a request and returns its result, or the error object as `Err`.
    /// A `Null` params is left out, as clients do for `shutdown`.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.send_request(method, params);
        self.response(id, method)
    }

    /// Sends a request without waiting; returns its id for [`Server::response`].
    pub fn send_request(&mut self, method: &str, params: Value) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({ "jsonrpc": "2.0", "id": id, "method": method });
        if !params.is_null() {
            msg["params"] = params;
        }
        self.send(&msg);
        id
    }

    /// Waits for the response to request `id`.
    pub fn response(&mut self, id: i64, method: &str) -> Result<Value, Value> {
        if let Some(i) = self
            .inbox
            .iter()
            .position(|m| m.get("method").is_none() && m["id"] == json!(id))
        {
            let msg = self.inbox.remove(i).unwrap();
            return match msg.get("error") {
                Some(e) => Err(e.clone()),
                None => Ok(msg["result"].clone()),
            };
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let msg = self
                .recv(deadline)
                .unwrap_or_else(|| panic!("no response to {method} within {TIMEOUT:?}"));
            if msg.get("method").is_none() && msg["id"] == json!(id) {
                return match msg.get("error") {
                    Some(e) => Err(e.clone()),
                    None => Ok(msg["result"].clone()),
                };
            }
            self.inbox.push_back(msg);
        }
    }

    /// Receives one message, answering server-to-client requests on the way.
    fn recv(&mut self, deadline: Instant) -> Option<Value> {
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.rx.recv_timeout(wait) {
            Ok(msg) => {
                self.log.push(msg.clone());
                if msg.get("method").is_some() && msg.get("id").is_some() {
                    let result = msg["method"]
                        .as_str()
                        .and_then(|m| self.replies.get(m))
                        .cloned()
                        .unwrap_or(Value::Null);
                    let reply = json!({ "jsonrpc": "2.0", "id": msg["id"], "result": result });
                    self.send(&reply);
                }
                Some(msg)
            }
            Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for a message matching `pred` (taking it out of the inbox).
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.try_wait_for(TIMEOUT, &pred).unwrap_or_else(|| {
            let stderr = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
            panic!(
                "timed out waiting for {what}; inbox: {:#?}\nstderr tail: {}",
                self.inbox,
                tail(&stderr)
            )
        })
    }

    /// Like [`wait_for`] but returns `None` after `timeout`.
    pub fn try_wait_for(
        &mut self,
        timeout: Duration,
        pred: &dyn Fn(&Value) -> bool,
    ) -> Option<Value> {
        if let Some(i) = self.inbox.iter().position(pred) {
            return self.inbox.remove(i);
        }
        let deadline = Instant::now() + timeout;
        loop {
            let msg = self.recv(deadline)?;
            if pred(&msg) {
                return Some(msg);
            }
            self.inbox.push_back(msg);
        }
    }

    /// Waits until the server has indexed the workspace and published the findings of every
    /// file (the end of its indexing progress: needs `window.workDoneProgress`, as in
    /// [`full_capabilities`]); returns at once when that happened already. Returns the end's
    /// message ("Indexed N files in M .dlt folders").
    pub fn indexed(&mut self) -> String {
        let end = match self.log.iter().find(|m| is_indexing_end(m)) {
            Some(end) => end.clone(),
            None => self.wait_for("the end of indexing", is_indexing_end),
        };
        end["params"]["value"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// What the client shows for `uri` once indexing ended: the diagnostics of its last
    /// publication, or none when it was never published (a file nobody opened that has no
    /// findings is not).
    pub fn shown_diagnostics(&mut self, uri: &str) -> Vec<Value> {
        self.indexed();
        self.publications(uri)
            .last()
            .and_then(|m| m["params"]["diagnostics"].as_array().cloned())
            .unwrap_or_default()
    }

    /// Every `publishDiagnostics` of `uri` received so far, oldest first.
    pub fn publications(&self, uri: &str) -> Vec<&Value> {
        self.log
            .iter()
            .filter(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == json!(uri)
            })
            .collect()
    }

    /// Waits for diagnostics of `uri` that satisfy `pred`; returns the diagnostics array.
    pub fn diagnostics(&mut self, uri: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let uri = uri.to_string();
        let msg = self.wait_for(&format!("diagnostics for {uri}"), |m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == json!(uri)
                && pred(
                    m["params"]["diagnostics"]
                        .as_array()
                        .map(|a| a.as_slice())
                        .unwrap_or(&[]),
                )
        });
        msg["params"]["diagnostics"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "toml", "version": 1, "text": text } }),
        );
    }

    /// Shuts down politely and returns the exit status.
    pub fn shutdown(mut self) -> ExitStatus {
        let r = self.request("shutdown", Value::Null);
        assert!(r.is_ok(), "shutdown failed: {r:?}");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident memory in KiB (`VmRSS` of `/proc/<pid>/status`), where /proc exists.
    pub fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    }

    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(4000);
    let mut i = start;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut len = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            len = v.trim().parse::<usize>().ok();
        }
    }
    let mut body = vec![0; len?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// Runs the CLI with arguments in `cwd`; returns (exit code, stdout, stderr).
pub fn run_cli(cwd: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(server_bin())
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run cli");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Applies a workspace edit (UTF-8 positions) to the files on disk, as an editor would.
pub fn apply_workspace_edit(edit: &Value) {
    let mut ops: Vec<Value> = edit["documentChanges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(changes) = edit["changes"].as_object() {
        for (uri, edits) in changes {
            ops.push(json!({ "textDocument": { "uri": uri }, "edits": edits }));
        }
    }
    for op in ops {
        if op["kind"] == "create" {
            let p = uri_path(op["uri"].as_str().unwrap());
            if !p.exists() {
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(&p, "").unwrap();
            }
            continue;
        }
        let p = uri_path(op["textDocument"]["uri"].as_str().unwrap());
        let mut text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut edits: Vec<(usize, usize, String)> = op["edits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    offset_of(&text, &e["range"]["start"]),
                    offset_of(&text, &e["range"]["end"]),
                    e["newText"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        edits.sort_by_key(|e| std::cmp::Reverse(e.0));
        for (start, end, new) in edits {
            text.replace_range(start..end, &new);
        }
        std::fs::write(&p, text).unwrap();
    }
}

/// The path of a `file://` URI (percent-decoded).
pub fn uri_path(uri: &str) -> PathBuf {
    let raw = uri.strip_prefix("file://").unwrap();
    let mut bytes = Vec::new();
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            bytes.push(u8::from_str_radix(&raw[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            bytes.push(b[i]);
            i += 1;
        }
    }
    PathBuf::from(String::from_utf8(bytes).unwrap())
}

fn offset_of(text: &str, pos: &Value) -> usize {
    let (line, col) = (
        pos["line"].as_u64().unwrap() as usize,
        pos["character"].as_u64().unwrap() as usize,
    );
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == line {
            return off + col.min(l.trim_end_matches(['\n', '\r']).len());
        }
        off += l.len();
    }
    text.len()
}

/// Runs git in `dir` (tests make real repositories); panics on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
