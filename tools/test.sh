#!/usr/bin/env bash
# Every test of the repository: formatting, lints, unit and end-to-end tests.
# Usage: tools/test.sh        (the README's test command; .ci/run calls it)
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit + end-to-end over stdio)"
cargo test --workspace
