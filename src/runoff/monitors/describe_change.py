"""Turning a flip made by a run's change into the alert detail (see runoff.monitors.describe)."""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from sqlalchemy import Connection, select

from runoff import redact
from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Dyno
from runoff.logs.model import LogLine
from runoff.monitors.describe import Describer
from runoff.monitors.evaluate import Step, duration_us
from runoff.monitors.model import FlipKind, Monitor, MonitorType
from runoff.store.schema import apps

MAX_DYNOS = 10  # runs listed in a concurrency alert


class Change(Enum):
    STARTED = "started"
    ENDED = "ended"


def _run_reason(monitor: Monitor, dyno: Dyno, now: int) -> str:
    kind = monitor.type
    if kind is MonitorType.COMMAND_FAILURE:
        return f"{dyno.name} exited with status {dyno.exit_status}"
    if kind is MonitorType.COMMAND_TIMEOUT:
        return f"{dyno.name} was forced to exit ({dyno.stop_reason or 'timed out'})"
    limit = f"(threshold {monitor.rules.threshold} s)"
    took = duration_us(dyno)
    if took is None:
        running = (now - dyno.created_at) / US_PER_SECOND
        return f"{dyno.name} has been running for {running:.1f} s {limit}"
    return f"{dyno.name} ran for {took / US_PER_SECOND:.1f} s {limit}"


def reason(monitor: Monitor, kind: FlipKind, dyno: Dyno, running: int | None, now: int) -> str:
    """One sentence saying why ``monitor`` flipped."""
    rules = monitor.rules
    if running is not None:
        what = "matching runs" if monitor.type is MonitorType.COMMAND_CONCURRENCY else "runs"
        text = f"{running} {what} at once (threshold {rules.threshold})"
    else:
        text = _run_reason(monitor, dyno, now)
    if kind is FlipKind.OPENED and rules.sensitivity > 1:
        text += f"; the condition held {rules.sensitivity} of the last {rules.span} times"
    if kind is FlipKind.RESOLVED:
        return f"Resolved: {text}; the condition no longer holds ({rules.recovery} time(s))"
    if kind is FlipKind.REMINDER:
        return f"Still alerting: {text}"
    return text


class ChangeDescriber:
    def __init__(self, public_url: str) -> None:
        self._public_url = public_url

    def describe(
        self,
        conn: Connection,
        monitor: Monitor,
        result: Step,
        dyno: Dyno,
        subjects: Sequence[Dyno],
        running: int | None,
        log_lines: Sequence[LogLine],
        now: int,
    ) -> dict[str, Any]:
        """The redacted detail of the flip ``result`` made when ``dyno`` started or ended;
        ``subjects`` are the runs it is about (the run, or the runs running at once)."""
        assert result.flip is not None
        shown = list(subjects)[:MAX_DYNOS]
        redactor = redact.for_app(conn, dyno.app_id, [d.release_id for d in shown])
        describer = Describer(redactor, self._public_url)
        app_name = conn.execute(select(apps.c.name).where(apps.c.id == dyno.app_id)).scalar_one()
        runs = [describer.run(d, log_lines if d.id == dyno.id else (), now) for d in shown]
        return describer.flip(
            app_name=app_name,
            monitor=monitor,
            kind=result.flip,
            at=now,
            runs=runs,
            running=running,
            reason=redactor(reason(monitor, result.flip, dyno, running, now)),
        )
