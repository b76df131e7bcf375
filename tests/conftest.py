"""Shared fixtures: a fresh database per test (SQLite, or PostgreSQL when
``RUNOFF_TEST_DATABASE_URL`` is set), a live server, and API clients for named users."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from runoff.clock import Clock
from runoff.dynos.executor import Executor
from tests.support.api import Api
from tests.support.databases import fresh_database_url
from tests.support.live import ADMIN_TOKEN, LiveServer, test_settings

# Tests never assert on wall-clock time: no per-example deadline (the suite runs its SQLite
# and PostgreSQL halves side by side on two cores, where one example may take a while).
settings.register_profile("runoff", deadline=None)
settings.load_profile("runoff")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    with fresh_database_url(tmp_path) as url:
        yield url


@pytest.fixture
def server_factory(tmp_path: Path, database_url: str) -> Iterator[Callable[..., LiveServer]]:
    started: list[LiveServer] = []

    def start(
        clock: Clock | None = None, executor: Executor | None = None, **overrides: object
    ) -> LiveServer:
        settings = test_settings(tmp_path / f"data{len(started)}", database_url, **overrides)
        server = LiveServer(settings, clock, executor).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()


@pytest.fixture
def server(server_factory: Callable[..., LiveServer]) -> LiveServer:
    return server_factory()


@pytest.fixture
def api(server: LiveServer) -> Api:
    """The admin (owner of the store) as an API client."""
    return Api(server.url, ADMIN_TOKEN)


@pytest.fixture
def user_api(api: Api) -> Callable[[str], Api]:
    """``user_api("alice")`` creates alice@example.com and returns her client."""

    def make(name: str) -> Api:
        created = api.post("/users", {"email": f"{name}@example.com"}).ok()
        return api.as_token(created["access_token"]["token"])

    return make
