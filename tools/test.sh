#!/usr/bin/env bash
# Every test of the repository. The README's test command; .ci/run calls it.
#
#   tools/test.sh            everything below
#   tools/test.sh rust       only formatting, lints, unit and end-to-end tests over stdio
#
# Steps: cargo fmt --check; cargo clippy -D warnings; cargo test (unit + end-to-end over stdio,
# Helix static test); the bench's unit tests (tools/bench/test_*.py); the differential test
# against real dlt 1.31 (a venv under target/); the fuzz targets for a bounded time; Neovim 0.11
# headless and VS Code (type-check, bundle, vsce package, real VS Code through code-server +
# Chromium) via editors/test-all.sh.
# Caches live under target/ only (plus apt packages for the editor tests).
# DLT_LSP_REGENERATE_CATALOG=1 also re-runs the catalog generator and fails if its output changed.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
# A CI run builds once: incremental compilation's caches would only take disk (about 0.8 GB).
if [ "${CI:-}" = "true" ]; then export CARGO_INCREMENTAL=0; fi
only="${1:-all}"
failed=()

step() { printf '\n== %s\n' "$1"; }
# On CI (a fresh checkout that is thrown away) a step's build products that no later step reads
# are deleted as soon as it ends: the run then peaks at ~2 GB of target/ instead of ~4.5 GB
# (a CI machine has run out of disk). Locally they stay, as caches for the next run.
ci_free() { if [ "${CI:-}" = "true" ]; then rm -rf "$@"; fi; }
run() { local name="$1"; shift; step "$name"; if ! "$@"; then failed+=("$name"); fi; }

run "cargo fmt --check" cargo fmt --all --check
run "cargo clippy" cargo clippy --workspace --all-targets -- -D warnings
run "cargo test (unit + end-to-end over stdio)" cargo test --workspace
run "the bench's unit tests" python3 -m unittest discover -s tools/bench -p 'test_*.py'

if [ "$only" != "rust" ]; then
  cargo build -q -p dlt-lsp
  # Later steps only run target/debug/dlt-lsp (its own file, a hard link into deps/).
  ci_free target/debug/deps target/debug/build target/debug/.fingerprint target/debug/incremental
  run "differential test against real dlt 1.31" \
    python3 tools/oracle/differential.py --venv "$repo/target/oracle-venv" --binary "$repo/target/debug/dlt-lsp"
  run "fuzz targets (${FUZZ_SECONDS:-30} s each)" tools/fuzz.sh "${FUZZ_SECONDS:-30}"
  # The fuzzers' logs and corpus stay (target/fuzz/*.log, corpus/); their build goes.
  ci_free target/fuzz/release target/fuzz/x86_64-unknown-linux-gnu
  # The server features the editor tests exercise are all implemented: switch every step on.
  run "editors (Neovim, VS Code, VS Code end-to-end in code-server)" \
    env DLT_LSP_BIN="$repo/target/debug/dlt-lsp" DLT_E2E_HOVER=1 DLT_E2E_QUICKFIX=1 DLT_E2E_EXPLAIN=1 \
    DLT_E2E_PROFILE=1 bash editors/test-all.sh neovim vscode vscode-e2e
  # Regenerating the catalog needs PyPI and takes minutes: only when asked.
  if [ "${DLT_LSP_REGENERATE_CATALOG:-}" = "1" ]; then
    run "destination catalog is what dlt 1.31 says" \
      bash -c 'python3 tools/catalog/generate.py && git diff --exit-code -- server/catalog'
  fi
fi

echo
echo "test.sh: finished in ${SECONDS}s"
echo "disk: target/ holds $(du -sh target 2>/dev/null | cut -f1), $(df -h . | awk 'NR==2 {print $4}') free"
if [ ${#failed[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failed[@]}"
  exit 1
fi
echo "all test steps passed"
