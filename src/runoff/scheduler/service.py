"""Scheduler operations as the API offers them: job CRUD, run now, run history."""

from __future__ import annotations

import builtins
from typing import Any

from runoff.apps.model import App
from runoff.dynos import sizes
from runoff.errors import BadRequest, Invalid
from runoff.scheduler.model import Job, Kind, Overlap, Run
from runoff.scheduler.runner import SchedulerRunner
from runoff.scheduler.schedule import parse
from runoff.scheduler.store import SchedulerStore

MAX_COMMAND = 4096
RESTART_COMMAND = "restart"  # what a restart job records as its command


def _choice(body: dict[str, Any], field: str, enum: type[Kind] | type[Overlap]) -> Any:
    value = body[field]
    try:
        return enum(value)
    except ValueError:
        names = ", ".join(member.value for member in enum)
        raise Invalid(f"{field} must be one of {names}, got {value!r}") from None


def parse_fields(body: Any, *, creating: bool) -> dict[str, Any]:
    """Validated job fields from a request body (``frequency`` is accepted for ``schedule``)."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    if "frequency" in body and "schedule" not in body:
        body = {**body, "schedule": body["frequency"]}
    fields: dict[str, Any] = {}
    if "kind" in body or creating:
        fields["kind"] = _choice({"kind": body.get("kind") or "command"}, "kind", Kind)
    if "schedule" in body or creating:
        fields["schedule"] = parse(body.get("schedule")).text
    if "overlap" in body or creating:
        fields["overlap"] = _choice({"overlap": body.get("overlap") or "allow"}, "overlap", Overlap)
    if "size" in body or creating:
        size = body.get("size") or sizes.DEFAULT_SIZE
        if not isinstance(size, str):
            raise Invalid("size must be a string such as Standard-2X")
        fields["size"] = sizes.lookup(size).name
    if "command" in body or (creating and fields["kind"] is Kind.COMMAND):
        command = body.get("command")
        if not isinstance(command, str) or not command.strip():
            raise Invalid("command is required: what the job runs, e.g. `python scrape.py`")
        if len(command) > MAX_COMMAND:
            raise Invalid(f"command is longer than {MAX_COMMAND} characters")
        fields["command"] = command
    if fields.get("kind") is Kind.RESTART:
        fields["command"] = RESTART_COMMAND
    return fields


class SchedulerService:
    def __init__(self, store: SchedulerStore, runner: SchedulerRunner) -> None:
        self._store = store
        self._runner = runner

    def list(self, app: App) -> builtins.list[Job]:
        return self._store.jobs(app.id)

    def get(self, app: App, ref: str) -> Job:
        return self._store.job(app.id, ref)

    def create(self, app: App, body: Any) -> Job:
        fields = parse_fields(body, creating=True)
        job = self._store.create_job(
            app.id,
            fields["kind"],
            fields["command"],
            fields["schedule"],
            fields["size"],
            fields["overlap"],
        )
        self._runner.changed()
        return job

    def update(self, app: App, ref: str, body: Any) -> Job:
        job = self._store.job(app.id, ref)
        fields = parse_fields(body, creating=False)
        if fields.get("kind") is Kind.COMMAND and "command" not in fields:
            raise Invalid("command is required when a job becomes a command job")
        values = {k: v.value if isinstance(v, Kind | Overlap) else v for k, v in fields.items()}
        updated = self._store.update_job(job, values)
        self._runner.changed()
        return updated

    def delete(self, app: App, ref: str) -> Job:
        job = self._store.job(app.id, ref)
        self._store.delete_job(job)
        return job

    async def run(self, job: Job) -> Run:
        return await self._runner.run_now(job)

    def runs(self, job: Job, limit: int = 100) -> builtins.list[Run]:
        return self._store.runs(job, limit)

    def next_run_at(self, job: Job, now: int) -> int:
        return parse(job.schedule).next_after(max(job.checked_until, now))
