"""Writing the recorded runs: series, runs, their events, and what endings add to rollups."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from runoff.metrics.model import Run, RunState
from runoff.store.rows import insert_new
from runoff.store.schema import metrics_events, metrics_runs, metrics_series


def series_key(command: str, type: str, size: str) -> str:
    return hashlib.sha256("\0".join((command, type, size)).encode()).hexdigest()


def series_id(conn: Connection, addon_id: str, command: str, type: str, size: str) -> int:
    """The id of the add-on's series for (command, type, size), created if new."""
    key = series_key(command, type, size)
    row = {"addon_id": addon_id, "key_sha256": key, "command": command, "type": type, "size": size}
    insert_new(conn, metrics_series, [row])
    found = conn.execute(
        select(metrics_series.c.id).where(
            metrics_series.c.addon_id == addon_id, metrics_series.c.key_sha256 == key
        )
    ).scalar_one()
    return int(found)


@dataclass
class Recorded:
    """What the recorder needs of a recorded run: its series, start and end (if ended)."""

    series_id: int
    created_at: int
    ended_at: int | None


def recorded(conn: Connection, dyno_ids: Iterable[str]) -> dict[str, Recorded]:
    """The recorded runs among ``dyno_ids``."""
    ids = sorted(set(dyno_ids))
    if not ids:
        return {}
    query = select(
        metrics_runs.c.dyno_id,
        metrics_runs.c.series_id,
        metrics_runs.c.created_at,
        metrics_runs.c.ended_at,
    ).where(metrics_runs.c.dyno_id.in_(ids))
    return {
        row.dyno_id: Recorded(row.series_id, row.created_at, row.ended_at)
        for row in conn.execute(query)
    }


def start_runs(conn: Connection, runs: Iterable[tuple[Run, int]]) -> None:
    """Record runs (each with its series id) as running; the caller read that none of them
    is recorded (``recorded``) in the same transaction."""
    rows = [
        {
            "dyno_id": run.dyno_id,
            "addon_id": run.addon_id,
            "series_id": series,
            "name": run.name,
            "state": RunState.RUNNING.value,
            "exit_status": None,
            "created_at": run.created_at,
            "up_at": run.up_at,
            "ended_at": None,
        }
        for run, series in runs
    ]
    if rows:
        conn.execute(metrics_runs.insert(), rows)


_MARK_UP = (
    update(metrics_runs)
    .where(metrics_runs.c.dyno_id == bindparam("b_dyno_id"), metrics_runs.c.up_at.is_(None))
    .values(up_at=bindparam("b_at"))
)


def mark_up(conn: Connection, ups: Mapping[str, int]) -> None:
    """Set when runs came up (dyno id -> time), where it is not set yet."""
    if ups:
        conn.execute(_MARK_UP, [{"b_dyno_id": d, "b_at": at} for d, at in ups.items()])


_END = (
    update(metrics_runs)
    .where(metrics_runs.c.dyno_id == bindparam("b_dyno_id"), metrics_runs.c.ended_at.is_(None))
    .values(
        ended_at=bindparam("b_at"),
        state=bindparam("b_state"),
        exit_status=bindparam("b_exit_status"),
    )
)


def end_runs(conn: Connection, ends: Iterable[tuple[str, int, RunState, int | None]]) -> None:
    """Record the ends of runs the caller read as running: (dyno id, time, state, exit
    status as shown, null for a timed-out run)."""
    rows = [
        {"b_dyno_id": d, "b_at": at, "b_state": state.value, "b_exit_status": status}
        for d, at, state, status in ends
    ]
    if rows:
        conn.execute(_END, rows)


def copy_events(
    conn: Connection, rows: Iterable[Mapping[str, Any]], final: Mapping[str, str]
) -> None:
    """Insert copies of dyno events (once each), then set the copied run state of the runs
    that ended (``final``: dyno id -> state)."""
    insert_new(conn, metrics_events, [dict(row) for row in rows])
    if final:
        conn.execute(
            _EVENTS_STATE, [{"b_dyno_id": d, "b_state": state} for d, state in final.items()]
        )


_EVENTS_STATE = (
    update(metrics_events)
    .where(metrics_events.c.dyno_id == bindparam("b_dyno_id"))
    .values(state=bindparam("b_state"))
)
