"""Per-dyno control groups, used to find (and kill) every process of a dyno.

A process that double-forks and calls ``setsid`` leaves its dyno's session and process group,
but not its cgroup. Where the host lets us create cgroups (root, v1 ``pids`` hierarchy or
cgroup v2), each dyno gets ``<our cgroup>/runoff/<dyno id>``; elsewhere ``available`` is False
and the dyno manager falls back to sessions plus an environment marker (see ``process``).

On cgroup v1 hosts the dyno also gets a cgroup in the ``memory``, ``cpu`` and ``cpuacct``
hierarchies that let us create one (``limited``), where ``Limits`` are applied: the memory
limit and the CPU shares of its size, and from where its usage is read.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from runoff.dynos.executor import Limits

log = logging.getLogger(__name__)
ROOT = Path("/sys/fs/cgroup")


def _own_path(controller: str) -> str | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(",") or (controller == "" and controllers == ""):
            return path
    return None


def _hierarchy() -> Path | None:
    """The directory under which we may create dyno cgroups, or None."""
    v1 = ROOT / "pids"
    if v1.is_dir() and (own := _own_path("pids")) is not None:
        return v1 / own.lstrip("/") / "runoff"
    if (ROOT / "cgroup.controllers").exists() and (own := _own_path("")) is not None:
        return ROOT / own.lstrip("/") / "runoff"
    return None


RESOURCE_CONTROLLERS = ("memory", "cpu", "cpuacct")


def _resource_parents() -> dict[str, Path]:
    """The v1 resource hierarchies under which we can create cgroups."""
    found = {}
    for controller in RESOURCE_CONTROLLERS:
        own = _own_path(controller)
        base = ROOT / controller
        if own is None or not base.is_dir() or (base / "cgroup.controllers").exists():
            continue
        parent = base / own.lstrip("/") / "runoff"
        try:
            parent.mkdir(parents=True, exist_ok=True)
            probe = parent / f"probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
        except OSError as exc:
            log.info("no %s cgroups for dynos (%s)", controller, exc)
            continue
        found[controller] = parent
    return found


class Cgroups:
    def __init__(self, mode: str = "auto", *, resources: bool = False) -> None:
        """``resources``: also give dynos memory/cpu/cpuacct cgroups where possible."""
        self.parent: Path | None = None
        self.resources: dict[str, Path] = {}
        if mode == "off":
            return
        parent = _hierarchy()
        try:
            if parent is None:
                raise OSError("no writable cgroup hierarchy")
            parent.mkdir(parents=True, exist_ok=True)
            probe = parent / f"probe-{os.getpid()}"
            probe.mkdir(exist_ok=True)
            probe.rmdir()
            self.parent = parent
        except OSError as exc:
            if mode == "on":
                raise
            log.info("per-dyno cgroups unavailable (%s); using sessions and markers", exc)
        if resources and self.parent is not None:
            self.resources = _resource_parents()

    @property
    def available(self) -> bool:
        return self.parent is not None

    def path(self, dyno_id: str) -> Path | None:
        return self.parent / dyno_id if self.parent else None

    @property
    def limited(self) -> bool:
        """Memory is limited and measured per dyno by the kernel."""
        return "memory" in self.resources

    def resource_path(self, controller: str, dyno_id: str) -> Path | None:
        parent = self.resources.get(controller)
        return parent / dyno_id if parent is not None else None

    def create(self, dyno_id: str, limits: Limits | None = None) -> Path | None:
        path = self.path(dyno_id)
        if path is not None:
            path.mkdir(exist_ok=True)
            self._create_resources(dyno_id, limits)
        return path

    def _create_resources(self, dyno_id: str, limits: Limits | None) -> None:
        for parent in self.resources.values():
            (parent / dyno_id).mkdir(exist_ok=True)
        if limits is None:
            return
        if memory := self.resource_path("memory", dyno_id):
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            (memory / "memory.soft_limit_in_bytes").write_text(str(limits.soft_memory_bytes))
        if cpu := self.resource_path("cpu", dyno_id):
            (cpu / "cpu.shares").write_text(str(limits.cpu_shares))

    @staticmethod
    def add(path: Path, pid: int) -> None:
        (path / "cgroup.procs").write_text(str(pid))

    @contextlib.contextmanager
    def entered(self, path: Path) -> Iterator[bool]:
        """Move the calling thread into ``path`` for the duration of the block.

        A process forked inside the block is born in the dyno's cgroup, so even its earliest
        children cannot escape; moving one thread (cgroup v1 ``tasks``) costs ~0.1 ms where
        moving a whole process after the fact costs ~10 ms (an RCU grace period). Yields False
        when per-thread membership is not available (cgroup v2): the caller must ``add``.
        """
        tasks = path / "tasks"
        if self.parent is None or not tasks.exists():
            yield False
            return
        tid = str(threading.get_native_id())
        entered = [(tasks, self.parent.parent / "tasks")]
        for controller, parent in self.resources.items():
            # moving a thread in and out of a cpu cgroup costs ~1 ms (the scheduler's groups):
            # dyno processes join theirs after they start instead (``join_cpu``)
            if controller != "cpu":
                entered.append((parent / path.name / "tasks", parent.parent / "tasks"))
        done: list[Path] = []
        try:
            for inside, _ in entered:
                inside.write_text(tid)
                done.append(inside)
            yield True
        finally:
            for inside, outside in entered:
                if inside in done:
                    outside.write_text(tid)

    def join_cpu(self, dyno_id: str, pid: int) -> None:
        """Move the dyno's new process into its cpu cgroup (so its size's CPU shares apply;
        its children inherit it); skipped if it is gone meanwhile."""
        cpu = self.resource_path("cpu", dyno_id)
        if cpu is None:
            return
        with contextlib.suppress(OSError):
            (cpu / "cgroup.procs").write_text(str(pid))

    def join_cpu_tree(self, dyno_id: str, tracked: Path, rounds: int = 3) -> None:
        """Move into the dyno's cpu cgroup every member of its tracking cgroup that is not
        there yet: a sandbox forks its init, and the init the command, possibly before
        ``join_cpu`` moved the sandbox's first process (children forked after a move
        inherit it, so a few rounds catch every straggler)."""
        cpu = self.resource_path("cpu", dyno_id)
        if cpu is None:
            return
        for _ in range(rounds):
            stray = set(self.pids(tracked)) - set(self.pids(cpu))
            if not stray:
                return
            for pid in stray:
                with contextlib.suppress(OSError):  # gone meanwhile
                    (cpu / "cgroup.procs").write_text(str(pid))

    @staticmethod
    def pids(path: Path) -> list[int]:
        try:
            return [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    def remove(self, dyno_id: str) -> None:
        """Remove the dyno's cgroups (those that exist)."""
        for parent in self.resources.values():
            self._rmdir(parent / dyno_id)
        if (path := self.path(dyno_id)) is not None:
            self._rmdir(path)

    @staticmethod
    def _rmdir(path: Path) -> None:
        try:
            path.rmdir()
        except OSError as exc:
            if path.exists():
                log.warning("could not remove cgroup %s: %s", path, exc)
