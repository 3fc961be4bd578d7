// End-to-end test of the packaged extension in a real VS Code (code-server), driven by headless
// Chromium through playwright-core. Run through editors/vscode/e2e/run.sh, which installs what it needs.
//
// Steps: install the linux-x64 .vsix (bundled server), open the fixture workspace, open
// .dlt/config.toml, see the duplicate-key squiggle and its message, check that pyproject.toml is
// never sent to the server (protocol trace), take screenshots into tests/artifacts/vscode/.
// Then a second session in Restricted Mode: workspace settings that name a program
// (dlt.server.path/extraArgs/env, dlt.cli.path) are ignored and the server gets `trusted: false`.
// Guarded until the server has the features (switch on with the variable):
//   DLT_E2E_HOVER=1     hover over a key shows the per-profile table
//   DLT_E2E_QUICKFIX=1  the quick fix moves the password from config.toml to secrets.toml
//   DLT_E2E_EXPLAIN=1   "dlt: Explain Key at Cursor" lists the profiles (request dlt/effectiveValue)
//   DLT_E2E_PROFILE=1   the status bar shows the active profile (request dlt/activeProfile)
// Timeouts only bound a failure; no step waits for a fixed time.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
const env = process.env;
const TIMEOUT = Number(env.DLT_E2E_TIMEOUT_MS ?? 90000);
const node24 = env.NODE24 ?? path.join(repo, "target/editors/node24/bin/node");
const csEntry = env.CODE_SERVER_ENTRY ??
  path.join(repo, "target/editors/code-server/node_modules/code-server/out/node/entry.js");
const version = JSON.parse(fs.readFileSync(path.join(here, "../package.json"), "utf8")).version;
const vsix = env.DLT_VSIX ?? path.join(here, `../dist/dlt-lsp-linux-x64-${version}.vsix`);
const chromiumPath = env.CHROMIUM ?? "/usr/bin/chromium";
const work = path.join(repo, "target/editors/vscode-e2e");
const artifacts = path.join(repo, "tests/artifacts/vscode");

let passed = 0;
const failed = [];
let skipped = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else failed.push(name);
  console.log(`${ok ? "ok  " : "FAIL"}  ${name}${detail ? `  -- ${detail}` : ""}`);
  return ok;
}
function skip(name, why) {
  skipped++;
  console.log(`skip  ${name}  -- ${why}`);
}
function write(file, text) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
/** Polls `probe` until it returns a truthy value; `what` names the failure when the bound is hit. */
async function until(what, probe, timeout = TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
/** The URIs of the didOpen notifications in a vscode-languageclient verbose trace. */
function didOpens(trace) {
  const re = /Sending notification 'textDocument\/didOpen'\.\s*Params:\s*\{\s*"textDocument":\s*\{\s*"uri":\s*"([^"]+)"/g;
  return [...trace.matchAll(re)].map((m) => m[1]);
}
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.join(d.parentPath ?? d.path, d.name));
}

for (const [what, p] of [["node 24", node24], ["code-server", csEntry], [".vsix", vsix], ["chromium", chromiumPath]]) {
  if (!fs.existsSync(p)) {
    console.error(`missing ${what}: ${p} (run editors/vscode/e2e/run.sh)`);
    process.exit(2);
  }
}

fs.rmSync(work, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
const home = path.join(work, "home");
const userData = path.join(work, "user-data");
const extDir = path.join(work, "extensions");
const ws = path.join(work, "ws");
const csConfig = path.join(work, "code-server.yaml");

// The fixture workspace: a duplicate key, a password in config.toml, and a pyproject.toml.
write(path.join(ws, ".dlt/config.toml"), [
  "[runtime]",
  'log_level = "WARNING"',
  'log_level = "INFO"',
  "",
  "[destination.postgres.credentials]",
  'host = "localhost"',
  'password = "s3cr3t-Pa55word"',
  "",
].join("\n"));
write(path.join(ws, ".dlt/dev.config.toml"), '[runtime]\nlog_level = "DEBUG"\n');
// A dltHub workspace, so profiles (dev, prod…) are active.
write(path.join(ws, ".dlt/.workspace"), "");
write(path.join(ws, ".dlt/secrets.toml"), '[sources.github]\naccess_token = "<configure me>"\n');
write(path.join(ws, "pyproject.toml"), '[project]\nname = "demo"\nname = "twice"\n');
function userSettings(dir, trust) {
  write(path.join(dir, "User/settings.json"), JSON.stringify({
  "dlt.trace.server": "verbose",
  "security.workspace.trust.enabled": trust,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "workbench.welcomePage.walkthroughs.openOnInstall": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "chat.disableAIFeatures": true,
  "editor.hover.delay": 100,
  "window.restoreWindows": "none",
  "git.openRepositoryInParentFolders": "never",
  "workbench.secondarySideBar.defaultVisibility": "hidden",
}, null, 2));
}
userSettings(userData, false);
write(csConfig, "auth: none\ncert: false\n");

// Keep code-server's files inside the work folder, and the extension gallery switched off.
const csEnv = {
  ...env,
  HOME: home,
  XDG_CONFIG_HOME: path.join(home, ".config"),
  XDG_DATA_HOME: path.join(home, ".local/share"),
  XDG_CACHE_HOME: path.join(home, ".cache"),
  EXTENSIONS_GALLERY: "{}",
  DLT_LSP_LOG: "debug",
};

const install = spawnSync(node24, [csEntry, "--user-data-dir", userData, "--extensions-dir", extDir, "--config", csConfig, "--install-extension", vsix], { env: csEnv, encoding: "utf8" });
check("vsix installs into code-server", install.status === 0 && /successfully installed/i.test(install.stdout + install.stderr),
  (install.stdout + install.stderr).trim().split("\n").pop());
const installed = filesUnder(extDir).find((f) => f.endsWith(path.join("server", "dlt-lsp")));
check("installed extension carries the server binary", !!installed, installed && path.relative(work, installed));

/**
 * Starts code-server on 127.0.0.1 for `folder` with `userDataDir`, opens it in headless Chromium
 * and runs `body(page)`; always stops both. `trust`: keep VS Code's workspace trust on.
 */
async function session(name, { userDataDir, folder, trust }, body) {
  const port = await freePort();
  const log = fs.openSync(path.join(work, `code-server-${name}.log`), "w");
  const args = ["--user-data-dir", userDataDir, "--extensions-dir", extDir, "--config", csConfig,
    "--bind-addr", `127.0.0.1:${port}`, "--auth", "none", "--disable-telemetry", "--disable-update-check",
    "--disable-getting-started-override", ...(trust ? [] : ["--disable-workspace-trust"]), folder];
  const proc = spawn(node24, [csEntry, ...args], { env: csEnv, stdio: ["ignore", log, log], detached: true });
  let context;
  try {
    await until("code-server to listen", async () => {
      try {
        return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
      } catch {
        return false;
      }
    });
    context = await chromium.launchPersistentContext(path.join(work, `chromium-profile-${name}`), {
      executablePath: chromiumPath,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      viewport: { width: 1400, height: 860 },
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(TIMEOUT);
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}`);
    await page.locator(".monaco-workbench").waitFor();
    await body(page);
  } catch (e) {
    check(`${name}: test ran without error`, false, e instanceof Error ? e.message.split("\n")[0] : String(e));
    try {
      const page = context?.pages()[0];
      if (page) await page.screenshot({ path: path.join(artifacts, `failure-${name}.png`) });
    } catch {
      // the screenshot is best effort
    }
  } finally {
    await context?.close().catch(() => {});
    try {
      process.kill(-proc.pid, "SIGTERM"); // code-server and its children, all started here
    } catch {
      // already gone
    }
  }
}

/** Helpers bound to one page. */
function ui(page) {
  const treeItem = (name) => page.getByRole("treeitem", { name, exact: true });
  const editorText = () => page.locator(".editor-instance .monaco-editor .view-lines").first().innerText();
  async function open(name) {
    await treeItem(name).click();
    await page.locator(".tabs-container .tab.active", { hasText: name }).waitFor();
    await until(`${name} in the editor`, async () => (await editorText()).length > 0);
  }
  return { treeItem, editorText, open };
}

/** The main session: diagnostics, guarded feature steps, and what reaches the server. */
await session("trusted", { userDataDir: userData, folder: ws, trust: false }, async (page) => {
  const { treeItem, editorText, open } = ui(page);
  await treeItem(".dlt").click();
  await open("config.toml");
  await until("editor text", async () => (await editorText()).includes("log_level"));

  // The squiggle, and the message a person reads when hovering it.
  const squiggle = page.locator(".editor-instance .monaco-editor .squiggly-error").first();
  await squiggle.waitFor();
  check("diagnostic squiggle shown in .dlt/config.toml", true);
  // Code lenses and inlay hints arrive after the squiggle and shift the lines: re-measure and
  // hover again until the hover really belongs to the squiggle.
  const hover = page.locator(".monaco-hover:visible", { hasText: "duplicate key" }).first();
  for (let attempt = 1; ; attempt++) {
    await page.mouse.move(5, 5);
    const box = await squiggle.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    try {
      await hover.waitFor({ timeout: 10000 });
      break;
    } catch (e) {
      if (attempt >= 6) throw e;
    }
  }
  const hoverText = (await hover.innerText()).replace(/\s+/g, " ").trim();
  check("squiggle hover says duplicate key", /duplicate key `?log_level`?/.test(hoverText), hoverText.slice(0, 160));
  await page.screenshot({ path: path.join(artifacts, "diagnostic-hover.png") });
  await page.mouse.move(5, 5);

  // The Problems panel lists it with the server's code.
  await page.keyboard.press("Control+Shift+M");
  const problem = page.locator(".markers-panel .monaco-list-row", { hasText: "duplicate key" }).first();
  await problem.waitFor();
  const problemText = (await problem.innerText()).replace(/\s+/g, " ").trim();
  check("Problems panel lists the diagnostic", /duplicate key/.test(problemText), problemText);
  await page.screenshot({ path: path.join(artifacts, "diagnostic.png") });

  // The first token of the second `log_level` line (the duplicate): a key, not a value.
  const keySpan = () => page.locator(".editor-instance .view-lines .view-line", { hasText: 'log_level = "INFO"' })
    .locator("span span").first();

  if (env.DLT_E2E_HOVER === "1") {
    await page.mouse.move(5, 5);
    await keySpan().hover({ position: { x: 8, y: 4 } });
    const table = page.locator(".monaco-hover:visible table").first();
    await table.waitFor();
    const t = (await table.innerText()).replace(/\s+/g, " ");
    check("hover shows the per-profile table", /\bdev\b/.test(t) && /\bprod\b/.test(t), t.slice(0, 200));
    check("hover shows the dev override", t.includes("DEBUG"));
    await page.screenshot({ path: path.join(artifacts, "hover-table.png") });
    await page.mouse.move(5, 5);
  } else {
    skip("hover per-profile table", "set DLT_E2E_HOVER=1 once the server answers textDocument/hover");
  }

  if (env.DLT_E2E_EXPLAIN === "1") {
    await keySpan().click({ position: { x: 8, y: 4 } });
    await page.keyboard.press("F1");
    const input = page.locator(".quick-input-widget input").first();
    await input.fill(">dlt: Explain Key at Cursor");
    await page.locator(".quick-input-widget .monaco-list-row", { hasText: "Explain Key at Cursor" }).first().waitFor();
    await page.keyboard.press("Enter");
    const prodRow = page.locator(".quick-input-widget .monaco-list-row", { hasText: "prod" }).first();
    await prodRow.waitFor();
    const rows = (await page.locator(".quick-input-widget .monaco-list-row:visible").allInnerTexts()).join(" | ").replace(/\s+/g, " ");
    // Each row is the profile label followed by its value, with no space between in innerText.
    check("Explain Key lists the profiles", /(^|[^a-z])dev/.test(rows) && /(^|[^a-z])prod/.test(rows), rows.slice(0, 200));
    await page.screenshot({ path: path.join(artifacts, "explain-key.png") });
    await page.keyboard.press("Escape");
  } else {
    skip("Explain Key at Cursor", "set DLT_E2E_EXPLAIN=1 once the server answers dlt/effectiveValue");
  }

  if (env.DLT_E2E_PROFILE === "1") {
    const item = page.locator(".statusbar-item", { hasText: "dlt:" }).first();
    await item.waitFor();
    const text = (await item.innerText()).trim();
    check("status bar shows the active profile", /dlt: dev/.test(text), text);
  } else {
    skip("status bar profile", "set DLT_E2E_PROFILE=1 once the server answers dlt/activeProfile");
  }

  if (env.DLT_E2E_QUICKFIX === "1") {
    await page.locator(".editor-instance .view-lines .view-line span", { hasText: "s3cr3t-Pa55word" }).first().click();
    const item = page.locator(".action-widget .monaco-list-row", { hasText: /secrets/i }).first();
    // Ctrl+. is asked again until the menu shows: one press can come before the editor has
    // taken the click or the code actions for the new position (a CI run waited 90 s for a
    // menu that never opened, the light bulb already showing).
    await until("the quick fix menu", async () => {
      if (await item.isVisible()) return true;
      await page.keyboard.press("Control+.");
      await item.waitFor({ timeout: 3000 }).catch(() => {});
      return item.isVisible();
    });
    const title = (await item.innerText()).trim();
    await item.click();
    await until("the password to leave config.toml", async () => !(await editorText()).includes("s3cr3t-Pa55word"));
    check("quick fix moved the password out of config.toml", true, title);
    await page.screenshot({ path: path.join(artifacts, "quick-fix.png") });
    await open("secrets.toml");
    await until("the password in secrets.toml", async () => (await editorText()).includes("s3cr3t-Pa55word"));
    check("secrets.toml now holds the password", true);
  } else {
    skip("quick fix moves the secret", "set DLT_E2E_QUICKFIX=1 once the server offers the code action");
  }

  // pyproject.toml is opened, then a later .dlt file: once the later didOpen is in the protocol
  // trace, the client has decided about pyproject.toml too.
  await open("pyproject.toml");
  await open("dev.config.toml");
  const logs = path.join(userData, "logs");
  const traceFile = await until("the protocol trace of dev.config.toml", () => filesUnder(logs).find((f) => {
    if (!f.includes("dlt-lsp Trace")) return false;
    return didOpens(fs.readFileSync(f, "utf8")).some((u) => u.endsWith("/.dlt/dev.config.toml"));
  }));
  const traceText = fs.readFileSync(traceFile, "utf8");
  const opened = didOpens(traceText);
  check("the server was sent .dlt files", opened.some((u) => u.endsWith("/.dlt/config.toml")));
  const initOptions = /"initializationOptions":\s*(\{[^}]*\})/.exec(traceText)?.[1]?.replace(/\s+/g, " ");
  check("initializationOptions is an object with trusted: true", /"trusted":\s*true/.test(initOptions ?? ""), initOptions);
  check("pyproject.toml never reaches the server", !traceText.includes("pyproject.toml"),
    `didOpen sent for: ${[...new Set(opened.map((u) => u.split("/ws/").pop()))].join(", ")}`);
  const clientLog = filesUnder(logs).find((f) => path.basename(f).startsWith("dlt-lsp") && !f.includes("Trace") &&
    fs.readFileSync(f, "utf8").includes("[client] starting"));
  const started = clientLog && fs.readFileSync(clientLog, "utf8").match(/\[client\] starting (\S+)/)?.[1];
  check("the bundled server binary was started", !!started && started.endsWith(path.join("server", "dlt-lsp")),
    started && path.relative(work, started));
  await page.screenshot({ path: path.join(artifacts, "final.png") });
});

// Restricted Mode: a cloned repository's workspace settings name a program; the extension must
// ignore them, start its own server, and tell it `trusted: false`.
const wsU = path.join(work, "ws-untrusted");
const userDataU = path.join(work, "user-data-untrusted");
const marker = path.join(work, "evil-ran");
const evil = path.join(wsU, "evil.sh");
write(evil, `#!/bin/sh\ntouch "${marker}"\nexit 1\n`);
fs.chmodSync(evil, 0o755);
write(path.join(wsU, ".dlt/config.toml"), '[runtime]\nlog_level = "WARNING"\nlog_level = "INFO"\n');
write(path.join(wsU, ".vscode/settings.json"), JSON.stringify({
  "dlt.server.path": evil,
  "dlt.server.extraArgs": ["--evil"],
  "dlt.server.env": { EVIL: "1" },
  "dlt.cli.path": [evil],
}, null, 2));
userSettings(userDataU, true);
await session("untrusted", { userDataDir: userDataU, folder: wsU, trust: true }, async (page) => {
  const { treeItem, open } = ui(page);
  // Depending on the version, VS Code asks first or opens the folder in Restricted Mode at once.
  const restricted = page.locator(".statusbar-item", { hasText: "Restricted Mode" }).first();
  const dontTrust = page.getByRole("button", { name: /don't trust/i }).first();
  await restricted.or(dontTrust).first().waitFor();
  if (await dontTrust.isVisible()) await dontTrust.click();
  await restricted.waitFor();
  check("untrusted: the folder is in Restricted Mode", true);
  await treeItem(".dlt").click();
  await open("config.toml");
  await page.locator(".editor-instance .monaco-editor .squiggly-error").first().waitFor();
  check("untrusted: diagnostics still work", true);
  const logs = path.join(userDataU, "logs");
  const traceText = await until("the initialize request in the trace", () => {
    const f = filesUnder(logs).find((x) => x.includes("dlt-lsp Trace") &&
      fs.readFileSync(x, "utf8").includes("Sending request 'initialize"));
    return f && fs.readFileSync(f, "utf8");
  });
  const init = /Sending request 'initialize[^\n]*\nParams: (\{[\s\S]*?\n\})/.exec(traceText)?.[1] ?? "";
  const options = /"initializationOptions":\s*(\{[^}]*\})/.exec(init)?.[1]?.replace(/\s+/g, " ");
  check("untrusted: server told trusted: false", /"trusted":\s*false/.test(options ?? ""), options);
  check("untrusted: workspace dlt.cli.path not passed on", !!options && !options.includes("evil"));
  const clientLog = filesUnder(logs).find((f) => path.basename(f).startsWith("dlt-lsp") && !f.includes("Trace") &&
    fs.readFileSync(f, "utf8").includes("[client] starting"));
  const line = clientLog && fs.readFileSync(clientLog, "utf8").match(/\[client\] starting [^\n]*/)?.[0];
  check("untrusted: workspace dlt.server.path ignored, bundled server started",
    !!line && line.includes(path.join("server", "dlt-lsp")) && !line.includes("evil") && !fs.existsSync(marker), line);
  await page.screenshot({ path: path.join(artifacts, "untrusted.png") });
});

console.log(`screenshots: ${path.relative(repo, artifacts)}/`);
console.log(`vscode: ${passed} passed, ${failed.length} failed, ${skipped} skipped`);
process.exit(failed.length ? 1 : 0);
