"""Dashboard first paint: from navigation to the four One-off Dyno Metrics plots drawn.

Over the P5 data set (``bench.metrics_data``: a week of 1,000,000 runs of one app), a runoff
server runs in this process on a clock set to the data's "now"; headless Chromium (Debian's
``/usr/bin/chromium`` through Playwright, a fresh browser context per load: empty cache, the
chart library fetched too) opens the add-on's page ``/apps/APP/one-off-metrics?range=R&filter=F``
and the time is read from the page: ``performance.now()`` when the last of the four plots was
painted (each plot marks itself after the frame that draws it). Beside it, in the same run, the
raw API calls the page stands on: the four ``GET /apps/APP/one-off-metrics/{plot}`` with a bearer
token, one after the other and four at once.

The first load of each view is reported apart ("cold"): a new filter's first concurrency
query over a long range sweeps the runs (see docs/metrics.md). Target: first plots <= 1 s.

    .venv/bin/python -m bench.dashboard_first_paint [--runs 1000000] [--sqlite-path PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import uvicorn

from bench.common import percentile
from bench.metrics_data import generated_or_reused
from runoff.apps.service import AppService
from runoff.auth.service import AuthService
from runoff.clock import FakeClock
from runoff.metrics import PLOTS
from runoff.platform import Platform
from runoff.server import listen
from runoff.settings import Settings
from runoff.store.db import make_engine, migrate
from runoff.web.app import create_app
from runoff.web.dashboard.session import COOKIE, SessionStore

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWS = [  # (range, filter)
    ("24h", ""),
    ("3h", ""),
    ("72h", ""),
    ("7d", ""),
    ("24h", 'type:"scheduler" -state:succeeded'),
    ("7d", "scrape"),
    ("24h", 'name:"scheduler.1234"'),
]
DRAWN = "() => document.querySelectorAll('.plot[data-state=ready]').length === 4"


class InProcessServer:
    """A runoff server on ``clock`` in a thread of this process."""

    def __init__(self, database_url: str, data_dir: Path, clock: FakeClock) -> None:
        settings = Settings.from_env(
            {"RUNOFF_DATA_DIR": str(data_dir), "RUNOFF_DATABASE_URL": database_url}
        ).with_overrides(rendezvous_port=0)
        sock = listen("127.0.0.1", 0)  # any free port, ours from now on
        settings = settings.with_overrides(port=sock.getsockname()[1])
        self.platform = Platform(settings, clock=clock)
        config = uvicorn.Config(create_app(self.platform), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.url = f"http://127.0.0.1:{settings.port}"
        self.thread = threading.Thread(
            target=lambda: asyncio.run(self.server.serve(sockets=[sock])), daemon=True
        )

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the runoff server failed to start (see its output above)")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(60)


def _get(url: str, path: str, token: str) -> float:
    host, port = url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    start = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
    response = conn.getresponse()
    response.read()
    elapsed = (time.perf_counter() - start) * 1000
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    return elapsed


def api_times(url: str, app: str, token: str, range_: str, text: str) -> tuple[float, float]:
    """(ms for the four plot calls one after another, ms for the four at once)."""
    query = urlencode({"range": range_, "filter": text})
    paths = [f"/apps/{app}/one-off-metrics/{plot}?{query}" for plot in PLOTS]
    sequential = sum(_get(url, path, token) for path in paths)
    start = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda path: _get(url, path, token), paths))
    return sequential, (time.perf_counter() - start) * 1000


def first_paint(browser: Any, url: str, secret: str, page_url: str) -> dict[str, float]:
    """One load in a fresh context (empty cache): ms from navigation to each milestone."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_cookies([{"name": COOKIE, "value": secret, "url": url}])
    page = context.new_page()
    page.goto(page_url, wait_until="commit")
    page.wait_for_function(DRAWN, timeout=120_000)
    marks = page.evaluate(
        """() => {
            const drawn = [...document.querySelectorAll('.plot')].map(p => +p.dataset.drawnMs);
            const nav = performance.getEntriesByType('navigation')[0];
            const lib = performance.getEntriesByType('resource')
                .find(r => r.name.includes('echarts'));
            const script = performance.getEntriesByName('runoff:plots-script')[0];
            const draws = performance.getEntriesByType('measure')
                .filter(m => m.name.startsWith('runoff:draw:'));
            const data = performance.getEntriesByType('resource')
                .filter(r => r.name.includes('/dashboard/data/'));
            return {first: Math.min(...drawn), all: Math.max(...drawn), html: nav.responseEnd,
                    library: lib ? lib.responseEnd : 0, script: script ? script.startTime : 0,
                    drawing: draws.reduce((sum, m) => sum + m.duration, 0),
                    data: Math.max(...data.map(r => r.responseEnd))};
        }"""
    )
    context.close()
    return marks


def measure(server: InProcessServer, app: str, token: str, secret: str, loads: int) -> None:
    from playwright.sync_api import sync_playwright

    print(f"  {'view':<44} {'cold ms':>8} {'p50 ms':>7} {'max ms':>7} {'1st plot':>9} "
          f"{'html':>6} {'lib':>6} {'js':>6} {'data':>6} {'draw':>6} | "
          f"{'API seq':>8} {'API x4':>7}")  # fmt: skip
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        for range_, text in VIEWS:
            query = urlencode({"range": range_, **({"filter": text} if text else {})})
            page_url = f"{server.url}/apps/{app}/one-off-metrics?{query}"
            cold = first_paint(browser, server.url, secret, page_url)
            warm = [first_paint(browser, server.url, secret, page_url) for _ in range(loads)]
            apis = [api_times(server.url, app, token, range_, text) for _ in range(loads)]
            everything = [w["all"] for w in warm]
            label = f"{range_} {text or '(no filter)'}"
            print(
                f"  {label:<44} {cold['all']:>8.0f} {percentile(everything, 0.5):>7.0f} "
                f"{max(everything):>7.0f} {percentile([w['first'] for w in warm], 0.5):>9.0f} "
                f"{percentile([w['html'] for w in warm], 0.5):>6.0f} "
                f"{percentile([w['library'] for w in warm], 0.5):>6.0f} "
                f"{percentile([w['script'] for w in warm], 0.5):>6.0f} "
                f"{percentile([w['data'] for w in warm], 0.5):>6.0f} "
                f"{percentile([w['drawing'] for w in warm], 0.5):>6.0f} | "
                f"{percentile([a[0] for a in apis], 0.5):>8.1f} "
                f"{percentile([a[1] for a in apis], 0.5):>7.1f}"
            )
        browser.close()
    print("  cold: the first load of the view; p50/max: the next loads; 1st plot: the first of")
    print("  the four drawn; html / lib: the page / echarts.min.js received, js: the page's")
    print("  script running after the library was run, data: the last plot data received (ms")
    print("  from navigation); draw: ms spent drawing the four (ECharts setOption, all four);")
    print("  API seq: the four plot calls one after another; API x4: the four at once.")
    print("  target: the four plots drawn <= 1000 ms")


def run(database_url: str, runs: int, loads: int, reuse: Path | None) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    app_name, now = generated_or_reused(engine, runs, reuse)
    clock = FakeClock(now)
    app = AppService(engine, clock).get(app_name)
    auth = AuthService(engine, clock)
    token = auth.create_authorization(auth.user_by_id(app.owner_id), description="bench").token
    assert token is not None
    _, secret = SessionStore(engine, clock, auth).open(token)
    engine.dispose()
    with (
        tempfile.TemporaryDirectory(prefix="runoff-dash-") as tmp,
        InProcessServer(database_url, Path(tmp), clock) as server,
    ):
        measure(server, app_name, token, secret, loads)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--loads", type=int, default=5, help="warm loads per view")
    parser.add_argument("--sqlite-path", help="keep (and reuse) the SQLite database here")
    args = parser.parse_args()
    print(f"Dashboard first paint (SQLite, {os.cpu_count()} cores, Chromium headless)")
    if args.sqlite_path:
        path = args.sqlite_path
        run(f"sqlite:///{path}", args.runs, args.loads, Path(path + ".app"))
        return
    with tempfile.TemporaryDirectory(prefix="runoff-dash-db-") as tmp:
        run(f"sqlite:///{tmp}/runs.db", args.runs, args.loads, None)


if __name__ == "__main__":
    main()
