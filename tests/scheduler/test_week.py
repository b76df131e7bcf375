"""A simulated week on a fake clock, with the server stopped and started again three times:
every slot is decided exactly once, none that should run is missed, none runs twice."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runoff.clock import US_PER_SECOND, FakeClock
from runoff.scheduler.model import RunStatus
from runoff.scheduler.schedule import parse, slots_between
from tests.scheduler.conftest import MONDAY, wait_settled
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

STEP = 600  # seconds: no schedule below fires more often
WEEK_STEPS = 7 * 24 * 6
JOBS = {
    "every-ten": "every 10 minutes",
    "hourly": "every hour at :15",
    "daily": "every day at 03:30",
    "cron": "*/30 9-17 * * 1-5",
}
# (step after which the server stops, seconds it stays down)
OUTAGES = {57: 47 * 60, 3 * 144 + 132: 7 * 3600, 5 * 144 + 72: 0}


def expected_statuses(schedule: str, start: int, end: int, downs: list[tuple[int, int]]) -> dict:
    """slot -> status: ``started`` unless a downtime skipped it (the last of each is run)."""
    parsed = parse(schedule)
    expected = {slot: RunStatus.STARTED for slot in slots_between(parsed, start, end)}
    for down, up in downs:
        passed = list(slots_between(parsed, down, up))
        for slot in passed[:-1]:
            expected[slot] = RunStatus.MISSED
    return expected


@pytest.mark.slow
def test_a_week_with_restarts_misses_nothing_and_runs_nothing_twice(
    start: Callable[[], LiveServer], clock: FakeClock
) -> None:
    server = start()
    api = Api(server.url, ADMIN_TOKEN)
    for app, schedule in JOBS.items():
        api.create_app(app)
        api.post(f"/apps/{app}/scheduler/jobs", {"schedule": schedule, "command": "true"}).ok()
    downs: list[tuple[int, int]] = []
    for step in range(WEEK_STEPS):
        clock.advance(STEP)
        wait_settled(server)
        if step in OUTAGES:
            server.stop()
            down = clock.now_us()
            clock.advance(OUTAGES[step])
            downs.append((down, clock.now_us()))
            server = start()
            wait_settled(server)
    end = clock.now_us()
    assert end - MONDAY >= 7 * 86400 * US_PER_SECOND

    platform = server.platform
    store = platform.scheduler_store
    for job in store.jobs():
        app = platform.apps.get(job.app_id).name
        runs = store.runs(job, limit=10_000)
        got = {run.slot_at: run.status for run in runs}
        assert len(got) == len(runs), f"{app}: a slot was decided twice"
        assert got == expected_statuses(job.schedule, MONDAY, end, downs), app
        started = [run for run in runs if run.status is RunStatus.STARTED]
        dynos = [
            d for d in platform.dyno_store.history(job.app_id, 10_000) if d.type == "scheduler"
        ]
        assert len(dynos) == len(started), f"{app}: {len(dynos)} dynos for {len(started)} runs"
        assert {d.id for d in dynos} == {run.dyno_id for run in started}
        # each ran `true` to the end, unless a server stop cut it short or the warped clock
        # reached its time-to-live (the next slot) before the process had exited
        for dyno in (d for d in dynos if d.ended_at is not None):
            assert dyno.outcome is not None
            assert dyno.outcome.value in ("succeeded", "timed_out")
