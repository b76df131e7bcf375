"""A dyno's life from its record to its end, over an ``Executor``.

Every dyno starts through ``launch`` (one-offs, formation dynos, the release phase and the
scheduler alike): ``prepare`` records it, the executor starts it, ``up`` is recorded, and the
lifecycle follows it. Its output is published as ``app`` lines as it comes (reading pauses
while the log writer is behind, so the dyno blocks on its full pipe); when its main process
exits the rest of it is killed, the output drained, and the end (exit status, outcome) recorded
once its logs are durable.

Every stop goes through ``stop``: the request is durable first (``stopping_at``, the reason
and who asked, in the dyno's record), so a stop reaches a dyno whichever server serves the
request; the server that runs the dyno carries it out at once when it is that server, else
within ``STOP_POLL_SECONDS`` (it polls its dynos' records). Carrying it out logs Heroku's lines,
sends SIGTERM to every process of the dyno and SIGKILL to what is left after the grace period
(``Error R12``).

Timers: the TTL of one-offs on the platform clock (``Timers``, so tests drive it with a fake
clock); the grace period on the event loop's monotonic time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from runoff.clock import Clock
from runoff.dynos.attach import Attachment
from runoff.dynos.executor import DynoSpec, Executor, Handle, Limits, StartFailed, Usage
from runoff.dynos.messages import R15, exit_state, stop_lines
from runoff.dynos.model import Dyno, Outcome, State, StopReason, outcome_for
from runoff.dynos.store import DynoStore
from runoff.logs.capture import LineBuffer
from runoff.logs.model import APP
from runoff.logs.router import LogRouter
from runoff.store import faults
from runoff.timers import Timers

log = logging.getLogger(__name__)
DRAIN_TIMEOUT = 2.0
STOP_POLL_SECONDS = 0.5
STORE_RETRY_SECONDS = 2.0  # a dyno's end waits for a full disk or a lost database this often


class Cancellable(Protocol):
    """A platform-clock ``Timer`` (TTL) or an event loop ``TimerHandle`` (grace period)."""

    def cancel(self) -> None: ...


@dataclass(frozen=True)
class Launch:
    """What to run for a recorded dyno."""

    dyno: Dyno
    command: str
    env: dict[str, str]
    slug_id: str | None
    attachment: Attachment | None = None


@dataclass(eq=False)
class Running:
    dyno: Dyno
    handle: Handle
    attachment: Attachment | None
    lines: LineBuffer = field(default_factory=LineBuffer)
    stop_reason: StopReason | None = None
    status: int | None = None  # the main process's exit status, once it exited
    output_done: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    timers: list[Cancellable] = field(default_factory=list)  # TTL and grace deadlines


class DynoLifecycle:
    def __init__(
        self,
        *,
        store: DynoStore,
        router: LogRouter,
        executor: Executor,
        clock: Clock,
        timers: Timers,
        grace_seconds: float,
        server_id: str,
        limits_for: Callable[[Dyno], Limits],
    ) -> None:
        self._store = store
        self._router = router
        self.executor = executor
        self._clock = clock
        self._timers = timers  # calendar deadlines (TTL) on the platform clock
        self.grace_seconds = grace_seconds
        self._server_id = server_id
        self._limits_for = limits_for
        self._running: dict[str, Running] = {}
        self._launching: dict[str, StopReason | None] = {}  # ids being started: a stop waits
        self._launches: set[asyncio.Task[Dyno]] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._listeners: list[Callable[[Dyno], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._poller: asyncio.Task[None] | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the dyno lifecycle has not been started")
        return self._loop

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._poller = loop.create_task(self._poll_stops(), name="stop requests")

    def on_end(self, listener: Callable[[Dyno], None]) -> None:
        """Call ``listener`` (on the loop) with each dyno run here once its end is recorded."""
        self._listeners.append(listener)

    def running_dynos(self) -> list[Dyno]:
        return [running.dyno for running in self._running.values()]

    def runs_here(self, dyno_id: str) -> bool:
        return dyno_id in self._running

    # launching -------------------------------------------------------------------------------
    async def launch(self, prepare: Callable[[], Launch]) -> Dyno:
        """Record and start a dyno; returns it as recorded (``crashed`` if it could not start).

        ``prepare`` (run in a worker thread) records the dyno, or refuses with a
        ``RunoffError``, and says what to run. The start goes on even if the caller is
        cancelled meanwhile, so no process is ever left unwatched.
        """
        task = asyncio.ensure_future(self._launch(prepare))
        self._launches.add(task)
        task.add_done_callback(self._launches.discard)
        return await asyncio.shield(task)

    async def _launch(self, prepare: Callable[[], Launch]) -> Dyno:
        launch = await asyncio.to_thread(self._prepare, prepare)
        dyno = launch.dyno
        try:
            handle = await self.executor.start(self._spec(launch))
        except StartFailed as exc:
            self._launching.pop(dyno.id, None)
            return await self._start_failed(dyno, str(exc))
        now = self._clock.now_us()
        running = Running(replace(dyno, state=State.UP, up_at=now, updated_at=now), handle, None)
        self._running[dyno.id] = running
        if launch.attachment is not None:
            assert handle.terminal is not None
            running.attachment = launch.attachment
            launch.attachment.bind(handle.terminal)
        await asyncio.to_thread(self._store.transition, dyno, State.UP, {"up_at": now})
        self._router.platform(dyno.app_id, dyno.name, "State changed from starting to up")
        self._follow(running)
        pending = self._launching.pop(dyno.id, None)
        if pending is not None:
            await self._carry_out(running, pending)
        return running.dyno

    def _prepare(self, prepare: Callable[[], Launch]) -> Launch:
        launch = prepare()
        self._launching[launch.dyno.id] = None
        self._router.platform(
            launch.dyno.app_id,
            launch.dyno.name,
            f"Starting process with command `{launch.command}`",
        )
        return launch

    def _spec(self, launch: Launch) -> DynoSpec:
        dyno = launch.dyno
        attachment = launch.attachment
        return DynoSpec(
            dyno_id=dyno.id,
            app_id=dyno.app_id,
            name=dyno.name,
            command=attachment.script(launch.command) if attachment else launch.command,
            env=launch.env,
            slug_id=launch.slug_id,
            limits=self._limits_for(dyno),
            terminal=attachment.terminal if attachment else None,
            web=dyno.type == "web" and not dyno.one_off,
        )

    async def _start_failed(self, dyno: Dyno, reason: str) -> Dyno:
        self._router.platform(
            dyno.app_id,
            dyno.name,
            f"Error R10 (Boot failure) -> could not start the process: {reason}",
            "State changed from starting to crashed",
        )
        await self._router.aflush()
        await asyncio.to_thread(
            lambda: self._store.record_end(
                dyno, exit_status=None, outcome=Outcome.FAILED, state=State.CRASHED
            )
        )
        return await asyncio.to_thread(self._store.get, dyno.id)

    def _follow(self, running: Running) -> None:
        dyno = running.dyno
        if running.attachment is not None:
            running.attachment.watch(
                self.loop,
                hangup=lambda: self.hangup(dyno.id),
                unclaimed=lambda: self.unclaimed(dyno.id),
            )
            running.output_done.set()
        else:
            self._spawn_task(self._pump(running), f"output of {dyno.name}")
        self._spawn_task(self._await_exit(running), f"exit of {dyno.name}")
        if dyno.one_off:  # formation dynos have no TTL; daily cycling bounds them

            def expire() -> None:
                self._stop_soon(dyno, StopReason.TTL)

            running.timers.append(self._timers.after(dyno.ttl_seconds, expire))

    # output ----------------------------------------------------------------------------------
    async def _pump(self, running: Running) -> None:
        dyno = running.dyno
        try:
            while data := await running.handle.read():
                self._publish(running, running.lines.feed(data))
                if running.status is None and self._router.congested(dyno.app_id, dyno.name):
                    await self._drained()  # the dyno blocks on its full pipe meanwhile
        finally:
            self._publish(running, running.lines.finish())
            running.output_done.set()

    async def _drained(self) -> None:
        drained = self.loop.create_future()

        def resume() -> None:
            if not drained.done():
                drained.set_result(None)

        self._router.when_drained(resume)
        await drained

    def _publish(self, running: Running, block: tuple[bytes, int] | None) -> None:
        if block is not None:
            dyno = running.dyno
            self._router.publish_block(dyno.app_id, dyno.name, APP, *block)

    # ending ----------------------------------------------------------------------------------
    async def _await_exit(self, running: Running) -> None:
        running.status = await running.handle.wait()
        await self._finish(running, running.status)

    async def _finish(self, running: Running, status: int) -> None:
        dyno = running.dyno
        await self._check_oom(running)
        forced = running.stop_reason is not None
        self._router.platform(dyno.app_id, dyno.name, f"Process exited with status {status}")
        if forced:
            await self._wait_until_empty(running)
        else:
            await running.handle.signal(signal.SIGKILL)  # what the main process left behind
        # recorded with the end too: a process exiting just as a stop begins ends before the
        # stop's own record of its reason is written
        stop_reason = running.stop_reason.value if running.stop_reason else None
        if running.attachment is not None:
            stop_reason = await self._drain_attached(running, status, forced) or stop_reason
            running.attachment.finish(status)  # the client need not wait for the bookkeeping
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(running.output_done.wait(), DRAIN_TIMEOUT)
        for timer in running.timers:
            timer.cancel()
        end = State.COMPLETE if forced else exit_state(dyno)
        if not forced:
            self._router.platform(dyno.app_id, dyno.name, f"State changed from up to {end.value}")
        await self._router.aflush()
        outcome = outcome_for(status, forced or stop_reason is not None)
        await running.handle.cleanup()
        await self._durably(
            lambda: self._store.record_end(
                dyno, exit_status=status, outcome=outcome, state=end, stop_reason=stop_reason
            )
        )
        del self._running[dyno.id]
        try:
            ended = await asyncio.to_thread(self._store.get, dyno.id)
            for listener in self._listeners:
                listener(ended)
        finally:
            # last: ``shutdown`` waits for this, and the database closes after it
            running.finished.set()

    async def _durably(self, write: Callable[[], object]) -> None:
        """Run ``write`` in a worker thread until the store takes it: while the disk is full
        or the database unreachable, every ``STORE_RETRY_SECONDS`` (nothing is lost)."""
        while True:
            try:
                await asyncio.to_thread(write)
                return
            except Exception as exc:
                if faults.classify(exc) is None:
                    raise
            await asyncio.sleep(STORE_RETRY_SECONDS)

    async def _check_oom(self, running: Running) -> None:
        """The kernel may have killed the main process for the memory limit: an R15, recorded
        as a forced exit (reason ``memory``) before the end is."""
        if running.stop_reason is not None or not self.executor.enforces_memory:
            return
        used = await running.handle.usage()
        if used is not None and used.oom_kills > 0:
            dyno = running.dyno
            self._router.platform(dyno.app_id, dyno.name, R15)
            await self._begin_stop(running, StopReason.MEMORY)

    async def _wait_until_empty(self, running: Running) -> None:
        while await running.handle.alive():
            await asyncio.sleep(0.05)

    # stopping --------------------------------------------------------------------------------
    async def stop(self, dyno: Dyno, reason: StopReason, by: str | None = None) -> bool:
        """Stop ``dyno`` wherever it runs: SIGTERM now, SIGKILL after the grace period.

        The request is recorded first (the first reason wins); the server running the dyno
        carries it out. Returns False if the dyno had already ended.
        """
        if dyno.id in self._running and self._running[dyno.id].stop_reason is not None:
            return True
        try:
            recorded = await asyncio.to_thread(self._store.request_stop, dyno, reason.value, by)
        except Exception as exc:
            # the store cannot take the request (a full disk, the database gone): a dyno run
            # here is stopped all the same (a runaway filling the disk must be stoppable); its
            # end is recorded once the store works again
            if dyno.id not in self._running or faults.classify(exc) is None:
                raise
            recorded = reason.value
        if recorded is None:
            return False
        chosen = _reason(recorded)
        running = self._running.get(dyno.id)
        if running is not None:
            await self._carry_out(running, chosen)
        elif dyno.id in self._launching:
            self._launching[dyno.id] = chosen
        return True

    async def stop_by_id(self, dyno_id: str, reason: StopReason) -> bool:
        running = self._running.get(dyno_id)
        dyno = running.dyno if running else await asyncio.to_thread(self._store.get, dyno_id)
        return await self.stop(dyno, reason)

    async def kill(self, dyno: Dyno, reason: StopReason) -> None:
        """Stop ``dyno`` (run here) with no grace period: SIGKILL at once."""
        await self.stop(dyno, reason)
        running = self._running.get(dyno.id)
        if running is not None and await running.handle.signal(signal.SIGKILL):
            self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGKILL")

    async def _carry_out(self, running: Running, reason: StopReason) -> None:
        if running.stop_reason is not None:
            return
        await self._begin_stop(running, reason)
        dyno = running.dyno
        self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGTERM")
        await running.handle.signal(signal.SIGTERM)
        running.timers.append(self.loop.call_later(self.grace_seconds, self._grace_over, running))

    async def _begin_stop(self, running: Running, reason: StopReason) -> None:
        running.stop_reason = reason
        dyno = running.dyno
        self._router.platform(dyno.app_id, dyno.name, *stop_lines(dyno, reason))
        try:
            await asyncio.to_thread(self._store.transition, dyno, State.COMPLETE)
        except Exception as exc:
            if faults.classify(exc) is None:
                raise
            # the end, recorded later, says complete with the reason all the same

    def _grace_over(self, running: Running) -> None:
        if not running.finished.is_set():
            self._spawn_task(self._kill_after_grace(running), f"kill {running.dyno.name}")

    async def _kill_after_grace(self, running: Running) -> None:
        if not await running.handle.alive() or running.finished.is_set():
            return
        dyno = running.dyno
        self._router.platform(
            dyno.app_id,
            dyno.name,
            "Error R12 (Exit timeout) -> At least one process failed to exit within "
            f"{self.grace_seconds:g} seconds of SIGTERM",
            "Stopping all processes with SIGKILL",
        )
        await running.handle.signal(signal.SIGKILL)
        running.timers.append(self.loop.call_later(0.2, self._grace_over, running))

    def _stop_soon(self, dyno: Dyno, reason: StopReason) -> None:
        self._spawn_task(self.stop(dyno, reason), f"stop {dyno.name}")

    async def _poll_stops(self) -> None:
        """Carry out stops that other servers recorded for the dynos running here."""
        while True:
            await asyncio.sleep(STOP_POLL_SECONDS)
            if not self._running and not self._launching:
                continue
            try:
                asked = await asyncio.to_thread(self._store.stop_requests, self._server_id)
            except Exception:
                log.exception("reading stop requests failed")
                continue
            for dyno_id, reason in asked.items():
                running = self._running.get(dyno_id)
                if running is not None and running.stop_reason is None:
                    self._spawn_task(self._carry_out(running, _reason(reason)), f"stop {dyno_id}")
                elif dyno_id in self._launching and self._launching[dyno_id] is None:
                    self._launching[dyno_id] = _reason(reason)

    def _spawn_task(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run ``coro`` on the loop and keep it until done, so shutdown can wait for it."""
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self, dyno_id: str) -> None:
        """Return once the dyno's end is recorded (at once if it does not run here)."""
        running = self._running.get(dyno_id)
        if running is not None:
            await running.finished.wait()

    async def shutdown(self) -> None:
        """Stop every dyno this server runs and wait until each end is recorded.

        Launches in flight finish first (their dynos are then stopped too). Whatever still
        runs after the grace period and a margin is killed outright, so a server never leaves
        a dyno's processes behind when it stops.
        """
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self._launches:
            await asyncio.wait(list(self._launches))
        for running in list(self._running.values()):
            await self.stop(running.dyno, StopReason.SHUTDOWN)
        deadline = self.loop.time() + self.grace_seconds + 10
        while (self._running or self._tasks) and (remaining := deadline - self.loop.time()) > 0:
            ends = [asyncio.ensure_future(r.finished.wait()) for r in self._running.values()]
            await asyncio.wait([*ends, *self._tasks], timeout=remaining)
            for end in ends:
                end.cancel()
        for running in list(self._running.values()):
            log.error("dyno %s did not end in time at shutdown; killing it", running.dyno.name)
            await running.handle.cleanup()
        await self.executor.close()

    # attached dynos --------------------------------------------------------------------------
    async def _drain_attached(self, running: Running, status: int, forced: bool) -> str | None:
        """Let the output reach the client; the stop reason if the hangup ended the dyno."""
        assert running.attachment is not None
        await running.attachment.drain(forced)
        if not forced and running.attachment.hung_up and status == 128 + signal.SIGHUP:
            return StopReason.HANGUP.value
        return None

    def hangup(self, dyno_id: str) -> None:
        """The attached client went away: SIGHUP to every process of the dyno.

        A process that traps it runs on until it exits or its TTL ends.
        """
        running = self._running.get(dyno_id)
        if running is None or running.status is not None or running.stop_reason:
            return
        dyno = running.dyno
        self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGHUP")
        self._spawn_task(running.handle.signal(signal.SIGHUP), f"hangup {dyno_id}")

    def unclaimed(self, dyno_id: str) -> None:
        """Nobody attached in time: log R13 and stop the dyno if it still runs."""
        running = self._running.get(dyno_id)
        if running is None:
            return
        dyno = running.dyno
        self._router.platform(
            dyno.app_id, dyno.name, "Error R13 (Attach error) -> Failed to attach to process"
        )
        if running.status is None:
            self._stop_soon(dyno, StopReason.ATTACH_TIMEOUT)

    # what the usage watch needs ----------------------------------------------------------------
    async def usage_of(self, dyno_id: str) -> Usage | None:
        running = self._running.get(dyno_id)
        return await running.handle.usage() if running is not None else None


def _reason(value: str) -> StopReason:
    try:
        return StopReason(value)
    except ValueError:
        return StopReason.STOPPED
