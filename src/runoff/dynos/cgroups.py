"""Per-dyno control groups, used to find (and kill) every process of a dyno.

A process that double-forks and calls ``setsid`` leaves its dyno's session and process group,
but not its cgroup. Where the host lets us create cgroups (root, v1 ``pids`` hierarchy or
cgroup v2), each dyno gets ``<our cgroup>/runoff/<dyno id>``; elsewhere ``available`` is False
and the dyno manager falls back to sessions plus an environment marker (see ``process``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path

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


class Cgroups:
    def __init__(self, mode: str = "auto") -> None:
        self.parent: Path | None = None
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

    @property
    def available(self) -> bool:
        return self.parent is not None

    def path(self, dyno_id: str) -> Path | None:
        return self.parent / dyno_id if self.parent else None

    def create(self, dyno_id: str) -> Path | None:
        path = self.path(dyno_id)
        if path is not None:
            path.mkdir(exist_ok=True)
        return path

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
        tasks.write_text(tid)
        try:
            yield True
        finally:
            (self.parent.parent / "tasks").write_text(tid)

    @staticmethod
    def pids(path: Path) -> list[int]:
        try:
            return [int(p) for p in (path / "cgroup.procs").read_text().split()]
        except OSError:
            return []

    @staticmethod
    def remove(path: Path) -> None:
        try:
            path.rmdir()
        except OSError as exc:
            if path.exists():
                log.warning("could not remove cgroup %s: %s", path, exc)
