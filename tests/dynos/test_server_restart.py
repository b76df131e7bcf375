"""Run records stay true across a graceful stop and a kill -9 of the server."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, ServerProcess


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return ") Z" not in stat


def test_kill_9_then_restart_reconciles_lost_dynos(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "data"
    first = ServerProcess(data, database_url).start()
    api = Api(first.url, ADMIN_TOKEN)
    api.create_app("crashy")
    api.run("crashy", "true")
    api.wait_ended("crashy", "run.1")
    dyno_id = api.run("crashy", "echo before; sleep 120")["id"]
    wait_for(lambda: "app[run.2]: before" in api.messages("crashy"), 10, "output")
    pid = [p for p in _pids_of_marker(dyno_id) if _cmd(p).startswith("bash")]
    first.kill()

    second = ServerProcess(data, database_url).start()
    api = Api(second.url, ADMIN_TOKEN)
    lost = api.dyno("crashy", "run.2")
    assert lost["state"] == "complete"
    assert lost["exit_status"] is None
    assert lost["outcome"] == "timed_out"
    assert lost["stop_reason"] == "lost"
    assert lost["ended_at"] is not None
    finished = api.dyno("crashy", "run.1")
    assert (finished["exit_status"], finished["outcome"]) == (0, "succeeded")
    messages = api.messages("crashy", dyno="run.2")
    assert messages[-2].startswith("heroku[run.2]: Process lost: the runoff server")
    assert messages[-1] == "heroku[run.2]: State changed from up to complete"
    assert all(not alive(p) for p in pid)
    assert api.get("/apps/crashy/dynos").ok() == []
    assert api.run("crashy", "true")["name"] == "run.3"
    second.terminate()


def test_graceful_stop_ends_running_dynos_as_forced_exits(
    tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "data"
    server = ServerProcess(data, database_url).start()
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("graceful")
    api.run("graceful", "sleep 120")
    assert server.terminate() == 0

    again = ServerProcess(data, database_url).start()
    api = Api(again.url, ADMIN_TOKEN)
    ended = api.dyno("graceful", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (
        143,
        "timed_out",
        "shutdown",
    )
    assert api.messages("graceful", source="heroku")[-2:] == [
        "heroku[run.1]: Stopping all processes with SIGTERM",
        "heroku[run.1]: Process exited with status 143",
    ]
    again.terminate()


def _pids_of_marker(dyno_id: str) -> list[int]:
    """The processes of this dyno only: other tests run dynos at the same time."""
    marker = f"RUNOFF_DYNO_ID={dyno_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return [p for p in found if p != os.getpid()]


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


_ = signal
