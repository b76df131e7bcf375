"""Run records stay true across a graceful stop and a kill -9 of the server, and a kill -9
leaves nothing of the dynos on the machine once a server starts again on the data dir."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, ServerProcess
from tests.support.procs import marked_processes
from tests.support.rendezvous import Client, attach
from tests.support.slugs import deploy


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
    pid = [p for p in marked_processes(dyno_id) if _cmd(p).startswith("bash")]
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


def _cmd(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


# What a kill -9 of the server must not leave on the machine --------------------------------

DETACHED = [
    "echo up; sleep 300",
    # double-forks out of the dyno's session, as a daemon does
    "setsid bash -c 'sleep 301' </dev/null >/dev/null 2>&1 & echo up; sleep 300",
    # a child that ignores the hangup of a closed terminal or pipe
    "nohup sleep 302 </dev/null >/dev/null 2>&1 & echo up; wait",
]
WORKER = "echo up; sleep 304"
# attached, on a pty whose server end dies with the server: ignores the hangup
ATTACHED = "trap '' HUP; echo attached-up; sleep 303"


@dataclass
class Remains:
    """What of some dynos is on this machine."""

    processes: set[int] = field(default_factory=set)
    mounts: list[str] = field(default_factory=list)  # their overlay mounts (mount points)
    cgroups: set[Path] = field(default_factory=set)
    workspaces: list[Path] = field(default_factory=list)


def remains(
    data: Path, dyno_ids: list[str], cgroups: set[Path], others: Collection[str] = ()
) -> Remains:
    """What is left of ``dyno_ids``; ``cgroups``: their cgroup directories, found earlier.
    Its mounts: every mount under the data dir but the workspaces of ``others`` (dynos that
    run now)."""
    mount_points = [
        line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
    ]
    running = tuple(f"{data}/dynos/{i}/" for i in others)
    return Remains(
        processes={p for dyno_id in dyno_ids for p in marked_processes(dyno_id) if alive(p)},
        mounts=[p for p in mount_points if p.startswith(f"{data}/") and not p.startswith(running)],
        cgroups={path for path in cgroups if path.exists()},
        workspaces=[data / "dynos" / i for i in dyno_ids if (data / "dynos" / i).exists()],
    )


def cgroups_of(pids: set[int], dyno_ids: list[str]) -> set[Path]:
    """The cgroup directories of ``pids`` that belong to one of ``dyno_ids``."""
    found = set()
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            _, controllers, path = line.split(":", 2)
            if not any(dyno_id in path for dyno_id in dyno_ids):
                continue
            hierarchy = controllers.removeprefix("name=") or "unified"
            for name in (hierarchy, *hierarchy.split(",")):
                directory = Path("/sys/fs/cgroup", name, path.lstrip("/"))
                if directory.is_dir():
                    found.add(directory)
    return found


@pytest.fixture
def servers(tmp_path: Path, database_url: str) -> Iterator[Callable[[], ServerProcess]]:
    """Servers on one data dir, started in turn; whatever a failing test leaves is killed."""
    started: list[ServerProcess] = []

    def start() -> ServerProcess:
        started.append(ServerProcess(tmp_path / "data", database_url).start())
        return started[-1]

    yield start
    for server in started:
        if server.proc is not None and server.proc.poll() is None:
            server.terminate()


def test_kill_9_then_restart_leaves_nothing_of_the_dynos(
    tmp_path: Path, servers: Callable[[], ServerProcess]
) -> None:
    data = tmp_path / "data"
    api = Api((first := servers()).url, ADMIN_TOKEN)
    api.create_app("leftovers")
    deploy(api, "leftovers", {"Procfile": f"worker: {WORKER}\n", "data.txt": "x"})
    api.patch("/apps/leftovers/formation", {"updates": [{"type": "worker", "quantity": 1}]}).ok()
    ids = [api.run("leftovers", command)["id"] for command in DETACHED]
    wait_for(
        lambda: {d["name"] for d in api.get("/apps/leftovers/dynos").ok()} >= {"worker.1"},
        30,
        "the worker",
    )
    ids.append(api.dyno("leftovers", "worker.1")["id"])
    names = [f"run.{n}" for n in range(1, len(DETACHED) + 1)] + ["worker.1"]
    wait_for(
        lambda: {f"app[{name}]: up" for name in names} <= set(api.messages("leftovers")),
        30,
        "the detached dynos' output",
    )
    attached = attach(api, "leftovers", ATTACHED)
    ids.append(attach(api, "leftovers", ATTACHED)["id"])  # never claimed
    client = Client(attached["attach_url"], data / "tls" / "ca.pem")
    try:
        client.read_banner()
        client.read_until(b"attached-up")
        ids.append(attached["id"])
        wait_for(lambda: len(marked_processes(ids[1])) >= 2, 10, "the daemon to fork")
        before = remains(data, ids, set())
        before.cgroups = cgroups_of(before.processes, ids)
        first.kill()
    finally:
        client.close()

    api = Api(servers().url, ADMIN_TOKEN)
    reasons = [api.dyno("leftovers", dyno_id)["stop_reason"] for dyno_id in ids]
    # the new server starts a worker.1 of its own: once it is up, nothing else may appear
    new_worker = wait_for(
        lambda: [d for d in api.get("/apps/leftovers/dynos").ok() if d["state"] == "up"],
        30,
        "the new worker",
    )
    after = remains(data, ids, before.cgroups, [dyno["id"] for dyno in new_worker])
    try:
        assert reasons == ["lost"] * len(ids)
        # every kind of remains was there before the kill, or the last check proves nothing
        assert len(before.processes) >= len(ids) + 1, before  # two dynos forked
        assert len(before.workspaces) >= len(ids) - 1, before  # all but the unclaimed one
        if os.geteuid() == 0:  # root: overlay workspaces and per-dyno cgroups
            assert len(before.mounts) >= len(ids) - 1, before
            assert len({path.name for path in before.cgroups}) >= len(ids) - 1, before
        assert after == Remains(), (before, after)
    finally:
        for pid in after.processes:  # never leave a failing run's processes behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
