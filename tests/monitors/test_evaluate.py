"""The evaluation rules: what each type counts, sensitivity (consecutive and M of N),
recovery, reminders, enabling and disabling, and the transitions allowed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Dyno, Outcome, State
from runoff.monitors.evaluate import (
    counts_change,
    is_monitored,
    observe_concurrency,
    observe_run,
    observe_running,
    set_enabled,
    step,
)
from runoff.monitors.model import (
    TRANSITIONS,
    Filters,
    FlipKind,
    Monitor,
    MonitorState,
    MonitorType,
    Progress,
    Rules,
    flip_kind,
)
from runoff.query import Match

T0 = 1_795_000_000 * US_PER_SECOND


def dyno(
    command: str = "python scrape.py",
    type: str = "run",
    size: str = "Standard-1X",
    *,
    exit_status: int | None = 0,
    outcome: Outcome | None = Outcome.SUCCEEDED,
    seconds: float | None = 5,
    attach: bool = False,
    one_off: bool = True,
) -> Dyno:
    ended = None if seconds is None else T0 + int(seconds * US_PER_SECOND)
    return Dyno(
        id="d1",
        app_id="a1",
        release_id=None,
        release_version=None,
        name=f"{type}.1",
        type=type,
        command=command,
        size=size,
        attach=attach,
        one_off=one_off,
        state=State.COMPLETE if ended else State.UP,
        exit_status=exit_status,
        outcome=outcome if ended else None,
        stop_reason=None,
        ttl_seconds=3600,
        server_id=None,
        created_at=T0,
        up_at=T0,
        stopping_at=None,
        ended_at=ended,
        updated_at=T0,
    )


def monitor(kind: MonitorType, threshold: int | None = None, **filters: str) -> Monitor:
    return Monitor(
        id="m1",
        app_id="a1",
        name="m",
        rules=Rules(type=kind, threshold=threshold),
        filters=Filters(**{k: Match.parse(v) for k, v in filters.items()}),
        progress=Progress(),
        alert_id=None,
        version=1,
        created_at=T0,
        updated_at=T0,
        counting_since=T0,
    )


FAILED = dyno(exit_status=1, outcome=Outcome.FAILED)
TIMED_OUT = dyno(exit_status=143, outcome=Outcome.TIMED_OUT)
SUCCEEDED = dyno()


def test_only_detached_one_offs_are_monitored() -> None:
    assert is_monitored(dyno())
    assert not is_monitored(dyno(attach=True))
    assert not is_monitored(dyno(one_off=False))


def test_command_failure_counts_runs_exiting_on_their_own() -> None:
    failure = monitor(MonitorType.COMMAND_FAILURE)
    assert observe_run(failure, FAILED) is True
    assert observe_run(failure, SUCCEEDED) is False
    assert observe_run(failure, TIMED_OUT) is None  # the timeout monitor's business


def test_command_timeout_counts_forced_exits() -> None:
    timeout = monitor(MonitorType.COMMAND_TIMEOUT)
    assert observe_run(timeout, TIMED_OUT) is True
    assert observe_run(timeout, FAILED) is False
    assert observe_run(timeout, SUCCEEDED) is False


def test_execution_time_is_longer_than_the_threshold() -> None:
    slow = monitor(MonitorType.COMMAND_EXECUTION_TIME, threshold=60)
    assert observe_run(slow, dyno(seconds=60)) is False
    assert observe_run(slow, dyno(seconds=60.5)) is True
    assert observe_run(slow, dyno(seconds=61, exit_status=1, outcome=Outcome.FAILED)) is True


def test_a_running_run_counts_once_past_the_threshold() -> None:
    slow = monitor(MonitorType.COMMAND_EXECUTION_TIME, threshold=60, command=".py")
    running = dyno(seconds=None)
    assert not observe_running(slow, running, T0 + 60 * US_PER_SECOND)
    assert observe_running(slow, running, T0 + 60 * US_PER_SECOND + 1)
    assert not observe_running(slow, dyno("rake db:migrate", seconds=None), T0 + 10**9)
    assert not observe_running(slow, dyno(seconds=None, attach=True), T0 + 10**9)
    assert not observe_running(slow, dyno(seconds=61), T0 + 10**9)  # ended: counted at its end
    failures = monitor(MonitorType.COMMAND_FAILURE)
    assert not observe_running(failures, running, T0 + 10**9)


def test_concurrency_is_at_or_above_the_threshold() -> None:
    busy = monitor(MonitorType.COMMAND_CONCURRENCY, threshold=3, command=".py")
    assert observe_concurrency(busy, 2) is False
    assert observe_concurrency(busy, 3) is True
    assert counts_change(busy, dyno("python scrape.py"))
    assert not counts_change(busy, dyno("rake db:migrate"))
    total = monitor(MonitorType.TOTAL_CONCURRENCY, threshold=3)
    assert counts_change(total, dyno("rake db:migrate"))


def test_run_monitors_ignore_filtered_out_runs() -> None:
    failure = monitor(MonitorType.COMMAND_FAILURE, type='"scheduler"')
    assert observe_run(failure, replace(FAILED, type="scheduler")) is True
    assert observe_run(failure, replace(FAILED, type="advanced-scheduler")) is None
    concurrency = monitor(MonitorType.COMMAND_CONCURRENCY, threshold=1)
    assert observe_run(concurrency, FAILED) is None  # not a run-ending type


def run(rules: Rules, observations: str, start: Progress | None = None) -> list[FlipKind | None]:
    """Feed ``observations`` ("1" holds, "0" not), one second apart; the flips made."""
    progress = start or Progress()
    flips: list[FlipKind | None] = []
    for i, char in enumerate(observations):
        result = step(rules, progress, char == "1", T0 + i * US_PER_SECOND)
        progress = result.progress
        flips.append(result.flip)
    return flips


FAILURE = Rules(type=MonitorType.COMMAND_FAILURE, threshold=None)


def test_sensitivity_1_opens_at_the_first_time() -> None:
    assert run(FAILURE, "1") == [FlipKind.OPENED]
    assert run(FAILURE, "01") == [None, FlipKind.OPENED]


def test_sensitivity_3_needs_three_consecutive_times() -> None:
    rules = replace(FAILURE, sensitivity=3)
    assert run(rules, "11") == [None, None]
    assert run(rules, "111") == [None, None, FlipKind.OPENED]
    # a time that does not hold resets the count
    assert run(rules, "110111") == [None, None, None, None, None, FlipKind.OPENED]


def test_m_of_the_last_n() -> None:
    rules = replace(FAILURE, sensitivity=2, window=4)
    assert run(rules, "1001") == [None, None, None, FlipKind.OPENED]
    assert run(rules, "10001") == [None] * 5  # the first one fell out of the window


def test_open_alert_is_not_renotified_and_recovery_closes_it() -> None:
    assert run(FAILURE, "1110") == [FlipKind.OPENED, None, None, FlipKind.RESOLVED]
    slow_recovery = replace(FAILURE, recovery=2)
    assert run(slow_recovery, "10100") == [
        FlipKind.OPENED,
        None,
        None,  # a failure resets the recovery count
        None,
        FlipKind.RESOLVED,
    ]


def test_reminders_while_open() -> None:
    rules = replace(FAILURE, reminder_seconds=2)
    # notified at t0; t1 too early; t2 is 2 s later: reminder; t3 too early; t4 reminder
    assert run(rules, "11111") == [
        FlipKind.OPENED,
        None,
        FlipKind.REMINDER,
        None,
        FlipKind.REMINDER,
    ]


def test_after_resolution_counting_starts_afresh() -> None:
    rules = replace(FAILURE, sensitivity=2)
    assert run(rules, "11011") == [None, FlipKind.OPENED, FlipKind.RESOLVED, None, FlipKind.OPENED]


def test_disabled_monitors_do_not_change() -> None:
    disabled = Progress(state=MonitorState.DISABLED)
    assert run(FAILURE, "111", disabled) == [None, None, None]


def test_enable_and_disable() -> None:
    alerting = Progress(state=MonitorState.ALERTING, notified_at=T0)
    disabled = set_enabled(alerting, False)
    assert disabled.flip is FlipKind.RESOLVED
    assert disabled.progress.state is MonitorState.DISABLED
    enabled = set_enabled(disabled.progress, True)
    assert enabled.flip is FlipKind.ENABLED
    assert enabled.progress == Progress()
    assert set_enabled(Progress(), False).flip is FlipKind.DISABLED
    assert set_enabled(Progress(), True).flip is None


def test_transitions_are_declared_once() -> None:
    for old, targets in TRANSITIONS.items():
        for new in MonitorState:
            if new in targets:
                assert isinstance(flip_kind(old, new), FlipKind)
            else:
                with pytest.raises(ValueError, match="cannot go"):
                    flip_kind(old, new)
    assert flip_kind(MonitorState.OK, MonitorState.ALERTING) is FlipKind.OPENED
    assert flip_kind(MonitorState.ALERTING, MonitorState.OK) is FlipKind.RESOLVED
    assert not FlipKind.DISABLED.notified
    assert FlipKind.REMINDER.notified
