#!/usr/bin/env python3
"""CPU time a language server spends indexing a workspace, for A/B comparisons of builds.

    tools/bench/index_cpu.py RUNS ROOT SERVER [SERVER ...]

Starts each SERVER (a command line, e.g. `target/release/dlt-lsp` or `"old/dlt-lsp lsp"`) on
ROOT over stdio, sends `initialize` and `initialized`, answers the server's requests with null,
waits for the end of its first work-done progress (dlt-lsp's indexing), then shuts it down and
takes its CPU time (user + system, microseconds, from `wait4`: every thread, the exited ones
too). RUNS starts per server, alternating the servers and their order. Prints per server the
median and minimum CPU time and the median wall time until the progress ended.

The bench's "CPU time" (bench.py) covers a whole session (hovers, edits, formatting) in clock
ticks of 10 ms; this isolates indexing with a resolution fine enough for a few milliseconds.
Standard library only.
"""
import json
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path


def frame(message):
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def one_start(argv, root):
    """(cpu ms, wall ms until the end of the first progress) of one start on `root`."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    lock = threading.Lock()
    initialized, indexed = threading.Event(), threading.Event()

    def send(message):
        with lock:
            proc.stdin.write(frame(message))
            proc.stdin.flush()

    def read():
        out = proc.stdout
        while True:
            header = out.readline()
            if not header:
                return
            if not header.lower().startswith(b"content-length"):
                continue
            length = int(header.split(b":")[1])
            out.readline()
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:
                send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            if message.get("id") == 1 and "method" not in message:
                initialized.set()
            if message.get("method") == "$/progress":
                if message["params"].get("value", {}).get("kind") == "end":
                    indexed.set()

    threading.Thread(target=read, daemon=True).start()
    start = time.perf_counter()
    send(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "processId": os.getpid(),
                "rootUri": root.as_uri(),
                "capabilities": {"window": {"workDoneProgress": True}},
            },
        }
    )
    if not initialized.wait(10):
        proc.kill()
        raise SystemExit(f"{argv[0]}: no answer to initialize")
    send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    if not indexed.wait(60):
        proc.kill()
        raise SystemExit(f"{argv[0]}: no end of progress within 60 s")
    wall = time.perf_counter() - start
    send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    send({"jsonrpc": "2.0", "method": "exit"})
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return (usage.ru_utime + usage.ru_stime) * 1e3, wall * 1e3


def alternated_starts(doc, one_start):
    """{server: [one_start(argv, root), ...]} for the command line `RUNS ROOT SERVER...` (`doc`
    when it is short): RUNS starts per server, alternating the servers and their order."""
    if len(sys.argv) < 4:
        raise SystemExit(doc)
    runs, root = int(sys.argv[1]), Path(sys.argv[2]).resolve()
    servers = sys.argv[3:]
    results = {s: [] for s in servers}
    for i in range(runs):
        for server in servers if i % 2 == 0 else servers[::-1]:
            results[server].append(one_start(shlex.split(server), root))
    return results


def main():
    for server, got in alternated_starts(__doc__, one_start).items():
        cpu = [c for c, _ in got]
        wall = [w for _, w in got]
        print(
            f"{server}: CPU median {statistics.median(cpu):.1f} ms (min {min(cpu):.1f}), "
            f"until indexed {statistics.median(wall):.1f} ms, {len(got)} starts"
        )


if __name__ == "__main__":
    main()
