"""Evaluating monitors: from what happened to observations, and from observations to flips.

Pure functions: no I/O and no clock (times come in as arguments), so every rule is tested
directly. ``observe_run`` and ``observe_concurrency`` say whether one time meets a monitor's
condition (or does not count); ``step`` moves a monitor's ``Progress`` by one observation and
says which flip, if any, that makes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Dyno, Outcome
from runoff.monitors.model import (
    CONCURRENCY_TYPES,
    FlipKind,
    Monitor,
    MonitorState,
    MonitorType,
    Progress,
    Rules,
    flip_kind,
)


def is_monitored(dyno: Dyno) -> bool:
    """Monitors consider detached one-off dynos only."""
    return dyno.one_off and not dyno.attach


def duration_us(dyno: Dyno) -> int | None:
    """A run's execution time: from its creation to the end of its last process."""
    if dyno.ended_at is None:
        return None
    return dyno.ended_at - dyno.created_at


def observe_run(monitor: Monitor, dyno: Dyno) -> bool | None:
    """Whether the ended run ``dyno`` meets ``monitor``'s condition; None if the monitor does
    not count it (another type, filtered out, or a timed-out run for a failure monitor)."""
    kind = monitor.type
    if not kind.counts_runs or not monitor.filters.accepts(dyno.command, dyno.type, dyno.size):
        return None
    if kind is MonitorType.COMMAND_FAILURE:
        if dyno.outcome is Outcome.TIMED_OUT:
            return None
        return dyno.outcome is Outcome.FAILED
    if kind is MonitorType.COMMAND_TIMEOUT:
        return dyno.outcome is Outcome.TIMED_OUT
    took = duration_us(dyno)
    assert monitor.rules.threshold is not None
    return took is not None and took > monitor.rules.threshold * US_PER_SECOND


def observe_running(monitor: Monitor, dyno: Dyno, now_us: int) -> bool:
    """Whether the still running ``dyno`` is past execution-time ``monitor``'s threshold at
    ``now_us`` (and matches its filters): the time it counts, with the condition held."""
    if monitor.type is not MonitorType.COMMAND_EXECUTION_TIME or dyno.ended_at is not None:
        return False
    if not is_monitored(dyno) or not monitor.filters.accepts(dyno.command, dyno.type, dyno.size):
        return False
    assert monitor.rules.threshold is not None
    return now_us - dyno.created_at > monitor.rules.threshold * US_PER_SECOND


def counts_change(monitor: Monitor, dyno: Dyno) -> bool:
    """Whether a run of ``dyno`` starting or ending is a concurrency change for ``monitor``."""
    if monitor.type is MonitorType.TOTAL_CONCURRENCY:
        return True
    return monitor.type is MonitorType.COMMAND_CONCURRENCY and monitor.filters.accepts(
        dyno.command, dyno.type, dyno.size
    )


def observe_concurrency(monitor: Monitor, running: int) -> bool:
    """Whether ``running`` runs at once meet a concurrency monitor's threshold (≥)."""
    assert monitor.type in CONCURRENCY_TYPES
    assert monitor.rules.threshold is not None
    return running >= monitor.rules.threshold


@dataclass(frozen=True)
class Step:
    """The outcome of one observation: the new progress and the flip it makes, if any."""

    progress: Progress
    flip: FlipKind | None


def step(rules: Rules, progress: Progress, holds: bool, now_us: int) -> Step:
    """Apply one observation (``holds``: it met the condition) at ``now_us``.

    OK: the observation joins the history (the newest ``rules.span`` are kept); when at least
    ``sensitivity`` of them hold, the monitor opens an alert and the history starts afresh.
    ALERTING: observations that do not hold count up to ``recovery`` and resolve the alert;
    one that holds resets that count and, if reminders are on and the last notification is at
    least ``reminder_seconds`` old, makes a reminder. DISABLED monitors do not change.
    """
    if progress.state is MonitorState.DISABLED:
        return Step(progress, None)
    if progress.state is MonitorState.OK:
        history = (progress.history + ("1" if holds else "0"))[-rules.span :]
        if history.count("1") >= rules.sensitivity:
            opened = Progress(MonitorState.ALERTING, "", 0, now_us)
            return Step(opened, flip_kind(progress.state, MonitorState.ALERTING))
        return Step(replace(progress, history=history), None)
    if not holds:
        streak = progress.ok_streak + 1
        if streak >= rules.recovery:
            return Step(Progress(), flip_kind(progress.state, MonitorState.OK))
        return Step(replace(progress, ok_streak=streak), None)
    if rules.reminder_seconds is not None and progress.notified_at is not None:
        due = progress.notified_at + rules.reminder_seconds * US_PER_SECOND
        if now_us >= due:
            return Step(replace(progress, ok_streak=0, notified_at=now_us), FlipKind.REMINDER)
    return Step(replace(progress, ok_streak=0), None)


def set_enabled(progress: Progress, enabled: bool) -> Step:
    """Enable or disable: disabling resolves an open alert; enabling starts afresh."""
    if enabled == (progress.state is not MonitorState.DISABLED):
        return Step(progress, None)
    new = MonitorState.OK if enabled else MonitorState.DISABLED
    return Step(Progress(state=new), flip_kind(progress.state, new))
