#!/usr/bin/env node
// A stand-in for dlt-lsp that answers the requests behind the editor tests' guarded steps
// (hover table, quick fix, dlt/effectiveValue, dlt/activeProfile) with the shapes the clients
// expect. It exists only to check the editor tests themselves before the real features land:
//   DLT_LSP_BIN=editors/testing/fake-dlt-lsp.mjs DLT_E2E_HOVER=1 DLT_E2E_QUICKFIX=1 ... editors/test-all.sh neovim
const docs = new Map();
let input = Buffer.alloc(0);

function send(msg) {
  const body = JSON.stringify({ jsonrpc: "2.0", ...msg });
  process.stdout.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

process.stdin.on("data", (chunk) => {
  input = Buffer.concat([input, chunk]);
  for (;;) {
    const end = input.indexOf("\r\n\r\n");
    if (end < 0) return;
    const len = Number(/Content-Length: *(\d+)/i.exec(input.subarray(0, end).toString())?.[1]);
    if (input.length < end + 4 + len) return;
    const msg = JSON.parse(input.subarray(end + 4, end + 4 + len).toString());
    input = input.subarray(end + 4 + len);
    handle(msg);
  }
});
process.stdin.on("end", () => process.exit(0));

const pos = (line, character) => ({ line, character });

function diagnostics(text) {
  const out = [];
  const seen = new Map();
  text.split("\n").forEach((l, i) => {
    if (/^\s*\[/.test(l)) seen.clear();
    const m = /^(\w+)\s*=\s*(.*)$/.exec(l);
    if (!m) return;
    if (seen.has(m[1])) {
      out.push({ range: { start: pos(i, 0), end: pos(i, m[1].length) }, severity: 1, source: "dlt-lsp",
        code: "toml-duplicate-key", message: `duplicate key \`${m[1]}\`` });
    }
    seen.set(m[1], i);
    if (m[1] === "password") {
      out.push({ range: { start: pos(i, 0), end: pos(i, l.length) }, severity: 1, source: "dlt-lsp",
        code: "secret-in-config", message: "a secret in config.toml: dlt refuses it; move it to secrets.toml" });
    }
  });
  return out;
}

function publish(uri) {
  send({ method: "textDocument/publishDiagnostics", params: { uri, diagnostics: diagnostics(docs.get(uri) ?? "") } });
}

const rows = [
  { profile: "dev", value: '"DEBUG"', secret: false, active: true, source: { kind: "file", path: "dev.config.toml", line: 2 } },
  { profile: "tests", value: '"INFO"', secret: false, source: { kind: "file", path: "config.toml", line: 3 } },
  { profile: "prod", value: '"INFO"', secret: false, source: { kind: "file", path: "config.toml", line: 3 } },
  { profile: "access", value: '"INFO"', secret: false, source: { kind: "file", path: "config.toml", line: 3 } },
];

function handle(msg) {
  const { id, method, params } = msg;
  const reply = (result) => send({ id, result });
  switch (method) {
    case "initialize":
      return reply({
        serverInfo: { name: "fake-dlt-lsp" },
        capabilities: {
          textDocumentSync: 1,
          hoverProvider: true,
          codeActionProvider: { codeActionKinds: ["quickfix"] },
          executeCommandProvider: { commands: ["dlt.connect", "dlt.sync", "dlt.showProfile"] },
        },
      });
    case "shutdown":
      return reply(null);
    case "exit":
      return process.exit(0);
    case "textDocument/didOpen":
      docs.set(params.textDocument.uri, params.textDocument.text);
      return publish(params.textDocument.uri);
    case "textDocument/didChange":
      docs.set(params.textDocument.uri, params.contentChanges.at(-1).text);
      return publish(params.textDocument.uri);
    case "textDocument/hover": {
      const table = ["| profile | value | source |", "| --- | --- | --- |",
        ...rows.map((r) => `| ${r.active ? "**" + r.profile + "** (active)" : r.profile} | \`${r.value}\` | ${r.source.path}:${r.source.line} |`)];
      return reply({ contents: { kind: "markdown", value: "**runtime.log_level**\n\n" + table.join("\n") } });
    }
    case "textDocument/codeAction": {
      const uri = params.textDocument.uri;
      const lines = (docs.get(uri) ?? "").split("\n");
      const i = lines.findIndex((l) => l.startsWith("password"));
      if (i < 0 || params.range.start.line > i || params.range.end.line < i) return reply([]);
      const secrets = uri.replace(/config\.toml$/, "secrets.toml");
      return reply([{
        title: "Move `password` to secrets.toml",
        kind: "quickfix",
        edit: { changes: {
          [uri]: [{ range: { start: pos(i, 0), end: pos(i + 1, 0) }, newText: "" }],
          [secrets]: [{ range: { start: pos(0, 0), end: pos(0, 0) }, newText: `[destination.postgres.credentials]\n${lines[i]}\n\n` }],
        } },
      }]);
    }
    case "dlt/effectiveValue":
      return reply({ key: "runtime.log_level", rows });
    case "dlt/activeProfile":
      return reply({ profile: "dev", source: "default" });
    case "workspace/executeCommand":
      send({ method: "window/showMessage", params: { type: 3, message: `fake: ${params.command}` } });
      return reply(null);
    default:
      if (id !== undefined) send({ id, error: { code: -32601, message: `unhandled ${method}` } });
  }
}
