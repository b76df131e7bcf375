from __future__ import annotations

import json

import pytest

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, Reply

DYNO = {
    "id": "d1",
    "name": "run.2",
    "type": "run",
    "command": "rake db:migrate",
    "size": "Standard-1X",
    "state": "starting",
    "one_off": True,
    "created_at": "2026-11-23T09:59:59Z",
    "updated_at": "2026-11-23T09:59:59Z",
    "release": {"version": 3},
}


def test_run_detached_sends_one_request(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/dynos", DYNO, 201)
    result = cli("run:detached", "-a", "myapp", "--", "rake", "db:migrate")
    assert result.out == (
        "Running rake db:migrate on myapp... starting, run.2\n"
        "Use 'runoff logs -a myapp -d run.2' to view the output.\n"
    )
    sent = fake_api.only()
    assert (sent.method, sent.path) == ("POST", "/apps/myapp/dynos")
    assert sent.headers["authorization"] == "Bearer tok-alice"
    assert sent.json() == {"command": "rake db:migrate", "attach": False, "env": {}}


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["--", "echo hi; exit 3"], "echo hi; exit 3"),  # one argument: sent as is
        (["--", "python", "-c", "print('a b')"], "python -c 'print('\"'\"'a b'\"'\"')'"),
        (["python", "-c", "1"], "python -c 1"),  # options after the command belong to it
        (["--", "-x"], "-x"),
    ],
)
def test_run_detached_command_quoting(
    cli: Cli, fake_api: FakeApi, argv: list[str], command: str
) -> None:
    fake_api.json("POST", "/apps/myapp/dynos", DYNO, 201)
    assert cli("run:detached", "-a", "myapp", *argv).code == 0
    assert fake_api.only().json()["command"] == command


def test_run_detached_options(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/dynos", {**DYNO, "state": None}, 201)
    result = cli(
        "run:detached",
        "-a",
        "myapp",
        "--size",
        "standard-2X",
        "--type",
        "worker",
        "--ttl",
        "600",
        "--env",
        "A=1;B=x=y",
        "-e",
        "C=3",
        "--",
        "./job",
    )
    assert result.out.startswith("Running ./job on myapp... up, run.2\n")
    assert fake_api.only().json() == {
        "command": "./job",
        "attach": False,
        "env": {"A": "1", "B": "x=y", "C": "3"},
        "size": "standard-2X",
        "type": "worker",
        "time_to_live": 600,
    }


def test_run_detached_usage_errors(cli: Cli, fake_api: FakeApi) -> None:
    assert cli("run:detached", "-a", "myapp").err == (
        "runoff: no command given: runoff run:detached [options] -- COMMAND...\n"
    )
    assert cli("run:detached", "-a", "myapp", "--env", "NOPE", "--", "x").code == 2
    assert fake_api.requests == []


def test_ps_groups_dynos(cli: Cli, fake_api: FakeApi) -> None:
    web = {
        **DYNO,
        "name": "web.1",
        "type": "web",
        "one_off": False,
        "state": "up",
        "command": "gunicorn app:app",
        "size": "Basic",
        "updated_at": "2026-11-23T09:30:00Z",
    }
    fake_api.json("GET", "/apps/myapp/dynos", [web, DYNO])
    assert cli("ps", "-a", "myapp").out.splitlines() == [
        "=== run: one-off processes (1)",
        "run.2 (Standard-1X): starting 2026/11/23 09:59:59 +0000 (~ 1s ago): rake db:migrate",
        "",
        "=== web (Basic): gunicorn app:app (1)",
        "web.1: up 2026/11/23 09:30:00 +0000 (~ 30m ago)",
    ]
    assert json.loads(cli("ps", "web", "-a", "myapp", "--json").out) == [web]


def test_ps_without_dynos(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/dynos", [])
    assert cli("ps", "-a", "myapp").out == "No dynos on myapp\n"


def test_ps_stop(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/dynos/run.2/actions/stop", DYNO, 202)
    assert cli("ps:stop", "run.2", "-a", "myapp").out == "Stopping run.2 process... done\n"
    assert fake_api.only().body == b""


@pytest.mark.parametrize(
    ("argv", "path", "out"),
    [
        ([], "/apps/myapp/dynos", "Restarting dynos on myapp... done"),
        (["web.1"], "/apps/myapp/dynos/web.1", "Restarting web.1 dyno on myapp... done"),
        (
            ["-p", "worker"],
            "/apps/myapp/formations/worker",
            "Restarting worker dynos on myapp... done",
        ),
    ],
)
def test_ps_restart(cli: Cli, fake_api: FakeApi, argv: list[str], path: str, out: str) -> None:
    fake_api.on("DELETE", path, Reply(202, [b"{}"]))
    assert cli("ps:restart", "-a", "myapp", *argv).out == out + "\n"
    assert (fake_api.only().method, fake_api.only().path) == ("DELETE", path)


def test_ps_restart_dyno_and_type_exclude_each_other(cli: Cli) -> None:
    assert cli("ps:restart", "web.1", "-p", "web", "-a", "myapp").code == 2
