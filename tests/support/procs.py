"""Finding a dyno's processes from the host, as the server does without cgroups: by the
``RUNOFF_DYNO_ID`` marker in each process's environment."""

from __future__ import annotations

import os
from pathlib import Path


def marked_processes(dyno_id: str, *, zombies: bool = True) -> list[int]:
    """Pids whose environment carries ``dyno_id``'s marker (never this process); zombies
    (ended, not yet reaped) only when ``zombies``."""
    marker = f"RUNOFF_DYNO_ID={dyno_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            if not zombies and b") Z" in (entry / "stat").read_bytes():
                continue
        except OSError:
            continue
        found.append(int(entry.name))
    return found
