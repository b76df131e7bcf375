"""Starting a dyno's process and finding every process that belongs to it.

A dyno runs ``bash -c COMMAND`` (possibly inside a sandbox, see ``sandbox``) in a new session.
Its processes are: the members of its cgroup when cgroups are available; otherwise every
process in its session plus every process whose environment carries the dyno's marker
(``RUNOFF_DYNO_ID``), which catches children that daemonized out of the session.

A sandboxed dyno's first two processes are bubblewrap's own: the spawned process (which exits
with the command's status) and its child, the reaping init of the dyno's PID namespace
(``sandbox_helpers``). Signals meant for the dyno skip them, so the command sees the signal
and its exit status stays its own; a kill of everything includes them.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

from runoff.dynos.local.cgroups import Cgroups

MARKER = "RUNOFF_DYNO_ID"


def spawn(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdin: int | None = subprocess.DEVNULL,
    pass_fds: Collection[int] = (),
) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own session, stdout and stderr on one pipe."""
    return subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
        pass_fds=tuple(pass_fds),
    )


def exit_status(returncode: int) -> int:
    """Shell convention: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _stat_fields(pid: int) -> list[bytes]:
    """The fields of /proc/PID/stat after the parenthesised command: state ppid pgrp session
    ... (empty if the process is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return []
    return stat[stat.rfind(b")") + 2 :].split()


def _session_of(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[3]) if len(fields) > 3 and fields[0] != b"Z" else None


def sandbox_helpers(pids: Collection[int], spawned: int) -> set[int]:
    """Of ``pids``, bubblewrap's own processes: ``spawned`` and its children (the reaper)."""
    helpers = {spawned} & set(pids)
    for pid in pids:
        fields = _stat_fields(pid)
        if len(fields) > 1 and int(fields[1]) == spawned:
            helpers.add(pid)
    return helpers


def _has_marker(pid: int, marker: bytes) -> bool:
    try:
        return marker in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def dyno_pids(
    *, cgroups: Cgroups, cgroup: Path | None, session: int | None, dyno_id: str
) -> set[int]:
    """Every live process of the dyno (never our own process)."""
    if cgroup is not None:
        found = set(cgroups.pids(cgroup))
    else:
        found = set()
        marker = f"{MARKER}={dyno_id}".encode()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            pid = int(entry.name)
            if (session is not None and _session_of(pid) == session) or _has_marker(pid, marker):
                found.add(pid)
    found.discard(os.getpid())
    return found


def signal_all(pids: set[int], sig: signal.Signals) -> int:
    """Send ``sig`` to each pid; returns how many were still there to receive it."""
    delivered = 0
    for pid in pids:
        try:
            os.kill(pid, sig)
            delivered += 1
        except (ProcessLookupError, PermissionError):
            pass
    return delivered
