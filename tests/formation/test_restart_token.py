"""Seed 004: restarting an app's dynos with curl and a token that can do only that."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.formation.conftest import deploy_settled, running, wait_running
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer


def restart_token(api: Api, app: str) -> str:
    created = api.post(
        "/oauth/authorizations",
        {"description": "nightly restart", "scope": ["dynos:restart"], "app": app},
    ).ok()
    assert created["scope"] == ["dynos:restart"]
    token: str = created["access_token"]["token"]
    return token


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_delete_dynos_restarts_the_formation(api: Api, server: LiveServer) -> None:
    api.create_app("curl-restart")
    deploy_settled(api, "curl-restart", {"Procfile": "worker: exec sleep 600\n"})
    api.patch("/apps/curl-restart/formation", {"updates": [{"type": "worker", "quantity": 1}]})
    before = wait_running(api, "curl-restart", {"worker.1"})["worker.1"]
    token = restart_token(api, "curl-restart")
    done = subprocess.run(
        [
            "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE",
            "-H", "Content-Type:application/json",
            "-H", "Accept: application/vnd.heroku+json; version=3",
            "-H", f"Authorization: Bearer {token}",
            f"{server.url}/apps/curl-restart/dynos",
        ],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    assert done.stdout == "202"
    wait_for(
        lambda: (d := running(api, "curl-restart").get("worker.1")) and d["id"] != before["id"],
        30,
        "worker.1 restarted",
    )


def test_a_restart_token_can_do_nothing_else(api: Api) -> None:
    api.create_app("bound")
    api.create_app("other")
    deploy_settled(api, "bound", {"Procfile": "worker: exec sleep 600\n"})
    limited = api.as_token(restart_token(api, "bound"))
    assert limited.delete("/apps/bound/dynos").status == 202
    assert limited.delete("/apps/bound/formations/worker").status == 202
    assert limited.get("/apps/bound/config-vars").status == 403
    assert limited.post("/apps/bound/dynos", {"command": "env"}).status == 403
    assert limited.patch("/apps/bound/formation", {"updates": [{"type": "worker"}]}).status == 403
    assert limited.post("/apps/bound/scheduler/jobs", {"schedule": "hourly"}).status == 403
    assert limited.delete("/apps/other/dynos").status == 404
    assert limited.post("/apps", {"name": "mine"}).status == 403
    unbound = api.post("/oauth/authorizations", {"scope": ["dynos:restart"]})
    assert unbound.status == 422
    assert "needs an app" in unbound.body["message"]
