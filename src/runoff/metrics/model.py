"""What One-off Dyno Metrics records: an add-on, runs and their states, and run changes.

A run is one detached one-off dyno of an app whose add-on was provisioned when the dyno was
created. Its ``state`` is ``running`` until it ends, then what its dyno's outcome says:
``succeeded`` (exit 0), ``failed`` (exit > 0, or the process never started) or ``timed out``
(something forced the exit: TTL, stop, cycling, shutdown, a lost server). Its
``exit_status`` is null when it timed out, as the seed document defines the null class.
It runs from ``created_at`` to ``ended_at``; its execution time is that span.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Outcome


class RunState(Enum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed out"


ENDED_STATES = (RunState.SUCCEEDED, RunState.FAILED, RunState.TIMED_OUT)

_BY_OUTCOME = {
    Outcome.SUCCEEDED: RunState.SUCCEEDED,
    Outcome.FAILED: RunState.FAILED,
    Outcome.TIMED_OUT: RunState.TIMED_OUT,
}


def state_for(outcome: str | None, exit_status: int | None) -> RunState:
    """The ended state from the dyno's recorded outcome (or, without one, its exit status)."""
    if outcome:
        return _BY_OUTCOME[Outcome(outcome)]
    if exit_status is None:
        return RunState.TIMED_OUT
    return RunState.SUCCEEDED if exit_status == 0 else RunState.FAILED


@dataclass(frozen=True)
class Addon:
    id: str
    app_id: str
    app_name: str
    service: str
    name: str
    plan: str
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Run:
    dyno_id: str
    addon_id: str
    app_id: str
    name: str
    command: str
    type: str
    size: str
    state: RunState
    exit_status: int | None
    created_at: int
    up_at: int | None
    ended_at: int | None

    @property
    def duration_us(self) -> int | None:
        return None if self.ended_at is None else self.ended_at - self.created_at

    @property
    def duration_seconds(self) -> float | None:
        duration = self.duration_us
        return None if duration is None else duration / US_PER_SECOND

    def attributes(self) -> dict[str, str]:
        """The texts the filter language tests (runoff.query)."""
        return {
            "command": self.command,
            "state": self.state.value,
            "type": self.type,
            "name": self.name,
            "size": self.size,
        }


class Change(Enum):
    STARTED = "started"
    ENDED = "ended"


@dataclass(frozen=True)
class RunChange:
    """Published after a recording commits: a run started or ended (so the number of runs
    running changed). ``run`` is the run as recorded then."""

    change: Change
    run: Run
