"""The dyno lifecycle over the fake executor: records, Heroku's lines, TTL on the platform
clock, the grace period, boot failures and memory kills, where real processes are not the
point (the contract suite shows the fake keeps the local executor's promises)."""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import replace

import pytest

from runoff.clock import FakeClock
from runoff.dynos.executor import Usage
from runoff.dynos.fake import FakeExecutor, Script
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer

Start = Callable[..., LiveServer]


def start(server_factory: Start, fake: FakeExecutor, **kw: object) -> tuple[Api, LiveServer]:
    server = server_factory(executor=fake, **kw)
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("fake-app")
    return api, server


def test_output_exit_status_and_outcome_are_recorded(server_factory: Start) -> None:
    fake = FakeExecutor()
    api, _ = start(server_factory, fake)
    api.run("fake-app", "echo one && echo two; exit 3")
    ended = api.wait_ended("fake-app", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["state"]) == (3, "failed", "complete")
    assert api.messages("fake-app", source="app") == ["app[run.1]: one", "app[run.1]: two"]
    assert api.messages("fake-app", source="heroku") == [
        "heroku[run.1]: Starting process with command `echo one && echo two; exit 3`",
        "heroku[run.1]: State changed from starting to up",
        "heroku[run.1]: Process exited with status 3",
        "heroku[run.1]: State changed from up to complete",
    ]
    (spec,) = fake.started
    assert spec.env["DYNO"] == "run.1"
    assert not fake.live  # cleaned up


def test_ttl_runs_on_the_platform_clock(server_factory: Start) -> None:
    clock = FakeClock()
    fake = FakeExecutor()
    api, _ = start(server_factory, fake, clock=clock)
    api.run("fake-app", "sleep 100000", time_to_live=600)
    wait_for(lambda: api.dyno("fake-app", "run.1")["state"] == "up", what="up")
    clock.advance(599)
    assert api.dyno("fake-app", "run.1")["ended_at"] is None
    clock.advance(2)
    ended = api.wait_ended("fake-app", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (
        143,
        "timed_out",
        "ttl",
    )
    assert "heroku[run.1]: Cycling" in api.messages("fake-app", source="heroku")


def test_a_dyno_that_ignores_sigterm_is_killed_after_the_grace_period(
    server_factory: Start,
) -> None:
    fake = FakeExecutor({"stubborn": Script(runs_for=None, ignores=frozenset({signal.SIGTERM}))})
    api, _ = start(server_factory, fake, stop_grace_seconds=0.2)
    api.run("fake-app", "stubborn")
    wait_for(lambda: api.dyno("fake-app", "run.1")["state"] == "up", what="up")
    assert api.post("/apps/fake-app/dynos/run.1/actions/stop").status == 202
    ended = api.wait_ended("fake-app", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (137, "stopped")
    lines = api.messages("fake-app", source="heroku")
    assert "heroku[run.1]: Stopping all processes with SIGTERM" in lines
    assert any("Error R12 (Exit timeout)" in line for line in lines)
    assert lines[-2:] == [
        "heroku[run.1]: Stopping all processes with SIGKILL",
        "heroku[run.1]: Process exited with status 137",
    ]


def test_a_dyno_that_cannot_start_is_a_boot_failure(server_factory: Start) -> None:
    fake = FakeExecutor({"boom": Script(fails_to_start="no such slug on this node")})
    api, _ = start(server_factory, fake)
    api.run("fake-app", "boom")
    ended = api.wait_ended("fake-app", "run.1")
    assert (ended["state"], ended["outcome"], ended["exit_status"]) == ("crashed", "failed", None)
    assert (
        "heroku[run.1]: Error R10 (Boot failure) -> could not start the process: "
        "no such slug on this node"
    ) in api.messages("fake-app", source="heroku")


@pytest.mark.parametrize("enforces", [True, False], ids=["executor-limit", "watchdog"])
def test_memory_over_the_limit_is_an_r15(server_factory: Start, enforces: bool) -> None:
    huge = Usage(rss=8 << 30, cache=0, swap=0, pgpgin=0, pgpgout=0, cpu_seconds=1.0)
    if enforces:  # the executor's limit killed it: the lifecycle reads why at its exit
        script = Script(runs_for=0.3, exit_status=137, usage=replace(huge, oom_kills=1))
    else:  # the lifecycle's watchdog sees it over the limit and stops it
        script = Script(runs_for=None, usage=huge)
    fake = FakeExecutor({"hog": script}, enforces_memory=enforces)
    api, _ = start(server_factory, fake, memory_check_seconds=0.05)
    api.run("fake-app", "hog")
    ended = api.wait_ended("fake-app", "run.1")
    assert ended["stop_reason"] == "memory"
    assert ended["exit_status"] in (137, 143)
    assert any("Error R15" in line for line in api.messages("fake-app", source="heroku"))


def test_a_stop_through_another_server_reaches_the_dyno(server_factory: Start) -> None:
    fake = FakeExecutor()
    api, _ = start(server_factory, fake)
    other = Api(server_factory(executor=FakeExecutor()).url, ADMIN_TOKEN)
    api.run("fake-app", "sleep 100000")
    wait_for(lambda: api.dyno("fake-app", "run.1")["state"] == "up", what="up")
    (handle,) = fake.live.values()
    assert other.post("/apps/fake-app/dynos/run.1/actions/stop").status == 202
    ended = other.wait_ended("fake-app", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (143, "stopped")
    assert handle.signals == [signal.SIGTERM]
