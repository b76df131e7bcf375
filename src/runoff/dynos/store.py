"""Persistence of dyno records and their state transitions.

A dyno row is written (state ``starting``) before the API answers, and every state change is
a conditional update plus a ``dyno_events`` row, so the record is always the truth about a run
and other components (metrics, monitors) can follow the events table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update

from runoff.clock import Clock
from runoff.dynos.model import TRANSITIONS, Dyno, Outcome, State
from runoff.errors import NotFound, RateLimited
from runoff.store.rows import new_id, next_counter
from runoff.store.schema import counters, dyno_events, dynos, releases


def _dyno(row: Any) -> Dyno:
    return Dyno(
        id=row.id,
        app_id=row.app_id,
        release_id=row.release_id,
        release_version=row.release_version,
        name=row.name,
        type=row.type,
        command=row.command,
        size=row.size,
        attach=bool(row.attach),
        one_off=bool(row.one_off),
        state=State(row.state),
        exit_status=row.exit_status,
        outcome=Outcome(row.outcome) if row.outcome else None,
        stop_reason=row.stop_reason,
        ttl_seconds=row.ttl_seconds,
        server_id=row.server_id,
        created_at=row.created_at,
        up_at=row.up_at,
        stopping_at=row.stopping_at,
        ended_at=row.ended_at,
        updated_at=row.updated_at,
    )


def _query() -> Any:
    return select(dynos, releases.c.version.label("release_version")).outerjoin(
        releases, releases.c.id == dynos.c.release_id
    )


class DynoStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def create(
        self,
        *,
        app_id: str,
        release_id: str | None,
        type: str,
        command: str,
        size: str,
        attach: bool,
        one_off: bool,
        ttl_seconds: int,
        server_id: str | None,
        one_off_limit: int | None = None,
        name: str | None = None,
    ) -> Dyno:
        """Record a new dyno in state ``starting``; one-offs are named ``<type>.<N>``.

        With ``one_off_limit``, refuses (429) when the app already runs that many one-offs; the
        count and the insert share one transaction so concurrent requests cannot overshoot.
        """
        now = self._clock.now_us()
        dyno_id = new_id()
        with self._engine.begin() as conn:
            if one_off_limit is not None:
                self._check_limit(conn, app_id, one_off_limit)
            if name is None:
                name = f"{type}.{next_counter(conn, counters, app_id, 'dyno:' + type)}"
            conn.execute(
                dynos.insert().values(
                    id=dyno_id,
                    app_id=app_id,
                    release_id=release_id,
                    name=name,
                    type=type,
                    command=command,
                    size=size,
                    attach=attach,
                    one_off=one_off,
                    state=State.STARTING.value,
                    ttl_seconds=ttl_seconds,
                    server_id=server_id,
                    created_at=now,
                    updated_at=now,
                )
            )
            self._event(conn, dyno_id, app_id, None, State.STARTING, now, None)
            row = conn.execute(_query().where(dynos.c.id == dyno_id)).one()
        return _dyno(row)

    @staticmethod
    def _check_limit(conn: Connection, app_id: str, limit: int) -> None:
        running = conn.execute(
            select(func.count())
            .select_from(dynos)
            .where(dynos.c.app_id == app_id, dynos.c.one_off.is_(True), dynos.c.ended_at.is_(None))
        ).scalar_one()
        if running >= limit:
            raise RateLimited(
                f"Cannot run more than {limit} one-off dynos at once for this app "
                f"({running} running). Stop some with `ps:stop` or wait for them to finish."
            )

    @staticmethod
    def _event(
        conn: Connection,
        dyno_id: str,
        app_id: str,
        old: State | None,
        new: State,
        at: int,
        detail: str | None,
    ) -> None:
        conn.execute(
            dyno_events.insert().values(
                dyno_id=dyno_id,
                app_id=app_id,
                from_state=old.value if old else None,
                to_state=new.value,
                at=at,
                detail=detail,
            )
        )

    def transition(
        self,
        dyno: Dyno,
        new: State,
        fields: Mapping[str, Any] | None = None,
        *,
        detail: str | None = None,
    ) -> bool:
        """Move ``dyno`` to ``new`` if its stored state allows it; False if it did not."""
        now = self._clock.now_us()
        allowed = [old.value for old, targets in TRANSITIONS.items() if new in targets]
        values = {"state": new.value, "updated_at": now, **(fields or {})}
        if new is State.UP:
            values.setdefault("up_at", now)
        with self._engine.begin() as conn:
            old_state = conn.execute(
                select(dynos.c.state).where(dynos.c.id == dyno.id)
            ).scalar_one_or_none()
            if old_state is None or old_state not in allowed:
                return False
            result = conn.execute(
                update(dynos)
                .where(dynos.c.id == dyno.id, dynos.c.state == old_state)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            self._event(conn, dyno.id, dyno.app_id, State(old_state), new, now, detail)
        return True

    def update(self, dyno_id: str, **fields: Any) -> None:
        """Set non-state fields (pid, stopping_at, ended_at...)."""
        fields.setdefault("updated_at", self._clock.now_us())
        with self._engine.begin() as conn:
            conn.execute(update(dynos).where(dynos.c.id == dyno_id).values(**fields))

    def mark_stopping(self, dyno_id: str, reason: str) -> bool:
        """Record that a forced stop began (first reason wins); False if one already had."""
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            result = conn.execute(
                update(dynos)
                .where(
                    dynos.c.id == dyno_id,
                    dynos.c.stopping_at.is_(None),
                    dynos.c.ended_at.is_(None),
                )
                .values(stopping_at=now, stop_reason=reason, updated_at=now)
            )
        return result.rowcount == 1

    def get(self, dyno_id: str) -> Dyno:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(dynos.c.id == dyno_id)).first()
        if row is None:
            raise NotFound(f"Couldn't find that dyno: {dyno_id}")
        return _dyno(row)

    def find(self, app_id: str, name_or_id: str) -> Dyno:
        """The running dyno with this name, else the most recent one (ended runs stay visible)."""
        query = (
            _query()
            .where(dynos.c.app_id == app_id)
            .where((dynos.c.name == name_or_id) | (dynos.c.id == name_or_id))
            .order_by(dynos.c.ended_at.isnot(None), dynos.c.created_at.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"Couldn't find that dyno: {name_or_id}")
        return _dyno(row)

    def running(self, app_id: str | None = None) -> list[Dyno]:
        query = _query().where(dynos.c.ended_at.is_(None)).order_by(dynos.c.created_at)
        if app_id is not None:
            query = query.where(dynos.c.app_id == app_id)
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query)]

    def running_on(self, server_ids: Iterable[str]) -> list[Dyno]:
        query = _query().where(
            and_(dynos.c.ended_at.is_(None), dynos.c.server_id.in_(list(server_ids)))
        )
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query)]

    def history(self, app_id: str, limit: int = 100) -> list[Dyno]:
        query = (
            _query()
            .where(dynos.c.app_id == app_id)
            .order_by(dynos.c.created_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query)]

    def events(self, dyno_id: str) -> list[dict[str, Any]]:
        query = (
            select(dyno_events).where(dyno_events.c.dyno_id == dyno_id).order_by(dyno_events.c.id)
        )
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
