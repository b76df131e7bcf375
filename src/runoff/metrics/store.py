"""Writing the recorded runs: series, runs, their events, and what endings add to rollups."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects import postgresql, sqlite

from runoff.metrics import rollups
from runoff.metrics.model import Run, RunState, state_for
from runoff.store.schema import metrics_events, metrics_runs, metrics_series


def insert_ignoring_duplicates(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT rows, skipping any whose key exists; for one row, returns 1 if it was inserted
    and 0 if not."""
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing()
    if len(rows) == 1:  # rowcount is unreliable here (psycopg says -1); RETURNING is not
        keys = statement.returning(*table.primary_key.columns)
        return 0 if conn.execute(keys, rows[0]).first() is None else 1
    conn.execute(statement, rows)
    return len(rows)  # at most; only single-row callers use the count


def series_key(command: str, type: str, size: str) -> str:
    return hashlib.sha256("\0".join((command, type, size)).encode()).hexdigest()


def series_id(conn: Connection, addon_id: str, command: str, type: str, size: str) -> int:
    """The id of the add-on's series for (command, type, size), created if new."""
    key = series_key(command, type, size)
    row = {"addon_id": addon_id, "key_sha256": key, "command": command, "type": type, "size": size}
    insert_ignoring_duplicates(conn, metrics_series, [row])
    found = conn.execute(
        select(metrics_series.c.id).where(
            metrics_series.c.addon_id == addon_id, metrics_series.c.key_sha256 == key
        )
    ).scalar_one()
    return int(found)


def start_run(conn: Connection, run: Run, series: int) -> bool:
    """Record a run of ``series`` as running; False if it was recorded already."""
    row = {
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
    return insert_ignoring_duplicates(conn, metrics_runs, [row]) == 1


def mark_up(conn: Connection, dyno_id: str, at: int) -> None:
    conn.execute(
        update(metrics_runs)
        .where(metrics_runs.c.dyno_id == dyno_id, metrics_runs.c.up_at.is_(None))
        .values(up_at=at)
    )


def end_run(
    conn: Connection, dyno_id: str, at: int, outcome: str | None, exit_status: int | None
) -> rollups.EndedRun | None:
    """Record a run's end once: returns what it adds to rollups, or None if it had ended
    already (so replayed events never count twice) or was never recorded."""
    state = state_for(outcome, exit_status)
    shown_status = None if state is RunState.TIMED_OUT else exit_status
    result = conn.execute(
        update(metrics_runs)
        .where(metrics_runs.c.dyno_id == dyno_id, metrics_runs.c.ended_at.is_(None))
        .values(ended_at=at, state=state.value, exit_status=shown_status)
    )
    if result.rowcount != 1:
        return None
    row = conn.execute(
        select(metrics_runs.c.series_id, metrics_runs.c.created_at).where(
            metrics_runs.c.dyno_id == dyno_id
        )
    ).one()
    return rollups.EndedRun(row.series_id, state.value, row.created_at, max(at, row.created_at))


def copy_events(
    conn: Connection, rows: Iterable[Mapping[str, Any]], final: Mapping[str, str]
) -> None:
    """Insert copies of dyno events (once each), then set the copied run state of the runs
    that ended (``final``: dyno id -> state)."""
    insert_ignoring_duplicates(conn, metrics_events, [dict(row) for row in rows])
    for dyno_id, state in final.items():
        conn.execute(
            update(metrics_events).where(metrics_events.c.dyno_id == dyno_id).values(state=state)
        )
