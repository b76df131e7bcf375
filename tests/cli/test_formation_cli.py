"""ps:scale, deploy following the release phase, app-bound tokens."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, json_reply

FORMATION = [
    {"type": "web", "quantity": 2, "size": "Standard-2X", "command": "gunicorn"},
    {"type": "worker", "quantity": 1, "size": "Standard-1X", "command": "rq worker"},
]


def test_scale_sends_one_batch_update(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("PATCH", "/apps/myapp/formation", FORMATION)
    result = cli("ps:scale", "web=2:Standard-2X", "worker+1", "-a", "myapp")
    assert result.code == 0, result.err
    assert result.out == (
        "Scaling dynos on myapp... done, now running web at 2:Standard-2X, "
        "worker at 1:Standard-1X\n"
    )
    assert fake_api.only().json() == {
        "updates": [
            {"type": "web", "quantity": "2", "size": "Standard-2X"},
            {"type": "worker", "quantity": "+1"},
        ]
    }


def test_scale_without_changes_prints_the_formation(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/formation", FORMATION)
    assert cli("ps:scale", "-a", "myapp").out == "web=2:Standard-2X worker=1:Standard-1X\n"
    fake_api.json("GET", "/apps/empty/formation", [])
    assert "No process types on empty" in cli("ps:scale", "-a", "empty").out
    assert json.loads(cli("ps:scale", "-a", "myapp", "--json").out) == FORMATION


def test_scale_rejects_what_is_not_a_change(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("ps:scale", "web2", "-a", "myapp")
    assert result.code == 2
    assert "'web2' is not a change" in result.err
    assert fake_api.requests == []


def _deploy_setup(cli: Cli, fake_api: FakeApi, final: str) -> None:
    (cli.cwd / "Procfile").write_text("release: ./migrate\n")
    slug = {"id": "s1", "process_types": {"release": "./migrate"}}
    fake_api.json("POST", "/apps/myapp/slugs", slug, 201)
    fake_api.json("POST", "/apps/myapp/releases", {"version": 4, "status": "pending"}, 201)
    fake_api.on(
        "GET",
        "/apps/myapp/releases/4",
        json_reply({"version": 4, "status": "pending"}),
        json_reply({"version": 4, "status": final}),
    )


def test_deploy_waits_for_the_release_phase(cli: Cli, fake_api: FakeApi) -> None:
    _deploy_setup(cli, fake_api, "succeeded")
    result = cli("deploy", "-a", "myapp")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "Deploying myapp... done, v4"
    assert lines[-2:] == ["Running release command... done", "Released v4: it is now current"]
    assert len(cli.sleeps) == 2


def test_deploy_fails_when_the_release_command_fails(cli: Cli, fake_api: FakeApi) -> None:
    _deploy_setup(cli, fake_api, "failed")
    result = cli("deploy", "-a", "myapp")
    assert result.code == 1
    assert result.out.splitlines()[-1] == "Running release command... failed"
    assert result.err == (
        "runoff: the release command failed, so v4 was not released and the previous release "
        "stays current; see `runoff logs -a myapp -p release`\n"
    )


def test_authorization_bound_to_an_app(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json(
        "POST",
        "/oauth/authorizations",
        {"id": "a1", "description": "restart", "scope": ["dynos:restart"]},
        201,
    )
    result = cli("authorizations:create", "-d", "restart", "-s", "dynos:restart", "--app", "myapp")
    assert result.code == 0, result.err
    assert fake_api.only().json() == {
        "description": "restart",
        "scope": ["dynos:restart"],
        "app": "myapp",
    }
