"""Persistence of scheduler jobs and runs.

A run row is keyed by (job, slot): ``claim`` inserts it only if no row for that slot exists,
in one statement (``INSERT ... ON CONFLICT DO NOTHING``), so of all the servers sharing the
database exactly one starts a given slot, however often each of them looks at it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, delete, select, update

from runoff.clock import Clock
from runoff.errors import NotFound
from runoff.scheduler.model import Job, Kind, Overlap, Run, RunStatus
from runoff.store.rows import insert_new, new_id, next_counter
from runoff.store.schema import counters, dynos, scheduler_jobs, scheduler_runs
from runoff.wholes import whole


def _job(row: Any) -> Job:
    return Job(
        id=row.id,
        app_id=row.app_id,
        number=row.number,
        kind=Kind(row.kind),
        command=row.command,
        schedule=row.schedule,
        size=row.size,
        overlap=Overlap(row.overlap),
        checked_until=row.checked_until,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _run(row: Any) -> Run:
    return Run(
        id=row.id,
        job_id=row.job_id,
        app_id=row.app_id,
        slot_key=row.slot_key,
        slot_at=row.slot_at,
        status=RunStatus(row.status),
        dyno_id=row.dyno_id,
        dyno_name=row.dyno_name,
        server_id=row.server_id,
        detail=row.detail,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SchedulerStore:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    # jobs ------------------------------------------------------------------------------------
    def create_job(
        self, app_id: str, kind: Kind, command: str, schedule: str, size: str, overlap: Overlap
    ) -> Job:
        """A new job, numbered per app; its first slot is the first one after now."""
        now = self._clock.now_us()
        job_id = new_id()
        with self._engine.begin() as conn:
            number = next_counter(conn, counters, app_id, "scheduler-job")
            conn.execute(
                scheduler_jobs.insert().values(
                    id=job_id,
                    app_id=app_id,
                    number=number,
                    kind=kind.value,
                    command=command,
                    schedule=schedule,
                    size=size,
                    overlap=overlap.value,
                    checked_until=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        return Job(job_id, app_id, number, kind, command, schedule, size, overlap, now, now, now)

    def jobs(self, app_id: str | None = None) -> list[Job]:
        query = select(scheduler_jobs).order_by(scheduler_jobs.c.app_id, scheduler_jobs.c.number)
        if app_id is not None:
            query = query.where(scheduler_jobs.c.app_id == app_id)
        with self._engine.connect() as conn:
            return [_job(row) for row in conn.execute(query)]

    def job(self, app_id: str, ref: str) -> Job:
        """The job by id or by number."""
        query = select(scheduler_jobs).where(scheduler_jobs.c.app_id == app_id)
        if (number := whole(ref)) is not None:
            query = query.where(scheduler_jobs.c.number == number)
        else:
            query = query.where(scheduler_jobs.c.id == ref)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound(f"Couldn't find that scheduler job: {ref}")
        return _job(row)

    def update_job(self, job: Job, values: dict[str, Any]) -> Job:
        """Change some of command, schedule, size, overlap, kind; a new schedule counts from
        now (slots of the old one that were not run yet are not run)."""
        now = self._clock.now_us()
        values = {**values, "updated_at": now}
        if "schedule" in values and values["schedule"] != job.schedule:
            values["checked_until"] = now
        with self._engine.begin() as conn:
            conn.execute(
                update(scheduler_jobs).where(scheduler_jobs.c.id == job.id).values(**values)
            )
            row = conn.execute(select(scheduler_jobs).where(scheduler_jobs.c.id == job.id)).one()
        return _job(row)

    def delete_job(self, job: Job) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(scheduler_jobs).where(scheduler_jobs.c.id == job.id))

    def advance(self, job: Job, until: int) -> None:
        """Every slot of ``job`` up to ``until`` is decided (never moves backwards)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(scheduler_jobs)
                .where(scheduler_jobs.c.id == job.id, scheduler_jobs.c.checked_until < until)
                .values(checked_until=until)
            )

    # runs ------------------------------------------------------------------------------------
    def _row(
        self, job: Job, key: str, slot: int, status: RunStatus, server_id: str | None
    ) -> dict[str, Any]:
        now = self._clock.now_us()
        return {
            "id": new_id(),
            "job_id": job.id,
            "app_id": job.app_id,
            "slot_key": key,
            "slot_at": slot,
            "status": status.value,
            "server_id": server_id,
            "created_at": now,
            "updated_at": now,
        }

    def claim(self, job: Job, key: str, slot: int, server_id: str) -> Run | None:
        """Record the run of slot ``key`` as ``starting`` by ``server_id``; None if some
        server claimed that slot already."""
        row = self._row(job, key, slot, RunStatus.STARTING, server_id)
        with self._engine.begin() as conn:
            if not insert_new(conn, scheduler_runs, [row]):
                return None
            found = conn.execute(select(scheduler_runs).where(scheduler_runs.c.id == row["id"]))
            return _run(found.one())

    def record_missed(self, job: Job, slots: list[int]) -> None:
        rows = [self._row(job, slot_key(s), s, RunStatus.MISSED, None) for s in slots]
        with self._engine.begin() as conn:
            insert_new(conn, scheduler_runs, rows)

    def settle(
        self,
        run: Run,
        status: RunStatus,
        *,
        dyno_id: str | None = None,
        dyno_name: str | None = None,
        detail: str | None = None,
    ) -> Run:
        with self._engine.begin() as conn:
            conn.execute(
                update(scheduler_runs)
                .where(scheduler_runs.c.id == run.id)
                .values(
                    status=status.value,
                    dyno_id=dyno_id,
                    dyno_name=dyno_name,
                    detail=detail,
                    updated_at=self._clock.now_us(),
                )
            )
            return _run(
                conn.execute(select(scheduler_runs).where(scheduler_runs.c.id == run.id)).one()
            )

    def running_runs(self, job: Job) -> list[Run]:
        """Runs of ``job`` whose dyno has not ended yet."""
        query = (
            select(scheduler_runs)
            .join(dynos, dynos.c.id == scheduler_runs.c.dyno_id)
            .where(scheduler_runs.c.job_id == job.id, dynos.c.ended_at.is_(None))
        )
        with self._engine.connect() as conn:
            return [_run(row) for row in conn.execute(query)]

    def runs(self, job: Job, limit: int = 100) -> list[Run]:
        """The job's runs, newest slot first."""
        query = (
            select(scheduler_runs)
            .where(scheduler_runs.c.job_id == job.id)
            .order_by(scheduler_runs.c.slot_at.desc(), scheduler_runs.c.created_at.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_run(row) for row in conn.execute(query)]

    def lose_orphans(self, dead_server_ids: list[str]) -> int:
        """Runs claimed by servers that died before starting their dyno become ``lost``."""
        if not dead_server_ids:
            return 0
        with self._engine.begin() as conn:
            result = conn.execute(
                update(scheduler_runs)
                .where(
                    scheduler_runs.c.status == RunStatus.STARTING.value,
                    scheduler_runs.c.server_id.in_(dead_server_ids),
                )
                .values(
                    status=RunStatus.LOST.value,
                    detail="the server stopped before the dyno started",
                    updated_at=self._clock.now_us(),
                )
            )
        return int(result.rowcount)


def slot_key(slot: int) -> str:
    return f"slot:{slot}"
