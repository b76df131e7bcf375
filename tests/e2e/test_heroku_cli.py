"""The real Heroku CLI (npm package ``heroku@11``), unchanged, against a runoff server."""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer

pytestmark = pytest.mark.heroku
ROOT = Path(__file__).resolve().parents[2]
Heroku = Callable[..., subprocess.CompletedProcess[str]]


def heroku_binary() -> str:
    path = os.environ.get("HEROKU_CLI") or str(ROOT / "e2e/heroku/node_modules/.bin/heroku")
    if not Path(path).exists():
        pytest.fail(f"the Heroku CLI is not installed at {path}: run scripts/setup")
    return path


def heroku_env(server: LiveServer, home: Path, token: str) -> dict[str, str]:
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "HEROKU_HOST": server.url,
        "HEROKU_PARTICLEBOARD_URL": server.url,
        "HEROKU_API_KEY": token,
        "HEROKU_SKIP_NEW_VERSION_CHECK": "true",
        "HEROKU_DISABLE_AUTOUPDATE": "1",
        "DISABLE_TELEMETRY": "true",
        "HEROKU_NOTIFICATIONS": "0",
        "NO_COLOR": "1",
        "FORCE_COLOR": "0",
    }


@pytest.fixture
def heroku(server: LiveServer, tmp_path: Path) -> Heroku:
    binary = heroku_binary()
    env = heroku_env(server, tmp_path / "home", ADMIN_TOKEN)

    def run(
        *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [binary, *args], env=env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"heroku {' '.join(args)} exited {done.returncode}:\n{done}")
        return done

    return run


def test_run_detached_ps_logs_and_stop(api: Api, heroku: Heroku) -> None:
    api.create_app("cli-app")
    started = heroku("run:detached", "-a", "cli-app", "echo hello from heroku")
    assert "run.1" in started.stdout + started.stderr
    api.wait_ended("cli-app", "run.1")
    logs = heroku("logs", "-a", "cli-app", "-n", "20").stdout
    assert re.search(r"^\S+ app\[run\.1\]: hello from heroku$", logs, re.M)
    assert "heroku[run.1]: Process exited with status 0" in logs

    heroku("run:detached", "-a", "cli-app", "sleep 300")
    ps = heroku("ps", "-a", "cli-app").stdout
    assert "=== run: one-off processes (1)" in ps
    assert re.search(r"run\.2 \(Standard-1X\): up .*: sleep 300", ps)
    heroku("ps:restart", "-a", "cli-app")
    assert api.dyno("cli-app", "run.2")["ended_at"] is None  # restart never stops one-offs
    heroku("ps:stop", "run.2", "-a", "cli-app")
    ended = api.wait_ended("cli-app", "run.2")
    assert ended["outcome"] == "timed_out"
    assert "No dynos on cli-app" in heroku("ps", "-a", "cli-app").stdout


def test_logs_filters(api: Api, heroku: Heroku) -> None:
    api.create_app("cli-logs")
    api.run("cli-logs", "echo first")
    api.wait_ended("cli-logs", "run.1")  # one after the other: their lines' order is known
    api.run("cli-logs", "echo second")
    api.wait_ended("cli-logs", "run.2")
    only_run2 = heroku("logs", "-a", "cli-logs", "-d", "run.2").stdout
    assert "app[run.2]: second" in only_run2
    assert "run.1" not in only_run2
    last_one = heroku("logs", "-a", "cli-logs", "-n", "1", "-s", "app").stdout.strip()
    assert last_one.endswith("app[run.2]: second")
    assert len(last_one.splitlines()) == 1


def test_logs_tail(api: Api, server: LiveServer, tmp_path: Path) -> None:
    api.create_app("cli-tail")
    env = heroku_env(server, tmp_path / "home", ADMIN_TOKEN)
    out = (tmp_path / "tail.out").open("w+")
    tail = subprocess.Popen(
        [heroku_binary(), "logs", "--tail", "-a", "cli-tail"], env=env, stdout=out, stderr=out
    )
    try:
        time.sleep(2)  # the CLI takes about a second to start streaming
        api.run("cli-tail", "echo streamed live")
        wait_for(
            lambda: "app[run.1]: streamed live" in Path(out.name).read_text(), 30, "tailed line"
        )
    finally:
        tail.terminate()
        tail.wait(10)
        out.close()


def test_config_and_releases(api: Api, heroku: Heroku) -> None:
    api.create_app("cli-config")
    setting = heroku("config:set", "FOO=bar", "BAZ=qux", "-a", "cli-config")
    assert "v2" in setting.stdout + setting.stderr
    assert api.get("/apps/cli-config/config-vars").ok() == {"FOO": "bar", "BAZ": "qux"}
    config = heroku("config", "-a", "cli-config").stdout
    assert re.search(r"^FOO:\s+bar$", config, re.M)
    heroku("config:unset", "BAZ", "-a", "cli-config")
    releases = heroku("releases", "-a", "cli-config").stdout
    assert "Current: v3" in releases
    assert releases.index("v3") < releases.index("v2") < releases.index("v1")
    assert "Set FOO, BAZ config vars" in releases


def test_apps_info(api: Api, heroku: Heroku) -> None:
    api.create_app("cli-info")
    info = heroku("apps:info", "-a", "cli-info").stdout
    assert "=== cli-info" in info
    assert "admin@localhost" in info


def test_authorizations_create_then_use_the_token(
    api: Api, heroku: Heroku, server: LiveServer, tmp_path: Path
) -> None:
    created = heroku("authorizations:create", "-d", "Platform API example token").stdout
    assert "Scope:       global" in created
    token = re.search(r"^Token:\s+(\S+)$", created, re.M)
    assert token is not None
    limited = heroku("authorizations:create", "-d", "ro", "-s", "read", "-e", "3600").stdout
    assert "Scope:       read" in limited
    api.create_app("cli-auth")
    # the seed's restart through the API with the new token
    as_new = api.as_token(token.group(1))
    assert as_new.delete("/apps/cli-auth/dynos").status == 202


def test_errors_are_printed_and_exit_non_zero(heroku: Heroku) -> None:
    done = heroku("run:detached", "-a", "no-such-app", "true", check=False)
    assert done.returncode != 0
    assert "Couldn't find that app" in done.stderr
