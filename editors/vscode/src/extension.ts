// VS Code client for dlt-lsp: starts the server for `.dlt/*.toml` files only and wraps its
// custom requests and commands. All dlt knowledge lives in the server; this file only wires.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  ErrorCodes,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ResponseError,
  ServerOptions,
  State,
} from "vscode-languageclient/node";

/** The only files the server is told about; no language filter, so other TOML servers keep working. */
export const DOCUMENT_SELECTOR = [{ scheme: "file", pattern: "**/.dlt/*.toml" }];

const DLT_FILE = /[\\/]\.dlt[\\/][^\\/]+\.toml$/;

/** Settings that choose a program to run; only user/machine values count in Restricted Mode. */
const RESTRICTED = ["server.path", "server.extraArgs", "server.env", "cli.path"] as const;

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let trace: vscode.LogOutputChannel;
let statusBar: vscode.StatusBarItem;
let activeProfileSupported = true;

/** Reads a `dlt.*` setting; in an untrusted workspace a restricted one ignores workspace values. */
function setting<T>(key: string, fallback: T): T {
  const config = vscode.workspace.getConfiguration("dlt");
  if (!vscode.workspace.isTrusted && (RESTRICTED as readonly string[]).includes(key)) {
    // VS Code already drops workspace values of restrictedConfigurations; be explicit anyway.
    const inspected = config.inspect<T>(key);
    return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
  }
  return config.get<T>(key, fallback);
}

/** The options the server reads from initializationOptions and didChangeConfiguration. */
export function serverSettings(): Record<string, unknown> {
  const opts: Record<string, unknown> = {
    trusted: vscode.workspace.isTrusted,
    diagnosticsDebounceMs: setting<number>("diagnostics.debounceMs", 15),
  };
  const cli = setting<string[]>("cli.path", []);
  if (Array.isArray(cli) && cli.length > 0) opts.cliPath = cli;
  const pipeline = setting<string>("pipelineName", "");
  if (pipeline) opts.pipelineName = pipeline;
  const globalDir = setting<string>("globalDir", "");
  if (globalDir) opts.globalDir = expandHome(globalDir);
  return opts;
}

function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

/** Finds the server: the setting, else the binary shipped in the platform .vsix, else PATH. */
function serverCommand(context: vscode.ExtensionContext): string {
  const configured = setting<string>("server.path", "").trim();
  if (configured) return expandHome(configured);
  const exe = process.platform === "win32" ? "dlt-lsp.exe" : "dlt-lsp";
  const bundled = context.asAbsolutePath(path.join("server", exe));
  if (fs.existsSync(bundled)) {
    // A .vsix is a zip: make sure the unpacked server kept its executable bit.
    try {
      fs.accessSync(bundled, fs.constants.X_OK);
    } catch {
      try {
        fs.chmodSync(bundled, 0o755);
      } catch (e) {
        output.appendLine(`[client] cannot make ${bundled} executable: ${String(e)}`);
      }
    }
    return bundled;
  }
  return exe;
}

/**
 * The protocol trace channel. vscode-languageclient 11 traces only into a channel whose log level
 * is Trace; this one is at Trace exactly when `dlt.trace.server` is not `off`, so the setting
 * alone switches tracing on, as users expect.
 */
function createTraceChannel(): vscode.LogOutputChannel {
  const channel = vscode.window.createOutputChannel("dlt-lsp Trace");
  const changed = new vscode.EventEmitter<vscode.LogLevel>();
  const level = () =>
    vscode.workspace.getConfiguration("dlt").get<string>("trace.server", "off") === "off"
      ? vscode.LogLevel.Info
      : vscode.LogLevel.Trace;
  const watch = vscode.workspace.onDidChangeConfiguration((e) => {
    if (e.affectsConfiguration("dlt.trace.server")) changed.fire(level());
  });
  const line = (tag: string) => (message: string | Error, ...args: unknown[]) =>
    channel.appendLine(`[${tag}] ${message instanceof Error ? message.stack ?? message.message : message}` +
      (args.length ? ` ${args.map((a) => JSON.stringify(a)).join(" ")}` : ""));
  return {
    name: channel.name,
    get logLevel() {
      return level();
    },
    onDidChangeLogLevel: changed.event,
    trace: line("trace"),
    debug: line("debug"),
    info: line("info"),
    warn: line("warn"),
    error: line("error"),
    append: (v: string) => channel.append(v),
    appendLine: (v: string) => channel.appendLine(v),
    replace: (v: string) => channel.replace(v),
    clear: () => channel.clear(),
    show: (a?: unknown, b?: boolean) => channel.show(typeof a === "boolean" ? a : b),
    hide: () => channel.hide(),
    dispose: () => {
      watch.dispose();
      changed.dispose();
      channel.dispose();
    },
  } as vscode.LogOutputChannel;
}

function createClient(context: vscode.ExtensionContext): LanguageClient {
  const command = serverCommand(context);
  const extraArgs = setting<string[]>("server.extraArgs", []);
  const extraEnv = setting<Record<string, string>>("server.env", {});
  const serverOptions: ServerOptions = {
    command,
    args: ["lsp", ...(Array.isArray(extraArgs) ? extraArgs : [])],
    options: { env: { ...process.env, ...extraEnv } },
  };
  output.appendLine(`[client] starting ${command} (workspace trusted: ${vscode.workspace.isTrusted})`);
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    traceOutputChannel: trace,
    initializationOptions: serverSettings(),
    // The server registers its own file watchers (`.dlt/**`, `.gitignore`) dynamically.
    synchronize: {},
    markdown: { isTrusted: false, supportHtml: false },
  };
  // The id `dlt` makes vscode-languageclient read the `dlt.trace.server` setting.
  return new LanguageClient("dlt", "dlt-lsp", serverOptions, clientOptions);
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  client = createClient(context);
  client.onDidChangeState((e) => {
    if (e.newState === State.Running) void updateStatusBar();
    if (e.newState === State.Stopped) statusBar.hide();
  });
  try {
    await client.start();
  } catch (e) {
    output.appendLine(`[client] could not start dlt-lsp: ${String(e)}`);
    void vscode.window
      .showErrorMessage(
        `dlt-lsp could not start (${String(e)}). Install it or set "dlt.server.path".`,
        "Show Output",
      )
      .then((choice) => choice && output.show(true));
  }
}

async function restartClient(context: vscode.ExtensionContext): Promise<void> {
  if (client) {
    const old = client;
    client = undefined;
    try {
      await old.stop();
    } catch (e) {
      output.appendLine(`[client] stopping dlt-lsp failed: ${String(e)}`);
    }
  }
  activeProfileSupported = true;
  await startClient(context);
}

function running(): LanguageClient | undefined {
  if (client && client.state === State.Running) return client;
  void vscode.window.showWarningMessage("dlt-lsp is not running (see dlt: Show Output).");
  return undefined;
}

function isDltFile(uri: vscode.Uri): boolean {
  return uri.scheme === "file" && DLT_FILE.test(uri.fsPath);
}

/** One row of `dlt/effectiveValue`, as `dlt-lsp explain --json` prints it. */
interface EffectiveRow {
  profile: string;
  value: string | null;
  secret?: boolean;
  active?: boolean;
  source?: { kind: "file" | "env" | "global"; path?: string; line?: number; name?: string } | null;
}

function rowsOf(result: unknown): { key?: string; rows: EffectiveRow[] } {
  if (Array.isArray(result)) return { rows: result as EffectiveRow[] };
  if (result && typeof result === "object") {
    const r = result as { key?: string; rows?: EffectiveRow[]; profiles?: EffectiveRow[] };
    return { key: r.key, rows: r.rows ?? r.profiles ?? [] };
  }
  return { rows: [] };
}

function describeSource(row: EffectiveRow): string {
  const s = row.source;
  if (!s) return "unset";
  if (s.kind === "env") return `env ${s.name ?? s.path ?? ""}`.trim();
  return s.line ? `${s.path}:${s.line}` : `${s.path ?? s.kind}`;
}

async function explainKey(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !isDltFile(editor.document.uri)) {
    void vscode.window.showInformationMessage("Put the cursor on a key in a .dlt/*.toml file.");
    return;
  }
  const c = running();
  if (!c) return;
  const params = {
    uri: editor.document.uri.toString(),
    position: c.code2ProtocolConverter.asPosition(editor.selection.active),
  };
  let result: unknown;
  try {
    result = await c.sendRequest("dlt/effectiveValue", params);
  } catch (e) {
    const msg = e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound
      ? "this dlt-lsp version does not answer dlt/effectiveValue yet"
      : String(e instanceof Error ? e.message : e);
    void vscode.window.showWarningMessage(`dlt: cannot explain the key: ${msg}`);
    return;
  }
  const { key, rows } = rowsOf(result);
  if (rows.length === 0) {
    void vscode.window.showInformationMessage("dlt: no dlt key at the cursor.");
    return;
  }
  output.appendLine(`[explain] ${key ?? "key at cursor"}`);
  for (const r of rows) {
    output.appendLine(`  ${r.active ? "*" : " "} ${r.profile}\t${r.value ?? "unset"}\t${describeSource(r)}`);
  }
  const picked = await vscode.window.showQuickPick(
    rows.map((r) => ({
      label: `${r.active ? "$(star-full) " : ""}${r.profile}`,
      description: r.value ?? "unset",
      detail: describeSource(r),
      row: r,
    })),
    { title: `dlt: ${key ?? "effective value per profile"}`, placeHolder: "Pick a profile to open where its value comes from" },
  );
  const src = picked?.row.source;
  if (src && src.kind !== "env" && src.path) {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(src.path));
    const line = Math.max(0, (src.line ?? 1) - 1);
    await vscode.window.showTextDocument(doc, { selection: new vscode.Range(line, 0, line, 0) });
  }
}

/** A `.dlt` file to tell the server which project a command is for. */
async function targetUri(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isDltFile(active)) return active;
  const found = await vscode.workspace.findFiles("**/.dlt/*.toml", "**/node_modules/**", 20);
  if (found.length <= 1) return found[0];
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: "Which dlt project?" },
  );
  return pick?.uri;
}

/** Runs one of the server's `workspace/executeCommand` commands for the current project. */
async function serverCommandFor(name: "dlt.connect" | "dlt.sync" | "dlt.showProfile"): Promise<void> {
  const c = running();
  if (!c) return;
  const offered = c.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
  if (!offered.includes(name)) {
    void vscode.window.showWarningMessage(`dlt: this dlt-lsp version does not offer "${name}" yet.`);
    return;
  }
  const uri = await targetUri();
  if (!uri) {
    void vscode.window.showInformationMessage("dlt: no .dlt folder in this workspace.");
    return;
  }
  try {
    await c.sendRequest(ExecuteCommandRequest.type, { command: name, arguments: [{ uri: uri.toString() }] });
  } catch (e) {
    void vscode.window.showErrorMessage(`dlt: ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Shows the active profile of the active file's dlt project (`dlt/activeProfile`). The server is
 * asked with the `.dlt` file itself, or else with the file's workspace folder: the URI of a file
 * outside `.dlt` is never sent to it.
 */
async function updateStatusBar(): Promise<void> {
  const active = vscode.window.activeTextEditor?.document.uri;
  const uri = active && (isDltFile(active) ? active : vscode.workspace.getWorkspaceFolder(active)?.uri);
  const c = client;
  if (!setting<boolean>("statusBar.enabled", true) || !uri || uri.scheme !== "file" || !c ||
      c.state !== State.Running || !activeProfileSupported) {
    statusBar.hide();
    return;
  }
  try {
    const r = await c.sendRequest<{ profile?: string | null; source?: string } | null>(
      "dlt/activeProfile", { uri: uri.toString() });
    if (!r || !r.profile) {
      statusBar.hide();
      return;
    }
    statusBar.text = `$(database) dlt: ${r.profile}`;
    statusBar.tooltip = `Active dlt profile${r.source ? ` (from ${r.source})` : ""}`;
    statusBar.show();
  } catch (e) {
    if (e instanceof ResponseError && e.code === ErrorCodes.MethodNotFound) {
      activeProfileSupported = false;
      output.appendLine("[client] the server does not answer dlt/activeProfile; status bar item hidden");
    }
    statusBar.hide();
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("dlt-lsp", { log: true });
  trace = createTraceChannel();
  statusBar = vscode.window.createStatusBarItem("dlt.profile", vscode.StatusBarAlignment.Right, 100);
  statusBar.name = "dlt profile";
  statusBar.command = "dlt-lsp.showProfile";
  context.subscriptions.push(output, trace, statusBar);

  context.subscriptions.push(
    vscode.commands.registerCommand("dlt-lsp.restartServer", () => restartClient(context)),
    vscode.commands.registerCommand("dlt-lsp.showOutput", () => output.show(true)),
    vscode.commands.registerCommand("dlt-lsp.explainKey", explainKey),
    vscode.commands.registerCommand("dlt-lsp.connect", () => serverCommandFor("dlt.connect")),
    vscode.commands.registerCommand("dlt-lsp.sync", () => serverCommandFor("dlt.sync")),
    vscode.commands.registerCommand("dlt-lsp.showProfile", () => serverCommandFor("dlt.showProfile")),
    vscode.window.onDidChangeActiveTextEditor(() => updateStatusBar()),
    vscode.workspace.onDidSaveTextDocument((d) => {
      if (isDltFile(d.uri)) void updateStatusBar();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      output.appendLine("[client] workspace trusted: restarting dlt-lsp with trusted settings");
      void restartClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration("dlt")) return;
      if (RESTRICTED.some((k) => k !== "cli.path" && e.affectsConfiguration(`dlt.${k}`))) {
        void restartClient(context);
        return;
      }
      if (e.affectsConfiguration("dlt.statusBar")) void updateStatusBar();
      if (client?.state === State.Running) {
        void client.sendNotification("workspace/didChangeConfiguration", { settings: { dlt: serverSettings() } });
      }
    }),
  );
  // The pin file `.dlt/profile-name` changes the active profile.
  const pinWatcher = vscode.workspace.createFileSystemWatcher("**/.dlt/profile-name");
  pinWatcher.onDidChange(() => updateStatusBar());
  pinWatcher.onDidCreate(() => updateStatusBar());
  pinWatcher.onDidDelete(() => updateStatusBar());
  context.subscriptions.push(pinWatcher);

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
