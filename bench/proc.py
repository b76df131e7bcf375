"""What the benchmarks read of processes from /proc: RSS, CPU time, descriptors, and what a
set of dynos left behind (processes carrying their marker, mounts, cgroups, workspaces)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
MARKER = b"RUNOFF_DYNO_ID="
CGROUP_ROOT = Path("/sys/fs/cgroup")


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of ``pid`` (all its threads) so far."""
    stat = Path(f"/proc/{pid}/stat").read_bytes()
    fields = stat[stat.rfind(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def nofile_limits(pid: int) -> tuple[str, str]:
    """(soft, hard) ``Max open files`` of ``pid`` as /proc shows them."""
    for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
        if line.startswith("Max open files"):
            soft, hard = line.split()[3:5]
            return soft, hard
    return "?", "?"


@dataclass(frozen=True)
class Idle:
    rss_bytes: int
    cpu_percent: float  # of one core, over the window
    window_s: float


def measure_idle(pid: int, window_s: float) -> Idle:
    """``pid``'s CPU use over ``window_s`` seconds of wall time, and its RSS at the end."""
    cpu0, wall0 = cpu_seconds(pid), time.monotonic()
    time.sleep(window_s)
    cpu1, wall1 = cpu_seconds(pid), time.monotonic()
    return Idle(rss_bytes(pid), 100 * (cpu1 - cpu0) / (wall1 - wall0), wall1 - wall0)


def marked_pids(dyno_ids: Collection[str]) -> dict[str, list[int]]:
    """Live processes whose environment carries the marker of one of ``dyno_ids``."""
    wanted = {MARKER + dyno_id.encode() for dyno_id in dyno_ids}
    found: dict[str, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(entry.path, "environ").read_bytes()
        except OSError:
            continue
        if MARKER not in environ:
            continue
        for item in environ.split(b"\0"):
            if item in wanted:
                found.setdefault(item[len(MARKER) :].decode(), []).append(int(entry.name))
    return found


def overlay_mounts(under: Path) -> list[str]:
    """Mount points under ``under`` (our mount namespace, /proc/self/mountinfo)."""
    prefix = str(under.resolve())
    points = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if point == prefix or point.startswith(prefix + "/"):
            points.append(point)
    return points


def cgroup_dirs(dyno_ids: Collection[str]) -> list[Path]:
    """Cgroup directories named after one of ``dyno_ids``, in any hierarchy (runoff keeps
    them under ``<its own cgroup>/runoff/``)."""
    wanted = set(dyno_ids)
    found = []
    for top, dirs, _ in os.walk(CGROUP_ROOT):
        if Path(top).name == "runoff":
            found.extend(Path(top, name) for name in dirs if name in wanted)
            dirs.clear()
        elif len(Path(top).relative_to(CGROUP_ROOT).parts) >= 6:
            dirs.clear()  # runoff's parent is at most a few levels down
    return found


def workspace_dirs(data_dir: Path) -> list[Path]:
    """Dyno workspaces left in the data dir (``<data>/dynos/<dyno id>``)."""
    root = data_dir / "dynos"
    if not root.is_dir():
        return []
    return [path for path in root.iterdir() if not path.name.startswith(".")]


@dataclass(frozen=True)
class Leftovers:
    processes: int
    mounts: int
    cgroups: int
    workspaces: int

    @property
    def none(self) -> bool:
        return not (self.processes or self.mounts or self.cgroups or self.workspaces)

    def __str__(self) -> str:
        return (
            f"processes {self.processes}, overlay mounts {self.mounts}, "
            f"cgroup dirs {self.cgroups}, workspaces {self.workspaces}"
        )


def leftovers(dyno_ids: Collection[str], data_dir: Path) -> Leftovers:
    return Leftovers(
        processes=sum(len(pids) for pids in marked_pids(dyno_ids).values()),
        mounts=len(overlay_mounts(data_dir)),
        cgroups=len(cgroup_dirs(dyno_ids)),
        workspaces=len(workspace_dirs(data_dir)),
    )


def sweep(dyno_ids: Collection[str], data_dir: Path) -> None:
    """Remove what ``leftovers`` found (after it was counted), so a failed run does not leave
    the host or the next run with mounts and cgroups: SIGKILL the processes, detach the
    mounts, remove the cgroup directories (deepest first)."""
    for pids in marked_pids(dyno_ids).values():
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)
    for point in sorted(overlay_mounts(data_dir), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)
    for path in cgroup_dirs(dyno_ids):
        with contextlib.suppress(OSError):
            path.rmdir()
