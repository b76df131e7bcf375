"""A store-level harness: real database (SQLite or PostgreSQL), DynoStore, a FakeClock, and
the metrics service, with no server; runs are made by driving DynoStore as the lifecycle
would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine

from runoff.apps.model import App
from runoff.apps.service import AppService
from runoff.auth.service import AuthService
from runoff.clock import FakeClock
from runoff.dynos.model import Dyno, Outcome, State
from runoff.dynos.store import DynoStore
from runoff.metrics import MetricsService
from runoff.store.db import make_engine


@dataclass
class Harness:
    engine: Engine
    clock: FakeClock
    dynos: DynoStore
    metrics: MetricsService
    app: App

    def start(
        self,
        command: str = "echo hi",
        *,
        type: str = "run",
        size: str = "Standard-1X",
        attach: bool = False,
        one_off: bool = True,
        app: App | None = None,
    ) -> Dyno:
        dyno = self.dynos.create(
            app_id=(app or self.app).id,
            release_id=None,
            release_version=None,
            type=type,
            command=command,
            size=size,
            attach=attach,
            one_off=one_off,
            ttl_seconds=3600,
            server_id=None,
        )
        self.dynos.transition(dyno, State.UP)
        return dyno

    def end(self, dyno: Dyno, exit_status: int | None, *, forced: bool = False) -> None:
        if forced:
            self.dynos.mark_stopping(dyno, "ttl")
            outcome = Outcome.TIMED_OUT
        elif exit_status is None:
            outcome = Outcome.TIMED_OUT
        else:
            outcome = Outcome.SUCCEEDED if exit_status == 0 else Outcome.FAILED
        self.dynos.record_end(dyno, exit_status=exit_status, outcome=outcome)

    def run(self, seconds: float, exit_status: int | None = 0, **kw: object) -> Dyno:
        dyno = self.start(**kw)  # type: ignore[arg-type]
        self.clock.advance(seconds)
        self.end(dyno, exit_status)
        return dyno

    def sync(self) -> None:
        while self.metrics.recorder.sync():
            pass


@contextlib.contextmanager
def harness_on(database_url: str) -> Iterator[Harness]:
    """A harness on the (migrated) database at ``database_url``, with an app of an owner."""
    engine = make_engine(database_url)
    clock = FakeClock(start_us=1_795_000_000 * 1_000_000)
    auth = AuthService(engine, clock)
    owner = auth.create_user("owner@example.com", is_admin=True)
    app = AppService(engine, clock).create(owner, "metrics-app")
    try:
        yield Harness(engine, clock, DynoStore(engine, clock), MetricsService(engine, clock), app)
    finally:
        engine.dispose()
