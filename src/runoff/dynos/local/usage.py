"""Reading what a dyno uses: memory and CPU time, from its cgroups or from /proc.

With per-dyno memory cgroups (v1) the kernel's own accounting is read (``memory.stat``,
``memory.oom_control``, ``cpuacct.usage``). Without them the dyno's processes are summed from
``/proc`` (``VmRSS``, ``VmSwap``, CPU ticks); cache and paging counts are then unknown (0).
``proc`` can point elsewhere for tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from runoff.dynos.executor import Usage
from runoff.dynos.local.cgroups import Cgroups

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def _keyed(text: str | None) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[key] = int(value)
    return values


def from_cgroup(cgroups: Cgroups, dyno_id: str) -> Usage | None:
    """The dyno's usage as its memory and cpuacct cgroups count it; None without them."""
    memory = cgroups.resource_path("memory", dyno_id)
    stat = _keyed(_read(memory / "memory.stat")) if memory else {}
    if not stat:
        return None
    assert memory is not None
    oom = _keyed(_read(memory / "memory.oom_control"))
    cpuacct = cgroups.resource_path("cpuacct", dyno_id)
    cpu_ns = _read(cpuacct / "cpuacct.usage") if cpuacct else None
    return Usage(
        rss=stat.get("total_rss", 0),
        cache=stat.get("total_cache", 0),
        swap=stat.get("total_swap", 0),
        pgpgin=stat.get("total_pgpgin", 0),
        pgpgout=stat.get("total_pgpgout", 0),
        cpu_seconds=int(cpu_ns) / 1e9 if cpu_ns and cpu_ns.strip().isdigit() else 0.0,
        oom_kills=oom.get("oom_kill", 0),
    )


def from_proc(pids: Iterable[int], proc: Path = Path("/proc")) -> Usage:
    """The sum over ``pids`` (processes that vanish meanwhile are skipped)."""
    rss = swap = ticks = 0
    for pid in pids:
        status = _read(proc / str(pid) / "status")
        stat = _read(proc / str(pid) / "stat")
        if status is None or stat is None:
            continue
        for line in status.splitlines():
            if line.startswith(("VmRSS:", "VmSwap:")):
                kilobytes = int(line.split()[1]) * 1024
                if line.startswith("VmRSS:"):
                    rss += kilobytes
                else:
                    swap += kilobytes
        # after the parenthesised command: fields 14-17 of stat are utime stime cutime cstime
        fields = stat[stat.rfind(")") + 2 :].split()
        ticks += sum(int(value) for value in fields[11:15])
    return Usage(rss, 0, swap, 0, 0, ticks / TICKS)
