"""The local executor: each dyno a process tree on this machine.

A dyno gets its workspace (an overlay or copy of its slug), its control groups (process
tracking, memory and CPU limits), then ``bash -c COMMAND`` in a new session, on pipes or a
pty — inside a bubblewrap sandbox (``sandbox``) unless isolation is off. Its processes are the
members of its cgroup, or its session plus every process carrying its environment marker
(``process.dyno_pids``). Blocking work (spawning, file systems, /proc) runs in worker threads;
waiting on output and exit uses the event loop (a pidfd per dyno).

Its environment is exactly the spec's, plus ``HOME`` (``/app`` in the sandbox, the workspace's
host path without it), a Heroku-like ``PS1`` unless the spec has one, ``PORT`` for web dynos
and the marker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from runoff.dynos.executor import DynoSpec, StartFailed, Usage, exit_status
from runoff.dynos.local import process, tty, usage
from runoff.dynos.local.cgroups import Cgroups
from runoff.dynos.local.sandbox import Sandbox
from runoff.dynos.local.tty import Stdio
from runoff.dynos.local.workspace import WorkspaceProvider
from runoff.logs.capture import widen_pipe

log = logging.getLogger(__name__)
READ_CHUNK = 1 << 18
# Heroku's prompt: the working directory (``~`` at /app, which is HOME) in blue, a green ``$``.
PS1 = r"\[\033[01;34m\]\w\[\033[00m\] \[\033[01;32m\]$ \[\033[00m\]"


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(eq=False)
class LocalHandle:
    dyno_id: str
    proc: subprocess.Popen[bytes]
    cgroup: Path | None
    executor: LocalExecutor
    stdio: Stdio | None = None  # attached: the server's ends of the terminal
    address: tuple[str, int] | None = None
    sandboxed: bool = False
    _pidfd: int = -1
    _exited: asyncio.Future[int] | None = None
    _cleaned: bool = False

    @property
    def terminal(self) -> Stdio | None:
        return self.stdio

    # output ----------------------------------------------------------------------------------
    async def read(self) -> bytes:
        stdout = self.proc.stdout
        if stdout is None or stdout.closed:
            return b""
        fd = stdout.fileno()
        while True:
            try:
                return os.read(fd, READ_CHUNK)
            except BlockingIOError:
                await _readable(fd)
            except OSError:
                return b""

    # exit ------------------------------------------------------------------------------------
    async def wait(self) -> int:
        if self._exited is None:
            loop = asyncio.get_running_loop()
            self._exited = loop.create_future()
            loop.add_reader(self._pidfd, self._on_exit)
        return await asyncio.shield(self._exited)

    def _on_exit(self) -> None:
        if self.proc.poll() is None or self._exited is None:
            return
        asyncio.get_running_loop().remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = -1
        if not self._exited.done():
            self._exited.set_result(exit_status(self.proc.returncode))

    # processes -------------------------------------------------------------------------------
    def pids(self) -> set[int]:
        return process.dyno_pids(
            cgroups=self.executor.cgroups,
            cgroup=self.cgroup,
            session=self.proc.pid,
            dyno_id=self.dyno_id,
        )

    def _signal(self, sig: signal.Signals) -> int:
        """Deliver ``sig`` to the dyno's processes. In the sandbox, bubblewrap's own processes
        are skipped (the command must see the signal, and its exit status stay its own);
        right after the start, when they are all there is, the command is awaited briefly."""
        found = self.pids()
        for _ in range(200 if self.sandboxed else 0):
            own = found - process.sandbox_helpers(found, self.proc.pid)
            if own or not found:
                return process.signal_all(own, sig)
            time.sleep(0.005)
            found = self.pids()
        return process.signal_all(found, sig)

    async def signal(self, sig: signal.Signals) -> int:
        return await asyncio.to_thread(self._signal, sig)

    async def alive(self) -> bool:
        return bool(await asyncio.to_thread(self.pids))

    async def usage(self) -> Usage | None:
        return await asyncio.to_thread(self._usage)

    def _usage(self) -> Usage | None:
        if self.executor.enforces_memory:
            found = usage.from_cgroup(self.executor.cgroups, self.dyno_id)
            if found is not None:
                return found
        pids = self.pids()
        return usage.from_proc(pids) if pids else None

    async def cleanup(self) -> None:
        if self._cleaned:
            return
        self._cleaned = True
        await asyncio.to_thread(self._cleanup)

    def _cleanup(self) -> None:
        kill_all(self.pids)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.executor.release(self.dyno_id)


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(fd, ready.set_result, None)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def kill_all(pids: Callable[[], set[int]]) -> None:
    """SIGKILL every process ``pids`` finds until none is left (bounded)."""
    for _ in range(200):
        found = pids()
        if not found or not process.signal_all(found, signal.SIGKILL):
            return
        time.sleep(0.005)


class LocalExecutor:
    """Runs dynos on this machine (see the module doc)."""

    name = "local"

    def __init__(
        self,
        *,
        workspaces: WorkspaceProvider,
        cgroups: Cgroups,
        slug_tree: Callable[[str], Path],
        memory_limits: str = "auto",
        sandbox: Sandbox | None = None,
    ) -> None:
        """``sandbox``: run every dyno in it; None: dynos run as the server's user, with
        its view of the machine (``isolation`` is then ``none``)."""
        self.workspaces = workspaces
        self.cgroups = cgroups
        self.sandbox = sandbox
        self._slug_tree = slug_tree
        self.enforces_memory = memory_limits in ("auto", "cgroup") and cgroups.limited
        if memory_limits == "cgroup" and not cgroups.limited:
            log.warning("RUNOFF_MEMORY_LIMITS=cgroup but no memory cgroups here: using watchdog")

    @property
    def isolation(self) -> str:
        return "none" if self.sandbox is None else "sandbox"

    async def start(self, spec: DynoSpec) -> LocalHandle:
        try:
            return await asyncio.to_thread(self._start, spec)
        except OSError as exc:
            raise StartFailed(str(exc)) from exc

    def _start(self, spec: DynoSpec) -> LocalHandle:
        """(In a worker thread.) Workspace, cgroups, then the process."""
        tree = self._slug_tree(spec.slug_id) if spec.slug_id is not None else None
        owner = self.sandbox.owner(spec.app_id) if self.sandbox is not None else None
        app_dir = self.workspaces.create(spec.dyno_id, tree, owner)
        home = "/app" if self.sandbox is not None else str(app_dir)
        env = {"PS1": PS1, **spec.env, "HOME": home, process.MARKER: spec.dyno_id}
        address = None
        if spec.web:
            address = ("127.0.0.1", free_port())
            env["PORT"] = str(address[1])
        limits = spec.limits if self.enforces_memory else None
        cgroup = self.cgroups.create(spec.dyno_id, limits)
        try:
            proc, stdio = self._spawn(spec, app_dir, env, cgroup)
        except OSError:
            self.release(spec.dyno_id)
            raise
        handle = LocalHandle(
            spec.dyno_id, proc, cgroup, self, stdio, address, sandboxed=self.sandbox is not None
        )
        handle._pidfd = os.pidfd_open(proc.pid)
        if proc.stdout is not None:
            os.set_blocking(proc.stdout.fileno(), False)
            widen_pipe(proc.stdout.fileno())
        return handle

    def _spawn(
        self, spec: DynoSpec, app_dir: Path, env: dict[str, str], cgroup: Path | None
    ) -> tuple[subprocess.Popen[bytes], Stdio | None]:
        def start() -> tuple[subprocess.Popen[bytes], Stdio | None]:
            with self._command(spec, app_dir) as (argv, fds):
                if spec.terminal is None:
                    return process.spawn(argv, cwd=app_dir, env=env, pass_fds=fds), None
                return tty.spawn(
                    argv,
                    cwd=app_dir,
                    env=env,
                    tty=spec.terminal.tty,
                    window=spec.terminal.window,
                    pass_fds=fds,
                    ctty_inside=self.sandbox is not None,
                )

        if cgroup is None:
            return start()
        with self.cgroups.entered(cgroup) as born_inside:
            proc, stdio = start()
        if not born_inside:
            with contextlib.suppress(OSError):  # it may already have exited
                self.cgroups.add(cgroup, proc.pid)
        # now, while the moves above keep cgroup migration cheap (a later move would wait
        # an RCU grace period and stall every fork meanwhile); children inherit it
        self.cgroups.join_cpu(spec.dyno_id, proc.pid)
        if self.sandbox is not None:
            self.cgroups.join_cpu_tree(spec.dyno_id, cgroup)
        return proc, stdio

    @contextlib.contextmanager
    def _command(
        self, spec: DynoSpec, app_dir: Path
    ) -> Iterator[tuple[list[str], tuple[int, ...]]]:
        """The dyno's command line and the descriptors it needs, for one spawn."""
        if self.sandbox is None:
            yield ["bash", "-c", spec.command], ()
            return
        with self.sandbox.seccomp_fd() as fd:
            argv = self.sandbox.argv(
                spec.command,
                app_dir=app_dir,
                hostname=spec.dyno_id,
                user=self.sandbox.user(spec.app_id),
                seccomp_fd=fd,
                terminal=spec.terminal is not None and spec.terminal.tty,
            )
            yield argv, (fd,)

    def release(self, dyno_id: str) -> None:
        """(In a worker thread.) Drop the dyno's workspace and control groups (its resource
        cgroups too, which exist even where the pids hierarchy does not)."""
        self.workspaces.discard(dyno_id)
        self.cgroups.remove(dyno_id)

    async def reconcile(self, dyno_ids: Collection[str]) -> None:
        await asyncio.to_thread(self._reconcile, list(dyno_ids))

    def _reconcile(self, dyno_ids: list[str]) -> None:
        for dyno_id in dyno_ids:
            cgroup = self.cgroups.path(dyno_id)
            if cgroup is not None and not cgroup.exists():
                cgroup = None

            def pids(dyno_id: str = dyno_id, cgroup: Path | None = cgroup) -> set[int]:
                return process.dyno_pids(
                    cgroups=self.cgroups, cgroup=cgroup, session=None, dyno_id=dyno_id
                )

            kill_all(pids)
            self.release(dyno_id)

    async def close(self) -> None:
        return None
