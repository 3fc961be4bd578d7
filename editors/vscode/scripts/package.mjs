// Packages the extension: `universal` (no server inside; uses dlt.server.path or PATH) and
// `linux-x64` (carries the release server binary in server/). Usage: node scripts/package.mjs [universal] [linux-x64]
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const repo = path.resolve(root, "../..");
const { version } = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const targets = process.argv.slice(2).length ? process.argv.slice(2) : ["universal", "linux-x64"];
const outDir = path.join(root, "dist");
const serverDir = path.join(root, "server");
const vsce = path.join(root, "node_modules", ".bin", "vsce");

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.error})`);
}

fs.mkdirSync(outDir, { recursive: true });
for (const target of targets) {
  fs.rmSync(serverDir, { recursive: true, force: true });
  const common = ["package", "--no-dependencies", "--allow-missing-repository"];
  try {
    if (target === "universal") {
      run(vsce, [...common, "-o", path.join(outDir, `dlt-lsp-${version}.vsix`)]);
    } else if (target === "linux-x64") {
      const bin = process.env.DLT_LSP_BIN ?? path.join(repo, "target", "release", "dlt-lsp");
      if (!fs.existsSync(bin)) throw new Error(`no server binary at ${bin}: cargo build --release -p dlt-lsp`);
      fs.mkdirSync(serverDir);
      const dest = path.join(serverDir, "dlt-lsp");
      fs.copyFileSync(bin, dest);
      fs.chmodSync(dest, 0o755);
      // Line tables make the release binary ~40 MB; users get the stripped one.
      spawnSync("strip", [dest], { stdio: "inherit" });
      run(vsce, [...common, "--target", "linux-x64", "-o", path.join(outDir, `dlt-lsp-linux-x64-${version}.vsix`)]);
    } else {
      throw new Error(`unknown target ${target}`);
    }
  } finally {
    fs.rmSync(serverDir, { recursive: true, force: true });
  }
}
