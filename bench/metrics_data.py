"""A realistic week of one-off runs for one app, written straight into the metrics tables.

``generate(engine, runs=1_000_000, days=7)`` provisions the add-on (plan ``pro``) for a new app
and records ``runs`` runs ending before ``now`` (returned, in µs): scheduler jobs on fixed
cadences plus Poisson arrivals of run:detached, Dyno-create API types (advanced-scheduler,
task) and release-phase runs; log-normal execution times per command (seconds to an hour),
about 90 % succeeded, 6 % failed, 3 % timed out at their TTL, and the runs of the last
minutes still running. Rollups are built by ``runoff.metrics.rollups.contributions``, the
code the recorder uses, so the data is what the recorder would have written.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from runoff.apps.service import AppService
from runoff.auth.service import AuthService
from runoff.clock import US_PER_SECOND, FakeClock
from runoff.metrics import MetricsService, sketch
from runoff.metrics import rollups as rollup_code
from runoff.metrics.prune import analyze
from runoff.metrics.store import series_key
from runoff.store.rows import new_id
from runoff.store.schema import (
    metrics_events,
    metrics_peaks,
    metrics_rollups,
    metrics_runs,
    metrics_series,
)

# command, type, size, median seconds, share of arrivals (or cadence in minutes for scheduler)
JOBS: list[tuple[str, str, str, float, float]] = [
    ("python scrape.py", "scheduler", "Standard-1X", 40, 1),
    ("python scrape.py --pages 10", "scheduler", "Performance-L", 300, 10),
    ("rake reports:daily", "scheduler", "Standard-2X", 120, 60),
    ('echo "Hello World!"', "scheduler", "Standard-1X", 0.5, 1),
    ("bin/sync-inventory", "scheduler", "Standard-2X", 20, 1),
    ("node src/jobs/cleanup.js", "scheduler", "Standard-1X", 8, 2),
    ("python manage.py clearsessions", "scheduler", "Standard-1X", 5, 10),
    ("bin/report 100", "advanced-scheduler", "Performance-M", 60, 0.15),
    ("node src/jobs/migrate.js", "advanced-scheduler", "Standard-2X", 30, 0.10),
    ("python tasks/thumbnail.py", "task", "Standard-1X", 3, 0.25),
    ("python tasks/email_digest.py", "task", "Standard-2X", 15, 0.10),
    ("bin/import-csv", "task", "Performance-M", 200, 0.02),
    ("python manage.py shell -c 'fix()'", "run", "Standard-1X", 10, 0.08),
    ("rails runner 'Backfill.call'", "run", "Performance-L", 900, 0.01),
    ('echo "Hello World!" && sleep 60', "run", "Standard-1X", 60, 0.05),
    ("bash", "run", "Standard-1X", 30, 0.06),
    ("rake db:migrate", "release", "Standard-1X", 25, 0.005),
]
TTL_SECONDS = 3600


@dataclass
class Spec:
    job: int
    created: int
    duration: int  # µs
    state: str
    exit_status: int | None


def _durations(rng: random.Random, median: float) -> float:
    return max(0.05, rng.lognormvariate(math.log(median), 0.8))


def _specs(rng: random.Random, runs: int, start: int, now: int) -> Iterator[Spec]:
    span_s = (now - start) / US_PER_SECOND
    cadenced = [(i, j[4]) for i, j in enumerate(JOBS) if j[1] == "scheduler"]
    scheduled = sum(span_s / (minutes * 60) for _, minutes in cadenced)
    random_jobs = [(i, j[4]) for i, j in enumerate(JOBS) if j[1] != "scheduler"]
    weights = [w for _, w in random_jobs]
    rate = max(0.0, (runs - scheduled)) / span_s  # random arrivals per second
    for index, minutes in cadenced:
        at = start + rng.randrange(int(minutes * 60 * US_PER_SECOND))
        while at < now:
            yield _spec(rng, index, at + rng.randrange(2 * US_PER_SECOND))
            at += int(minutes * 60 * US_PER_SECOND)
    at = float(start)
    while rate and at < now:
        at += rng.expovariate(rate) * US_PER_SECOND
        yield _spec(rng, rng.choices(random_jobs, weights)[0][0], int(at))


def _spec(rng: random.Random, job: int, created: int) -> Spec:
    seconds = _durations(rng, JOBS[job][3])
    roll = rng.random()
    if seconds >= TTL_SECONDS or roll < 0.03:
        seconds = min(seconds * 3, TTL_SECONDS) if roll < 0.03 else TTL_SECONDS
        return Spec(job, created, int(seconds * US_PER_SECOND), "timed out", None)
    if roll < 0.09:
        return Spec(
            job, created, int(seconds * US_PER_SECOND), "failed", rng.choice((1, 1, 2, 127))
        )
    return Spec(job, created, int(seconds * US_PER_SECOND), "succeeded", 0)


def generate(
    engine: Engine, runs: int = 1_000_000, days: int = 7, seed: int = 6
) -> tuple[str, int]:
    """Create an app with the add-on and ~``runs`` runs over ``days``; (app name, now µs)."""
    rng = random.Random(seed)
    now = 1_795_000_000 * US_PER_SECOND
    start = now - days * 86400 * US_PER_SECOND
    clock = FakeClock(start - 3600 * US_PER_SECOND)
    owner = AuthService(engine, clock).create_user(f"bench-{rng.random()}@example.com")
    app = AppService(engine, clock).create(owner, f"bench-{rng.randrange(10**6)}")
    addon = MetricsService(engine, clock).addons.provision(app, "pro")
    specs = sorted(_specs(rng, runs, start, now), key=lambda s: s.created)
    series_ids = _write_series(engine, addon.id)
    counters: dict[str, int] = {}
    run_rows, event_rows, ended = [], [], []
    event_id = 10**12 + rng.randrange(10**6) * 10**7  # away from real dyno_events ids
    for spec in specs:
        type_ = JOBS[spec.job][1]
        counters[type_] = counters.get(type_, 0) + 1
        dyno_id = new_id()
        end = spec.created + spec.duration
        running = end > now
        up = spec.created + min(spec.duration // 2, 50_000)
        run_rows.append({
            "dyno_id": dyno_id, "addon_id": addon.id, "series_id": series_ids[spec.job],
            "name": f"{type_}.{counters[type_]}", "state": "running" if running else spec.state,
            "exit_status": None if running else spec.exit_status, "created_at": spec.created,
            "up_at": up if up <= now else None, "ended_at": None if running else end,
        })  # fmt: skip
        lifecycle = [("starting", spec.created, None, None), ("up", up, None, None)]
        if not running:
            if spec.state == "timed out":
                lifecycle.append(("stopping", end - 1000, None, "ttl"))
            outcome = spec.state.replace(" ", "_")
            lifecycle += [("complete", end, None, None), ("exited", end, spec.exit_status, outcome)]
            ended.append(rollup_code.EndedRun(series_ids[spec.job], spec.state, spec.created, end))
        for event, at, status, detail in lifecycle:
            if at <= now:
                event_id += 1
                event_rows.append({
                    "id": event_id, "addon_id": addon.id, "dyno_id": dyno_id, "event": event,
                    "at": at, "exit_status": status, "detail": detail,
                    "series_id": series_ids[spec.job], "name": run_rows[-1]["name"],
                    "state": run_rows[-1]["state"],
                })  # fmt: skip
    _insert(engine, metrics_runs, run_rows)
    _insert(engine, metrics_events, event_rows)
    cells = rollup_code.contributions(ended, now)
    _insert(engine, metrics_rollups, [_rollup_row(addon.id, k, c) for k, c in cells.items()])
    analyze(engine)  # as the server's pruner does every few minutes
    return app.name, now


def _write_series(engine: Engine, addon_id: str) -> list[int]:
    with engine.begin() as conn:
        for command, type_, size, *_ in JOBS:
            conn.execute(metrics_series.insert().values(
                addon_id=addon_id, key_sha256=series_key(command, type_, size),
                command=command, type=type_, size=size))  # fmt: skip
        rows = conn.execute(metrics_series.select().where(metrics_series.c.addon_id == addon_id))
        by_key = {r.key_sha256: r.id for r in rows}
    return [by_key[series_key(c, t, s)] for c, t, s, *_ in JOBS]


def _rollup_row(addon_id: str, key: rollup_code.Key, cell: rollup_code.Cell) -> dict[str, object]:
    resolution, bucket, series_id, state = key
    return {
        "addon_id": addon_id, "resolution": resolution, "bucket": bucket, "series_id": series_id,
        "state": state, "count": cell.count, "sum_us": cell.sum_us, "min_us": cell.min_us,
        "max_us": cell.max_us, "sketch": sketch.encode(cell.bins), "busy_us": cell.busy_us,
    }  # fmt: skip


def _insert(
    engine: Engine, table: object, rows: list[dict[str, object]], chunk: int = 20_000
) -> None:
    for offset in range(0, len(rows), chunk):
        with engine.begin() as conn:
            conn.execute(table.insert(), rows[offset : offset + chunk])  # type: ignore[attr-defined]


def generated_or_reused(engine: Engine, runs: int, reuse: Path | None) -> tuple[str, int]:
    """The (app name, "now") of the data set: generated, or the one ``reuse`` names.

    A reused database starts "cold" as a generated one would: without kept concurrency peaks.
    """
    if reuse is not None and reuse.exists():
        app_name, now_text = reuse.read_text().split()
        print(f"reusing the runs of {app_name}")
        with engine.begin() as conn:
            conn.execute(metrics_peaks.delete())
        return app_name, int(now_text)
    started = time.perf_counter()
    app_name, now = generate(engine, runs=runs)
    print(f"generated {runs} runs in {time.perf_counter() - started:.0f} s")
    if reuse is not None:
        reuse.write_text(f"{app_name} {now}")
    return app_name, now
