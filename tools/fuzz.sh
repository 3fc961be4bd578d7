#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time; fails on any crash, panic or hang.
# Usage: tools/fuzz.sh [SECONDS_PER_TARGET]    (default 60)
#   FUZZ_TARGETS="features"     only these targets (default: every target, `cargo fuzz list`)
#   FUZZ_SANITIZER=address      build with AddressSanitizer (default none: the code is safe Rust,
#                               and an uninstrumented build is several times faster)
# cargo-fuzz is installed into target/tools when missing. Everything the fuzzers build or find
# stays under the repository's target/: the build in target/fuzz, new inputs in
# target/fuzz/corpus/<target>, logs in target/fuzz/<target>.log; the committed seeds in
# fuzz/corpus/<target> are only read.
# A crashing input is written to fuzz/artifacts/<target>/; replay it with
#   RUSTC_BOOTSTRAP=1 target/tools/bin/cargo-fuzz run --sanitizer none \
#       --target-dir ../target/fuzz <target> <file>                                   (in fuzz/)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
sanitizer="${FUZZ_SANITIZER:-none}"
export PATH="$PWD/target/tools/bin:$PATH"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    # A debug build: cargo-fuzz only runs cargo, and builds in ~35 s instead of ~55 s.
    cargo install --debug --locked --root target/tools cargo-fuzz
fi
# Only a stable toolchain is installed; cargo-fuzz passes nightly-only flags (-Z, sanitizer
# coverage passes), which RUSTC_BOOTSTRAP allows on stable.
export RUSTC_BOOTSTRAP=1
out="$PWD/target/fuzz"
cd fuzz
cargo fuzz build --sanitizer "$sanitizer" --target-dir "$out"
targets="${FUZZ_TARGETS:-$(cargo fuzz list)}"
status=0
for t in $targets; do
    mkdir -p "$out/corpus/$t"
    log="$out/$t.log"
    start=$(date +%s)
    if cargo fuzz run --sanitizer "$sanitizer" --target-dir "$out" "$t" "$out/corpus/$t" "corpus/$t" -- \
        -max_total_time="$seconds" -max_len=4096 -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        runs=$(grep -oE '^Done [0-9]+ runs' "$log" | grep -oE '[0-9]+' || echo "?")
        echo "fuzz $t: ok, $runs executions in $(($(date +%s) - start))s"
    else
        echo "fuzz $t: FAILED (log: $log, input: fuzz/artifacts/$t/)"
        grep -E -A6 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -40 || true
        status=1
    fi
done
exit "$status"
