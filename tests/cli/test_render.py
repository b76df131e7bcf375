from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from runoff.cli import render

NOW = datetime(2013, 3, 13, 15, 38, 9, tzinfo=UTC)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "~ 0s ago"),
        (1, "~ 1s ago"),
        (59, "~ 59s ago"),
        (60, "~ 1m ago"),
        (5 * 60 + 59, "~ 5m ago"),
        (2 * 3600, "~ 2h ago"),
        (23 * 3600 + 3599, "~ 23h ago"),
        (3 * 86400 + 5, "~ 3d ago"),
        (-30, "~ 0s ago"),  # clock skew never shows a negative age
    ],
)
def test_age(seconds: int, text: str) -> None:
    assert render.age(NOW - timedelta(seconds=seconds), NOW) == text


def test_parse_time_accepts_z_offsets_and_naive_utc() -> None:
    assert render.parse_time("2026-11-23T10:00:00Z") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert render.parse_time("2026-11-23T10:00:00") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert render.parse_time("2026-11-23T11:00:00+01:00") == datetime(2026, 11, 23, 10, tzinfo=UTC)
    assert render.parse_time("yesterday") is None
    assert render.parse_time(None) is None


def test_stamp_uses_the_time_zone_of_now() -> None:
    then = datetime(2013, 3, 13, 15, 38, 8, tzinfo=UTC)
    assert render.stamp(then, NOW) == "2013/03/13 15:38:08 +0000"
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    assert render.stamp(then, paris) == "2013/03/13 16:38:08 +0100"


def test_aligned_pads_keys_like_heroku() -> None:
    assert render.aligned([("DATABASE_URL", "postgres://x"), ("FOO", "bar"), ("E", "")]) == [
        "DATABASE_URL: postgres://x",
        "FOO:          bar",
        "E:",
    ]


def test_table_pads_all_but_the_last_column() -> None:
    assert render.table([["v10", "Deploy", "a@x"], ["v9", "Set FOO config vars", ""]]) == [
        "v10  Deploy               a@x",
        "v9   Set FOO config vars",
    ]


def test_size_text() -> None:
    assert [render.size_text(n) for n in (0, 1023, 1024, 3500, 5 * 1024 * 1024)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "3.4 KB",
        "5.0 MB",
    ]


def dyno(name: str, *, one_off: bool | None, ago: int, **fields: object) -> dict[str, object]:
    kind = name.rsplit(".", 1)[0]
    result: dict[str, object] = {
        "name": name,
        "type": kind,
        "state": "up",
        "size": "Basic",
        "command": "bash",
        "updated_at": iso(NOW - timedelta(seconds=ago)),
        **fields,
    }
    if one_off is not None:
        result["one_off"] = one_off
    return result


def test_ps_groups_one_offs_first_then_the_formation() -> None:
    dynos = [
        dyno("web.2", one_off=False, ago=22 * 3600, command="gunicorn app:app"),
        dyno("web.1", one_off=False, ago=30 * 60, command="gunicorn app:app"),
        dyno("scheduler.3", one_off=True, ago=5, command="./report", size="Standard-1X"),
        dyno("run.7364", one_off=True, ago=1, state="starting", size="Standard-1X"),
        dyno("worker.1", one_off=False, ago=60, command="python worker.py", size=None),
        dyno("run.10", one_off=None, ago=2),  # no one_off field: type run counts as one-off
    ]
    assert render.ps_lines(dynos, NOW) == [
        "=== run: one-off processes (2)",
        "run.10 (Basic): up 2013/03/13 15:38:07 +0000 (~ 2s ago): bash",
        "run.7364 (Standard-1X): starting 2013/03/13 15:38:08 +0000 (~ 1s ago): bash",
        "",
        "=== scheduler: one-off processes (1)",
        "scheduler.3 (Standard-1X): up 2013/03/13 15:38:04 +0000 (~ 5s ago): ./report",
        "",
        "=== web (Basic): gunicorn app:app (2)",
        "web.1: up 2013/03/13 15:08:09 +0000 (~ 30m ago)",
        "web.2: up 2013/03/12 17:38:09 +0000 (~ 22h ago)",
        "",
        "=== worker: python worker.py (1)",
        "worker.1: up 2013/03/13 15:37:09 +0000 (~ 1m ago)",
    ]


def test_ps_sorts_dyno_numbers_numerically() -> None:
    dynos = [dyno(f"run.{n}", one_off=True, ago=0) for n in (10, 9, 100)]
    assert [line.split(" ")[0] for line in render.ps_lines(dynos, NOW)[1:]] == [
        "run.9",
        "run.10",
        "run.100",
    ]


def test_releases_newest_first_with_the_current_one_marked() -> None:
    releases = [
        {
            "version": 3,
            "description": "Deploy 1a2b3c4d",
            "status": "failed",
            "current": False,
            "user": {"email": "bob@example.com"},
            "created_at": iso(NOW - timedelta(minutes=5)),
        },
        {
            "version": 2,
            "description": "Set FOO config vars",
            "status": "succeeded",
            "current": True,
            "user": {"email": "alice@example.com"},
            "created_at": iso(NOW - timedelta(hours=2)),
        },
    ]
    assert render.releases_lines("myapp", releases, NOW) == [
        "=== myapp Releases - Current: v2",
        "v3  Deploy 1a2b3c4d (failed)  bob@example.com    ~ 5m ago",
        "v2  Set FOO config vars       alice@example.com  ~ 2h ago  (current)",
    ]
    assert render.releases_lines("myapp", [], NOW) == ["myapp has no releases."]


def test_config_lines_and_shell_lines() -> None:
    config = {"SECRET": "it's", "A": "1"}
    assert render.config_lines("myapp", config) == [
        "=== myapp Config Vars",
        "A:      1",
        "SECRET: it's",
    ]
    assert render.config_lines("myapp", {}) == ["myapp has no config vars."]
    assert render.shell_lines(config) == ["A=1", "SECRET='it'\"'\"'s'"]


def test_authorization_lines_like_heroku() -> None:
    created = {
        "id": "830d64b9",
        "description": "Platform API example token",
        "scope": ["global"],
        "client": None,
        "access_token": {"token": "1d82fc23", "expires_in": None},
    }
    assert render.authorization_lines(created) == [
        "Client:      <none>",
        "ID:          830d64b9",
        "Description: Platform API example token",
        "Scope:       global",
        "Token:       1d82fc23",
    ]
    created["access_token"] = {"token": "x", "expires_in": 3600}
    assert render.authorization_lines(created)[-1] == "Expires in:  3600 seconds"


def test_app_lines_skip_empty_fields() -> None:
    app = {
        "name": "myapp",
        "owner": {"email": "alice@example.com"},
        "region": {"name": "local"},
        "stack": {"name": "runoff-1"},
        "web_url": None,
        "slug_size": 2048,
        "created_at": iso(NOW - timedelta(days=3)),
        "released_at": None,
    }
    assert render.app_lines(app, NOW) == [
        "=== myapp",
        "Owner:     alice@example.com",
        "Region:    local",
        "Stack:     runoff-1",
        "Slug Size: 2.0 KB",
        "Created:   2013/03/10 15:38:09 +0000 (~ 3d ago)",
    ]
