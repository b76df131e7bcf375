from __future__ import annotations

import json

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi

APP = {
    "id": "01234567-89ab-cdef-0123-456789abcdef",
    "name": "myapp",
    "owner": {"id": "u1", "email": "alice@example.com"},
    "region": {"name": "local"},
    "stack": {"name": "runoff-1"},
    "created_at": "2026-11-20T10:00:00Z",
    "released_at": "2026-11-23T09:55:00Z",
    "slug_size": None,
}


def test_apps_lists_names_sorted(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps", [{"name": "zeta"}, {"name": "alpha"}])
    result = cli("apps")
    assert result.out == "=== Apps\nalpha\nzeta\n"
    assert fake_api.only().method == "GET"


def test_apps_when_there_are_none_and_as_json(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps", [])
    assert cli("apps").out == "You have no apps.\n"
    assert json.loads(cli("apps", "--json").out) == []


def test_apps_create_with_and_without_a_name(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps", {**APP, "name": "myapp"}, 201)
    assert cli("apps:create", "myapp").out == "Creating myapp... done\n"
    assert cli("apps:create").code == 0
    assert [r.json() for r in fake_api.requests] == [{"name": "myapp"}, {}]


def test_apps_create_shows_the_servers_validation_message(cli: Cli, fake_api: FakeApi) -> None:
    message = "Name must start with a letter and only contain lowercase letters, digits and dashes."
    fake_api.json("POST", "/apps", {"id": "invalid_params", "message": message}, 422)
    result = cli("apps:create", "My_App")
    assert (result.code, result.err) == (1, f"runoff: {message}\n")


def test_apps_info(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp", APP)
    assert cli("apps:info", "-a", "myapp").out.splitlines() == [
        "=== myapp",
        "Owner:    alice@example.com",
        "Region:   local",
        "Stack:    runoff-1",
        "Created:  2026/11/20 10:00:00 +0000 (~ 3d ago)",
        "Released: 2026/11/23 09:55:00 +0000 (~ 5m ago)",
    ]
    assert json.loads(cli("apps:info", "-a", "myapp", "--json").out) == APP


def test_app_comes_from_the_environment_or_a_linked_directory(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp", APP)
    fake_api.json("GET", "/apps/envapp", {**APP, "name": "envapp"})
    assert cli("apps:link", "myapp").out.startswith(f"Linked {cli.cwd} to myapp")
    assert (cli.cwd / ".runoff-app").read_text() == "myapp\n"
    (cli.cwd / "sub").mkdir()
    cli.cwd = cli.cwd / "sub"
    assert cli("apps:info").out.startswith("=== myapp\n")
    cli.env["RUNOFF_APP"] = "envapp"
    assert cli("apps:info").out.startswith("=== envapp\n")
    assert [r.path for r in fake_api.requests] == ["/apps/myapp", "/apps/myapp", "/apps/envapp"]


def test_apps_link_refuses_an_unknown_app(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("apps:link", "ghost")
    assert result.code == 1
    assert not (cli.cwd / ".runoff-app").exists()


def test_apps_destroy_with_confirm(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("DELETE", "/apps/myapp", APP)
    result = cli("apps:destroy", "-a", "myapp", "--confirm", "myapp")
    assert (result.code, result.out) == (0, "Destroying myapp... done\n")
    assert fake_api.only().method == "DELETE"


def test_apps_destroy_with_a_wrong_confirm_deletes_nothing(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("apps:destroy", "-a", "myapp", "--confirm", "other")
    assert result.err == "runoff: confirmation 'other' did not match myapp: nothing destroyed\n"
    assert fake_api.requests == []


def test_apps_destroy_asks_on_a_terminal(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("DELETE", "/apps/myapp", APP)
    result = cli("apps:destroy", "-a", "myapp", stdin="myapp\n", tty=True)
    assert result.code == 0
    assert "To proceed, type myapp or re-run this command with --confirm myapp" in result.err
    assert cli("apps:destroy", "-a", "myapp", stdin="nope\n", tty=True).code == 1
    assert len(fake_api.requests) == 1


def test_apps_destroy_without_a_terminal_needs_confirm(cli: Cli, fake_api: FakeApi) -> None:
    result = cli("apps:destroy", "-a", "myapp", stdin="myapp\n")
    assert result.err == (
        "runoff: refusing to destroy myapp without confirmation: add --confirm myapp\n"
    )
    assert fake_api.requests == []
