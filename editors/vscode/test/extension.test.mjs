// Fast checks of the extension without an editor: the manifest says what issue 6 asks, and the
// bundle sends `trusted: false` and ignores workspace-level program paths in an untrusted folder.
// Run: node --test test/*.test.mjs   (after `npm run bundle`)
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));

test("engines, client and types versions", () => {
  assert.equal(pkg.engines.vscode, "^1.91.0");
  assert.match(pkg.dependencies["vscode-languageclient"], /^\^?11\./);
  const types = lock.packages["node_modules/@types/vscode"].version.split(".").map(Number);
  assert.ok(types[0] === 1 && types[1] <= 91, `@types/vscode ${types.join(".")} must not be newer than the engine`);
});

test("activation, language and no grammar or formatter of its own", () => {
  assert.deepEqual(pkg.activationEvents, ["workspaceContains:**/.dlt/*.toml"]);
  const langs = pkg.contributes.languages;
  assert.deepEqual(langs.map((l) => l.id), ["toml"]);
  assert.equal(pkg.contributes.grammars, undefined);
  assert.ok(!JSON.stringify(pkg.contributes).includes("defaultFormatter"));
});

test("settings and restricted mode", () => {
  const props = pkg.contributes.configuration.properties;
  for (const key of ["dlt.server.path", "dlt.server.extraArgs", "dlt.cli.path", "dlt.trace.server"]) {
    assert.ok(props[key], `${key} is contributed`);
  }
  assert.equal(props["dlt.server.path"].scope, "machine-overridable");
  const trust = pkg.capabilities.untrustedWorkspaces;
  assert.equal(trust.supported, "limited");
  for (const key of ["dlt.server.path", "dlt.server.extraArgs", "dlt.server.env", "dlt.cli.path"]) {
    assert.ok(trust.restrictedConfigurations.includes(key), `${key} is restricted`);
  }
});

test("every command is contributed and registered", () => {
  const src = fs.readFileSync(path.join(root, "src/extension.ts"), "utf8");
  const registered = [...src.matchAll(/registerCommand\("([^"]+)"/g)].map((m) => m[1]).sort();
  const contributed = pkg.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(registered, contributed);
  // The server's own command ids are registered by vscode-languageclient; ours must not clash.
  for (const id of ["dlt.connect", "dlt.sync", "dlt.showProfile"]) assert.ok(!contributed.includes(id));
});

/** Loads dist/extension.js against a minimal fake of the `vscode` module. */
function loadBundle({ trusted, settings }) {
  const require = createRequire(import.meta.url);
  const Module = require("node:module");
  const fake = fakeVscode(trusted, settings);
  const original = Module._load;
  Module._load = function (request, ...rest) {
    return request === "vscode" ? fake : original.call(this, request, ...rest);
  };
  try {
    const bundle = path.join(root, "dist/extension.js");
    delete require.cache[bundle];
    return require(bundle);
  } finally {
    Module._load = original;
  }
}

/** settings: { key: { workspaceValue, globalValue, defaultValue } } for `dlt.<key>`. */
function fakeVscode(trusted, settings) {
  const anything = () => new Proxy(function () {}, {
    get: (_t, p) => (p === Symbol.toPrimitive ? () => "" : anything()),
    construct: () => anything(),
    apply: () => anything(),
  });
  const config = {
    inspect: (key) => settings[key],
    get: (key, fallback) => {
      const s = settings[key];
      return s?.workspaceValue ?? s?.globalValue ?? s?.defaultValue ?? fallback;
    },
  };
  // Bundlers copy a CommonJS module's own keys (`__importStar`, `__toESM`): give the fake every
  // name the bundle reads from `vscode`.
  const bundle = fs.readFileSync(path.join(root, "dist/extension.js"), "utf8");
  const fake = {};
  for (const m of bundle.matchAll(/\b(?:code|vscode|vscode_\d+|vscode\d*)\.([A-Za-z_]\w*)/g)) fake[m[1]] = anything();
  fake.workspace = { isTrusted: trusted, getConfiguration: () => config };
  return fake;
}

const workspaceCli = { "cli.path": { workspaceValue: ["./evil.sh"], globalValue: ["uv", "run", "dlthub"], defaultValue: [] } };

test("untrusted workspace: trusted:false and no workspace program paths", () => {
  const ext = loadBundle({ trusted: false, settings: workspaceCli });
  assert.deepEqual(ext.DOCUMENT_SELECTOR, [{ scheme: "file", pattern: "**/.dlt/*.toml" }]);
  const opts = ext.serverSettings();
  assert.equal(opts.trusted, false);
  assert.deepEqual(opts.cliPath, ["uv", "run", "dlthub"]);
  assert.equal(typeof opts.diagnosticsDebounceMs, "number");
});

test("trusted workspace: trusted:true and workspace settings apply", () => {
  const ext = loadBundle({ trusted: true, settings: workspaceCli });
  const opts = ext.serverSettings();
  assert.equal(opts.trusted, true);
  assert.deepEqual(opts.cliPath, ["./evil.sh"]);
});
