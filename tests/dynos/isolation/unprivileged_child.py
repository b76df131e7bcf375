"""Run by test_unprivileged as an ordinary user: the local executor with the sandbox, on a data
dir of that user; prints one JSON object of what its dynos saw and did.

    python3 unprivileged_child.py DATA_DIR
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import uuid
from pathlib import Path

from runoff.dynos.executor import DynoSpec, Terminal, Window
from runoff.dynos.local.cgroups import Cgroups
from runoff.dynos.local.executor import LocalExecutor, LocalHandle
from runoff.dynos.local.sandbox import Sandbox
from runoff.dynos.local.workspace import WorkspaceProvider


def host_processes_with(needle: bytes) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    if needle in handle.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


async def output_of(handle: LocalHandle, until: bytes | None = None) -> bytes:
    out = b""
    while chunk := await handle.read():
        out += chunk
        if until is not None and until in out:
            break
    return out


async def main(data: Path) -> dict[str, object]:
    executor = LocalExecutor(
        workspaces=WorkspaceProvider(data / "dynos"),
        cgroups=Cgroups("auto"),
        slug_tree=lambda slug_id: data / "slug",
        sandbox=Sandbox(data / "sandbox"),
    )

    def spec(command: str, terminal: Terminal | None = None) -> DynoSpec:
        env = {"PATH": "/usr/bin:/bin", "GREETING": "hi"}
        return DynoSpec(
            str(uuid.uuid4()), "app", "run.1", command, env, slug_id="slug", terminal=terminal
        )

    report: dict[str, object] = {"uid": os.getuid(), "isolation": executor.isolation}
    handle = await executor.start(
        spec(
            f"id -u; cat slugfile; echo changed > slugfile; cat slugfile; echo $GREETING; pwd; "
            f"ls {data} 2>&1 | head -n1; ls /proc | grep -c '^[0-9]'; exit 5"
        )
    )
    report["lines"] = (await output_of(handle)).decode().splitlines()
    report["status"] = await handle.wait()
    await handle.cleanup()
    report["slug_after"] = (data / "slug" / "slugfile").read_text()

    marker = f"sleep {os.getpid() % 1000 + 1000}"
    handle = await executor.start(
        spec(f"setsid {marker} </dev/null >/dev/null 2>&1 & echo started; exec sleep 300")
    )
    await output_of(handle, until=b"started")
    report["daemon_running"] = bool(host_processes_with(marker.encode()))
    report["signalled"] = await handle.signal(signal.SIGTERM)
    report["term_status"] = await handle.wait()
    report["daemon_outlives_main"] = bool(host_processes_with(marker.encode()))
    await handle.cleanup()
    report["daemon_after_cleanup"] = bool(host_processes_with(marker.encode()))
    report["alive_after_cleanup"] = await handle.alive()

    handle = await executor.start(spec("tty; exit 3", Terminal(True, Window(24, 80))))
    assert handle.terminal is not None
    out = b""
    while chunk := await handle.terminal.read():
        out += chunk
    report["tty"] = out.decode().strip()
    report["tty_status"] = await handle.wait()
    await handle.cleanup()
    return report


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(Path(sys.argv[1])))))
