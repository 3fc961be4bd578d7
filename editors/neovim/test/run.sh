#!/usr/bin/env bash
# Runs the headless Neovim test. Needs: nvim 0.11+ (NVIM, else PATH) and dlt-lsp (DLT_LSP_BIN, else
# target/release/dlt-lsp). Neovim's state/log/cache go to target/editors/nvim-home, not $HOME.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bin="${DLT_LSP_BIN:-$repo/target/release/dlt-lsp}"
nvim="${NVIM:-nvim}"
[ -x "$bin" ] || { echo "no dlt-lsp at $bin (cargo build --release -p dlt-lsp)"; exit 2; }
home="$repo/target/editors/nvim-home"
mkdir -p "$home"
bindir="$home/bin"
mkdir -p "$bindir"
ln -sf "$bin" "$bindir/dlt-lsp"
export PATH="$bindir:$PATH"
export XDG_CONFIG_HOME="$home/config" XDG_DATA_HOME="$home/data" XDG_STATE_HOME="$home/state" XDG_CACHE_HOME="$home/cache"
export TMPDIR="${TMPDIR:-/tmp}"
exec "$nvim" --headless --clean -u "$here/init.lua" </dev/null
