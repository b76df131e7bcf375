"""P3: log ingest — one dyno writes 1,000,000 lines of 100 bytes as fast as it can.

runoff: wall time from ``POST /apps/{app}/dynos`` until the last line is durable and
retrievable (a non-tail log session with ``lines: 1`` returns it; the stream flushes the router
first), as lines/s. Then every line is read back through the API (one session resumed with
``Last-Event-ID: 0``) and checked: all there, in order, none twice. Baseline, same run: a raw
Python read (64 KiB ``os.read``) of the same producer's pipe, and the producer alone writing
to /dev/null. Target: >= 500 k lines/s, 0 lost.

    .venv/bin/python -m bench.p3_log_ingest [--lines 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import fcntl
import http.client
import os
import shlex
import subprocess
import sys
import time
import urllib.parse

from bench.common import Client, Server

LINE_BYTES = 100


def producer(lines: int) -> str:
    """A shell command printing ``lines`` numbered lines of LINE_BYTES bytes (newline included)."""
    code = (
        "import sys\n"
        "w = sys.stdout.buffer.write\n"
        f"n = {lines}\n"
        "pad = b' log line from a chatty dyno: status=200 bytes=5120 path=/api/items ' * 2\n"
        f"pad = pad[: {LINE_BYTES - 11}]\n"
        "for start in range(0, n, 1000):\n"
        "    w(b''.join(b'%09d %s\\n' % (i, pad) for i in range(start, min(n, start + 1000))))\n"
    )
    return f"{sys.executable} -c {shlex.quote(code)}"


def raw_read(command: str, size: int) -> tuple[float, int]:
    """Seconds and lines for a plain Python read of the producer's pipe (``size`` reads; the
    pipe widened to 1 MiB for reads larger than 64 KiB, as runoff does)."""
    start = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", command], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    if size > 1 << 16:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    count = 0
    while chunk := os.read(fd, size):
        count += chunk.count(b"\n")
    proc.wait()
    return time.perf_counter() - start, count


def to_devnull(command: str) -> float:
    start = time.perf_counter()
    subprocess.run(["bash", "-c", command], stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def sse_lines(url: str, last_event_id: str | None = None) -> list[bytes]:
    """The ``data`` payloads of a (non-tail) event stream."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=300)
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    conn.request("GET", parts.path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return [line[6:] for line in body.split(b"\n") if line.startswith(b"data: ")]


def last_line(client: Client, app: str) -> bytes | None:
    session = client.call("POST", f"/apps/{app}/log-sessions", {"lines": 1, "source": "app"})
    lines = sse_lines(session["logplex_url"])
    return lines[-1] if lines else None


def measure(url: str, lines: int) -> tuple[float, float, int, int]:
    """Seconds to durable, seconds to read back, lines read back, lines out of order/missing."""
    client = Client(url)
    client.call("POST", "/apps", {"name": "bench-p3"})
    want = b"%09d " % (lines - 1)
    start = time.perf_counter()
    client.call("POST", "/apps/bench-p3/dynos", {"command": producer(lines), "attach": False})
    while True:
        found = last_line(client, "bench-p3")
        if found is not None and found.split(b": ", 1)[-1].startswith(want):
            break
        time.sleep(0.01)
    durable = time.perf_counter() - start
    start = time.perf_counter()
    session = client.call("POST", "/apps/bench-p3/log-sessions", {"source": "app"})
    got = sse_lines(session["logplex_url"], last_event_id="0")
    read_back = time.perf_counter() - start
    bad = sum(
        1
        for index, line in enumerate(got)
        if not line.split(b": ", 1)[-1].startswith(b"%09d " % index)
    )
    return durable, read_back, len(got), bad + abs(lines - len(got))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    command = producer(args.lines)
    with Server(args.database_url) as server:
        durable, read_back, got, bad = measure(server.url, args.lines)
    raw64 = raw_read(command, 1 << 16)
    raw256 = raw_read(command, 1 << 18)
    alone = to_devnull(command)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    n = args.lines
    print(f"\nP3 log ingest ({backend}, {n:,} lines of {LINE_BYTES} B, {os.cpu_count()} cores)")
    rows = [
        ("runoff: POST /dynos -> last line durable and retrievable", durable, n),
        ("runoff: read every line back through the API (SSE)", read_back, got),
        ("baseline: raw Python read of the same pipe (64 KiB reads)", *raw64),
        ("baseline: ... (1 MiB pipe, 256 KiB reads, as runoff)", *raw256),
        ("baseline: the producer alone, to /dev/null", alone, n),
    ]
    print(f"  {'what':<60} {'seconds':>8} {'lines/s':>12}")
    for name, seconds, count in rows:
        print(f"  {name:<60} {seconds:>8.3f} {count / seconds:>12,.0f}")
    print(f"  lines read back: {got:,}; missing, extra or out of order: {bad}")
    print("  target: >= 500,000 lines/s to durable, 0 lost")


if __name__ == "__main__":
    main()
