"""Runtime metrics and memory quotas with real processes that allocate memory.

Quotas are scaled down (``memory_quota_scale``) so Standard-1X means 32 MB: R14 above it,
R15 and the dyno killed above 64 MB.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from runoff.dynos.executor import Usage
from runoff.dynos.fake import FakeExecutor
from runoff.dynos.lifecycle import DynoLifecycle
from runoff.dynos.local.cgroups import Cgroups
from runoff.dynos.local.executor import LocalExecutor
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.runtime import RuntimeMonitor
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.runcli import run_cli

MB = 1024 * 1024
SCALE = 1 / 16  # Standard-1X: 512 MB -> 32 MB
CGROUPS = Cgroups(resources=True).limited


def allocate(megabytes: int, seconds: float) -> str:
    return f"python3 -c \"b = b'x' * ({megabytes} << 20); import time; time.sleep({seconds})\""


def monitored(factory: Callable[..., LiveServer], limits: str) -> Api:
    server = factory(
        memory_quota_scale=SCALE,
        memory_limits=limits,
        memory_check_seconds=0.1,
        metrics_interval_seconds=0.5,
    )
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("hungry")
    return api


MODES = [
    "watchdog",
    pytest.param("cgroup", marks=pytest.mark.skipif(not CGROUPS, reason="no memory cgroups")),
]


@pytest.mark.parametrize("limits", MODES)
def test_over_quota_logs_r14_and_keeps_running(
    server_factory: Callable[..., LiveServer], limits: str
) -> None:
    api = monitored(server_factory, limits)
    dyno = api.run("hungry", allocate(48, 2))
    assert dyno["memory_limits"] == limits
    assert dyno["memory_quota"] == 32 * MB
    ended = api.wait_ended("hungry", "run.1")
    assert (ended["outcome"], ended["exit_status"]) == ("succeeded", 0)
    messages = api.messages("hungry", source="heroku")
    assert "heroku[run.1]: Error R14 (Memory quota exceeded)" in messages
    assert not any("R15" in m for m in messages)


@pytest.mark.parametrize("limits", MODES)
def test_far_over_quota_logs_r15_and_kills_the_dyno(
    server_factory: Callable[..., LiveServer], limits: str
) -> None:
    api = monitored(server_factory, limits)
    api.run("hungry", allocate(90, 60))
    ended = api.wait_ended("hungry", "run.1", timeout=30)
    assert ended["outcome"] == "timed_out"  # a forced exit
    assert ended["stop_reason"] == "memory"
    messages = api.messages("hungry", source="heroku")
    assert "heroku[run.1]: Error R15 (Memory quota vastly exceeded)" in messages
    assert messages.index("heroku[run.1]: Error R15 (Memory quota vastly exceeded)") < next(
        i for i, m in enumerate(messages) if "Process exited" in m
    )


def test_without_limits_nothing_is_enforced(server_factory: Callable[..., LiveServer]) -> None:
    api = monitored(server_factory, "off")
    api.run("hungry", allocate(90, 1))
    ended = api.wait_ended("hungry", "run.1")
    assert ended["outcome"] == "succeeded"
    assert not any("Error R1" in m for m in api.messages("hungry", source="heroku"))


SAMPLE = re.compile(
    r"heroku\[run\.1\]: source=run\.1 dyno=heroku\.(\S+)\.(\S+) "
    r"sample#memory_total=([\d.]+)MB sample#memory_rss=([\d.]+)MB sample#memory_cache=[\d.]+MB "
    r"sample#memory_swap=[\d.]+MB sample#memory_pgpgin=\d+pages sample#memory_pgpgout=\d+pages "
    r"sample#memory_quota=32\.00MB"
)
LOAD = re.compile(
    r"heroku\[run\.1\]: source=run\.1 dyno=heroku\.\S+ sample#load_avg_1m=\d+\.\d\d "
    r"sample#load_avg_5m=\d+\.\d\d sample#load_avg_15m=\d+\.\d\d"
)


@pytest.mark.parametrize("limits", MODES)
def test_samples_go_to_the_log_and_to_the_series(
    server_factory: Callable[..., LiveServer], limits: str
) -> None:
    api = monitored(server_factory, limits)
    dyno = api.run("hungry", allocate(20, 2.5))
    api.wait_ended("hungry", "run.1")
    messages = api.messages("hungry", source="heroku")
    memory = [m for m in (SAMPLE.fullmatch(line) for line in messages) if m]
    assert memory, messages
    app_id, dyno_id = memory[0].group(1), memory[0].group(2)
    assert dyno_id == dyno["id"]
    assert app_id == dyno["app"]["id"]
    assert max(float(m.group(4)) for m in memory) >= 20
    assert any(LOAD.fullmatch(line) for line in messages)
    series = api.get("/apps/hungry/dynos/run.1/metrics").ok()
    assert series["dyno"]["id"] == dyno["id"]
    assert series["memory_limits"] == limits
    samples = series["samples"]
    assert len(samples) == len(memory)
    assert max(s["memory_rss"] for s in samples) >= 20 * MB
    assert all(s["memory_quota"] == 32 * MB for s in samples)
    assert [s["at"] for s in samples] == sorted(s["at"] for s in samples)
    assert set(samples[0]) >= {
        "time",
        "load_avg_1m",
        "load_avg_5m",
        "load_avg_15m",
        "memory_total",
        "memory_cache",
        "memory_swap",
        "memory_pgpgin",
        "memory_pgpgout",
    }


def test_metrics_of_an_unknown_dyno_is_404(api: Api) -> None:
    api.create_app("nometrics")
    assert api.get("/apps/nometrics/dynos/run.9/metrics").status == 404


def test_ps_metrics_and_ps_say_how_quotas_are_enforced(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    api = monitored(server_factory, "watchdog")
    api.run("hungry", allocate(20, 30))
    wait_for(lambda: api.get("/apps/hungry/dynos/run.1/metrics").ok()["samples"], 30, "a sample")

    def runoff(*argv: str) -> str:
        result = run_cli(api.base_url, ADMIN_TOKEN, tmp_path, *argv, "-a", "hungry")
        assert result.code == 0, result.err
        return result.out

    ps = runoff("ps")
    assert ps.splitlines()[-1] == "Memory quotas enforced by: watchdog (runoff ps:metrics DYNO)"
    lines = runoff("ps:metrics", "run.1").splitlines()
    assert lines[0] == (
        "=== run.1 (Standard-1X): memory quota 32.00 MB, killed above 64.00 MB"
        " (enforced by: watchdog)"
    )
    assert lines[1].split() == [
        "TIME",
        "LOAD",
        "1M",
        "5M",
        "15M",
        "TOTAL",
        "MB",
        "RSS",
        "MB",
        "CACHE",
        "MB",
        "SWAP",
        "MB",
    ]
    assert float(lines[-1].split()[-3]) >= 20  # RSS MB
    data = json.loads(runoff("ps:metrics", "run.1", "--json"))
    assert data["samples"][0]["memory_quota"] == 32 * MB
    api.post("/apps/hungry/dynos/run.1/actions/stop")


@pytest.mark.skipif(not CGROUPS, reason="no memory cgroups")
def test_cgroups_carry_the_sizes_limits(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(memory_quota_scale=SCALE, memory_check_seconds=0.1)
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("limited")
    dyno = api.run("limited", "sleep 30", size="Standard-2X")
    executor = server.platform.executor
    assert isinstance(executor, LocalExecutor)
    cgroups = executor.cgroups
    memory = cgroups.resource_path("memory", dyno["id"])
    cpu = cgroups.resource_path("cpu", dyno["id"])
    assert memory is not None
    assert cpu is not None
    assert int((memory / "memory.limit_in_bytes").read_text()) == 128 * MB  # 2 x 64 MB
    assert int((cpu / "cpu.shares").read_text()) == 1024
    tracked = cgroups.path(dyno["id"])
    assert tracked is not None
    assert cgroups.pids(tracked)
    # in the sandbox, bubblewrap's processes and the command come one after the other
    wait_for(
        lambda: set(cgroups.pids(cpu)) == set(cgroups.pids(memory)) == set(cgroups.pids(tracked)),
        10,
        "the dyno in its cpu cgroup",
    )
    api.post(f"/apps/limited/dynos/{dyno['name']}/actions/stop")
    api.wait_ended("limited", dyno["name"])
    assert not memory.exists()
    assert not cpu.exists()


# How often dynos are read: a monitor of its own, driven check by check on a fake monotonic
# time, over a server with fake dynos (its own monitor is kept idle by a one-hour check).


class Counted:
    """The server's dyno lifecycle, counting the reads of each dyno's usage."""

    def __init__(self, lifecycle: DynoLifecycle) -> None:
        self._lifecycle = lifecycle
        self.reads: Counter[str] = Counter()

    def running_dynos(self) -> list[Dyno]:
        return self._lifecycle.running_dynos()

    async def usage_of(self, dyno_id: str) -> Usage | None:
        self.reads[dyno_id] += 1
        return await self._lifecycle.usage_of(dyno_id)

    async def kill(self, dyno: Dyno, reason: StopReason) -> None:
        await self._lifecycle.kill(dyno, reason)


class Paced:
    """A runtime monitor over fake dynos whose usage the test sets, with its time in hand."""

    def __init__(self, server_factory: Callable[..., LiveServer], enforcing: bool, limits: str):
        self.fake = FakeExecutor(enforces_memory=enforcing)
        self.server = server_factory(
            executor=self.fake, memory_limits=limits, memory_check_seconds=3600
        )
        self.api = Api(self.server.url, ADMIN_TOKEN)
        self.api.create_app("paced")
        platform = self.server.platform
        self.lifecycle = Counted(platform.lifecycle)
        self.now = 0.0
        self.monitor = RuntimeMonitor(
            lifecycle=self.lifecycle,
            quotas=platform.runtime.quotas,
            router=platform.router,
            store=platform.runtime.store,
            clock=platform.clock,
            settings=platform.settings.with_overrides(
                memory_check_seconds=1.0, metrics_interval_seconds=20.0
            ),
            monotonic=lambda: self.now,
        )

    def start(self, megabytes: int) -> str:
        dyno_id: str = self.api.run("paced", "sleep 100000")["id"]
        self.use(dyno_id, megabytes)
        return dyno_id

    def use(self, dyno_id: str, megabytes: int) -> None:
        self.fake.live[dyno_id].usage_now = Usage(megabytes * MB, 0, 0, 0, 0, 1.0)

    def checks(self, until: float) -> None:
        """One check each second of monitor time up to ``until``."""
        assert self.server.loop is not None
        while self.now <= until:
            asyncio.run_coroutine_threadsafe(self.monitor.check(), self.server.loop).result(30)
            self.now += 1.0
        self.server.platform.router.flush()

    def heroku(self) -> list[str]:
        return self.api.messages("paced", source="heroku")


def test_under_cgroups_a_dyno_far_below_its_quota_is_read_only_for_its_samples(
    server_factory: Callable[..., LiveServer],
) -> None:
    paced = Paced(server_factory, enforcing=True, limits="auto")
    far, near = paced.start(8), paced.start(300)  # Standard-1X: quota 512 MB, half is 256
    paced.checks(until=0)
    paced.use(far, 600)
    paced.use(near, 600)
    paced.checks(until=19)
    assert paced.lifecycle.reads == {far: 1, near: 20}
    assert sum("Error R14" in line for line in paced.heroku()) == 1  # the near one's, at once
    paced.checks(until=20)
    assert paced.lifecycle.reads == {far: 2, near: 21}
    r14 = [line for line in paced.heroku() if "Error R14" in line]
    assert r14 == [  # the near one's at 1 (again at 21), the far one's with its sample
        "heroku[run.2]: Error R14 (Memory quota exceeded)",
        "heroku[run.1]: Error R14 (Memory quota exceeded)",
    ]
    assert len(paced.server.platform.runtime.store.series(far)) == 1


def test_under_the_watchdog_a_far_dyno_is_read_every_tenth_check_and_killed_past_its_limit(
    server_factory: Callable[..., LiveServer],
) -> None:
    paced = Paced(server_factory, enforcing=False, limits="auto")
    far = paced.start(8)
    paced.checks(until=0)
    paced.use(far, 1100)  # past the kill point, 1024 MB
    paced.checks(until=9)
    assert paced.lifecycle.reads[far] == 1
    assert not any("R15" in line for line in paced.heroku())
    paced.checks(until=10)
    assert paced.lifecycle.reads[far] == 2
    ended = paced.api.wait_ended("paced", "run.1")
    assert (ended["outcome"], ended["stop_reason"]) == ("timed_out", "memory")
    assert "heroku[run.1]: Error R15 (Memory quota vastly exceeded)" in paced.heroku()


def test_a_dyno_that_nears_its_quota_is_read_every_check_until_it_falls_back(
    server_factory: Callable[..., LiveServer],
) -> None:
    paced = Paced(server_factory, enforcing=False, limits="auto")
    dyno = paced.start(8)
    paced.checks(until=0)
    paced.use(dyno, 400)
    paced.checks(until=10)  # read at 0 and 10; at 10 it is near
    paced.checks(until=14)
    assert paced.lifecycle.reads[dyno] == 6  # 0, 10, 11, 12, 13, 14
    paced.use(dyno, 8)
    paced.checks(until=29)  # read at 15, then far: at its sample (20), then ten checks on
    assert paced.lifecycle.reads[dyno] == 8


def test_with_limits_off_dynos_are_read_only_for_their_samples(
    server_factory: Callable[..., LiveServer],
) -> None:
    paced = Paced(server_factory, enforcing=True, limits="off")
    dyno = paced.start(900)
    paced.checks(until=40)
    assert paced.lifecycle.reads[dyno] == 3  # at 0, 20 and 40
    assert len(paced.server.platform.runtime.store.series(dyno)) == 2
    assert not any("Error R1" in line for line in paced.heroku())
