"""P1: one-off start latency — API create → process exec'd ("up"), detached, 10 MB slug.

Each sample is the wall time of ``POST /apps/{app}/dynos`` (the API answers once the dyno's
record is durable, its workspace is populated from the slug, its process is exec'd and the
``up`` state is recorded). Baseline, same run: ``os.posix_spawn`` + ``waitpid`` of the same
command (``bash -c true``). Target: p50 ≤ 10 ms, p99 ≤ 50 ms, and ≤ 20× the baseline. Beside
them: the sandbox's own bare cost, the same command run to its end in a dyno's sandbox
(bubblewrap, and setpriv as root) outside the server (``RUNOFF_ISOLATION=none`` to measure
without the sandbox).

    .venv/bin/python -m bench.p1_start_latency [--runs 300] [--database-url URL] [--metrics]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import Client, Server, print_table, slug_of_size, summary_ms


def baseline(runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        pid = os.posix_spawn("/bin/bash", ["bash", "-c", "true"], {"PATH": "/usr/bin:/bin"})
        os.waitpid(pid, 0)
        samples.append(time.perf_counter() - start)
    return samples


def sandbox_bare(runs: int) -> list[float]:
    """``bash -c true`` in a dyno's sandbox, spawned and waited for (no server)."""
    from runoff.dynos.local.sandbox import Sandbox

    samples = []
    with tempfile.TemporaryDirectory(prefix="runoff-bench-sandbox-") as tmp:
        sandbox = Sandbox(Path(tmp) / "sandbox")
        app = Path(tmp) / "app"
        app.mkdir()
        for _ in range(runs):
            start = time.perf_counter()
            with sandbox.seccomp_fd() as fd:
                argv = sandbox.argv(
                    "true", app_dir=app, hostname="bench", user=sandbox.user("bench"), seccomp_fd=fd
                )
                subprocess.run(argv, env={"PATH": "/usr/bin:/bin"}, pass_fds=(fd,), check=True)
            samples.append(time.perf_counter() - start)
    return samples


def measure(url: str, runs: int, metrics: bool = False) -> list[float]:
    client = Client(url)
    client.call("POST", "/apps", {"name": "bench-p1"})
    if metrics:  # every run is then recorded by One-off Dyno Metrics while it is measured
        client.call("POST", "/apps/bench-p1/addons", {"plan": "one-off-metrics"})
    slug = client.call("POST", "/apps/bench-p1/slugs", raw=slug_of_size(10))
    client.call("POST", "/apps/bench-p1/releases", {"slug": slug["id"]})
    for _ in range(10):  # warm-up
        client.call("POST", "/apps/bench-p1/dynos", {"command": "true", "attach": False})
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        dyno = client.call("POST", "/apps/bench-p1/dynos", {"command": "true", "attach": False})
        samples.append(time.perf_counter() - start)
        assert dyno["state"] in ("up", "complete"), dyno
        time.sleep(0.002)  # let the previous run's teardown happen, as between real requests
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--metrics", action="store_true", help="provision one-off-metrics")
    args = parser.parse_args()
    with Server(args.database_url) as server:
        runoff = measure(server.url, args.runs, args.metrics)
    base = baseline(args.runs)
    sandboxed = os.environ.get("RUNOFF_ISOLATION", "sandbox") == "sandbox"
    rows = [
        ("runoff: POST /dynos -> up (HTTP round trip)", summary_ms(runoff)),
        ("baseline: posix_spawn + wait of `bash -c true`", summary_ms(base)),
    ]
    if sandboxed:
        rows.append(("sandbox alone: bwrap `bash -c true` + wait", summary_ms(sandbox_bare(100))))
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print_table(
        f"P1 start latency ({backend}, 10 MB slug, {os.cpu_count()} cores, isolation "
        + ("sandbox" if sandboxed else "none")
        + (", one-off-metrics recording)" if args.metrics else ")"),
        rows,
    )
    ratio = summary_ms(runoff)["p50"] / summary_ms(base)["p50"]
    print(f"  target: p50 <= 10 ms, p99 <= 50 ms, <= 20x the baseline (p50: {ratio:.1f}x)")


if __name__ == "__main__":
    main()
