"""Sessions in the store (both backends, a fake clock), the monitor form's mapping to the API
body, and the missing chart library."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from runoff.auth.service import AuthService
from runoff.clock import US_PER_SECOND, FakeClock
from runoff.errors import Unauthorized
from runoff.store.db import make_engine, migrate
from runoff.web.dashboard import render
from runoff.web.dashboard.addon_pages import body_of
from runoff.web.dashboard.session import SESSION_SECONDS, SessionStore


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    made = make_engine(database_url)
    migrate(made)
    yield made
    made.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _store(engine: Engine, clock: FakeClock) -> tuple[SessionStore, AuthService]:
    auth = AuthService(engine, clock)
    return SessionStore(engine, clock, auth), auth


def test_a_session_acts_with_its_tokens_scopes_until_it_expires(
    engine: Engine, clock: FakeClock
) -> None:
    sessions, auth = _store(engine, clock)
    alice = auth.create_user("alice@example.com")
    token = auth.create_authorization(alice, scopes=["read"], app_id="app-1").token
    assert token is not None
    opened, secret = sessions.open(token)
    found = sessions.resolve(secret)
    assert found is not None
    assert found.principal.user.email == "alice@example.com"
    assert found.principal.scopes == ("read",)
    assert found.principal.app_id == "app-1"
    assert found.csrf_token == opened.csrf_token
    assert sessions.resolve(secret + "x") is None
    clock.advance(SESSION_SECONDS - 1)
    assert sessions.resolve(secret) is not None
    clock.advance(1)
    assert sessions.resolve(secret) is None


def test_a_session_ends_with_its_token(engine: Engine, clock: FakeClock) -> None:
    sessions, auth = _store(engine, clock)
    bob = auth.create_user("bob@example.com")
    short = auth.create_authorization(bob, expires_in=60)
    assert short.token is not None
    _, secret = sessions.open(short.token)
    clock.advance(61)
    assert sessions.resolve(secret) is None  # the token expired before the session
    revoked = auth.create_authorization(bob)
    assert revoked.token is not None
    _, secret = sessions.open(revoked.token)
    auth.delete_authorization(bob, revoked.id)
    assert sessions.resolve(secret) is None
    other = auth.create_authorization(bob)
    assert other.token is not None
    _, secret = sessions.open(other.token)
    sessions.close(secret)
    assert sessions.resolve(secret) is None
    with pytest.raises(Unauthorized):
        sessions.open("no-such-token")


def test_expired_sessions_are_pruned_when_another_opens(engine: Engine, clock: FakeClock) -> None:
    sessions, auth = _store(engine, clock)
    carol = auth.create_user("carol@example.com")
    token = auth.create_authorization(carol).token
    assert token is not None
    sessions.open(token)
    clock.advance(SESSION_SECONDS + 1)
    sessions.open(token)
    with engine.connect() as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM dashboard_sessions").scalar_one()
    assert count == 1
    assert clock.now_us() > SESSION_SECONDS * US_PER_SECOND


def test_the_monitor_form_means_the_apis_body() -> None:
    form: dict[str, Any] = {
        "type": "command-execution-time", "name": " slow ", "threshold": "600",
        "sensitivity": "2", "window": "", "recovery": "1", "reminder_minutes": "",
        "filter_command": ".py", "filter_type": "", "filter_size": "", "enabled": "on",
    }  # fmt: skip
    assert body_of(form, creating=True) == {
        "type": "command-execution-time", "enabled": True, "name": "slow", "threshold": "600",
        "sensitivity": "2", "recovery": "1", "filters": {"command": ".py"},
    }  # fmt: skip
    assert body_of({**form, "threshold": "", "filter_command": ""}, creating=False) == {
        "name": "slow", "threshold": None, "sensitivity": "2", "window": None, "recovery": "1",
        "reminder_minutes": None, "filters": {"command": None, "type": None, "size": None},
    }  # fmt: skip


def test_a_missing_chart_library_is_named(tmp_path: Path) -> None:
    assert render.missing_assets() is None  # scripts/setup put it in place
    message = render.missing_assets(tmp_path)
    assert message is not None
    assert "vendor/echarts/echarts.min.js" in message
    assert "scripts/setup" in message
