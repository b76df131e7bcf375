"""Scheduler values: jobs, their runs, and the policies a job can have."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Kind(Enum):
    COMMAND = "command"  # start a one-off dyno of type ``scheduler`` running the command
    RESTART = "restart"  # restart the app's formation (resets daily cycling)


class Overlap(Enum):
    """What a slot does while the job's previous run still runs."""

    ALLOW = "allow"  # start another one
    FORBID = "forbid"  # skip this slot (recorded as ``skipped``)
    REPLACE = "replace"  # stop the previous run, then start


class RunStatus(Enum):
    STARTING = "starting"  # claimed; the dyno is being started
    STARTED = "started"  # a dyno was started (its own record says how it ended)
    RESTARTED = "restarted"  # a restart job restarted the formation
    SKIPPED = "skipped"  # overlap=forbid and the previous run still ran
    MISSED = "missed"  # no server ran while it was due, and a later slot was run instead
    FAILED = "failed"  # the dyno could not be started (detail says why)
    LOST = "lost"  # the server stopped between claiming the slot and starting the dyno


@dataclass(frozen=True)
class Job:
    id: str
    app_id: str
    number: int
    kind: Kind
    command: str
    schedule: str
    size: str
    overlap: Overlap
    checked_until: int
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Run:
    id: str
    job_id: str
    app_id: str
    slot_key: str
    slot_at: int
    status: RunStatus
    dyno_id: str | None
    dyno_name: str | None
    server_id: str | None
    detail: str | None
    created_at: int
    updated_at: int

    @property
    def manual(self) -> bool:
        return self.slot_key.startswith("manual:")
