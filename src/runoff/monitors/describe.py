"""What an alert says: the JSON ``detail`` stored with each flip, already redacted.

The detail is built once, when the flip is made, and everything that shows the alert (the
e-mail, the webhooks, the API) renders from it, so config var values are removed in one place
and a retried delivery sends the same content. Its shape is documented in
docs/monitors-and-alerts.md ("The alert body").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runoff.clock import US_PER_SECOND, iso
from runoff.dynos.model import Dyno
from runoff.logs.model import LogLine, StreamFilter
from runoff.logs.store import LogStore
from runoff.monitors.guidance import RunFacts, advise
from runoff.monitors.model import FlipKind, Monitor
from runoff.redact import Redactor

LOG_LINES = 20


def dashboard_url(public_url: str, app_name: str) -> str:
    return f"{public_url.rstrip('/')}/apps/{app_name}/one-off-metrics"


def monitor_summary(monitor: Monitor) -> dict[str, Any]:
    rules = monitor.rules
    return {
        "id": monitor.id,
        "name": monitor.name,
        "type": rules.type.value,
        "type_name": rules.type.human,
        "threshold": rules.threshold,
        "threshold_unit": rules.type.threshold_unit,
        "sensitivity": rules.sensitivity,
        "window": rules.window,
        "recovery": rules.recovery,
        "filters": monitor.filters.as_dict(),
    }


def _state(dyno: Dyno) -> str:
    """``running``, or the run's outcome as the metrics show it (``timed out``)."""
    if dyno.ended_at is None:
        return "running"
    return "ended" if dyno.outcome is None else dyno.outcome.value.replace("_", " ")


def log_excerpt(logs: LogStore, dyno: Dyno, limit: int = LOG_LINES) -> list[LogLine]:
    """The last ``limit`` log lines of the run (not of an earlier dyno of the same name).

    Call it outside any write transaction: on SQLite every connection takes the write lock.
    """
    lines = logs.tail(dyno.app_id, StreamFilter(dynos=(dyno.name,)), limit)
    return [line for line in lines if line.at >= dyno.created_at]


@dataclass(frozen=True)
class Describer:
    """Builds flip details for one app; ``redact`` holds its config var values."""

    redact: Redactor
    public_url: str

    def run(
        self, dyno: Dyno, log_lines: Sequence[LogLine] = (), now: int | None = None
    ) -> dict[str, Any]:
        """A run as alerts show it, with ``log_lines`` (see ``log_excerpt``) redacted and the
        guidance for a run that failed or timed out (or, given ``now``, that is still running;
        its ``running_seconds`` then says for how long)."""
        messages = self.redact.lines(
            [line.message.decode("utf-8", "replace") for line in log_lines]
        )
        logs = [
            line._replace(message=text.encode()).render()
            for line, text in zip(log_lines, messages, strict=True)
        ]
        ended = dyno.ended_at
        running_for = None
        if ended is None and now is not None:
            running_for = round((now - dyno.created_at) / US_PER_SECOND, 3)
        facts = RunFacts(
            name=dyno.name,
            type=dyno.type,
            size=dyno.size,
            outcome=dyno.outcome,
            exit_status=dyno.exit_status,
            stop_reason=dyno.stop_reason,
            ttl_seconds=dyno.ttl_seconds,
            log_lines=logs,
            running_seconds=running_for,
        )
        return {
            "id": dyno.id,
            "name": dyno.name,
            "type": dyno.type,
            "size": dyno.size,
            "command": self.redact.excerpt(dyno.command),
            "state": _state(dyno),
            "exit_status": dyno.exit_status,
            "stop_reason": dyno.stop_reason,
            "ttl_seconds": dyno.ttl_seconds,
            "created_at": iso(dyno.created_at),
            "ended_at": iso(ended),
            "duration_seconds": None
            if ended is None
            else round((ended - dyno.created_at) / US_PER_SECOND, 3),
            **({} if running_for is None else {"running_seconds": running_for}),
            "logs": logs,
            "guidance": [advice.as_dict() for advice in advise(facts)],
        }

    def flip(self, **fields: Any) -> dict[str, Any]:
        return flip_detail(public_url=self.public_url, **fields)


def flip_detail(
    *,
    public_url: str,
    app_name: str,
    monitor: Monitor,
    kind: FlipKind,
    at: int,
    runs: Sequence[dict[str, Any]],
    running: int | None,
    reason: str,
) -> dict[str, Any]:
    """The detail of a flip of ``monitor``: ``runs`` as ``Describer.run`` made them,
    ``running`` the concurrency observed (concurrency monitors), ``reason`` one sentence,
    already redacted."""
    guidance: list[dict[str, str]] = []
    for run in runs:
        guidance += [g for g in run["guidance"] if g not in guidance]
    return {
        "app": app_name,
        "kind": kind.value,
        "at": iso(at),
        "reason": reason,
        "monitor": monitor_summary(monitor),
        "running": running,
        "dynos": list(runs),
        "guidance": guidance,
        "dashboard_url": dashboard_url(public_url, app_name),
    }
