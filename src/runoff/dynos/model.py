"""Dyno states, outcomes and the transitions allowed between states.

A dyno is ``starting`` while its workspace is prepared, ``up`` once its process has been
exec'd, and ends ``complete`` (one-offs, and formation dynos that were stopped) or ``crashed``
(formation dynos that exited on their own, or any dyno whose process could not start).
``ended_at`` is set when the last process of the dyno is gone; a dyno counts as running until
then. The *outcome* classifies how a run ended, as One-off Dyno Metrics sees it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class State(Enum):
    STARTING = "starting"
    UP = "up"
    COMPLETE = "complete"
    CRASHED = "crashed"


TRANSITIONS: dict[State, frozenset[State]] = {
    State.STARTING: frozenset({State.UP, State.CRASHED, State.COMPLETE}),
    State.UP: frozenset({State.COMPLETE, State.CRASHED}),
    State.COMPLETE: frozenset(),
    State.CRASHED: frozenset(),
}


def can_transition(old: State, new: State) -> bool:
    return new in TRANSITIONS[old]


class Outcome(Enum):
    """How a run ended: exit 0, exit > 0, or forced to exit by the platform or a user."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


class StopReason(Enum):
    """Why the platform forced a dyno to exit (recorded with a timed-out outcome)."""

    TTL = "ttl"  # time_to_live reached
    STOPPED = "stopped"  # ps:stop / the stop API
    CYCLING = "cycling"  # daily cycling
    SHUTDOWN = "shutdown"  # graceful server shutdown
    LOST = "lost"  # the server died while the dyno ran; found at the next start
    APP_DELETED = "app_deleted"
    HANGUP = "hangup"  # attached client went away
    ATTACH_TIMEOUT = "attach_timeout"  # nobody attached to a `run` dyno in time (R13)
    MEMORY = "memory"  # R15
    RESTART = "restart"  # ps:restart, or a new release: a formation dyno comes back
    SCALED_DOWN = "scaled_down"  # ps:scale lowered the quantity, or the type left the Procfile


class Event(Enum):
    """Lifecycle events recorded for every dyno (``dyno_events``), in the order they happen.

    ``starting`` when recorded, ``up`` when its process runs, ``stopping`` when a forced stop
    begins (detail: the reason), ``complete``/``crashed`` when its state changes so, and
    ``exited`` when its processes are gone (with the exit status; detail: the outcome).
    """

    STARTING = "starting"
    UP = "up"
    STOPPING = "stopping"
    COMPLETE = "complete"
    CRASHED = "crashed"
    EXITED = "exited"


@dataclass(frozen=True)
class DynoEvent:
    dyno_id: str
    app_id: str
    event: Event
    at: int
    exit_status: int | None = None
    detail: str | None = None


def outcome_for(exit_status: int | None, forced: bool) -> Outcome:
    if forced or exit_status is None:
        return Outcome.TIMED_OUT
    return Outcome.SUCCEEDED if exit_status == 0 else Outcome.FAILED


@dataclass(frozen=True)
class Dyno:
    id: str
    app_id: str
    release_id: str | None
    release_version: int | None
    name: str
    type: str
    command: str
    size: str
    attach: bool
    one_off: bool
    state: State
    exit_status: int | None
    outcome: Outcome | None
    stop_reason: str | None
    ttl_seconds: int
    server_id: str | None
    created_at: int
    up_at: int | None
    stopping_at: int | None
    ended_at: int | None
    updated_at: int
    stop_requested_by: str | None = None  # the user who asked for the stop, if one did

    @property
    def running(self) -> bool:
        return self.ended_at is None

    @property
    def number(self) -> str:
        return self.name.rsplit(".", 1)[-1]
