"""Monitors: their five types, their states and the transitions allowed between them.

A monitor watches the detached one-off runs of one app that pass its filters (command, type
and size, each an exact ``"value"`` or partial ``value`` case-insensitive match). Each type
turns what happens into *observations* (one "time" each), and every observation either
meets the type's condition or not:

=========================  ===================================  ===============================
type                       one time is                          the condition holds when
=========================  ===================================  ===============================
``command-failure``        a matching run exiting on its own    its exit status is > 0
``command-timeout``        a matching run ending                it was forced to exit
``command-execution-time`` a matching run ending                it ran longer than threshold s
``command-concurrency``    a matching run starting or ending    matching runs now ≥ threshold
``total-concurrency``      any run starting or ending           all runs now ≥ threshold
=========================  ===================================  ===============================

A run that timed out is not counted by ``command-failure`` (it did not exit on its own; the
timeout monitor counts it). An alert opens when ``sensitivity`` of the last ``window``
observations met the condition (``window`` defaults to ``sensitivity``: that many consecutive
times, so one that does not meet it resets the count), and closes after ``recovery``
consecutive observations that do not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from runoff.query import Match


class MonitorType(Enum):
    COMMAND_FAILURE = "command-failure"
    COMMAND_TIMEOUT = "command-timeout"
    COMMAND_EXECUTION_TIME = "command-execution-time"
    COMMAND_CONCURRENCY = "command-concurrency"
    TOTAL_CONCURRENCY = "total-concurrency"

    @property
    def human(self) -> str:
        return _HUMAN[self]

    @property
    def counts_runs(self) -> bool:
        """Observations are runs ending (else: concurrency changes)."""
        return self in RUN_TYPES

    @property
    def threshold_unit(self) -> str | None:
        """What ``threshold`` counts for this type, or None if the type has none."""
        if self is MonitorType.COMMAND_EXECUTION_TIME:
            return "seconds"
        if self in CONCURRENCY_TYPES:
            return "runs"
        return None


_HUMAN = {
    MonitorType.COMMAND_FAILURE: "One-off Dyno Command Failure",
    MonitorType.COMMAND_TIMEOUT: "One-off Dyno Command Timeout",
    MonitorType.COMMAND_EXECUTION_TIME: "One-off Dyno Command Execution Time",
    MonitorType.COMMAND_CONCURRENCY: "One-off Dyno Command Concurrency",
    MonitorType.TOTAL_CONCURRENCY: "One-off Dyno Total Concurrency",
}
RUN_TYPES = frozenset(
    {
        MonitorType.COMMAND_FAILURE,
        MonitorType.COMMAND_TIMEOUT,
        MonitorType.COMMAND_EXECUTION_TIME,
    }
)
CONCURRENCY_TYPES = frozenset({MonitorType.COMMAND_CONCURRENCY, MonitorType.TOTAL_CONCURRENCY})


class MonitorState(Enum):
    OK = "ok"
    ALERTING = "alerting"
    DISABLED = "disabled"


TRANSITIONS: dict[MonitorState, frozenset[MonitorState]] = {
    MonitorState.OK: frozenset({MonitorState.ALERTING, MonitorState.DISABLED}),
    MonitorState.ALERTING: frozenset({MonitorState.OK, MonitorState.DISABLED}),
    MonitorState.DISABLED: frozenset({MonitorState.OK}),
}


class FlipKind(Enum):
    """What a stored state change (or reminder) means for the people watching the monitor.

    ``opened``, ``resolved`` and ``reminder`` are notified; ``disabled`` and ``enabled`` are
    only recorded. Disabling an alerting monitor resolves its alert (kind ``resolved``).
    """

    OPENED = "opened"
    RESOLVED = "resolved"
    REMINDER = "reminder"
    DISABLED = "disabled"
    ENABLED = "enabled"

    @property
    def notified(self) -> bool:
        return self in (FlipKind.OPENED, FlipKind.RESOLVED, FlipKind.REMINDER)


def flip_kind(old: MonitorState, new: MonitorState) -> FlipKind:
    """The kind of a change from ``old`` to ``new``; ValueError if it is not allowed."""
    if new not in TRANSITIONS[old]:
        raise ValueError(f"a monitor cannot go from {old.value} to {new.value}")
    if new is MonitorState.ALERTING:
        return FlipKind.OPENED
    if old is MonitorState.ALERTING:
        return FlipKind.RESOLVED
    return FlipKind.DISABLED if new is MonitorState.DISABLED else FlipKind.ENABLED


@dataclass(frozen=True)
class Filters:
    """Which runs a monitor accounts for; None fields accept every run."""

    command: Match | None = None
    type: Match | None = None
    size: Match | None = None

    def accepts(self, command: str, type: str, size: str) -> bool:
        pairs = ((self.command, command), (self.type, type), (self.size, size))
        return all(match is None or match.matches(text) for match, text in pairs)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "command": None if self.command is None else str(self.command),
            "type": None if self.type is None else str(self.type),
            "size": None if self.size is None else str(self.size),
        }

    @property
    def empty(self) -> bool:
        return self.command is None and self.type is None and self.size is None


@dataclass(frozen=True)
class Rules:
    """When a monitor opens and closes an alert (see the module docstring)."""

    type: MonitorType
    threshold: int | None
    sensitivity: int = 1
    window: int | None = None
    recovery: int = 1
    reminder_seconds: int | None = None

    @property
    def span(self) -> int:
        """How many recent observations are kept: the window, or the sensitivity."""
        return self.window or self.sensitivity


@dataclass(frozen=True)
class Progress:
    """A monitor's evaluation state: its state, its recent observations as ``0``/``1``
    (newest last, at most ``Rules.span``), the consecutive observations not meeting the
    condition while alerting, and when the open alert was last notified."""

    state: MonitorState = MonitorState.OK
    history: str = ""
    ok_streak: int = 0
    notified_at: int | None = None


@dataclass(frozen=True)
class Monitor:
    id: str
    app_id: str
    name: str
    rules: Rules
    filters: Filters
    progress: Progress
    alert_id: str | None
    version: int
    created_at: int
    updated_at: int
    # Changes before this are not the monitor's to count: it was created, last enabled, or
    # had its rules or filters changed then.
    counting_since: int

    @property
    def type(self) -> MonitorType:
        return self.rules.type

    @property
    def enabled(self) -> bool:
        return self.progress.state is not MonitorState.DISABLED
