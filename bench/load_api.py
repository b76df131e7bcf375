"""Load: the API under an open-loop mix while 200 detached dynos run, beside a bare Starlette app.

Steps of 50, 100, 250, 500 and 1,000 requests/s (``--duration`` seconds each), driven open
loop by ``bench.openloop`` (latency counted from each request's due time, so queueing shows).
The mix, against one app with ``--dynos`` detached ``sleep 3600`` dynos running: 40 % list
dynos, 15 % config vars, 10 % releases (as ``heroku releases`` asks: ``Range: version ..;
max=15, order=desc``), 10 % a metrics plot query, 10 % new log sessions, 10 % create a
detached dyno (``sleep 30``), 5 % stop one of those. Baseline, same run, same driver: a bare
Starlette route (``GET /`` answering a small JSON object) served by uvicorn in its own
process; it shows what the driver and loopback HTTP cost, so that the driver is not the
bottleneck. Before the steps, each kind of the mix alone, one at a time: its p50 and the
server's CPU per request (what "within 10x the unloaded time" is against). Per step:
achieved rate (2xx per second), p50, p99, errors (any non-2xx, timeouts at ``--deadline``
seconds), the server's and the driver's CPU (cores); a PNG of latency against offered rate.
Traffic goes to loopback only; each step is bounded in count (rate × duration) and time
(duration + deadline).

Targets (issue 16): the mix at 500 requests/s with p99 < 100 ms and no error.

    .venv/bin/python -m bench.load_api [--steps 50,100,250,500,1000] [--duration 5]
        [--dynos 200] [--deadline 10] [--plot artifacts/load_api.png] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import subprocess
import sys
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench import proc
from bench.common import TOKEN, Client, Server, percentile, slug_of_size
from bench.openloop import Answer, Call, Pool, Step, run_step

APP = "bench-load"
MIX = (  # (kind, weight in percent)
    ("list dynos", 40),
    ("config vars", 15),
    ("releases", 10),
    ("metrics plot", 10),
    ("log session", 10),
    ("create dyno", 10),
    ("stop dyno", 5),
)
HEADERS = (
    ("Authorization", f"Bearer {TOKEN}"),
    ("Accept", "application/vnd.heroku+json; version=3"),
    ("Content-Type", "application/json"),
)


class Mix:
    """The issue's request mix, drawn in a seeded order; stops target dynos this mix started."""

    def __init__(self, seed: int = 16) -> None:
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        random.Random(seed).shuffle(kinds)
        self._kinds = itertools.cycle(kinds)
        self.started: deque[str] = deque()
        self.refusals: dict[str, bytes] = {}  # the first non-2xx body of each kind

    def next(self) -> Call:
        kind = next(self._kinds)
        if kind == "stop dyno" and not self.started:
            kind = "list dynos"  # nothing of ours to stop yet
        return self.call(kind)

    def call(self, kind: str) -> Call:
        base = f"/apps/{APP}"
        match kind:
            case "list dynos":
                return Call(kind, "GET", f"{base}/dynos", headers=HEADERS)
            case "config vars":
                return Call(kind, "GET", f"{base}/config-vars", headers=HEADERS)
            case "releases":
                ranged = (*HEADERS, ("Range", "version ..; max=15, order=desc"))
                return Call(kind, "GET", f"{base}/releases", headers=ranged)
            case "metrics plot":
                path = f"{base}/one-off-metrics/throughput?range=24h"
                return Call(kind, "GET", path, headers=HEADERS)
            case "log session":
                body = json.dumps({"lines": 10, "tail": False}).encode()
                return Call(kind, "POST", f"{base}/log-sessions", body, HEADERS)
            case "create dyno":
                body = json.dumps({"command": "sleep 30", "attach": False}).encode()
                return Call(kind, "POST", f"{base}/dynos", body, HEADERS)
            case _:
                name = self.started.popleft()
                return Call(kind, "POST", f"{base}/dynos/{name}/actions/stop", headers=HEADERS)

    def answered(self, call: Call, answer: Answer) -> None:
        if call.kind == "create dyno" and answer.status == 201:
            self.started.append(json.loads(answer.body)["name"])
        elif answer.status >= 300:
            self.refusals.setdefault(f"{call.kind} {answer.status}", answer.body[:200])


async def unloaded(port: int, pid: int, mix: Mix, each: int = 20) -> dict[str, float]:
    """Each kind of the mix alone, one request at a time: p50 ms and the server's CPU ms per
    request, printed; returns the p50s (what "within 10x their unloaded time" is against)."""
    pool = Pool("127.0.0.1", port, size=1)
    found: dict[str, float] = {}
    for kind, _ in MIX:
        times = []
        cpu = proc.cpu_seconds(pid)
        for _ in range(each):
            call = mix.call(kind)
            start = time.perf_counter()
            mix.answered(call, await pool.send(call))
            times.append(time.perf_counter() - start)
        cpu_ms = (proc.cpu_seconds(pid) - cpu) * 1000 / each
        found[kind] = percentile(times, 0.5) * 1000
        print(
            f"  unloaded {kind:<14} p50 {found[kind]:7.2f} ms  server CPU {cpu_ms:6.2f} ms/request"
        )
    pool.close()
    return found


def bare() -> Call:
    return Call("bare", "GET", "/", headers=HEADERS)


def prepare(url: str, dynos: int) -> None:
    """The app, a 1 MB slug released, config vars, one-off-metrics, ``dynos`` sleeping dynos."""
    client = Client(url)
    client.call("POST", "/apps", {"name": APP})
    client.call("POST", f"/apps/{APP}/addons", {"plan": "one-off-metrics"})
    client.call("PATCH", f"/apps/{APP}/config-vars", {f"VAR_{i}": f"value-{i}" for i in range(20)})
    slug = client.call("POST", f"/apps/{APP}/slugs", raw=slug_of_size(1))
    client.call("POST", f"/apps/{APP}/releases", {"slug": slug["id"]})

    def launch(count: int) -> None:
        mine = Client(url)
        for _ in range(count):
            mine.call("POST", f"/apps/{APP}/dynos", {"command": "sleep 3600", "attach": False})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(launch, [dynos // 8 + (i < dynos % 8) for i in range(8)]))
    running = Client(url).call("GET", f"/apps/{APP}/dynos")  # the first one may have idled out
    print(f"  {len(running)} dynos running", flush=True)


class BareServer:
    """``GET /`` of a one-route Starlette app under uvicorn, in a subprocess."""

    def __enter__(self) -> BareServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.load_api", "--serve-bare"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline().split()[-1])
        return self

    def __exit__(self, *_: object) -> None:
        self.proc.terminate()
        self.proc.wait(30)


def serve_bare() -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from runoff.server import listen

    async def hello(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    sock = listen("127.0.0.1", 0)
    print(f"listening {sock.getsockname()[1]}", flush=True)
    app = Starlette(routes=[Route("/", hello)])
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    asyncio.run(server.serve(sockets=[sock]))


async def drive(
    port: int, pid: int, rates: list[float], duration: float, deadline: float, mix: Mix | None
) -> list[tuple[Step, float]]:
    """Each step in turn; (the step, the server's cores used during it)."""
    pool = Pool("127.0.0.1", port, size=256)
    results = []
    for rate in rates:
        cpu = proc.cpu_seconds(pid)
        next_call = mix.next if mix else bare
        step = await run_step(
            pool,
            rate,
            duration,
            next_call,
            deadline=deadline,
            on_answer=mix.answered if mix else None,
        )
        results.append((step, (proc.cpu_seconds(pid) - cpu) / step.elapsed))
        report(mix is not None, step, results[-1][1])
        await asyncio.sleep(1.0)  # let the server settle between steps
    pool.close()
    return results


def report(runoff: bool, step: Step, server_cores: float) -> None:
    errors = ", ".join(f"{s}:{n}" for s, n in sorted(step.statuses.items()) if s[0] != "2")
    print(
        f"  {'runoff mix' if runoff else 'bare Starlette':<15} {step.rate:>6.0f} "
        f"{step.achieved:>9.1f} {percentile(step.latencies, 0.5) * 1000:>9.1f} "
        f"{percentile(step.latencies, 0.99) * 1000:>9.1f} {step.errors:>7} "
        f"{server_cores:>7.2f} {step.driver_cpu / step.elapsed:>7.2f}  {errors}",
        flush=True,
    )
    if runoff:
        kinds = "  ".join(
            f"{kind} {percentile(v, 0.5) * 1000:.0f}/{percentile(v, 0.99) * 1000:.0f}"
            for kind, v in sorted(step.by_kind.items())
        )
        print(f"      p50/p99 ms by kind: {kinds}", flush=True)


def summary(step: Step, cores: float) -> dict[str, Any]:
    return {
        "rate": step.rate,
        "achieved": step.achieved,
        "p50_ms": percentile(step.latencies, 0.5) * 1000,
        "p99_ms": percentile(step.latencies, 0.99) * 1000,
        "errors": step.errors,
        "statuses": dict(step.statuses),
        "server_cores": cores,
        "driver_cores": step.driver_cpu / step.elapsed,
        "by_kind_p99_ms": {k: percentile(v, 0.99) * 1000 for k, v in step.by_kind.items()},
    }


def plot(path: Path, series: dict[str, list[dict[str, Any]]], title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    for name, rows in series.items():
        rates = [r["rate"] for r in rows]
        ax.plot(rates, [r["p99_ms"] for r in rows], marker="o", label=f"{name} p99")
        ax.plot(rates, [r["p50_ms"] for r in rows], marker=".", ls="--", label=f"{name} p50")
    ax.axhline(100, color="grey", lw=0.8, ls=":", label="p99 target 100 ms")
    ax.set(xscale="log", yscale="log", xlabel="offered rate (requests/s)", ylabel="latency (ms)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, bbox_inches="tight")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="50,100,250,500,1000")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per step")
    parser.add_argument("--deadline", type=float, default=10.0, help="seconds; then an error")
    parser.add_argument("--dynos", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--plot", type=Path, default=Path("artifacts/load_api.png"))
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--serve-bare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        return serve_bare()
    rates = [float(r) for r in args.steps.split(",")]
    print(
        f"  {'target':<15} {'rate':>6} {'achieved':>9} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'errors':>7} {'server':>7} {'driver':>7}  (cores; errors by status)"
    )
    with BareServer() as baseline:
        base = asyncio.run(
            drive(baseline.port, baseline.proc.pid, rates, args.duration, args.deadline, None)
        )
    with Server(args.database_url) as server:
        assert server.proc is not None
        started = time.monotonic()
        prepare(server.url, args.dynos)
        print(f"  ({args.dynos} dynos started in {time.monotonic() - started:.1f} s)", flush=True)
        mix = Mix()
        asyncio.run(unloaded(server.port, server.proc.pid, mix))
        runoff = asyncio.run(
            drive(server.port, server.proc.pid, rates, args.duration, args.deadline, mix)
        )
    for what, body in mix.refusals.items():
        print(f"  first refusal of {what}: {body.decode(errors='replace')}")
    series = {
        "runoff mix": [summary(s, c) for s, c in runoff],
        "bare Starlette": [summary(s, c) for s, c in base],
    }
    backend = "PostgreSQL" if args.database_url else "SQLite"
    plot(args.plot, series, f"API latency vs offered rate ({backend}, {args.dynos} dynos)")
    print(f"  plot: {args.plot}")
    if args.json:
        args.json.write_text(json.dumps(series, indent=1))


if __name__ == "__main__":
    main()
