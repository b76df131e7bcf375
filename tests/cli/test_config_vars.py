from __future__ import annotations

import json

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi

CONFIG = {"DATABASE_URL": "postgres://db/app", "GREETING": "hello world"}


def test_config_shows_aligned_vars(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/config-vars", CONFIG)
    assert cli("config", "-a", "myapp").out == (
        "=== myapp Config Vars\nDATABASE_URL: postgres://db/app\nGREETING:     hello world\n"
    )
    assert cli("config", "-a", "myapp", "--shell").out == (
        "DATABASE_URL=postgres://db/app\nGREETING='hello world'\n"
    )
    assert json.loads(cli("config", "-a", "myapp", "--json").out) == CONFIG


def test_config_get(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/config-vars", CONFIG)
    assert cli("config:get", "GREETING", "-a", "myapp").out == "hello world\n"
    assert cli("config:get", "MISSING", "-a", "myapp").out == "\n"
    assert cli("config:get", "GREETING", "--shell", "-a", "myapp").out == "GREETING='hello world'\n"


def test_config_set_patches_then_reads_the_new_release(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("PATCH", "/apps/myapp/config-vars", {**CONFIG, "A": "1", "B": "x=y"})
    fake_api.json("GET", "/apps/myapp/releases", [{"version": 7}])
    result = cli("config:set", "A=1", "B=x=y", "-a", "myapp")
    assert result.out == "Setting A, B and restarting myapp... done, v7\nA: 1\nB: x=y\n"
    patch, releases = fake_api.requests
    assert (patch.method, patch.json()) == ("PATCH", {"A": "1", "B": "x=y"})
    assert releases.headers["range"] == "version ..; order=desc,max=1"


def test_config_unset_sends_nulls(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("PATCH", "/apps/myapp/config-vars", {})
    fake_api.json("GET", "/apps/myapp/releases", [{"version": 8}])
    result = cli("config:unset", "A", "B", "-a", "myapp")
    assert result.out == "Unsetting A, B and restarting myapp... done, v8\n"
    assert fake_api.requests[0].json() == {"A": None, "B": None}


def test_config_set_without_any_release(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("PATCH", "/apps/myapp/config-vars", {"A": "1"})
    fake_api.json("GET", "/apps/myapp/releases", [])
    assert cli("config:set", "A=1", "-a", "myapp").out.startswith(
        "Setting A and restarting myapp... done\n"
    )
