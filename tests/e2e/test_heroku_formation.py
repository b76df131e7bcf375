"""The real Heroku CLI scaling and restarting a runoff formation."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_heroku_cli import Heroku, heroku  # noqa: F401  (the fixture)
from tests.support.api import Api, wait_for
from tests.support.slugs import deploy

pytestmark = pytest.mark.heroku
PROCFILE = "web: exec sleep 601\nworker: exec sleep 602\n"


def running(api: Api, app: str) -> dict[str, Any]:
    return {d["name"]: d for d in api.get(f"/apps/{app}/dynos").ok() if d["state"] == "up"}


def test_ps_scale(api: Api, heroku: Heroku) -> None:  # noqa: F811
    api.create_app("cli-scale")
    deploy(api, "cli-scale", {"Procfile": PROCFILE})
    done = heroku("ps:scale", "web=2", "worker=1:Standard-2X", "-a", "cli-scale")
    output = done.stdout + done.stderr
    assert "now running" in output
    assert "web at 2:Standard-1X" in output
    assert "worker at 1:Standard-2X" in output
    wait_for(lambda: set(running(api, "cli-scale")) == {"web.1", "web.2", "worker.1"}, 30)
    heroku("ps:scale", "web-1", "-a", "cli-scale")
    wait_for(lambda: set(running(api, "cli-scale")) == {"web.1", "worker.1"}, 30)
    listed = heroku("ps:scale", "-a", "cli-scale").stdout.strip()
    assert listed == "web=1:Standard-1X worker=1:Standard-2X"
    ps = heroku("ps", "-a", "cli-scale").stdout
    assert re.search(r"=== web \(Standard-1X\): exec sleep 601 \(1\)", ps), ps
    assert re.search(r"^worker\.1: up ", ps, re.M), ps
    missing = heroku("ps:scale", "clock=1", "-a", "cli-scale", check=False)
    assert missing.returncode != 0
    assert "Couldn't find that process type (clock)." in missing.stderr


def test_ps_restart_all_type_and_one(api: Api, heroku: Heroku) -> None:  # noqa: F811
    api.create_app("cli-restart")
    deploy(api, "cli-restart", {"Procfile": PROCFILE})
    api.patch(
        "/apps/cli-restart/formation",
        {"updates": [{"type": "web", "quantity": 2}, {"type": "worker", "quantity": 1}]},
    ).ok()
    wait_for(lambda: len(running(api, "cli-restart")) == 3, 30, "three dynos")
    one_off = api.run("cli-restart", "sleep 600")

    def restarted(names: set[str], before: dict[str, Any]) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            now = running(api, "cli-restart")
            formation = {n: d for n, d in now.items() if not d["one_off"]}
            if set(formation) != set(before):
                return None
            changed = {n for n in formation if formation[n]["id"] != before[n]["id"]}
            return formation if changed == names else None

        result: dict[str, Any] = wait_for(check, 30, f"{sorted(names)} restarted")
        return result

    before = {n: d for n, d in running(api, "cli-restart").items() if not d["one_off"]}
    heroku("ps:restart", "-a", "cli-restart")
    before = restarted({"web.1", "web.2", "worker.1"}, before)
    heroku("ps:restart", "--process-type", "web", "-a", "cli-restart")
    before = restarted({"web.1", "web.2"}, before)
    heroku("ps:restart", "--dyno-name", "worker.1", "-a", "cli-restart")
    restarted({"worker.1"}, before)
    assert api.dyno("cli-restart", one_off["name"])["id"] == one_off["id"]
    assert api.dyno("cli-restart", one_off["name"])["ended_at"] is None
