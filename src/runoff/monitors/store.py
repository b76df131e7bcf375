"""Persistence of monitors, their state changes (flips) and the alerts those open and close.

Every write to a monitor row is conditional on its ``version`` and bumps it, so two servers
evaluating the same monitor cannot both apply a change made from the same old state
(``StaleMonitor``; the caller's transaction rolls back and is retried). A state change, a
reminder, and enabling or disabling write one ``alert_flips`` row in the same transaction;
opening writes an ``alerts`` row too, resolving closes it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select, update

from runoff.errors import NotFound
from runoff.monitors.evaluate import Step
from runoff.monitors.model import (
    Filters,
    FlipKind,
    Monitor,
    MonitorState,
    MonitorType,
    Progress,
    Rules,
)
from runoff.monitors.spec import MonitorSpec
from runoff.query import Match
from runoff.store.rows import new_id
from runoff.store.schema import alert_flips, alerts, monitors


class StaleMonitor(Exception):
    """The monitor changed since it was read; retry the whole transaction."""


def _match(text: str | None) -> Match | None:
    return None if text is None else Match.parse(text)


def from_row(row: Any) -> Monitor:
    return Monitor(
        id=row.id,
        app_id=row.app_id,
        name=row.name,
        rules=Rules(
            type=MonitorType(row.type),
            threshold=row.threshold,
            sensitivity=row.sensitivity,
            window=row.window_size,
            recovery=row.recovery,
            reminder_seconds=row.reminder_seconds,
        ),
        filters=Filters(
            command=_match(row.filter_command),
            type=_match(row.filter_type),
            size=_match(row.filter_size),
        ),
        progress=Progress(
            state=MonitorState(row.state),
            history=row.history,
            ok_streak=row.ok_streak,
            notified_at=row.notified_at,
        ),
        alert_id=row.alert_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        counting_since=row.counting_since,
    )


def spec_values(spec: MonitorSpec) -> dict[str, Any]:
    filters = spec.filters.as_dict()
    return {
        "name": spec.name,
        "type": spec.rules.type.value,
        "threshold": spec.rules.threshold,
        "sensitivity": spec.rules.sensitivity,
        "window_size": spec.rules.window,
        "recovery": spec.rules.recovery,
        "reminder_seconds": spec.rules.reminder_seconds,
        "filter_command": filters["command"],
        "filter_type": filters["type"],
        "filter_size": filters["size"],
    }


def spec_of(monitor: Monitor) -> MonitorSpec:
    return MonitorSpec(monitor.name, monitor.rules, monitor.filters, monitor.enabled)


def count(conn: Connection, addon_id: str) -> int:
    query = select(func.count()).select_from(monitors).where(monitors.c.addon_id == addon_id)
    return int(conn.execute(query).scalar_one())


def insert(conn: Connection, addon_id: str, app_id: str, spec: MonitorSpec, now: int) -> str:
    monitor_id = new_id()
    state = MonitorState.OK if spec.enabled else MonitorState.DISABLED
    conn.execute(
        monitors.insert().values(
            id=monitor_id,
            addon_id=addon_id,
            app_id=app_id,
            state=state.value,
            history="",
            ok_streak=0,
            version=1,
            created_at=now,
            updated_at=now,
            counting_since=now,
            **spec_values(spec),
        )
    )
    return monitor_id


def load(conn: Connection, addon_id: str, ref: str, *, lock: bool = False) -> Monitor:
    """The add-on's monitor with id or name ``ref``; NotFound otherwise."""
    query = select(monitors).where(
        monitors.c.addon_id == addon_id, (monitors.c.id == ref) | (monitors.c.name == ref)
    )
    rows = list(conn.execute(query.with_for_update() if lock else query))
    if len(rows) != 1:
        which = "several monitors are" if rows else "no monitor is"
        raise NotFound(f"Couldn't find that monitor: {which} called {ref!r}")
    return from_row(rows[0])


def _enabled_query(addon_id: str) -> Any:
    return (
        select(monitors)
        .where(monitors.c.addon_id == addon_id, monitors.c.state != MonitorState.DISABLED.value)
        .order_by(monitors.c.created_at, monitors.c.id)
    )


def enabled(conn: Connection, addon_id: str) -> list[Monitor]:
    """The add-on's enabled monitors, as read (no lock)."""
    return [from_row(row) for row in conn.execute(_enabled_query(addon_id))]


def active(conn: Connection, addon_id: str) -> list[Monitor]:
    """The add-on's enabled monitors, locked for update (PostgreSQL) in a stable order."""
    return [from_row(row) for row in conn.execute(_enabled_query(addon_id).with_for_update())]


def listed(conn: Connection, addon_id: str) -> list[Monitor]:
    query = (
        select(monitors)
        .where(monitors.c.addon_id == addon_id)
        .order_by(monitors.c.created_at, monitors.c.id)
    )
    return [from_row(row) for row in conn.execute(query)]


def write(conn: Connection, monitor: Monitor, values: Mapping[str, Any], now: int) -> None:
    """Update ``monitor`` if it is still at the version read; StaleMonitor otherwise."""
    result = conn.execute(
        update(monitors)
        .where(monitors.c.id == monitor.id, monitors.c.version == monitor.version)
        .values(version=monitor.version + 1, updated_at=now, **values)
    )
    if result.rowcount != 1:
        raise StaleMonitor(monitor.id)


def progress_values(progress: Progress) -> dict[str, Any]:
    return {
        "state": progress.state.value,
        "history": progress.history,
        "ok_streak": progress.ok_streak,
        "notified_at": progress.notified_at,
    }


def _next_number(conn: Connection, addon_id: str) -> int:
    query = select(func.max(alerts.c.number)).where(alerts.c.addon_id == addon_id)
    return int(conn.execute(query).scalar() or 0) + 1


def _open_alert(
    conn: Connection,
    monitor: Monitor,
    addon_id: str,
    now: int,
    detail: Mapping[str, Any] | None,
) -> str:
    alert_id = new_id()
    conn.execute(
        alerts.insert().values(
            id=alert_id,
            addon_id=addon_id,
            monitor_id=monitor.id,
            number=_next_number(conn, addon_id),
            status="open",
            opened_at=now,
            detail=json.dumps(detail or {}),
        )
    )
    return alert_id


def apply_step(
    conn: Connection,
    monitor: Monitor,
    addon_id: str,
    step: Step,
    now: int,
    detail: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> int | None:
    """Store ``step``'s progress for ``monitor`` and, if it makes a flip, the flip row (with
    ``detail``, already redacted) and the alert it opens or resolves. Returns the flip's id."""
    values: dict[str, Any] = {**progress_values(step.progress), **(extra or {})}
    alert_id = monitor.alert_id
    if step.flip is FlipKind.OPENED:
        alert_id = _open_alert(conn, monitor, addon_id, now, detail)
        values["alert_id"] = alert_id
    elif step.flip is FlipKind.RESOLVED and alert_id is not None:
        conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.status == "open")
            .values(status="resolved", resolved_at=now)
        )
        values["alert_id"] = None
    write(conn, monitor, values, now)
    if step.flip is None:
        return None
    flip_id = conn.execute(
        alert_flips.insert()
        .values(
            addon_id=addon_id,
            monitor_id=monitor.id,
            alert_id=alert_id,
            kind=step.flip.value,
            old_state=monitor.progress.state.value,
            new_state=step.progress.state.value,
            at=now,
            detail=json.dumps({**(detail or {}), "alert_id": alert_id}),
            processed_at=None if step.flip.notified else now,
        )
        .returning(alert_flips.c.id)
    ).scalar_one()
    return int(flip_id)
