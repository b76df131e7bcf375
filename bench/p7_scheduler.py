"""P7: the scheduler — scheduled slot → dyno up (p99), and missed/duplicate slots over a
time-warped week with server restarts.

Latency: a platform on a fake clock runs ``--jobs`` jobs (one per app, ``every 10 minutes``,
command ``true``). For each of ``--slots`` slots the clock is moved onto the slot and the wall
time from that move to each job's dyno being recorded ``up`` is one sample: the whole firing
path (timer, claim in the database, dyno record, workspace, spawn). Baseline, same run and
platform: starting the same one-off directly (``DynoService.create``), i.e. the launch alone.

Week: four jobs (every 10 minutes, hourly at :15, daily at 03:30, cron ``*/30 9-17 * * 1-5``)
over seven simulated days in 10-minute steps; the server is stopped three times (47 minutes,
7 hours, 0) and a new one started on the same database. Every slot that came due while a
server ran, and the latest slot of each outage, must have been started exactly once.
Target: p99 <= 1 s, 0 missed, 0 duplicates.

    .venv/bin/python -m bench.p7_scheduler [--jobs 5] [--slots 200] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from bench.common import print_table, summary_ms
from runoff.clock import FakeClock, parse_iso
from runoff.dynos.model import Dyno, DynoEvent, Event
from runoff.dynos.service import CreateRequest
from runoff.platform import Platform
from runoff.scheduler.model import Kind, Overlap, RunStatus
from runoff.scheduler.schedule import parse, slots_between
from runoff.settings import Settings

MONDAY = parse_iso("2026-11-23T00:00:00Z")
STEP = 600
WEEK_JOBS = {
    "every-ten": "every 10 minutes",
    "hourly": "every hour at :15",
    "daily": "every day at 03:30",
    "cron": "*/30 9-17 * * 1-5",
}
OUTAGES = {57: 47 * 60, 3 * 144 + 132: 7 * 3600, 5 * 144 + 72: 0}


class Server:
    """A platform on its own event loop thread (no HTTP: the bench calls the services)."""

    def __init__(self, settings: Settings, clock: FakeClock) -> None:
        self.platform = Platform(settings, clock=clock)
        self.platform.bootstrap()
        self.loop = asyncio.new_event_loop()
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(60):  # set once started, or once the start failed
            raise RuntimeError("the platform did not start within 60 s")
        if self._failed is not None:
            raise RuntimeError(f"the platform did not start: {self._failed}") from self._failed

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        except Exception as exc:
            self._failed = exc
            self._ready.set()
            raise

    async def _main(self) -> None:
        await self.platform.start()
        self._ready.set()
        while not self._stop.is_set():
            await asyncio.sleep(0.02)
        await self.platform.stop()

    def call(self, work: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(60)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(120)


def settled(platform: Platform) -> bool:
    now = platform.clock.now_us()
    for job in platform.scheduler_store.jobs():
        if job.checked_until < parse(job.schedule).latest_at_or_before(now):
            return False
        if any(r.status is RunStatus.STARTING for r in platform.scheduler_store.runs(job, 3)):
            return False
    return True


def wait(check: Any, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        time.sleep(0.002)


def wait_settled(server: Server) -> None:
    wait(lambda: settled(server.platform))


def settings_for(root: Path, database_url: str | None) -> Settings:
    env = {"RUNOFF_DATA_DIR": str(root / "data"), "RUNOFF_ONEOFF_LIMIT": "100000"}
    if database_url:
        env["RUNOFF_DATABASE_URL"] = database_url
    # attached runs on any free port: the bench runs whatever else listens on the machine
    return Settings.from_env(env).with_overrides(stop_grace_seconds=1.0, rendezvous_port=0)


# latency ------------------------------------------------------------------------------------
def latency(root: Path, database_url: str | None, jobs: int, slots: int) -> tuple[list, list]:
    clock = FakeClock(MONDAY)
    server = Server(settings_for(root, database_url), clock)
    platform = server.platform
    admin = platform.auth.user_by_email("admin@localhost")
    ups: dict[str, float] = {}

    def on_event(dyno: Dyno, event: DynoEvent) -> None:
        if event.event is Event.UP:
            ups[dyno.id] = time.perf_counter()

    platform.dyno_store.listeners.append(on_event)
    apps = [platform.create_app(admin, f"p7-{index}") for index in range(jobs)]
    for app in apps:
        platform.scheduler.create(app, {"schedule": "every 10 minutes", "command": "true"})
    samples: list[float] = []
    for _ in range(slots):
        before = len(ups)
        moved = time.perf_counter()
        clock.advance(STEP)
        wait(lambda before=before: len(ups) >= before + jobs)
        wait(lambda: settled(platform))
        samples += [at - moved for at in sorted(ups.values())[-jobs:]]
    baseline = []
    request = CreateRequest("true", False, {}, "Standard-1X", "run", 600, False)
    for _ in range(slots):
        start = time.perf_counter()
        dyno = server.call(platform.dynos.create(apps[0], request))
        wait(lambda dyno=dyno: dyno.id in ups)
        baseline.append(ups[dyno.id] - start)
    server.stop()
    return samples, baseline


# the week -----------------------------------------------------------------------------------
def week(root: Path, database_url: str | None) -> dict[str, int]:
    clock = FakeClock(MONDAY)
    settings = settings_for(root, database_url)
    server = Server(settings, clock)
    admin = server.platform.auth.user_by_email("admin@localhost")
    for name, schedule in WEEK_JOBS.items():
        app = server.platform.create_app(admin, name)
        server.platform.scheduler_store.create_job(
            app.id, Kind.COMMAND, "true", parse(schedule).text, "Standard-1X", Overlap.ALLOW
        )
    server.platform.scheduler_runner.changed()
    downs: list[tuple[int, int]] = []
    for step in range(7 * 24 * 6):
        clock.advance(STEP)
        wait_settled(server)
        if step in OUTAGES:
            server.stop()
            down = clock.now_us()
            clock.advance(OUTAGES[step])
            downs.append((down, clock.now_us()))
            server = Server(settings, clock)
            wait_settled(server)
    counts = count(server.platform, clock.now_us(), downs)
    server.stop()
    return counts


def count(platform: Platform, end: int, downs: list[tuple[int, int]]) -> dict[str, int]:
    totals = {"slots": 0, "should run": 0, "started": 0, "missed": 0, "duplicates": 0}
    for job in platform.scheduler_store.jobs():
        schedule = parse(job.schedule)
        should = set(slots_between(schedule, MONDAY, end))
        for down, up in downs:
            should -= set(list(slots_between(schedule, down, up))[:-1])
        runs = platform.scheduler_store.runs(job, limit=100_000)
        started = [r for r in runs if r.status is RunStatus.STARTED]
        dynos = [
            d for d in platform.dyno_store.history(job.app_id, 100_000) if d.type == "scheduler"
        ]
        totals["slots"] += len(list(slots_between(schedule, MONDAY, end)))
        totals["should run"] += len(should)
        totals["started"] += len(started)
        totals["missed"] += len(should - {r.slot_at for r in started})
        totals["duplicates"] += len(dynos) - len({r.dyno_id for r in started})
        totals["duplicates"] += len(started) - len({r.slot_at for r in started})
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5)
    parser.add_argument("--slots", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--skip-week", action="store_true")
    args = parser.parse_args()
    backend = "PostgreSQL" if args.database_url else "SQLite"
    with tempfile.TemporaryDirectory(prefix="runoff-p7-") as tmp:
        samples, baseline = latency(Path(tmp) / "latency", args.database_url, args.jobs, args.slots)
        title = f"({backend}, {args.jobs} jobs/slot, {os.cpu_count()} cores)"
        print_table(
            f"P7 scheduled slot -> dyno up {title}",
            [
                ("runoff: clock reaches slot -> scheduler dyno up", summary_ms(samples)),
                ("baseline: DynoService.create -> one-off up", summary_ms(baseline)),
            ],
        )
        print("  target: p99 <= 1000 ms")
        if args.skip_week or args.database_url:
            return  # the week needs a fresh database of its own
        started = time.perf_counter()
        totals = week(Path(tmp) / "week", None)
        elapsed = time.perf_counter() - started
    print(f"\nP7 time-warped week with 3 server restarts ({elapsed:.0f} s of wall time)")
    for key, value in totals.items():
        print(f"  {key:<12} {value:>6}")
    print("  target: missed 0, duplicates 0")


if __name__ == "__main__":
    main()
