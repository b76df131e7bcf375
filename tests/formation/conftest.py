"""Formation fixtures: a live server on a fake clock, and helpers to read dyno history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runoff.clock import FakeClock
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.slugs import deploy


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_server(server_factory: Callable[..., LiveServer], clock: FakeClock) -> LiveServer:
    return server_factory(clock=clock, stop_grace_seconds=1.5)


@pytest.fixture
def fapi(fake_server: LiveServer) -> Api:
    """The admin client of a server whose platform clock is ``clock``."""
    return Api(fake_server.url, ADMIN_TOKEN)


def running(api: Api, app: str) -> dict[str, dict[str, Any]]:
    """Running dynos by name."""
    return {d["name"]: d for d in api.get(f"/apps/{app}/dynos").ok()}


def wait_running(api: Api, app: str, names: set[str], timeout: float = 30) -> dict[str, Any]:
    """Wait until exactly ``names`` run and are up; returns them by name."""

    def check() -> dict[str, Any] | None:
        found = running(api, app)
        if set(found) == names and all(d["state"] == "up" for d in found.values()):
            return found
        return None

    result: dict[str, Any] = wait_for(check, timeout, f"{sorted(names)} up on {app}")
    return result


def runs_of(server: LiveServer, app: str, name: str) -> list[Any]:
    """Every recorded run of dyno ``name``, oldest first."""
    app_id = server.platform.apps.get(app).id
    history = server.platform.dyno_store.history(app_id, 1000)
    return sorted((d for d in history if d.name == name), key=lambda d: d.created_at)


def deploy_settled(api: Api, app: str, files: dict[str, str | bytes]) -> dict[str, Any]:
    """Deploy and wait for the release phase (if any) to settle; returns the release."""
    release = deploy(api, app, files)
    path = f"/apps/{app}/releases/{release['version']}"
    settled: dict[str, Any] = wait_for(
        lambda: (r := api.get(path).ok())["status"] != "pending" and r, 60, "the release phase"
    )
    return settled
