#!/usr/bin/env python3
"""CPU time a language server spends per request, phase by phase, for comparing servers and builds.

    tools/bench/phase_cpu.py RUNS ROOT SERVER [SERVER ...]

Starts each SERVER (a command line, e.g. `target/release/dlt-lsp` or
`"target/anchors/bin/taplo lsp stdio"`) on ROOT, the bench's monorepo
(`target/bench-data/monorepo-v2-1000`), sends `initialize` and `initialized` and waits for the end
of its first work-done progress (dlt-lsp's indexing; at most 2 s for a server that reports none),
then opens `p0500/.dlt/prod.config.toml` and measures the CPU time of the server's threads
(`/proc/PID/task/*/schedstat`, nanoseconds) around two phases: 500 sequential hovers on
`log_level` (the bench's monorepo hover) and 100 edits of `port`, each waiting for that version's
diagnostics (or 0.3 s for a server that publishes none) and 50 ms apart (the bench's keystrokes).
Prints per server the median CPU time of each phase and per request. RUNS starts per server,
alternating the servers and their order. Linux; standard library only.

The bench's "CPU time" (bench.py) covers a whole session in clock ticks of 10 ms; this isolates
the requests from indexing.
"""
import glob
import json
import os
import statistics
import subprocess
import threading
import time
from pathlib import Path

from index_cpu import alternated_starts  # this directory is on the path of a script run from it

HOVERS, EDITS = 500, 100


class Client:
    """A minimal LSP client over the server's stdio that keeps what it needs of each message."""

    def __init__(self, argv, root):
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=root
        )
        self.lock, self.cv = threading.Lock(), threading.Condition()
        self.answers, self.versions = {}, {}
        self.progress_begun = self.progress_ended = False
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _send(self, message):
        body = json.dumps(message).encode()
        with self.lock:
            self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            self.proc.stdin.flush()

    def _read(self):
        out = self.proc.stdout
        while True:
            header = out.readline()
            if not header:
                return
            if not header.lower().startswith(b"content-length"):
                continue
            length = int(header.split(b":")[1])
            out.readline()
            message = json.loads(out.read(length))
            if "id" in message and "method" in message:  # the server's own request
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": None})
            with self.cv:
                method = message.get("method")
                if "id" in message and method is None:
                    self.answers[message["id"]] = message
                elif method == "textDocument/publishDiagnostics":
                    params = message["params"]
                    self.versions[params["uri"]] = params.get("version")
                elif method == "$/progress":
                    kind = message["params"].get("value", {}).get("kind")
                    self.progress_begun |= kind == "begin"
                    self.progress_ended |= kind == "end"
                self.cv.notify_all()

    def wait(self, predicate, timeout):
        with self.cv:
            return self.cv.wait_for(predicate, timeout)

    def request(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self._send({"jsonrpc": "2.0", "id": rid, "method": method, "params": params})
        if not self.wait(lambda: rid in self.answers, 30):
            raise SystemExit(f"no answer to {method}")

    def notify(self, method, params):
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def cpu_ms(self):
        """CPU time of the server's live threads so far."""
        total = 0
        for path in glob.glob(f"/proc/{self.proc.pid}/task/*/schedstat"):
            try:
                with open(path) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass  # a thread that just ended
        return total / 1e6

    def stop(self):
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self.proc.wait(5)
        except (OSError, SystemExit, subprocess.TimeoutExpired):
            self.proc.kill()


def one_start(argv, root):
    """(hovers ms, edits ms) of CPU for one start on `root`."""
    if Path(argv[0]).exists():  # the server runs in `root`
        argv = [str(Path(argv[0]).resolve())] + argv[1:]
    client = Client(argv, root)
    client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "capabilities": {
                "window": {"workDoneProgress": True},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            },
        },
    )
    client.notify("initialized", {})
    if client.wait(lambda: client.progress_begun, 2):
        client.wait(lambda: client.progress_ended, 60)
    path = root / "p0500" / ".dlt" / "prod.config.toml"
    uri, text = path.as_uri(), path.read_text()
    lines = text.split("\n")
    doc = {"uri": uri}
    client.notify(
        "textDocument/didOpen",
        {"textDocument": {**doc, "languageId": "toml", "version": 1, "text": text}},
    )
    client.wait(lambda: uri in client.versions, 2)
    hover_line = next(n for n, l in enumerate(lines) if l.startswith("log_level"))
    start = client.cpu_ms()
    for _ in range(HOVERS):
        position = {"line": hover_line, "character": 2}
        client.request("textDocument/hover", {"textDocument": doc, "position": position})
    hovers = client.cpu_ms() - start
    port_line = next(n for n, l in enumerate(lines) if l.startswith("port"))
    start = client.cpu_ms()
    for version in range(2, 2 + EDITS):
        line = lines[port_line]
        col = len(line) - 1
        new = "1" if line[col] != "1" else "2"
        lines[port_line] = line[:col] + new
        span = {"start": {"line": port_line, "character": col}, "end": {"line": port_line, "character": col + 1}}
        client.notify(
            "textDocument/didChange",
            {"textDocument": {**doc, "version": version}, "contentChanges": [{"range": span, "text": new}]},
        )
        client.wait(lambda: client.versions.get(uri) == version, 0.3)
        time.sleep(0.05)
    edits = client.cpu_ms() - start
    client.stop()
    return hovers, edits


def main():
    for server, got in alternated_starts(__doc__, one_start).items():
        hovers = statistics.median(h for h, _ in got)
        edits = statistics.median(e for _, e in got)
        print(
            f"{server}: {HOVERS} hovers {hovers:.1f} ms ({hovers / HOVERS * 1e3:.0f} µs each), "
            f"{EDITS} edits {edits:.1f} ms ({edits / EDITS * 1e3:.0f} µs each), {len(got)} starts"
        )


if __name__ == "__main__":
    main()
