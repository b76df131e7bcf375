"""Starting a dyno's process and finding every process that belongs to it.

A dyno runs ``bash -c COMMAND`` in a new session. Its processes are: the members of its cgroup
when cgroups are available; otherwise every process in its session plus every process whose
environment carries the dyno's marker (``RUNOFF_DYNO_ID``), which catches children that
daemonized out of the session.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path

from runoff.dynos.local.cgroups import Cgroups

MARKER = "RUNOFF_DYNO_ID"


def spawn(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    stdin: int | None = subprocess.DEVNULL,
) -> subprocess.Popen[bytes]:
    """Start ``bash -c command`` in its own session, stdout and stderr on one pipe."""
    return subprocess.Popen(
        ["bash", "-c", command],
        cwd=cwd,
        env=dict(env),
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        close_fds=True,
    )


def exit_status(returncode: int) -> int:
    """Shell convention: killed by signal N -> 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


def _session_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # fields after the parenthesised command: state ppid pgrp session ...
    fields = stat[stat.rfind(b")") + 2 :].split()
    return int(fields[3]) if len(fields) > 3 and fields[0] != b"Z" else None


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
