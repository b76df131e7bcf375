"""Forced ends: TTL, ps:stop, the grace period, stray processes, the one-off limit."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer


def processes_with(token: str) -> list[int]:
    """Pids whose command line mentions ``token``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if token.encode() in cmdline and ") Z" not in stat:
            found.append(int(entry.name))
    return found


def sleepers(token: str) -> list[int]:
    """Pids of ``sleep TOKEN`` itself (the shells and the sandbox that start it mention the
    token too, but exist before it)."""
    wanted = f"sleep\0{token}\0".encode()
    found = []
    for pid in processes_with(token):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == wanted:
                found.append(pid)
        except OSError:
            continue
    return found


@pytest.fixture(params=["on", "off"], ids=["cgroups", "sessions+marker"])
def killer_api(request: pytest.FixtureRequest, server_factory: Callable[..., LiveServer]) -> Api:
    if request.param == "on" and not os.access("/sys/fs/cgroup/pids", os.W_OK):
        pytest.skip("cgroups are not writable here")
    server = server_factory(cgroups=request.param, stop_grace_seconds=1.5)
    return Api(server.url, ADMIN_TOKEN)


def test_ttl_expiry_logs_what_heroku_logs(api: Api) -> None:
    api.create_app("ttl-app")
    api.run("ttl-app", "echo started; sleep 60", time_to_live=1)
    ended = api.wait_ended("ttl-app", "run.1")
    assert ended["exit_status"] == 143
    assert ended["outcome"] == "timed_out"
    assert ended["stop_reason"] == "ttl"
    assert api.messages("ttl-app", source="heroku")[2:] == [
        "heroku[run.1]: Cycling",
        "heroku[run.1]: State changed from up to complete",
        "heroku[run.1]: Stopping all processes with SIGTERM",
        "heroku[run.1]: Process exited with status 143",
    ]


def test_stop_is_a_forced_exit(api: Api) -> None:
    api.create_app("stopper")
    api.run("stopper", "sleep 60")
    reply = api.post("/apps/stopper/dynos/run.1/actions/stop")
    assert reply.status == 202
    ended = api.wait_ended("stopper", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (
        143,
        "timed_out",
        "stopped",
    )
    assert "Cycling" not in " ".join(api.messages("stopper"))


def test_stop_of_a_finished_dyno_is_404(api: Api) -> None:
    api.create_app("stopped-twice")
    api.run("stopped-twice", "true")
    api.wait_ended("stopped-twice", "run.1")
    reply = api.post("/apps/stopped-twice/dynos/run.1/actions/stop")
    assert reply.status == 404
    assert reply.body["id"] == "not_found"


def test_child_ignoring_sigterm_is_killed_after_grace(killer_api: Api) -> None:
    token = f"3{uuid.uuid4().int % 10_000_000}.5"
    killer_api.create_app("stubborn")
    killer_api.run("stubborn", f"(trap '' TERM; exec sleep {token}) & wait")
    wait_for(lambda: sleepers(token), 10, "the child to start")
    killer_api.post("/apps/stubborn/dynos/run.1/actions/stop").ok()
    ended = killer_api.wait_ended("stubborn", "run.1")
    assert ended["outcome"] == "timed_out"
    assert processes_with(token) == []
    messages = killer_api.messages("stubborn", source="heroku")
    assert (
        "heroku[run.1]: Error R12 (Exit timeout) -> At least one process failed to exit "
        "within 1.5 seconds of SIGTERM" in messages
    )
    assert "heroku[run.1]: Stopping all processes with SIGKILL" in messages


def test_daemonized_grandchild_does_not_outlive_a_finished_dyno(killer_api: Api) -> None:
    token = f"4{uuid.uuid4().int % 10_000_000}.5"
    killer_api.create_app("daemons")
    killer_api.run(
        "daemons", f"setsid bash -c 'sleep {token}' < /dev/null > /dev/null 2>&1 & echo forked"
    )
    ended = killer_api.wait_ended("daemons", "run.1")
    assert ended["exit_status"] == 0
    assert processes_with(token) == []


def test_daemonized_grandchild_does_not_outlive_a_stopped_dyno(killer_api: Api) -> None:
    token = f"5{uuid.uuid4().int % 10_000_000}.5"
    killer_api.create_app("daemons2")
    killer_api.run("daemons2", f"(setsid sleep {token} &) ; sleep 60")
    wait_for(lambda: sleepers(token), 10, "the daemon to start")
    killer_api.post("/apps/daemons2/dynos/run.1/actions/stop").ok()
    killer_api.wait_ended("daemons2", "run.1")
    assert processes_with(token) == []


def test_one_off_limit_answers_429(server_factory: Callable[..., LiveServer]) -> None:
    api = Api(server_factory(oneoff_limit=2).url, ADMIN_TOKEN)
    api.create_app("limited")
    api.run("limited", "sleep 60")
    api.run("limited", "sleep 60")
    refused = api.post("/apps/limited/dynos", {"command": "true"})
    assert refused.status == 429
    assert refused.body["id"] == "rate_limit"
    assert "Cannot run more than 2 one-off dynos" in refused.body["message"]
    api.post("/apps/limited/dynos/run.1/actions/stop").ok()
    api.wait_ended("limited", "run.1")
    assert api.run("limited", "true")["name"] == "run.3"
