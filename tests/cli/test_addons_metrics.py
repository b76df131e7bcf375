"""``runoff addons:*`` and ``runoff metrics*`` against a real server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer


@pytest.fixture
def real_cli(server: LiveServer, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "RUNOFF_API_URL": server.url,
        "RUNOFF_API_KEY": ADMIN_TOKEN,
        "RUNOFF_APP": "clia",
    }
    return Cli(env, work)


def test_addon_commands(api: Api, real_cli: Cli) -> None:
    api.create_app("clia")
    assert real_cli("addons").out == "No add-ons for app clia.\n"
    created = real_cli("addons:create", "one-off-metrics")
    assert created.code == 0, created.err
    assert created.out.splitlines()[0] == "Creating one-off-metrics on clia... free"
    assert created.out.splitlines()[-1] == "Your add-on has been provisioned successfully"
    again = real_cli("addons:create", "one-off-metrics", "--plan", "pro")
    assert again.code == 1
    assert again.err.startswith("runoff: clia already has one-off-metrics")
    listed = real_cli("addons").out.splitlines()
    assert listed[0].split() == ["Add-on", "Plan", "State"]
    assert listed[1].split()[1:] == ["one-off-metrics:free", "provisioned"]
    upgraded = real_cli("addons:upgrade", "one-off-metrics:pro")
    assert upgraded.out.splitlines()[-1] == "Your plan has been updated to: one-off-metrics:pro"
    assert real_cli("addons:upgrade", "one-off-metrics").code == 2
    opened = real_cli("addons:open", "one-off-metrics")
    assert opened.out.strip().endswith("/apps/clia/one-off-metrics")
    plans = real_cli("addons:plans").out.splitlines()
    assert plans[1].split()[:3] == ["one-off-metrics:free", "1", "day(s)"]


def test_destroy_asks_for_confirmation(api: Api, real_cli: Cli) -> None:
    api.create_app("clia")
    real_cli("addons:create", "one-off-metrics")
    refused = real_cli("addons:destroy", "one-off-metrics")
    assert (refused.code, refused.err) == (
        1,
        "runoff: refusing to destroy one-off-metrics without confirmation: add --confirm clia\n",
    )
    wrong = real_cli("addons:destroy", "one-off-metrics", stdin="other\n", tty=True)
    assert wrong.code == 1
    assert "WARNING: Destructive Action" in wrong.err
    assert len(api.get("/apps/clia/addons").ok()) == 1
    typed = real_cli("addons:destroy", "one-off-metrics", stdin="clia\n", tty=True)
    assert typed.code == 0, typed.err
    assert api.get("/apps/clia/addons").ok() == []
    real_cli("addons:create", "one-off-metrics")
    assert real_cli("addons:destroy", "one-off-metrics", "--confirm", "clia").code == 0


def test_metrics_and_dynos(api: Api, real_cli: Cli) -> None:
    api.create_app("clia")
    missing = real_cli("metrics")
    assert missing.code == 1
    assert "not provisioned" in missing.err
    real_cli("addons:create", "one-off-metrics")
    for command in ("true", "false"):
        api.wait_ended("clia", api.run("clia", command)["name"])
    wait_for(lambda: len(api.get("/apps/clia/one-off-metrics/dynos").ok()) == 2)
    wait_for(lambda: all(r["ended_at"] for r in api.get("/apps/clia/one-off-metrics/dynos").ok()))
    shown = real_cli("metrics", "--range", "3h")
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    assert lines[0] == "=== clia one-off dyno metrics, 3h in 1-minute buckets"
    assert lines[1].startswith("Throughput")
    assert lines[1].endswith("1 succeeded, 1 failed, 0 timed out")
    assert any(line.startswith("Concurrency max") for line in lines)
    failed = real_cli("metrics:dynos", "--filter", "-state:succeeded").out.splitlines()
    assert failed[0].split()[:3] == ["Name", "State", "Exit"]
    assert failed[1].split()[:3] == ["run.2", "failed", "1"]
    assert len(failed) == 2
    as_json = json.loads(real_cli("metrics:dynos", "--json").out)
    assert [r["command"] for r in as_json] == ["false", "true"]
    bad = real_cli("metrics", "--filter", "stat:failed")
    assert bad.code == 1
    assert bad.err.startswith("runoff: invalid filter at column 1: unknown attribute")
