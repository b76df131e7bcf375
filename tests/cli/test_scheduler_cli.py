"""scheduler, scheduler:add, scheduler:remove, scheduler:run."""

from __future__ import annotations

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi

JOB = {
    "id": "j1",
    "number": 1,
    "kind": "command",
    "command": "python scrape.py",
    "schedule": "every 10 minutes",
    "size": "Standard-1X",
    "overlap": "allow",
    "next_run_at": "2026-11-23T10:10:00Z",
    "last_run": {
        "status": "started",
        "slot_at": "2026-11-23T09:50:00Z",
        "dyno": {"id": "d", "name": "scheduler.4"},
    },
}


def test_list(cli: Cli, fake_api: FakeApi) -> None:
    restart = {**JOB, "number": 2, "kind": "restart", "command": "restart", "last_run": None}
    fake_api.json("GET", "/apps/myapp/scheduler/jobs", [JOB, restart])
    assert cli("scheduler", "-a", "myapp").out.splitlines() == [
        "=== myapp Scheduled Jobs",
        "#  Schedule          Command           Size         Overlap  Next run"
        "                   Last run",
        "1  every 10 minutes  python scrape.py  Standard-1X  allow    2026/11/23 10:10:00 +0000"
        "  started scheduler.4 (~ 10m ago)",
        "2  every 10 minutes  (restart)         Standard-1X  allow    2026/11/23 10:10:00 +0000",
    ]
    fake_api.json("GET", "/apps/none/scheduler/jobs", [])
    assert "No scheduled jobs on none" in cli("scheduler", "-a", "none").out


def test_add_a_command_job(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/scheduler/jobs", JOB, 201)
    result = cli(
        "scheduler:add",
        "-a",
        "myapp",
        "-s",
        "every 10 minutes",
        "--overlap",
        "forbid",
        "--",
        "python",
        "scrape.py",
    )
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "Adding job 1 to myapp... done: `python scrape.py` every 10 minutes",
        "Next run: 2026/11/23 10:10:00 +0000",
    ]
    assert fake_api.only().json() == {
        "schedule": "every 10 minutes",
        "command": "python scrape.py",
        "overlap": "forbid",
    }


def test_add_a_restart_job(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/scheduler/jobs", {**JOB, "kind": "restart"}, 201)
    result = cli("scheduler:add", "-a", "myapp", "-s", "daily at 03:00", "--restart")
    assert "done: restart the dynos" in result.out
    assert fake_api.only().json() == {"schedule": "daily at 03:00", "kind": "restart"}
    assert cli("scheduler:add", "-a", "myapp", "-s", "hourly", "--restart", "--", "x").code == 2


def test_remove_and_run(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("DELETE", "/apps/myapp/scheduler/jobs/1", JOB)
    assert cli("scheduler:remove", "1", "-a", "myapp").out == (
        "Removing job 1 from myapp... done\n"
    )
    fake_api.json(
        "POST",
        "/apps/myapp/scheduler/jobs/1/actions/run",
        {"status": "started", "dyno": {"id": "d", "name": "scheduler.5"}},
        201,
    )
    assert cli("scheduler:run", "1", "-a", "myapp").out.splitlines() == [
        "Running job 1 on myapp... up, scheduler.5",
        "Use 'runoff logs -a myapp -d scheduler.5' to view the output.",
    ]
    fake_api.json(
        "POST",
        "/apps/myapp/scheduler/jobs/2/actions/run",
        {"status": "skipped", "detail": "scheduler.5 still running", "dyno": None},
        201,
    )
    failed = cli("scheduler:run", "2", "-a", "myapp")
    assert (failed.code, failed.err) == (
        1,
        "runoff: job 2 was skipped: scheduler.5 still running\n",
    )
