#!/usr/bin/env python3
"""Whether dlt-lsp's cost grows linearly: instructions of `dlt-lsp check` as the input doubles.

    tools/bench/scaling.py [--binary PATH] [--lines N ...] [--projects N ...] [--max-ratio R]

Two inputs, each at doubling sizes: one `.dlt/config.toml` of N lines (the bench's 20k file,
`gen_20k`, cut at N lines: sources, resources and one destination per 16 lines) and a monorepo of
N dltHub workspaces (the bench's, `gen_monorepo`). For each size it counts the instructions of
`dlt-lsp check` on it under valgrind's callgrind (a count, not a time: the same on a busy machine
as on an idle one) and prints them with the ratio to the size before. `check` goes through what
the server does with a file it indexes: finding, reading, git, parsing, tables, every diagnosis.

Fails (exit 1) when doubling an input multiplies the instructions by more than --max-ratio (2.1 by
default): a lookup that grows with the input, done for every key, shows up here long before a
timing does (a list of destinations searched per key made the 20k file's diagnosis quadratic, 29 %
of its edits' instructions; issue 7). Fixed costs (start, the catalog) keep small sizes below 2.

The data goes to target/bench-data/scaling/ (generated once). Needs valgrind (Debian package) and
a release build: a debug build's own overhead (~10× the instructions) hides such a lookup (the
quadratic build grew 1.96× from 5,000 to 10,000 lines in debug, 2.33× from 20,000 to 40,000 in
release). tools/bench/run.sh runs it after the bench. Standard library only.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import bench  # this directory is on the path of a script run from it

DATA = bench.DATA / "scaling"


def lines_case(lines: int) -> Path:
    """A folder holding `.dlt/config.toml` of `lines` lines."""
    root = DATA / f"lines-{lines}"
    config = root / ".dlt" / "config.toml"
    if not config.exists():
        bench.gen_20k(config, lines)
    return root


def projects_case(projects: int) -> Path:
    """A monorepo of `projects` dltHub workspaces."""
    root = DATA / f"projects-{projects}"
    bench.ensure_monorepo(root, projects)
    return root


def instructions(binary: str, root: Path) -> int:
    """Instructions of `binary check root`, all threads, counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "check", str(root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        # `check` exits 1 when it reports errors; anything else is a failure of the run.
        if run.returncode not in (0, 1) or not out.exists():
            raise SystemExit(f"{binary} check {root}: exit {run.returncode}\n{run.stderr[-2000:]}")
        return total_of(out.read_text())


def total_of(profile: str) -> int:
    """The instruction total of a callgrind output file."""
    found = re.search(r"^(?:summary|totals): (\d+)", profile, re.MULTILINE)
    if not found:
        raise SystemExit("callgrind wrote no total")
    return int(found.group(1))


def doublings(sizes: list[int]) -> list[int]:
    """`sizes`, checked to double each time."""
    for small, big in zip(sizes, sizes[1:]):
        if big != 2 * small:
            raise SystemExit(f"sizes must double: {small} then {big}")
    return sizes


def measure(name: str, unit: str, sizes: list[int], count, max_ratio: float) -> list[str]:
    """Prints one table of `count(size)` for each size; returns what grew faster than `max_ratio`
    per doubling."""
    print(f"\n{name}")
    print(f"{unit:>10}  {'instructions':>15}  {'per ' + unit[:-1]:>12}  {'× per doubling':>15}")
    too_fast, before = [], None
    for size in sizes:
        got = count(size)
        ratio = got / before if before else None
        shown = f"{ratio:.2f}" if ratio else "–"
        print(f"{size:>10,}  {got:>15,}  {got // size:>12,}  {shown:>15}")
        if ratio and ratio > max_ratio:
            too_fast.append(f"{name}: {size // 2:,} -> {size:,} {unit} cost {ratio:.2f}× (> {max_ratio})")
        before = got
    return too_fast


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--binary", default=str(bench.REPO / "target" / "release" / "dlt-lsp"))
    ap.add_argument("--lines", type=int, nargs="+", default=[5_000, 10_000, 20_000, 40_000])
    ap.add_argument("--projects", type=int, nargs="+", default=[125, 250, 500, 1_000])
    ap.add_argument("--max-ratio", type=float, default=2.1)
    args = ap.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian package `valgrind`)")
    if not Path(args.binary).exists():
        raise SystemExit(f"no binary at {args.binary} (cargo build --release -p dlt-lsp)")
    cases = [
        ("one config.toml", "lines", doublings(args.lines), lines_case),
        ("a monorepo", "projects", doublings(args.projects), projects_case),
    ]
    too_fast = []
    for name, unit, sizes, make in cases:

        def count(size, make=make):
            return instructions(args.binary, make(size))

        too_fast += measure(name, unit, sizes, count, args.max_ratio)
    if too_fast:
        print("\nnot linear:\n  " + "\n  ".join(too_fast))
        sys.exit(1)
    print(f"\nlinear: every doubling cost at most {args.max_ratio}× the instructions")


if __name__ == "__main__":
    main()
