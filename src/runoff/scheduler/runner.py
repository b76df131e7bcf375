"""Firing scheduler slots: exactly once each, on time, and what happens to missed ones.

Each server runs a ``SchedulerRunner``. It wakes at the next slot of any job (a timer on the
platform clock) and every ``POLL_SECONDS`` anyway (to see jobs other servers created), and
for each job decides the slots that came due since the job's ``checked_until``:

- the latest due slot is *claimed* (a run row keyed by job and slot, inserted only if absent)
  and, by the one server whose claim succeeded, started: a detached one-off dyno of type
  ``scheduler`` running the job's command as written (config vars are expanded by the dyno's
  shell, never in the recorded command), with a time-to-live equal to the job's interval;
- **catch-up rule**: when several slots came due at once — the servers were down, or busy,
  across more than one slot — only the latest runs (late); the earlier ones are recorded as
  ``missed`` and never run;
- **overlap policy**: if an earlier run of the job still runs, ``allow`` starts another,
  ``forbid`` records the slot as ``skipped``, ``replace`` stops the earlier one first. A run
  whose time-to-live ends at this slot does not count (it is being cycled), so the policy
  matters for runs that started late (catch-up) or by hand (``scheduler:run``).

A server that dies between claiming a slot and starting its dyno leaves the run ``starting``;
the next server to start marks such runs ``lost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine

from runoff.apps.service import AppService
from runoff.clock import US_PER_SECOND
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.service import MAX_TTL_SECONDS, CreateRequest, DynoService
from runoff.dynos.store import DynoStore
from runoff.errors import RunoffError
from runoff.scheduler.model import Job, Kind, Overlap, Run, RunStatus
from runoff.scheduler.schedule import parse, slots_between
from runoff.scheduler.store import SchedulerStore, slot_key
from runoff.store.rows import new_id
from runoff.timers import Timer, Timers

log = logging.getLogger(__name__)
POLL_SECONDS = 10.0
DYNO_TYPE = "scheduler"

Restart = Callable[[str], Awaitable[object]]
StopDyno = Callable[[Dyno, StopReason], Awaitable[None]]


class SchedulerRunner:
    def __init__(
        self,
        *,
        store: SchedulerStore,
        apps: AppService,
        dynos: DynoService,
        dyno_store: DynoStore,
        restart: Restart,
        stop_dyno: StopDyno,
        timers: Timers,
        server_id: str,
    ) -> None:
        self._store = store
        self._apps = apps
        self._dynos = dynos
        self._dyno_store = dyno_store
        self._restart = restart
        self._stop_dyno = stop_dyno
        self._timers = timers
        self._server_id = server_id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._wake: Timer | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # lifecycle -------------------------------------------------------------------------------
    async def start(self, loop: asyncio.AbstractEventLoop, dead_server_ids: list[str]) -> None:
        self._loop = loop
        lost = await asyncio.to_thread(self._store.lose_orphans, dead_server_ids)
        if lost:
            log.warning("%d scheduler run(s) were claimed by a server that died", lost)
        self._spawn(self._poll())
        self.changed()

    async def stop(self) -> None:
        """Stop firing. Ticks in progress finish (they are short): cancelling one would leave
        its worker-thread query running while the platform closes the database."""
        self._loop = None
        self._stopping.set()
        if self._wake is not None:
            self._wake.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))

    def changed(self) -> None:
        """Look at the jobs again soon (a job was added or changed); callable from any thread."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(lambda: self._spawn(self.tick()))

    def _spawn(self, work: Coroutine[object, object, None]) -> None:
        if self._loop is None:
            work.close()
            return
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _poll(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), POLL_SECONDS)
            if not self._stopping.is_set():
                await self.tick()

    # ticking ---------------------------------------------------------------------------------
    async def tick(self) -> None:
        """Decide and fire every job's due slots, then sleep until the next one."""
        async with self._lock:
            if self._stopping.is_set():
                return
            try:
                jobs = await asyncio.to_thread(self._store.jobs)
                await asyncio.gather(*(self._tick_job(job) for job in jobs))
                self._arm(await asyncio.to_thread(self._store.jobs))
            except Exception:
                log.exception("scheduler tick failed")

    async def _tick_job(self, job: Job) -> None:
        try:
            run = await asyncio.to_thread(self._decide, job, self._timers.clock.now_us())
            if run is not None:
                await self.fire(job, run)
        except Exception:
            log.exception("scheduler job %s of app %s failed", job.number, job.app_id)

    def _decide(self, job: Job, now: int) -> Run | None:
        """Claim the latest due slot (None if no slot is due or another server has it)."""
        due = list(slots_between(parse(job.schedule), job.checked_until, now))
        if not due:
            return None
        latest = due[-1]
        self._store.record_missed(job, due[:-1])
        run = self._store.claim(job, slot_key(latest), latest, self._server_id)
        self._store.advance(job, latest)
        return run

    def _arm(self, jobs: list[Job]) -> None:
        # from what each job has decided: a slot that came due meanwhile fires at once
        moments = [parse(job.schedule).next_after(job.checked_until) for job in jobs]
        if self._wake is not None:
            self._wake.cancel()
            self._wake = None
        if moments and self._loop is not None:
            self._wake = self._timers.at(min(moments), lambda: self._spawn(self.tick()))

    # firing ----------------------------------------------------------------------------------
    async def run_now(self, job: Job) -> Run:
        """``scheduler:run``: run the job once now, outside its slots."""
        now = self._timers.clock.now_us()
        run = await asyncio.to_thread(
            self._store.claim, job, f"manual:{new_id()}", now, self._server_id
        )
        assert run is not None  # a fresh key is never taken
        return await self.fire(job, run)

    async def fire(self, job: Job, run: Run) -> Run:
        """Carry out a claimed run; returns it settled."""
        try:
            if job.kind is Kind.RESTART:
                await self._restart(job.app_id)
                return await self._settle(run, RunStatus.RESTARTED)
            running = await asyncio.to_thread(self._still_running, job, run)
            if running and job.overlap is Overlap.FORBID:
                names = ", ".join(sorted(r.dyno_name or "?" for r in running))
                return await self._settle(run, RunStatus.SKIPPED, detail=f"{names} still running")
            if running and job.overlap is Overlap.REPLACE:
                await self._replace(running)
            dyno = await self._start(job, run)
        except RunoffError as exc:
            return await self._settle(run, RunStatus.FAILED, detail=exc.message)
        return await self._settle(run, RunStatus.STARTED, dyno_id=dyno.id, dyno_name=dyno.name)

    def _still_running(self, job: Job, run: Run) -> list[Run]:
        """Earlier runs of ``job`` that still run at ``run``'s slot. A run whose time-to-live
        ends by then does not count: it is being cycled right now (a slot's TTL is the gap to
        the next slot, so this matters for late and manual runs)."""
        found = []
        for other in self._store.running_runs(job):
            if other.id == run.id or other.dyno_id is None:
                continue
            dyno = self._dyno_store.get(other.dyno_id)
            deadline = dyno.created_at + dyno.ttl_seconds * US_PER_SECOND
            if dyno.running and dyno.stopping_at is None and deadline > run.slot_at:
                found.append(other)
        return found

    async def _replace(self, running: list[Run]) -> None:
        for previous in running:
            if previous.dyno_id is not None:
                dyno = await asyncio.to_thread(self._dyno_store.get, previous.dyno_id)
                await self._stop_dyno(dyno, StopReason.STOPPED)

    async def _start(self, job: Job, run: Run) -> Dyno:
        schedule = parse(job.schedule)
        slot = run.slot_at if not run.manual else schedule.next_after(run.slot_at)
        ttl = max(1, min(MAX_TTL_SECONDS, schedule.interval_at(slot)))
        app = await asyncio.to_thread(self._apps.get, job.app_id)
        request = CreateRequest(
            command=job.command,
            attach=False,
            env={},
            size=job.size,
            type=DYNO_TYPE,
            ttl_seconds=ttl,
            force_no_tty=False,
        )
        return await self._dynos.create(app, request)

    async def _settle(self, run: Run, status: RunStatus, **fields: str | None) -> Run:
        return await asyncio.to_thread(lambda: self._store.settle(run, status, **fields))
