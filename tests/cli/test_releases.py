from __future__ import annotations

import json

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi

RELEASES = [
    {
        "version": 2,
        "description": "Set FOO config vars",
        "status": "succeeded",
        "current": True,
        "user": {"email": "alice@example.com"},
        "created_at": "2026-11-23T09:58:00Z",
    },
    {
        "version": 1,
        "description": "Deploy 1a2b3c4d",
        "status": "succeeded",
        "current": False,
        "user": {"email": "alice@example.com"},
        "created_at": "2026-11-22T10:00:00Z",
    },
]


def test_releases_asks_for_the_newest_15_by_default(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/releases", RELEASES)
    assert cli("releases", "-a", "myapp").out.splitlines() == [
        "=== myapp Releases - Current: v2",
        "v2  Set FOO config vars  alice@example.com  ~ 2m ago  (current)",
        "v1  Deploy 1a2b3c4d      alice@example.com  ~ 1d ago",
    ]
    assert fake_api.only().headers["range"] == "version ..; order=desc,max=15"


def test_releases_n_and_json(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps/myapp/releases", RELEASES[:1])
    assert json.loads(cli("releases", "-a", "myapp", "-n", "1", "--json").out) == RELEASES[:1]
    assert fake_api.only().headers["range"] == "version ..; order=desc,max=1"
