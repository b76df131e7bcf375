"""runoff's own CLI against a real server: the journey of the README."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

ROOT = Path(__file__).resolve().parents[2]
RUNOFF = str(Path(sys.executable).parent / "runoff")
Runoff = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def runoff(server: LiveServer, tmp_path: Path) -> Runoff:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "home/.config"),
        "RUNOFF_API_URL": server.url,
        "RUNOFF_API_KEY": ADMIN_TOKEN,
    }

    def run(
        *args: str, check: bool = True, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [RUNOFF, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            input=stdin,
            cwd=tmp_path,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"runoff {' '.join(args)} exited {done.returncode}:\n{done}")
        return done

    return run


def test_deploy_run_ps_logs_stop_destroy(runoff: Runoff, api: Api, tmp_path: Path) -> None:
    app_dir = tmp_path / "hello"
    shutil.copytree(ROOT / "examples/hello", app_dir)
    (app_dir / "design.psd").write_bytes(b"big binary")  # left out by .slugignore
    (app_dir / ".git").mkdir()
    (app_dir / ".git/HEAD").write_text("ref: refs/heads/main\n")

    assert "Creating cli-journey... done" in runoff("apps:create", "cli-journey").stdout
    deployed = runoff("deploy", "-a", "cli-journey", str(app_dir)).stdout
    assert "done, v2" in deployed
    assert "web, worker, migrate, report" in deployed
    runoff("config:set", "-a", "cli-journey", "GREETING=howdy")
    assert runoff("config:get", "-a", "cli-journey", "GREETING").stdout.strip() == "howdy"

    started = runoff("run:detached", "-a", "cli-journey", "--", "ls; ls -a bin").stdout
    assert "run.1" in started
    assert "runoff logs -a cli-journey -d run.1" in started
    api.wait_ended("cli-journey", "run.1")
    listing = runoff("logs", "-a", "cli-journey", "-d", "run.1", "-s", "app").stdout
    assert "app[run.1]: Procfile" in listing
    for left_out in ("design.psd", "notes", ".git"):
        assert left_out not in listing

    runoff("run:detached", "-a", "cli-journey", "migrate")
    api.wait_ended("cli-journey", "run.2")
    logs = runoff("logs", "-a", "cli-journey", "-p", "run", "-n", "50").stdout
    assert re.search(r"app\[run\.2\]: == howdy from run\.2 ==", logs)

    runoff("run:detached", "-a", "cli-journey", "--ttl", "600", "--", "sleep 300")
    ps = runoff("ps", "-a", "cli-journey").stdout
    assert "=== run: one-off processes (1)" in ps
    assert re.search(r"run\.3 \(Standard-1X\): up .*: sleep 300", ps)
    listed = json.loads(runoff("ps", "-a", "cli-journey", "--json").stdout)
    assert [d["name"] for d in listed] == ["run.3"]
    assert "Stopping run.3" in runoff("ps:stop", "-a", "cli-journey", "run.3").stdout
    assert api.wait_ended("cli-journey", "run.3")["stop_reason"] == "stopped"

    releases = runoff("releases", "-a", "cli-journey").stdout
    assert "Set GREETING config vars" in releases
    runoff("apps:destroy", "-a", "cli-journey", "--confirm", "cli-journey")
    assert api.get("/apps/cli-journey").status == 404


def test_errors_are_one_line_and_non_zero(runoff: Runoff) -> None:
    missing = runoff("ps", "-a", "no-such-app", check=False)
    assert missing.returncode == 1
    assert missing.stderr.strip() == "runoff: Couldn't find that app: no-such-app"
    bad = runoff("apps:create", "Bad_Name", check=False)
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 1
    runoff("apps:create", "limits-app")
    size = runoff("run:detached", "-a", "limits-app", "--size", "huge", "--", "true", check=False)
    assert size.returncode == 1
    assert size.stderr.startswith("runoff: There is no dyno size 'huge'")
