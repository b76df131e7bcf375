"""Reading what a dyno uses: memory and CPU time, from its cgroups or from /proc.

With per-dyno memory cgroups (v1) the kernel's own accounting is read (``memory.stat``,
``memory.oom_control``, ``cpuacct.usage``). Without them the dyno's processes are summed from
``/proc`` (resident pages and CPU ticks from ``stat``, ``VmSwap`` from ``status`` when the host
has swap); cache and paging counts are then unknown (0).
``proc`` can point elsewhere for tests.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from pathlib import Path

from runoff.dynos.executor import Usage
from runoff.dynos.local.cgroups import Cgroups

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
READ_SIZE = 1 << 16  # memory.stat is ~1 KB, /proc/<pid>/status ~1.5 KB


def _read(path: Path) -> str | None:
    """The file's text, or None if it cannot be read. One ``read`` call: these are small
    kernel files, read for every dyno each check, where ``Path.read_text``'s buffered reader
    cost twice as much."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        return os.read(fd, READ_SIZE).decode("ascii", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


def _keyed(text: str | None, keys: Collection[str]) -> dict[str, int]:
    """The integer values of ``keys`` in ``key value`` lines."""
    values: dict[str, int] = {}
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if key in keys and value.strip().isdigit():
            values[key] = int(value)
    return values


STAT_KEYS = frozenset(("total_rss", "total_cache", "total_swap", "total_pgpgin", "total_pgpgout"))
OOM_KEYS = frozenset(("oom_kill",))


def from_cgroup(cgroups: Cgroups, dyno_id: str) -> Usage | None:
    """The dyno's usage as its memory and cpuacct cgroups count it; None without them."""
    memory = cgroups.resource_path("memory", dyno_id)
    stat = _keyed(_read(memory / "memory.stat"), STAT_KEYS) if memory else {}
    if not stat:
        return None
    assert memory is not None
    oom = _keyed(_read(memory / "memory.oom_control"), OOM_KEYS)
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


def _host_swaps(proc: Path) -> bool:
    """Whether any swap area is active (``/proc/swaps`` lists one below its header)."""
    text = _read(proc / "swaps")
    return text is not None and len(text.strip().splitlines()) > 1


def from_proc(pids: Iterable[int], proc: Path = Path("/proc")) -> Usage:
    """The sum over ``pids`` (processes that vanish meanwhile are skipped).

    RSS and CPU ticks come from each process's ``stat``; ``status`` (``VmSwap``) is read too
    only while the host has swap, so a reading costs one file per process on most hosts.
    """
    pids = list(pids)
    swapping = bool(pids) and _host_swaps(proc)
    rss = swap = ticks = 0
    for pid in pids:
        stat = _read(proc / str(pid) / "stat")
        if stat is None:
            continue
        # after the parenthesised command: fields 14-17 of stat are utime stime cutime cstime,
        # field 24 the resident set in pages
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) < 22:
            continue
        ticks += sum(int(value) for value in fields[11:15])
        rss += int(fields[21]) * PAGE
        if swapping:
            swap += _swapped(_read(proc / str(pid) / "status"))
    return Usage(rss, 0, swap, 0, 0, ticks / TICKS)


def _swapped(status: str | None) -> int:
    for line in (status or "").splitlines():
        if line.startswith("VmSwap:"):
            return int(line.split()[1]) * 1024
    return 0
