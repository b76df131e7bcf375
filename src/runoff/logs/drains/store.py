"""Persistence of drains: at most ``limit`` per app, URLs unique within an app."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, delete, or_, select

from runoff.clock import Clock
from runoff.errors import Invalid, NotFound
from runoff.logs.drains.model import Drain, parse_url
from runoff.store.rows import new_id
from runoff.store.schema import apps, log_drains


def _drain(row: Any) -> Drain:
    return Drain(row.id, row.app_id, row.url, row.token, row.created_at, row.updated_at)


class DrainStore:
    def __init__(self, engine: Engine, clock: Clock, limit: int) -> None:
        self._engine = engine
        self._clock = clock
        self.limit = limit

    def add(self, app_id: str, url: object) -> Drain:
        """Record a drain; ``Invalid`` for a bad or repeated URL or when the app is full."""
        parse_url(url)
        assert isinstance(url, str)
        url = url.strip()
        now = self._clock.now_us()
        drain = Drain(new_id(), app_id, url, f"d.{uuid.uuid4()}", now, now)
        with self._engine.begin() as conn:
            # the app's row lock (PostgreSQL) or BEGIN IMMEDIATE (SQLite) serializes adds
            conn.execute(select(apps.c.id).where(apps.c.id == app_id).with_for_update())
            rows = conn.execute(select(log_drains.c.url).where(log_drains.c.app_id == app_id)).all()
            if any(row.url == url for row in rows):
                raise Invalid("Url has already been taken")
            if len(rows) >= self.limit:
                raise Invalid(f"An app can have at most {self.limit} log drains; remove one first")
            conn.execute(log_drains.insert().values(**drain.__dict__))
        return drain

    def for_app(self, app_id: str) -> list[Drain]:
        query = select(log_drains).where(log_drains.c.app_id == app_id)
        with self._engine.connect() as conn:
            return [_drain(row) for row in conn.execute(query.order_by(log_drains.c.created_at))]

    def all(self) -> list[Drain]:
        with self._engine.connect() as conn:
            return [_drain(row) for row in conn.execute(select(log_drains))]

    def find(self, app_id: str, key: str) -> Drain:
        """The app's drain whose id, URL or token is ``key``."""
        query = select(log_drains).where(
            log_drains.c.app_id == app_id,
            or_(log_drains.c.id == key, log_drains.c.url == key, log_drains.c.token == key),
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"Couldn't find that log drain: {key}")
        return _drain(row)

    def remove(self, app_id: str, key: str) -> Drain:
        drain = self.find(app_id, key)
        with self._engine.begin() as conn:
            conn.execute(delete(log_drains).where(log_drains.c.id == drain.id))
        return drain
