"""P4: 1,000 concurrent dynos — the server's memory, idle CPU and descriptors, then a clean stop.

One app, one release (a 1 MB slug, so each dyno gets an overlay workspace), ``--dynos``
detached ``sleep`` dynos started through the API by 8 clients. Once all are up, the server's
RSS and its CPU use over ``--window`` seconds of idling (long enough to include one runtime
metrics sample of every dyno) are measured; then every dyno is stopped through the API and
nothing may be left: no process carrying a dyno's marker, no overlay mount under the data dir,
no cgroup directory, no workspace. The server runs under a soft limit of 1,024 open files (the
common default; it raises its own soft limit at start).

Baselines, same run: the same server with no dyno (its RSS and idle CPU over the same window),
and the same number of bare ``sleep`` processes spawned by this process (their RSS).
Goals: RSS <= 200 MB, idle CPU <= 5 % of a core, nothing left; exits 1 when one is missed.

    .venv/bin/python -m bench.p4_many_dynos [--dynos 1000] [--window 20] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench import proc
from bench.common import Client, Server, slug_of_size

APP = "bench-p4"
CLIENTS = 8
SOFT_NOFILE = 1024
RSS_GOAL_MB = 200
CPU_GOAL_PERCENT = 5.0
MB = 1024 * 1024


def prepare(url: str) -> None:
    client = Client(url)
    client.call("POST", "/apps", {"name": APP})
    slug = client.call("POST", f"/apps/{APP}/slugs", raw=slug_of_size(1))
    client.call("POST", f"/apps/{APP}/releases", {"slug": slug["id"]})
    # one dyno first: concurrent first dynos of an app race for its name counter's first row
    # on PostgreSQL (409)
    client.call("POST", f"/apps/{APP}/dynos", {"command": "true", "attach": False})


def launch(url: str, count: int) -> tuple[dict[str, str], list[str], float]:
    """Start ``count`` sleep dynos; returns {dyno id: name} of those that came up, what went
    wrong with the others (each client stops at its first failure), and the seconds taken."""
    failures: list[str] = []

    def run(indices: range) -> list[tuple[str, str]]:
        client = Client(url)
        started = []
        for _ in indices:
            try:
                dyno = client.call(
                    "POST", f"/apps/{APP}/dynos", {"command": "sleep 3600", "attach": False}
                )
            except (RuntimeError, OSError) as exc:
                failures.append(str(exc))
                break
            if dyno["state"] != "up":
                failures.append(f"{dyno['name']} is {dyno['state']}")
                break
            started.append((dyno["id"], dyno["name"]))
        return started

    chunks = [range(i, count, CLIENTS) for i in range(CLIENTS)]
    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(run, chunks))
    started = dict(pair for chunk in results for pair in chunk)
    return started, failures, time.perf_counter() - start


def stop_all(url: str, names: list[str], timeout: float = 300) -> tuple[float, list[str]]:
    """Stop every dyno through the API and wait until none runs; returns the seconds taken
    and the stop requests that failed (a timed-out request may still be carried out)."""
    failures: list[str] = []

    def stop(part: list[str]) -> None:
        client = Client(url)
        for name in part:
            try:
                client.call("POST", f"/apps/{APP}/dynos/{name}/actions/stop")
            except (RuntimeError, OSError) as exc:
                failures.append(f"stop {name}: {exc!r}")
                client = Client(url)

    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(stop, [names[i::CLIENTS] for i in range(CLIENTS)]))
    progress(f"stop requests answered in {time.perf_counter() - start:.1f} s")
    client = Client(url)
    while time.perf_counter() - start < timeout:
        if not client.call("GET", f"/apps/{APP}/dynos"):
            return time.perf_counter() - start, failures
        time.sleep(0.25)
    raise RuntimeError(f"dynos still listed {timeout:.0f} s after they were stopped")


def progress(message: str) -> None:
    print(f"p4: {message}", file=sys.stderr, flush=True)


def bare_sleeps(count: int) -> tuple[int, int]:
    """(summed RSS, count) of ``count`` bare ``sleep`` processes, spawned and killed here."""
    pids = [
        os.posix_spawn("/bin/sleep", ["sleep", "3600"], {"PATH": "/usr/bin:/bin"})
        for _ in range(count)
    ]
    time.sleep(0.5)
    total = sum(proc.rss_bytes(pid) for pid in pids)
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    for pid in pids:
        os.waitpid(pid, 0)
    return total, len(pids)


@dataclass
class Run:
    """What one run measured."""

    dynos: dict[str, str] = field(default_factory=dict)  # id: name, of those that came up
    failures: list[str] = field(default_factory=list)
    launch_s: float = 0.0
    stop_s: float = 0.0
    empty: proc.Idle | None = None
    busy: proc.Idle | None = None
    empty_fds: int = 0
    busy_fds: int = 0
    limits: tuple[str, str] = ("?", "?")
    processes: int = 0
    processes_rss: int = 0
    left: proc.Leftovers | None = None
    log: str = ""  # the server's warnings and errors
    isolation: str = "?"  # the executor and its isolation, as /healthz says


def run(count: int, window: float, database_url: str | None) -> Run:
    result = Run()
    with Server(database_url, RUNOFF_ONEOFF_LIMIT=str(count + 100)) as server:
        assert server.proc is not None
        pid = server.proc.pid
        data_dir = Path(server.env["RUNOFF_DATA_DIR"])
        prepare(server.url)
        health = Client(server.url).call("GET", "/healthz")
        result.isolation = f"{health['executor']}/{health['isolation']}"
        result.empty, result.empty_fds = proc.measure_idle(pid, window), proc.descriptors(pid)
        progress(f"no dyno: {result.empty}, {result.empty_fds} fds")
        result.dynos, result.failures, result.launch_s = launch(server.url, count)
        progress(
            f"{len(result.dynos)} up in {result.launch_s:.1f} s; failures {result.failures[:3]}"
        )
        time.sleep(2)  # let the last launches' bookkeeping settle
        marked = proc.marked_pids(result.dynos)
        result.processes = sum(len(pids) for pids in marked.values())
        result.processes_rss = sum(proc.rss_bytes(p) for pids in marked.values() for p in pids)
        result.busy, result.busy_fds = proc.measure_idle(pid, window), proc.descriptors(pid)
        result.limits = proc.nofile_limits(pid)
        progress(f"{len(result.dynos)} dynos: {result.busy}, {result.busy_fds} fds")
        try:
            result.stop_s, stop_failures = stop_all(server.url, list(result.dynos.values()))
            result.failures += stop_failures
        finally:
            result.left = proc.leftovers(result.dynos, data_dir)
            proc.sweep(result.dynos, data_dir)
            log = (Path(server.tmp.name) / "server.log").read_text(errors="replace")
            result.log = "\n".join(
                line for line in log.splitlines() if " WARNING " in line or " ERROR " in line
            )
    return result


def row(what: str, rss: float | str, cpu: float | str, fds: int | str) -> None:
    rss_text = f"{rss:.1f}" if isinstance(rss, float) else rss
    cpu_text = f"{cpu:.2f}" if isinstance(cpu, float) else cpu
    print(f"  {what:<50} {rss_text:>9} {cpu_text:>12} {fds!s:>6}")


def report(result: Run, count: int, sleeps: tuple[int, int], backend: str) -> None:
    assert result.empty is not None
    assert result.busy is not None
    empty, busy, up = result.empty, result.busy, len(result.dynos)
    print(
        f"\nP4 {count} concurrent sleep dynos ({backend}, {os.cpu_count()} cores, "
        f"isolation {result.isolation}, started with "
        f"soft RLIMIT_NOFILE {SOFT_NOFILE}; the server's once up: soft {result.limits[0]}, "
        f"hard {result.limits[1]})"
    )
    print(f"  {'what':<50} {'RSS MB':>9} {'idle CPU %':>12} {'fds':>6}")
    row("runoff server, no dyno", empty.rss_bytes / MB, empty.cpu_percent, result.empty_fds)
    row(f"runoff server, {up} dynos up", busy.rss_bytes / MB, busy.cpu_percent, result.busy_fds)
    row(f"  the dynos' {result.processes} processes (summed)", result.processes_rss / MB, "", "")
    row(f"baseline: {sleeps[1]} bare sleep processes (summed)", sleeps[0] / MB, "", "")
    per_kb = (busy.rss_bytes - empty.rss_bytes) / max(1, up) / 1024
    per_fds = (result.busy_fds - result.empty_fds) / max(1, up)
    print(f"  server per dyno: {per_kb:.1f} KB RSS, {per_fds:.2f} descriptors")
    print(
        f"  idle window {busy.window_s:.1f} s; started in {result.launch_s:.1f} s "
        f"({up / result.launch_s:.0f} dynos/s), all stopped and gone in {result.stop_s:.1f} s"
    )
    print(f"  left after the stop: {result.left}")
    if result.log:
        print("  the server logged:\n    " + "\n    ".join(result.log.splitlines()[:10]))
    print(f"  goals: RSS <= {RSS_GOAL_MB} MB, idle CPU <= {CPU_GOAL_PERCENT:g} %, nothing left")


def misses(result: Run, count: int) -> list[str]:
    assert result.busy is not None
    assert result.left is not None
    missed = []
    if len(result.dynos) < count or result.failures:
        missed.append(f"{len(result.dynos)} of {count} started; failures: {result.failures[:3]}")
    if result.busy.rss_bytes > RSS_GOAL_MB * MB:
        missed.append(f"RSS {result.busy.rss_bytes / MB:.1f} MB > {RSS_GOAL_MB} MB")
    if result.busy.cpu_percent > CPU_GOAL_PERCENT:
        missed.append(f"idle CPU {result.busy.cpu_percent:.2f} % > {CPU_GOAL_PERCENT:g} %")
    if not result.left.none:
        missed.append(f"left behind: {result.left}")
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dynos", type=int, default=1000)
    parser.add_argument("--window", type=float, default=20.0, help="idle window, seconds")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (SOFT_NOFILE, hard))  # the server inherits it
    result = run(args.dynos, args.window, args.database_url)
    sleeps = bare_sleeps(args.dynos)
    report(result, args.dynos, sleeps, "PostgreSQL" if args.database_url else "SQLite")
    missed = misses(result, args.dynos)
    for miss in missed:
        print(f"  MISSED: {miss}")
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
