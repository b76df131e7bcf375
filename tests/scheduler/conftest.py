"""Scheduler fixtures: servers on a shared fake clock, and waiting for ticks to finish."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runoff.clock import FakeClock, parse_iso
from runoff.dynos.fake import FakeExecutor
from runoff.scheduler.model import RunStatus
from runoff.scheduler.schedule import parse
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer

# A Monday at 00:00 UTC: every schedule's slots line up with whole steps from here.
MONDAY = parse_iso("2026-11-23T00:00:00Z")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(MONDAY)


@pytest.fixture
def start(server_factory: Callable[..., LiveServer], clock: FakeClock) -> Callable[[], LiveServer]:
    """Start another server on the shared database and fake clock."""
    return lambda: server_factory(
        clock=clock, executor=FakeExecutor(), stop_grace_seconds=1.0, oneoff_limit=1000
    )


@pytest.fixture
def sapi(start: Callable[[], LiveServer]) -> Api:
    return Api(start().url, ADMIN_TOKEN)


def settled(server: LiveServer) -> bool:
    """Every job has decided its slots up to now and no run is still being started."""
    platform = server.platform
    now = platform.clock.now_us()
    for job in platform.scheduler_store.jobs():
        if job.checked_until < parse(job.schedule).latest_at_or_before(now):
            return False
        runs = platform.scheduler_store.runs(job, limit=5)
        if any(run.status is RunStatus.STARTING for run in runs):
            return False
    return True


def wait_settled(server: LiveServer, timeout: float = 30) -> None:
    wait_for(lambda: settled(server), timeout, "the scheduler to catch up")


def add_job(api: Api, app: str, schedule: str, command: str = "true", **fields: Any) -> Any:
    return api.post(
        f"/apps/{app}/scheduler/jobs", {"schedule": schedule, "command": command, **fields}
    ).ok()
