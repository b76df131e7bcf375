"""The local dyno manager: runs dyno processes and follows them to the end.

Everything here runs on the server's event loop; blocking work (database, spawning, file
systems) goes to worker threads. A dyno's life: ``launch`` prepares its workspace, spawns
``bash -c`` and records ``up``; its output is read as it comes and published as ``app`` lines;
when its main process exits the remaining processes are killed, the output drained, and the
end (exit status, outcome) recorded after its logs are durable. ``stop`` forces an end:
SIGTERM to every process, then SIGKILL for whatever is left after the grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from runoff.clock import Clock
from runoff.dynos.attach import Attachment
from runoff.dynos.local.cgroups import Cgroups, Limits
from runoff.dynos.local.process import MARKER, dyno_pids, exit_status, signal_all, spawn
from runoff.dynos.local.workspace import WorkspaceProvider
from runoff.dynos.messages import exit_state, stop_lines
from runoff.dynos.model import Dyno, Outcome, State, StopReason, outcome_for
from runoff.dynos.store import DynoStore
from runoff.logs.capture import LineBuffer, widen_pipe
from runoff.logs.model import APP
from runoff.logs.router import LogRouter
from runoff.timers import Timers

log = logging.getLogger(__name__)
READ_CHUNK = 1 << 18
DRAIN_TIMEOUT = 2.0


class Cancellable(Protocol):
    """A platform-clock ``Timer`` (TTL) or an event loop ``TimerHandle`` (grace period)."""

    def cancel(self) -> None: ...


@dataclass(eq=False)
class Running:
    dyno: Dyno
    proc: subprocess.Popen[bytes]
    pidfd: int
    fd: int
    cgroup: Path | None
    lines: LineBuffer = field(default_factory=LineBuffer)
    paused: bool = False  # not reading: the log writer is behind
    stop_reason: StopReason | None = None
    killed: bool = False
    eof: asyncio.Event = field(default_factory=asyncio.Event)
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    timers: list[Cancellable] = field(default_factory=list)  # TTL and grace deadlines
    attachment: Attachment | None = None  # attached (``run``): its terminal, not the logs


@dataclass(frozen=True)
class Launch:
    """What to run for a recorded dyno."""

    dyno: Dyno
    command: str
    env: dict[str, str]
    slug_tree: Path | None
    attachment: Attachment | None = None


class Supervisor:
    def __init__(
        self,
        *,
        store: DynoStore,
        router: LogRouter,
        workspaces: WorkspaceProvider,
        cgroups: Cgroups,
        clock: Clock,
        grace_seconds: float,
        timers: Timers,
    ) -> None:
        self._store = store
        self._timers = timers  # calendar deadlines (TTL) on the platform clock
        self._router = router
        self._workspaces = workspaces
        self._cgroups = cgroups
        self._clock = clock
        self.grace_seconds = grace_seconds
        self._running: dict[str, Running] = {}
        self._pending_stop: dict[str, StopReason] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.on_end: list[Callable[[Dyno], None]] = []
        self.limits_for: Callable[[Dyno], Limits | None] = lambda dyno: None
        """The resource limits of a dyno's cgroups (set by the runtime monitor)."""
        self.exit_hooks: list[Callable[[str], Awaitable[None]]] = []
        """Awaited with the dyno id when its main process has exited, before anything else;
        a hook may still ``stop`` the dyno, so the end is recorded as forced."""

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError("the supervisor has not been started")
        return self._loop

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def running_ids(self) -> list[str]:
        return list(self._running)

    def running_dynos(self) -> list[Dyno]:
        return [running.dyno for running in self._running.values()]

    def pids_of(self, dyno_id: str) -> set[int]:
        """Every live process of a dyno running here (empty if it is not)."""
        running = self._running.get(dyno_id)
        return self._pids(running) if running is not None else set()

    # launching -------------------------------------------------------------------------------
    async def launch(self, prepare: Callable[[], Launch]) -> Dyno:
        """Record and start a dyno in one trip to a worker thread.

        ``prepare`` records the dyno (it may refuse, raising a ``RunoffError``) and says what to
        run; the process is then spawned and ``up`` recorded. Returns the dyno as recorded.
        """
        launch, outcome = await asyncio.to_thread(self._prepare_and_spawn, prepare)
        if isinstance(outcome, OSError):
            return await self._start_failed(launch.dyno, outcome)
        running = outcome
        self._running[running.dyno.id] = running
        self._watch(running)
        reason = self._pending_stop.pop(running.dyno.id, None)
        if reason is not None:
            await self.stop(running.dyno.id, reason)
        return running.dyno

    def _prepare_and_spawn(self, prepare: Callable[[], Launch]) -> tuple[Launch, Running | OSError]:
        launch = prepare()
        try:
            return launch, self._spawn(launch)
        except OSError as exc:
            return launch, exc

    def _spawn(self, launch: Launch) -> Running:
        dyno = launch.dyno
        self._router.platform(
            dyno.app_id, dyno.name, f"Starting process with command `{launch.command}`"
        )
        app_dir = self._workspaces.create(dyno.id, launch.slug_tree)
        env = {**launch.env, "HOME": str(app_dir), MARKER: dyno.id}
        cgroup = self._cgroups.create(dyno.id, self.limits_for(dyno))
        start = launch.attachment.spawn if launch.attachment is not None else spawn
        try:
            if cgroup is None:
                proc = start(launch.command, cwd=app_dir, env=env)
            else:
                with self._cgroups.entered(cgroup) as born_inside:
                    proc = start(launch.command, cwd=app_dir, env=env)
                if not born_inside:
                    with contextlib.suppress(OSError):  # it may already have exited
                        self._cgroups.add(cgroup, proc.pid)
                # now, while the moves above keep cgroup migration cheap (a later move would
                # wait an RCU grace period and stall every fork meanwhile); children inherit it
                self._cgroups.join_cpu(dyno.id, proc.pid)
        except OSError:
            self._workspaces.discard(dyno.id)
            if cgroup is not None:
                self._cgroups.remove(cgroup)
            raise
        pidfd = os.pidfd_open(proc.pid)
        fd = -1  # an attached dyno's output goes to its attachment
        if launch.attachment is None:
            assert proc.stdout is not None
            fd = proc.stdout.fileno()
            os.set_blocking(fd, False)
            widen_pipe(fd)
        now = self._clock.now_us()
        self._store.transition(dyno, State.UP, {"pid": proc.pid, "up_at": now})
        self._router.platform(dyno.app_id, dyno.name, "State changed from starting to up")
        up = replace(dyno, state=State.UP, up_at=now, updated_at=now)
        return Running(
            dyno=up, proc=proc, pidfd=pidfd, fd=fd, cgroup=cgroup, attachment=launch.attachment
        )

    async def _start_failed(self, dyno: Dyno, exc: OSError) -> Dyno:
        self._router.platform(
            dyno.app_id,
            dyno.name,
            f"Error R10 (Boot failure) -> could not start the process: {exc}",
            "State changed from starting to crashed",
        )
        await self._router.aflush()
        await asyncio.to_thread(
            lambda: self._store.record_end(
                dyno, exit_status=None, outcome=Outcome.FAILED, state=State.CRASHED
            )
        )
        return await asyncio.to_thread(self._store.get, dyno.id)

    def _watch(self, running: Running) -> None:
        if running.attachment is not None:
            dyno_id = running.dyno.id
            running.attachment.watch(
                self.loop,
                hangup=lambda: self.hangup(dyno_id),
                unclaimed=lambda: self.unclaimed(dyno_id),
            )
        else:
            self.loop.add_reader(running.fd, self._on_output, running)
        self.loop.add_reader(running.pidfd, self._on_exit, running)
        dyno = running.dyno
        if not dyno.one_off:  # formation dynos have no TTL; daily cycling bounds them
            return

        def expire() -> None:
            self._stop_soon(dyno.id, StopReason.TTL)

        running.timers.append(self._timers.after(dyno.ttl_seconds, expire))

    # output ----------------------------------------------------------------------------------
    def _on_output(self, running: Running) -> None:
        try:
            data = os.read(running.fd, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.loop.remove_reader(running.fd)
            self._publish(running, running.lines.finish())
            running.eof.set()
            return
        self._publish(running, running.lines.feed(data))
        dyno = running.dyno
        if running.proc.returncode is None and self._router.congested(dyno.app_id, dyno.name):
            # the log writer is behind: the dyno blocks on its full pipe until it catches up
            self.loop.remove_reader(running.fd)
            running.paused = True
            self._router.when_drained(lambda: self._resume_output(running))

    def _resume_output(self, running: Running) -> None:
        if running.paused and not running.eof.is_set():
            running.paused = False
            self.loop.add_reader(running.fd, self._on_output, running)

    def _publish(self, running: Running, block: tuple[bytes, int] | None) -> None:
        if block is not None:
            dyno = running.dyno
            self._router.publish_block(dyno.app_id, dyno.name, APP, *block)

    # ending ----------------------------------------------------------------------------------
    def _on_exit(self, running: Running) -> None:
        if running.proc.poll() is None:
            return
        self.loop.remove_reader(running.pidfd)
        os.close(running.pidfd)
        status = exit_status(running.proc.returncode)
        self._spawn_task(self._finish(running, status), f"finish {running.dyno.name}")

    def _pids(self, running: Running) -> set[int]:
        return dyno_pids(
            cgroups=self._cgroups,
            cgroup=running.cgroup,
            session=running.proc.pid,
            dyno_id=running.dyno.id,
        )

    async def _finish(self, running: Running, status: int) -> None:
        for hook in self.exit_hooks:
            await hook(running.dyno.id)
        dyno = running.dyno
        forced = running.stop_reason is not None
        self._router.platform(dyno.app_id, dyno.name, f"Process exited with status {status}")
        if forced:
            await self._wait_until_empty(running)
        else:
            await asyncio.to_thread(self._kill_all, running)
        # recorded with the end too: a process exiting just as a stop begins ends before the
        # stop's own record of its reason is written
        stop_reason = running.stop_reason.value if running.stop_reason else None
        if running.attachment is not None:
            stop_reason = await self._drain_attached(running, forced) or stop_reason
            running.attachment.finish(status)  # the client need not wait for the bookkeeping
        else:
            self._resume_output(running)  # what is left in the pipe is read whatever the backlog
            try:
                await asyncio.wait_for(running.eof.wait(), DRAIN_TIMEOUT)
            except TimeoutError:
                self.loop.remove_reader(running.fd)
                self._publish(running, running.lines.finish())
        if running.proc.stdout is not None:
            running.proc.stdout.close()
        for timer in running.timers:
            timer.cancel()
        end = State.COMPLETE if forced else exit_state(dyno)
        if not forced:
            self._router.platform(dyno.app_id, dyno.name, f"State changed from up to {end.value}")
        await self._router.aflush()
        outcome = outcome_for(status, forced or stop_reason is not None)
        await asyncio.to_thread(self._cleanup, running)
        await asyncio.to_thread(
            lambda: self._store.record_end(
                dyno, exit_status=status, outcome=outcome, state=end, stop_reason=stop_reason
            )
        )
        del self._running[dyno.id]
        try:
            ended = await asyncio.to_thread(self._store.get, dyno.id)
            for callback in self.on_end:
                callback(ended)
        finally:
            # last: ``shutdown`` waits for this, and the database closes after it
            running.finished.set()

    def _kill_all(self, running: Running) -> None:
        """SIGKILL every remaining process of the dyno until none is left."""
        for _ in range(200):
            pids = self._pids(running)
            if not pids or not signal_all(pids, signal.SIGKILL):
                return
            time.sleep(0.005)

    async def _wait_until_empty(self, running: Running) -> None:
        while await asyncio.to_thread(self._pids, running):
            await asyncio.sleep(0.05)

    def _cleanup(self, running: Running) -> None:
        self._workspaces.discard(running.dyno.id)
        if running.cgroup is not None:
            self._cgroups.remove(running.cgroup)

    # stopping --------------------------------------------------------------------------------
    def _stop_soon(self, dyno_id: str, reason: StopReason) -> None:
        self._spawn_task(self.stop(dyno_id, reason), f"stop {dyno_id}")

    def _spawn_task(self, coro: Coroutine[Any, Any, Any], name: str) -> None:
        """Run ``coro`` on the loop and keep it until done, so shutdown can wait for it."""
        task = self.loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self, dyno_id: str, reason: StopReason) -> bool:
        """Force the dyno to end: SIGTERM now, SIGKILL after the grace period.

        Returns False if the dyno is not running here. Logs, for every forced stop, the lines
        of ``messages.stop_lines`` (``Cycling``/``Restarting``, ``State changed from up to ...``),
        ``Stopping all processes with SIGTERM``, then ``Process exited with status N``.
        """
        running = self._running.get(dyno_id)
        if running is None:
            return False
        if running.stop_reason is not None:
            return True
        running.stop_reason = reason
        dyno = running.dyno
        await asyncio.to_thread(self._store.mark_stopping, dyno, reason.value)
        self._router.platform(dyno.app_id, dyno.name, *stop_lines(dyno, reason))
        await asyncio.to_thread(self._store.transition, dyno, State.COMPLETE)
        self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGTERM")
        await asyncio.to_thread(lambda: signal_all(self._pids(running), signal.SIGTERM))
        running.timers.append(self.loop.call_later(self.grace_seconds, self._grace_over, running))
        return True

    def request_stop(self, dyno_id: str, reason: StopReason) -> None:
        """Stop a dyno that may still be launching (it is stopped as soon as it is up)."""
        if dyno_id in self._running:
            self._stop_soon(dyno_id, reason)
        else:
            self._pending_stop[dyno_id] = reason

    def _grace_over(self, running: Running) -> None:
        if running.finished.is_set():
            return
        pids = self._pids(running)
        if not pids:
            return
        dyno = running.dyno
        running.killed = True
        self._router.platform(
            dyno.app_id,
            dyno.name,
            "Error R12 (Exit timeout) -> At least one process failed to exit within "
            f"{self.grace_seconds:g} seconds of SIGTERM",
            "Stopping all processes with SIGKILL",
        )
        signal_all(pids, signal.SIGKILL)
        running.timers.append(self.loop.call_later(0.2, self._grace_over, running))

    async def wait(self, dyno_id: str) -> None:
        running = self._running.get(dyno_id)
        if running is not None:
            await running.finished.wait()

    async def shutdown(self) -> None:
        """Stop every dyno this server runs and wait until each end is recorded.

        Whatever is still running after the grace period and a margin is killed outright, so a
        server never leaves a dyno's processes behind when it stops.
        """
        for dyno_id in list(self._running):
            await self.stop(dyno_id, StopReason.SHUTDOWN)
        deadline = self.loop.time() + self.grace_seconds + 10
        while (self._running or self._tasks) and (remaining := deadline - self.loop.time()) > 0:
            ends = [asyncio.ensure_future(r.finished.wait()) for r in self._running.values()]
            await asyncio.wait([*ends, *self._tasks], timeout=remaining)
            for end in ends:
                end.cancel()
        for running in list(self._running.values()):
            log.error("dyno %s did not end in time at shutdown; killing it", running.dyno.name)
            await asyncio.to_thread(self._kill_all, running)

    # attached dynos --------------------------------------------------------------------------
    async def _drain_attached(self, running: Running, forced: bool) -> str | None:
        """Let the output reach the client; the stop reason if the hangup ended the dyno."""
        assert running.attachment is not None
        await running.attachment.drain(forced)
        if not forced and running.attachment.hung_up and running.proc.returncode == -signal.SIGHUP:
            return StopReason.HANGUP.value
        return None

    def hangup(self, dyno_id: str) -> None:
        """The attached client went away: SIGHUP to every process of the dyno.

        A process that traps it runs on until it exits or its TTL ends.
        """
        running = self._running.get(dyno_id)
        if running is None or running.proc.returncode is not None or running.stop_reason:
            return
        dyno = running.dyno
        self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGHUP")
        pids = self._pids
        self._spawn_task(
            asyncio.to_thread(lambda: signal_all(pids(running), signal.SIGHUP)), f"hangup {dyno_id}"
        )

    def unclaimed(self, dyno_id: str) -> None:
        """Nobody attached in time: log R13 and stop the dyno if it still runs."""
        running = self._running.get(dyno_id)
        if running is None:
            return
        dyno = running.dyno
        self._router.platform(
            dyno.app_id, dyno.name, "Error R13 (Attach error) -> Failed to attach to process"
        )
        if running.proc.returncode is None:
            self._stop_soon(dyno_id, StopReason.ATTACH_TIMEOUT)
