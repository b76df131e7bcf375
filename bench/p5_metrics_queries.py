"""P5: One-off Dyno Metrics queries over a week of 1,000,000 runs.

Every plot × every range × a set of filters (none, plain, exact, negated, multi-value, and a
name filter that must read raw runs), through ``MetricsService.plot`` in-process (no HTTP),
beside a naive computation of the same plot straight from the raw runs table (SQL over
``metrics_runs`` joined with its series, then Python), measured in the same run. Each
query runs ``--repeat`` times; the first run of a combination is reported apart as "cold".
Target: p95 <= 50 ms and >= 20x faster than the naive query.

    .venv/bin/python -m bench.p5_metrics_queries [--runs 1000000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bench.common import percentile
from bench.metrics_data import generated_or_reused
from runoff.apps.service import AppService
from runoff.clock import FakeClock
from runoff.metrics import PLOTS, RANGES, MetricsService, Range, range_named, selection
from runoff.metrics.plots import Window
from runoff.query import parse
from runoff.store.db import make_engine, migrate
from runoff.store.schema import metrics_events, metrics_runs

FILTERS = {
    "none": "",
    "plain": "scrape",
    "plain quoted": 'echo "Hello World!"',
    "exact": 'type:"scheduler"',
    "exact command": 'command:"python scrape.py"',
    "negated": "-state:succeeded",
    "negated plain": "-Hello World",
    "multi-value": "state:failed state:timed out",
    "multi-attr": 'type:"scheduler" type:task size:performance',
    "name (raw path)": 'name:"scheduler.1234"',
}


def naive(engine: Engine, addon: Any, plot: str, text: str, range_: Range, now: int) -> Any:
    """The plot computed from raw runs only: one SQL query, then Python."""
    window = Window.of(range_, addon, now)
    condition = selection.run_condition(addon.id, parse(text))
    runs = metrics_runs.c
    with engine.connect() as conn:
        if plot in ("throughput", "execution-time"):
            query = select(runs.ended_at, runs.created_at, runs.state).select_from(selection.RUNS)
            rows = conn.execute(query.where(condition, runs.ended_at >= window.start,
                                            runs.ended_at < window.end)).all()  # fmt: skip
            durations: dict[int, list[int]] = {}
            for ended, created, _state in rows:
                durations.setdefault(window.bucket_of(ended), []).append(ended - created)
            return {b: _nearest_rank(sorted(v)) for b, v in durations.items()}
        if plot == "concurrency":
            query = select(runs.created_at, runs.ended_at).select_from(selection.RUNS).where(
                condition, runs.created_at < window.end)  # fmt: skip
            found = [(a, b) for a, b in conn.execute(query) if b is None or b > window.start]
            from runoff.metrics import concurrency

            busy: dict[int, int] = {}
            for bucket, inside in concurrency.busy(found, window):
                busy[bucket] = busy.get(bucket, 0) + inside
            return concurrency.peaks(found, window, window.buckets), busy
        events = metrics_events
        query = (
            select(metrics_runs.c.name, events.c.event, events.c.at)
            .select_from(events.join(selection.RUNS, metrics_runs.c.dyno_id == events.c.dyno_id))
            .where(condition, events.c.at >= window.start, events.c.at < window.end)
        )
        return len(conn.execute(query).all())


def _nearest_rank(ordered: list[int]) -> tuple[int, int]:
    """Exact p50 and p95 (nearest rank) of sorted values."""
    return tuple(ordered[max(0, math.ceil(f * len(ordered)) - 1)] for f in (0.5, 0.95))  # type: ignore[return-value]


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def run(
    engine: Engine, runs: int, repeat: int, naive_ranges: set[str], reuse: Path | None = None
) -> None:
    """Generate the data (or reuse what ``reuse`` names), then measure."""
    app_name, now = generated_or_reused(engine, runs, reuse)
    clock = FakeClock(now)
    metrics = MetricsService(engine, clock)
    app = AppService(engine, clock).get(app_name)
    addon = metrics.addons.require(app)
    cold: dict[str, list[float]] = {}
    warm: dict[str, list[float]] = {}
    slow: dict[str, list[float]] = {}
    worst: list[tuple[float, str]] = []
    for label, text in FILTERS.items():
        for range_ in RANGES:
            for plot in PLOTS:

                def query(plot: str = plot, text: str = text, name: str = range_.name) -> Any:
                    return metrics.plot(app, plot, text, name)

                samples = [timed(query) for _ in range(repeat)]
                cold.setdefault(plot, []).append(samples[0])
                warm.setdefault(plot, []).extend(samples[1:])
                worst.append((max(samples), f"{plot} {range_.name} {label}"))
                if range_.name in naive_ranges:
                    chosen = range_named(range_.name)

                    def raw(plot: str = plot, text: str = text, chosen: Range = chosen) -> Any:
                        return naive(engine, addon, plot, text, chosen, now)

                    slow.setdefault(plot, []).append(timed(raw))
    report(cold, warm, slow, worst, naive_ranges)


def report(
    cold: dict[str, list[float]],
    warm: dict[str, list[float]],
    slow: dict[str, list[float]],
    worst: list[tuple[float, str]],
    naive_ranges: set[str],
) -> None:
    print(f"  {'plot':<16} {'p50 ms':>8} {'p95 ms':>8} {'cold p95':>9} {'naive p50':>10} "
          f"{'naive p95':>10} {'x (p95)':>8}")  # fmt: skip
    everything, everything_naive = [], []
    for plot in PLOTS:
        fast = warm[plot] or cold[plot]
        everything += fast
        everything_naive += slow.get(plot, [])
        base = slow.get(plot) or [float("nan")]
        print(
            f"  {plot:<16} {percentile(fast, 0.5):>8.2f} {percentile(fast, 0.95):>8.2f} "
            f"{percentile(cold[plot], 0.95):>9.2f} {percentile(base, 0.5):>10.1f} "
            f"{percentile(base, 0.95):>10.1f} "
            f"{percentile(base, 0.95) / percentile(fast, 0.95):>8.1f}"
        )
    base = everything_naive or [float("nan")]
    print(f"  {'all':<16} {percentile(everything, 0.5):>8.2f} {percentile(everything, 0.95):>8.2f} "
          f"{'':>9} {percentile(base, 0.5):>10.1f} {percentile(base, 0.95):>10.1f} "
          f"{percentile(base, 0.95) / percentile(everything, 0.95):>8.1f}")  # fmt: skip
    print(f"  naive measured on ranges: {', '.join(sorted(naive_ranges))}")
    print("  slowest combinations (ms, any repetition):")
    for ms, what in sorted(worst, reverse=True)[:8]:
        print(f"    {ms:8.1f}  {what}")
    print("  target: p95 <= 50 ms, >= 20x the naive query")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--database-url", default=None, help="PostgreSQL server (a new database is made)"
    )
    parser.add_argument("--sqlite-path", help="keep (and reuse) the SQLite database here")
    parser.add_argument("--naive-ranges", default=",".join(r.name for r in RANGES))
    args = parser.parse_args()
    naive_ranges = set(args.naive_ranges.split(",")) if args.naive_ranges else set()
    if args.database_url:
        import psycopg

        name = f"bench_p5_{secrets.token_hex(4)}"
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = args.database_url.rsplit("/", 1)[0] + "/" + name
        print(f"P5 metrics queries (PostgreSQL, {os.cpu_count()} cores)")
        engine = make_engine(url)
        try:
            migrate(engine)
            run(engine, args.runs, args.repeat, naive_ranges)
        finally:
            engine.dispose()
            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
        return
    print(f"P5 metrics queries (SQLite, {os.cpu_count()} cores)")
    if args.sqlite_path:  # kept between runs: generating a million runs takes minutes
        engine = make_engine(f"sqlite:///{args.sqlite_path}")
        migrate(engine)
        run(engine, args.runs, args.repeat, naive_ranges, Path(args.sqlite_path + ".app"))
        engine.dispose()
        return
    with tempfile.TemporaryDirectory(prefix="runoff-p5-") as tmp:
        engine = make_engine(f"sqlite:///{tmp}/p5.db")
        migrate(engine)
        run(engine, args.runs, args.repeat, naive_ranges)
        engine.dispose()


if __name__ == "__main__":
    main()
