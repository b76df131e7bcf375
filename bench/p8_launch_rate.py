"""P8: sustained launch rate of detached dynos through the API, with create latency.

``--clients`` clients (16) each create detached dynos back to back for ``--seconds``
(``POST /apps/{app}/dynos`` of ``true``: the API answers once the dyno is up, and each
ends at once, so launches and ends run side by side as in a busy server). One app, one
release of a 1 MB slug. The rate counts the creates answered within the run; every dyno
must have ended afterwards. Baseline, same run: ``os.posix_spawn`` + ``waitpid`` of
``true`` from as many threads, for the same time. Goal: >= 100 dynos/s; exits 1 when missed.

    .venv/bin/python -m bench.p8_launch_rate [--clients 16] [--seconds 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench import proc
from bench.common import Client, Server, print_table, slug_of_size, summary_ms

APP = "bench-p8"
GOAL_PER_SECOND = 100.0


def sustained(clients: int, seconds: float, once: Callable[[], object]) -> list[float]:
    """Latencies of ``once`` called back to back by ``clients`` threads for ``seconds``
    (calls started before the end count once they return)."""
    latencies: list[float] = []
    lock = threading.Lock()
    end = time.perf_counter() + seconds

    def worker() -> None:
        mine = []
        while time.perf_counter() < end:
            start = time.perf_counter()
            once()
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    return latencies


def spawn_true() -> None:
    pid = os.posix_spawn("/bin/true", ["true"], {"PATH": "/usr/bin:/bin"})
    os.waitpid(pid, 0)


def measure(
    url: str, pid: int, clients: int, seconds: float
) -> tuple[list[float], float, float, float]:
    """(create latencies, wall seconds of the run, seconds until every dyno had ended, CPU
    seconds the server used meanwhile)."""
    setup = Client(url)
    setup.call("POST", "/apps", {"name": APP})
    slug = setup.call("POST", f"/apps/{APP}/slugs", raw=slug_of_size(1))
    setup.call("POST", f"/apps/{APP}/releases", {"slug": slug["id"]})
    local = threading.local()

    def create() -> None:
        if not hasattr(local, "client"):
            local.client = Client(url)
        dyno = local.client.call("POST", f"/apps/{APP}/dynos", {"command": "true", "attach": False})
        if dyno["state"] not in ("up", "complete"):
            raise RuntimeError(f"a dyno did not start: {dyno}")

    create()  # alone first: concurrent first dynos of an app race for its name counter's row
    sustained(clients, 1.0, create)  # warm-up
    start, cpu = time.perf_counter(), proc.cpu_seconds(pid)
    latencies = sustained(clients, seconds, create)
    wall = time.perf_counter() - start
    poll = Client(url)  # the setup connection has idled past the server's keep-alive
    while poll.call("GET", f"/apps/{APP}/dynos"):
        if time.perf_counter() - start > seconds + 120:
            raise RuntimeError("dynos still running two minutes after the run")
        time.sleep(0.1)
    return latencies, wall, time.perf_counter() - start - wall, proc.cpu_seconds(pid) - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with Server(args.database_url) as server:
        assert server.proc is not None
        health = Client(server.url).call("GET", "/healthz")
        isolation = f"{health['executor']}/{health['isolation']}"
        runoff, wall, drained, cpu = measure(
            server.url, server.proc.pid, args.clients, args.seconds
        )
    start = time.perf_counter()
    base = sustained(args.clients, args.seconds, spawn_true)
    base_wall = time.perf_counter() - start
    rate, base_rate = len(runoff) / wall, len(base) / base_wall
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print_table(
        f"P8 launch rate ({backend}, {os.cpu_count()} cores, {args.clients} clients, "
        f"{args.seconds:g} s, isolation {isolation})",
        [
            ("runoff: POST /dynos of `true` -> up", summary_ms(runoff)),
            ("baseline: posix_spawn + wait of `true`", summary_ms(base)),
        ],
    )
    print(f"  runoff: {rate:.1f} dynos/s; every dyno ended {drained:.1f} s after the run")
    print(
        f"  runoff server: {cpu:.1f} s of CPU ({100 * cpu / wall:.0f} % of a core), "
        f"{1000 * cpu / max(1, len(runoff)):.1f} ms per dyno (the dynos' own processes aside)"
    )
    print(f"  baseline: {base_rate:.1f} processes/s")
    print(f"  goal: >= {GOAL_PER_SECOND:g} dynos/s")
    if rate < GOAL_PER_SECOND:
        print(f"  MISSED: {rate:.1f} dynos/s < {GOAL_PER_SECOND:g}")
        sys.exit(1)


if __name__ == "__main__":
    main()
