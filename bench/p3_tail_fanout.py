"""P3 fan-out: 50 concurrent ``--tail`` sessions; line latency from write to tail client.

A "timed" dyno writes ``--rate`` lines/s, each carrying the wall time it was written at; 50
tail sessions (SSE, filtered to that dyno) receive them, and each receipt gives a latency.
Measured twice: alone, and while a chatty dyno ingests 1,000,000 lines of 100 B as fast as it
can. Baseline, same run: the same timed producer read straight from its pipe by this process.

    .venv/bin/python -m bench.p3_tail_fanout [--sessions 50] [--seconds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import time
import urllib.parse

from bench.common import Client, Server, print_table, summary_ms
from bench.p3_log_ingest import producer as chatty_producer


def timed_producer(rate: int, seconds: float) -> str:
    code = (
        "import sys, time\n"
        f"n = int({rate} * {seconds}); step = 1 / {rate}; start = time.time()\n"
        "for i in range(n):\n"
        "    delay = start + i * step - time.time()\n"
        "    if delay > 0: time.sleep(delay)\n"
        "    sys.stdout.write(f'tick {i} {time.time():.6f}\\n'); sys.stdout.flush()\n"
    )
    return f"{sys.executable} -c {shlex.quote(code)}"


async def tail(url: str, expected: int, latencies: list[float], ready: asyncio.Event) -> None:
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        "Accept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    seen = 0
    while seen < expected:
        line = await reader.readline()
        if not line:
            break
        if line.startswith(b"retry:"):
            ready.set()
        elif line.startswith(b"data: ") and b" tick " in line:
            latencies.append(time.time() - float(line.rsplit(b" ", 1)[1]))
            seen += 1
    writer.close()


async def scenario(url: str, sessions: int, rate: int, seconds: float, chatty: bool) -> list[float]:
    client = Client(url)
    app = f"fanout-{'busy' if chatty else 'calm'}"
    client.call("POST", "/apps", {"name": app})
    expected = int(rate * seconds)
    latencies: list[float] = []
    readies = [asyncio.Event() for _ in range(sessions)]
    tasks = []
    for ready in readies:
        body = {"tail": True, "lines": 0, "dyno": "timed", "source": "app"}
        session = client.call("POST", f"/apps/{app}/log-sessions", body)
        tasks.append(asyncio.create_task(tail(session["logplex_url"], expected, latencies, ready)))
    await asyncio.gather(*(ready.wait() for ready in readies))
    if chatty:
        body = {"command": chatty_producer(1_000_000), "attach": False, "type": "chatty"}
        client.call("POST", f"/apps/{app}/dynos", body)
    body = {"command": timed_producer(rate, seconds), "attach": False, "type": "timed"}
    client.call("POST", f"/apps/{app}/dynos", body)
    await asyncio.wait_for(asyncio.gather(*tasks), seconds * 10 + 60)
    assert len(latencies) == sessions * expected, (len(latencies), sessions * expected)
    return latencies


def baseline(rate: int, seconds: float) -> list[float]:
    proc = subprocess.Popen(["bash", "-c", timed_producer(rate, seconds)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    latencies, rest = [], b""
    while chunk := os.read(fd, 1 << 16):
        now = time.time()
        *lines, rest = (rest + chunk).split(b"\n")
        latencies += [now - float(line.rsplit(b" ", 1)[1]) for line in lines]
    proc.wait()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rate", type=int, default=200, help="timed lines per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with Server(args.database_url, RUNOFF_ONEOFF_LIMIT="10000") as server:
        calm = asyncio.run(scenario(server.url, args.sessions, args.rate, args.seconds, False))
        busy = asyncio.run(scenario(server.url, args.sessions, args.rate, args.seconds, True))
    base = baseline(args.rate, args.seconds)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    n = args.sessions
    print_table(
        f"P3 tail fan-out ({backend}, {n} tail sessions, {args.rate} lines/s for "
        f"{args.seconds:g} s, {os.cpu_count()} cores): write -> tail client",
        [
            (f"runoff: {n} tails", summary_ms(calm)),
            (f"runoff: {n} tails while 1 M lines are ingested", summary_ms(busy)),
            ("baseline: the producer's pipe read directly", summary_ms(base)),
        ],
    )


if __name__ == "__main__":
    main()
