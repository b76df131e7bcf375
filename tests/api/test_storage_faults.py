"""The storage failing for real: a full disk answers 507, an unreachable database 503 with
Retry-After; reads still answer, nothing stored is damaged, and the server works again once
the space is freed or the database is back, without a restart."""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from runoff.store.faults import QuietFaults
from tests.support.api import Api, Reply, wait_for
from tests.support.databases import backend_name, fresh_database_url
from tests.support.live import ADMIN_TOKEN, LiveServer, ServerProcess
from tests.support.live import test_settings as live_settings
from tests.support.procs import marked_processes
from tests.support.runcli import run_cli
from tests.support.slugs import make_slug

ROOT = Path(__file__).resolve().parents[2]


def _needs_root() -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs and running PostgreSQL as `postgres` need root")


def _upload(api: Api, app: str, size: int) -> Reply:
    slug = make_slug({"Procfile": "worker: true\n", "blob": os.urandom(size)})
    return api.request(
        "POST", f"/apps/{app}/slugs", raw=slug, headers={"Content-Type": "application/gzip"}
    )


def _fill(disk: Path) -> Path:
    """A file that takes all the space left on ``disk``."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError as exc:
            if exc.errno != 28:  # ENOSPC
                raise
    return filler


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MiB tmpfs: the data dir, and the SQLite database when the backend is SQLite."""
    _needs_root()
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(disk)], check=True)
    try:
        yield disk
    finally:
        subprocess.run(["umount", str(disk)], check=False)
        if os.path.ismount(disk):
            subprocess.run(["umount", "-l", str(disk)], check=True)


@pytest.fixture
def disk_server(small_disk: Path, database_url: str) -> Iterator[LiveServer]:
    with fresh_database_url(small_disk) as url:
        url = url if backend_name() == "sqlite" else database_url
        server = LiveServer(live_settings(small_disk / "data", url)).start()
        try:
            yield server
        finally:
            server.stop()


def test_a_full_disk_refuses_writes_with_507_and_recovers(
    disk_server: LiveServer, small_disk: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(QuietFaults())  # as runoff.server installs it
    api = Api(disk_server.url, ADMIN_TOKEN)
    app = api.create_app("full")["name"]
    api.patch(f"/apps/{app}/config-vars", {"KEEP": "before"}).ok()
    runner = api.run(app, "sleep 300")
    filler = _fill(small_disk)

    refused = _upload(api, app, 256 * 1024)
    assert refused.status == 507, refused
    assert refused.body["id"] == "insufficient_storage"
    assert "disk is full" in refused.body["message"]

    source = tmp_path / "src"
    source.mkdir()
    (source / "Procfile").write_text("worker: true\n")
    (source / "blob").write_bytes(os.urandom(1024 * 1024))
    deploy = run_cli(disk_server.url, ADMIN_TOKEN, tmp_path, "deploy", str(source), "-a", app)
    assert deploy.code != 0
    assert "disk is full" in deploy.err, deploy
    assert "unreachable" not in deploy.err

    # the database's writes, on SQLite, run out of space as well: 507, never 500
    answers = []
    for n in range(8):
        reply = api.patch(f"/apps/{app}/config-vars", {f"BIG_{n}": str(n) * 30000})
        answers.append(reply.status)
        if reply.status == 507:
            assert reply.body["id"] == "insufficient_storage"
            break
    assert set(answers) <= {200, 507}
    if backend_name() == "sqlite":
        assert answers[-1] == 507

    # a dyno needs a workspace in the data dir (and, on SQLite, its record): 507, not 500
    started = api.post(f"/apps/{app}/dynos", {"command": "true", "attach": False})
    assert started.status in (201, 507), started

    # reads answer; a stop is carried out even where the store cannot record it (SQLite on the
    # full disk): a runaway filling the disk can always be stopped
    assert api.get(f"/apps/{app}/config-vars").ok()["KEEP"] == "before"
    assert [a["name"] for a in api.get("/apps").ok()] == [app]
    stopped = api.post(f"/apps/{app}/dynos/{runner['name']}/actions/stop")
    assert stopped.status == 202, stopped
    # logs are read through a log session, which the store cannot take now: still served
    said = api.messages(app, dyno=runner["name"])
    assert f"heroku[{runner['name']}]: Starting process with command `sleep 300`" in said
    wait_for(
        lambda: not marked_processes(runner["id"], zombies=False),
        30,
        "the stopped dyno's processes to end",
    )

    filler.unlink()
    assert _upload(api, app, 1024).status == 201
    after = api.patch(f"/apps/{app}/config-vars", {"AFTER": "freed"}).ok()
    assert after["KEEP"] == "before"
    assert api.post(f"/apps/{app}/dynos/{runner['name']}/actions/stop").status in (202, 404)
    ended = api.wait_ended(app, runner["name"], timeout=90)  # recorded once space is back
    assert (ended["stop_reason"], ended["outcome"]) == ("stopped", "timed_out")
    if backend_name() == "sqlite":
        with sqlite3.connect(small_disk / "runoff.db") as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    # one line when the disk filled, one when it was freed; no traceback
    said = [r.getMessage() for r in caplog.records if r.name == "runoff.store.faults"]
    full = "insufficient_storage (files): The server's disk is full"
    assert sum(line.startswith(full) for line in said) == 1, said
    assert "insufficient_storage (files): cleared, the storage works again" in said
    assert sum("(database): The server's disk is full" in line for line in said) <= 1
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test's own (scripts/pg-throwaway), to stop and restart."""

    dir: Path
    url: str

    @property
    def port(self) -> str:
        return (self.dir / "port").read_text().strip()

    def stop(self) -> None:
        subprocess.run([ROOT / "scripts/pg-throwaway", "stop", self.dir], check=True)

    def start_again(self) -> None:
        """On the same port as before (the script would pick another)."""
        pg_ctl = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))[-1]
        subprocess.run(
            [
                *("runuser", "-u", "postgres", "--", pg_ctl, "-D", self.dir / "data"),
                *("-l", self.dir / "pg.log", "-w", "-o", f"-p {self.port}", "start"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    _needs_root()
    if not glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"):
        pytest.skip("no PostgreSQL server binaries")
    folder = Path(tempfile.mkdtemp(prefix="runoff-pg-outage-", dir="/tmp"))
    folder.chmod(0o755)
    script = ROOT / "scripts/pg-throwaway"
    try:
        started = subprocess.run(
            [script, "start", folder], check=True, capture_output=True, text=True
        )
        yield Cluster(folder, started.stdout.split()[-1])
    finally:
        subprocess.run([script, "stop", folder], check=False, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _outage_answers(api: Api, app: str) -> list[Reply]:
    return [
        api.get("/apps"),
        api.get(f"/apps/{app}/config-vars"),
        api.post("/apps", {"name": "during"}),
        api.patch(f"/apps/{app}/config-vars", {"DURING": "outage"}),
        api.get(f"/apps/{app}/releases"),
    ]


def test_an_unreachable_database_answers_503_and_recovers(cluster: Cluster, tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", cluster.url).start()
    try:
        api = Api(server.url, ADMIN_TOKEN)
        app = api.create_app("steady")["name"]
        api.patch(f"/apps/{app}/config-vars", {"KEEP": "before"}).ok()
        log_start = server.log.stat().st_size

        cluster.stop()
        for _ in range(3):
            for reply in _outage_answers(api, app):
                assert reply.status == 503, reply
                assert reply.body["id"] == "service_unavailable"
                assert "unreachable" in reply.body["message"]
                assert reply.headers["retry-after"].isdigit()
        time.sleep(3)  # the background threads' passes fail meanwhile (heartbeat, stops, ...)
        cluster.start_again()

        back = wait_for(
            lambda: (r := api.get(f"/apps/{app}/config-vars")).status == 200 and r,
            60,
            "the database to be back",
        )
        assert back.body == {"KEEP": "before"}
        api.patch(f"/apps/{app}/config-vars", {"AFTER": "back"}).ok()
        assert [a["name"] for a in api.get("/apps").ok()] == [app]
        assert max(r["version"] for r in api.get(f"/apps/{app}/releases").ok()) == 3
    finally:
        server.terminate()

    outage = server.log.read_text(errors="replace")[log_start:]
    assert outage.count("service_unavailable (database): The database is unreachable") == 1
    assert outage.count("service_unavailable (database): cleared") == 1, outage
    assert "Traceback" not in outage, outage


def test_a_run_across_a_database_restart_loses_no_line(cluster: Cluster, tmp_path: Path) -> None:
    """PostgreSQL restarted while a dyno writes: its lines and its end are all stored once the
    database is back (the log writer and the lifecycle retry; nothing is dropped)."""
    server = ServerProcess(tmp_path / "data", cluster.url).start()
    try:
        api = Api(server.url, ADMIN_TOKEN)
        app = api.create_app("through")["name"]
        dyno = api.run(app, "for i in $(seq 1 80); do echo line-$i; sleep 0.05; done")
        wait_for(lambda: "app[run.1]: line-5" in api.messages(app), 30, "the first lines")
        cluster.stop()
        time.sleep(2)  # the dyno goes on writing meanwhile
        cluster.start_again()
        ended = wait_for(
            lambda: (
                (r := api.get(f"/apps/{app}/dynos/{dyno['name']}")).status == 200
                and r.body["ended_at"]
                and r.body
            ),
            90,
            "the run's end to be recorded",
        )
        assert (ended["exit_status"], ended["outcome"]) == (0, "succeeded")
        lines = api.messages(app, source="app", lines=1000)
        assert lines == [f"app[run.1]: line-{i}" for i in range(1, 81)]
    finally:
        server.terminate()
