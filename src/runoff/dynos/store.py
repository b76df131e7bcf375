"""Persistence of dyno records and their state transitions.

A dyno row is written (state ``starting``) before the API answers, and every state change is
a conditional update plus a ``dyno_events`` row, so the record is always the truth about a run
and other components (metrics, monitors) can follow the events table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, select, update

from runoff.clock import Clock
from runoff.dynos.model import TRANSITIONS, Dyno, DynoEvent, Event, Outcome, State
from runoff.errors import NotFound, RateLimited
from runoff.ranges import Page
from runoff.store.rows import new_id, next_counter
from runoff.store.schema import counters, dyno_events, dynos, releases


def _dyno(row: Any) -> Dyno:
    # by key through _mapping: a Row's attribute access costs about 1 µs each, 22 a dyno
    m = row._mapping
    return Dyno(
        id=m["id"],
        app_id=m["app_id"],
        release_id=m["release_id"],
        release_version=m["release_version"],
        name=m["name"],
        type=m["type"],
        command=m["command"],
        size=m["size"],
        attach=bool(m["attach"]),
        one_off=bool(m["one_off"]),
        state=State(m["state"]),
        exit_status=m["exit_status"],
        outcome=Outcome(m["outcome"]) if m["outcome"] else None,
        stop_reason=m["stop_reason"],
        ttl_seconds=m["ttl_seconds"],
        server_id=m["server_id"],
        created_at=m["created_at"],
        up_at=m["up_at"],
        stopping_at=m["stopping_at"],
        ended_at=m["ended_at"],
        updated_at=m["updated_at"],
        stop_requested_by=m["stop_requested_by"],
    )


def _query() -> Any:
    return select(dynos, releases.c.version.label("release_version")).outerjoin(
        releases, releases.c.id == dynos.c.release_id
    )


def _bounds(column: Any, page: Page) -> list[Any]:
    """SQL conditions for ``page``'s bounds (``Page.bounds``)."""
    conditions = []
    low, low_open, high, high_open = page.bounds()
    if low is not None:
        conditions.append(column > low if low_open else column >= low)
    if high is not None:
        conditions.append(column < high if high_open else column <= high)
    return conditions


EventListener = Callable[[Dyno, DynoEvent], None]


class DynoStore:
    def __init__(
        self, engine: Engine, clock: Clock, listeners: Sequence[EventListener] = ()
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.listeners: list[EventListener] = list(listeners)
        """Called after each committed event, in the committing thread; must be quick."""

    def _notify(self, dyno: Dyno, events: list[DynoEvent]) -> None:
        for event in events:
            for listener in self.listeners:
                listener(dyno, event)

    def create(
        self,
        *,
        app_id: str,
        release_id: str | None,
        release_version: int | None,
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
            dyno = Dyno(
                id=dyno_id,
                app_id=app_id,
                release_id=release_id,
                release_version=release_version,
                name=name,
                type=type,
                command=command,
                size=size,
                attach=attach,
                one_off=one_off,
                state=State.STARTING,
                exit_status=None,
                outcome=None,
                stop_reason=None,
                ttl_seconds=ttl_seconds,
                server_id=server_id,
                created_at=now,
                up_at=None,
                stopping_at=None,
                ended_at=None,
                updated_at=now,
            )
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
            event = self._event(conn, DynoEvent(dyno_id, app_id, Event.STARTING, now))
        self._notify(dyno, [event])
        return dyno

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
    def _event(conn: Connection, event: DynoEvent) -> DynoEvent:
        conn.execute(
            dyno_events.insert().values(
                dyno_id=event.dyno_id,
                app_id=event.app_id,
                event=event.event.value,
                at=event.at,
                exit_status=event.exit_status,
                detail=event.detail,
            )
        )
        return event

    def _set_state(
        self, conn: Connection, dyno: Dyno, new: State, values: dict[str, Any], now: int
    ) -> DynoEvent | None:
        allowed = [old.value for old, targets in TRANSITIONS.items() if new in targets]
        result = conn.execute(
            update(dynos)
            .where(dynos.c.id == dyno.id, dynos.c.state.in_(allowed))
            .values(state=new.value, updated_at=now, **values)
        )
        if result.rowcount != 1:
            return None
        return self._event(conn, DynoEvent(dyno.id, dyno.app_id, Event(new.value), now))

    def transition(self, dyno: Dyno, new: State, fields: Mapping[str, Any] | None = None) -> bool:
        """Move ``dyno`` to ``new`` if its stored state allows it; False if it did not."""
        now = self._clock.now_us()
        values = dict(fields or {})
        if new is State.UP:
            values.setdefault("up_at", now)
        with self._engine.begin() as conn:
            event = self._set_state(conn, dyno, new, values, now)
        if event is None:
            return False
        self._notify(dyno, [event])
        return True

    def mark_stopping(self, dyno: Dyno, reason: str, by: str | None = None) -> bool:
        """Record that a forced stop began (first reason wins; ``by``: who asked, when a
        user did); False if one already had."""
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            result = conn.execute(
                update(dynos)
                .where(
                    dynos.c.id == dyno.id,
                    dynos.c.stopping_at.is_(None),
                    dynos.c.ended_at.is_(None),
                )
                .values(stopping_at=now, stop_reason=reason, stop_requested_by=by, updated_at=now)
            )
            if result.rowcount != 1:
                return False
            event = self._event(
                conn, DynoEvent(dyno.id, dyno.app_id, Event.STOPPING, now, detail=reason)
            )
        self._notify(dyno, [event])
        return True

    def request_stop(self, dyno: Dyno, reason: str, by: str | None = None) -> str | None:
        """Record a request to stop ``dyno`` (durable: whichever server runs it carries it
        out); the first reason wins. Returns the reason in force, None if the dyno ended."""
        self.mark_stopping(dyno, reason, by)
        with self._engine.connect() as conn:
            row = conn.execute(
                select(dynos.c.stop_reason, dynos.c.ended_at).where(dynos.c.id == dyno.id)
            ).first()
        if row is None or row.ended_at is not None:
            return None
        return str(row.stop_reason or reason)

    def stop_requests(self, server_id: str) -> dict[str, str]:
        """Stops recorded for the running dynos of ``server_id``: reason by dyno id."""
        query = select(dynos.c.id, dynos.c.stop_reason).where(
            dynos.c.server_id == server_id,
            dynos.c.ended_at.is_(None),
            dynos.c.stopping_at.is_not(None),
        )
        with self._engine.connect() as conn:
            return {row.id: row.stop_reason or "stopped" for row in conn.execute(query)}

    def record_end(
        self,
        dyno: Dyno,
        *,
        exit_status: int | None,
        outcome: Outcome,
        state: State = State.COMPLETE,
        stop_reason: str | None = None,
    ) -> None:
        """Record that the dyno's processes are gone, in one transaction: its final state (if
        not reached yet), exit status, outcome and end time, and the ``exited`` event."""
        now = self._clock.now_us()
        values: dict[str, Any] = {"exit_status": exit_status, "outcome": outcome.value}
        if stop_reason is not None:
            values["stop_reason"] = stop_reason
        events: list[DynoEvent] = []
        with self._engine.begin() as conn:
            changed = self._set_state(conn, dyno, state, values, now)
            if changed is not None:
                events.append(changed)
            conn.execute(
                update(dynos)
                .where(dynos.c.id == dyno.id)
                .values(ended_at=now, updated_at=now, **values)
            )
            events.append(
                self._event(
                    conn,
                    DynoEvent(dyno.id, dyno.app_id, Event.EXITED, now, exit_status, outcome.value),
                )
            )
        self._notify(dyno, events)

    def get(self, dyno_id: str) -> Dyno:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(dynos.c.id == dyno_id)).first()
        if row is None:
            raise NotFound(f"Couldn't find that dyno: {dyno_id}")
        return _dyno(row)

    def get_many(self, dyno_ids: Iterable[str]) -> dict[str, Dyno]:
        """The dynos among ``dyno_ids`` that exist, by id, in one query."""
        ids = sorted(set(dyno_ids))
        if not ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(_query().where(dynos.c.id.in_(ids)))
            return {row.id: _dyno(row) for row in rows}

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

    def running_page(self, app_id: str, page: Page) -> list[Dyno]:
        """The app's running dynos within ``page``'s bounds, in its order: up to one more
        than its limit (that one says another page follows)."""
        column = dynos.c[page.attr]
        query = _query().where(dynos.c.ended_at.is_(None), dynos.c.app_id == app_id)
        query = query.where(*_bounds(column, page))
        query = query.order_by(column.desc() if page.descending else column.asc())
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query.limit(page.limit + 1))]

    def running_on(self, server_ids: Iterable[str]) -> list[Dyno]:
        query = _query().where(
            and_(dynos.c.ended_at.is_(None), dynos.c.server_id.in_(list(server_ids)))
        )
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query)]

    def history(
        self,
        app_id: str,
        limit: int = 100,
        *,
        release_id: str | None = None,
        type: str | None = None,
    ) -> list[Dyno]:
        """The app's dynos, newest first; only those of ``release_id`` and ``type`` if given."""
        query = _query().where(dynos.c.app_id == app_id)
        if release_id is not None:
            query = query.where(dynos.c.release_id == release_id)
        if type is not None:
            query = query.where(dynos.c.type == type)
        query = query.order_by(dynos.c.created_at.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [_dyno(row) for row in conn.execute(query)]

    def events(self, dyno_id: str) -> list[DynoEvent]:
        query = (
            select(dyno_events).where(dyno_events.c.dyno_id == dyno_id).order_by(dyno_events.c.id)
        )
        with self._engine.connect() as conn:
            return [
                DynoEvent(r.dyno_id, r.app_id, Event(r.event), r.at, r.exit_status, r.detail)
                for r in conn.execute(query)
            ]
