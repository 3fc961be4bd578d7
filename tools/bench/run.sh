#!/usr/bin/env bash
# One command for the side-by-side benchmark (tools/bench/README.md): installs the anchors under
# target/anchors/ when missing, builds dlt-lsp in release mode, generates the data under
# target/bench-data/ and prints the table, then checks that cost grows linearly (scaling.py, with
# valgrind). Extra arguments go to bench.py (e.g. --runs 5).
set -uo pipefail
cd "$(dirname "$0")/../.."
ANCHORS=target/anchors
mkdir -p "$ANCHORS"

if [ ! -x "$ANCHORS/tombi-venv/bin/tombi" ]; then
  echo "installing tombi 1.9.6 (PyPI) into $ANCHORS/tombi-venv" >&2
  { python3 -m venv "$ANCHORS/tombi-venv" &&
    "$ANCHORS/tombi-venv/bin/pip" install --quiet tombi==1.9.6; } ||
    echo "tombi could not be installed; it will be reported as missing" >&2
fi

if [ ! -x "$ANCHORS/bin/taplo" ]; then
  echo "building taplo-cli 0.10.0 --features lsp into $ANCHORS (slow: several minutes)" >&2
  cargo install --locked --root "$ANCHORS" taplo-cli@0.10.0 --features lsp >&2 ||
    echo "taplo could not be installed; it will be reported as missing" >&2
fi

cargo build --release -p dlt-lsp >&2 || exit 1
python3 tools/bench/bench.py "$@"
status=$?
if command -v valgrind >/dev/null; then
  python3 tools/bench/scaling.py || status=1
else
  echo "valgrind is not installed (Debian package valgrind): linear growth not measured" >&2
  status=1
fi
exit $status
