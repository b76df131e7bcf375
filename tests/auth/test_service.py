"""Token expiry with an injected clock."""

from __future__ import annotations

import pytest

from runoff.auth.service import AuthService
from runoff.clock import FakeClock
from runoff.errors import Unauthorized
from runoff.store.db import make_engine


def test_tokens_expire(database_url: str) -> None:
    clock = FakeClock()
    engine = make_engine(database_url)
    auth = AuthService(engine, clock)
    user = auth.create_user("carol@example.com")
    token = auth.create_authorization(user, expires_in=60).token
    assert token is not None
    assert auth.authenticate(token).user.email == "carol@example.com"
    clock.advance(59)
    auth.authenticate(token)
    clock.advance(1)
    with pytest.raises(Unauthorized, match="expired"):
        auth.authenticate(token)
    engine.dispose()


def test_bootstrap_runs_once(database_url: str) -> None:
    engine = make_engine(database_url)
    auth = AuthService(engine, FakeClock())
    generated = auth.bootstrap_owner(None)
    assert generated is not None
    assert auth.authenticate(generated).user.email == "admin@localhost"
    assert auth.bootstrap_owner(None) is None
    engine.dispose()


def test_a_token_never_outlives_the_token_that_made_it(database_url: str) -> None:
    clock = FakeClock()
    engine = make_engine(database_url)
    auth = AuthService(engine, clock)
    user = auth.create_user("dora@example.com")
    parent = auth.create_authorization(user, expires_in=60).token
    assert parent is not None
    made_by = auth.authenticate(parent).expires_at

    def child(expires_in: int | None) -> str:
        token = auth.create_authorization(user, expires_in=expires_in, expires_by=made_by).token
        assert token is not None
        return token

    forever, longer, shorter = child(None), child(3600), child(30)
    clock.advance(30)
    with pytest.raises(Unauthorized, match="expired"):
        auth.authenticate(shorter)
    auth.authenticate(forever)
    clock.advance(30)
    for token in (parent, forever, longer):
        with pytest.raises(Unauthorized, match="expired"):
            auth.authenticate(token)
    engine.dispose()
