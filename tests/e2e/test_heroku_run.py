"""``heroku run`` (the real Heroku CLI, unchanged) attached to runoff dynos over the rendezvous."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pexpect
import pytest

from tests.e2e.test_heroku_cli import heroku_binary, heroku_env
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

pytestmark = pytest.mark.heroku
Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def env(server: LiveServer, tmp_path: Path) -> dict[str, str]:
    found = heroku_env(server, tmp_path / "home", ADMIN_TOKEN)
    ca = server.platform.rendezvous.tls.ca
    assert ca is not None
    found["NODE_EXTRA_CA_CERTS"] = str(ca)  # the CA runoff made on first start
    return found


@pytest.fixture
def heroku_run(api: Api, env: dict[str, str]) -> Run:
    api.create_app("attached")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [heroku_binary(), "run", "-a", "attached", *args],
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=90,
        )

    return run


def test_no_tty(heroku_run: Run, api: Api) -> None:
    done = heroku_run("--no-tty", "echo hi; test -t 0 || echo no tty")
    assert (done.returncode, done.stdout) == (0, "hi\nno tty\n")
    assert "up, run.1" in done.stderr
    assert api.wait_ended("attached", "run.1")["exit_status"] == 0


def test_exit_code_flag_passes_the_status_through(heroku_run: Run, api: Api) -> None:
    done = heroku_run("-x", "exit 3")
    assert done.returncode == 3
    assert "Process exited with code 3" in done.stderr
    assert api.wait_ended("attached", "run.1")["command"] == "exit 3"
    assert heroku_run("-x", "echo fine").returncode == 0


def test_env_flag(heroku_run: Run) -> None:
    done = heroku_run("--env", "A=1;B=2", "echo $A$B")
    assert (done.returncode, done.stdout) == (0, "12\n")


def test_size_flag(heroku_run: Run, api: Api) -> None:
    done = heroku_run("--size=standard-2X", "echo $DYNO")
    assert (done.returncode, done.stdout) == (0, "run.1\n")
    assert api.wait_ended("attached", "run.1")["size"] == "Standard-2X"


def test_a_tty_session_in_a_real_terminal(api: Api, env: dict[str, str]) -> None:
    api.create_app("terminal")
    child = pexpect.spawn(
        heroku_binary(),
        ["run", "-a", "terminal", "PS1='PROMPT> ' bash --norc"],
        env={**env, "TERM": "xterm"},
        timeout=60,
        dimensions=(30, 90),
    )
    child.expect("PROMPT> ")
    child.sendline("echo $((6 * 7)); stty size")
    child.expect("42")
    child.expect("30 90")
    child.sendline("exit 3")
    child.expect(pexpect.EOF)
    child.close()
    ended = api.wait_ended("terminal", "run.1")
    assert (ended["exit_status"], ended["outcome"]) == (3, "failed")


def test_four_ctrl_c_disconnect_and_the_dyno_gets_sighup(api: Api, env: dict[str, str]) -> None:
    api.create_app("ctrlc")
    child = pexpect.spawn(
        heroku_binary(),
        ["run", "-a", "ctrlc", "trap '' INT; echo rea''dy; sleep 100"],
        env={**env, "TERM": "xterm"},
        timeout=60,
    )
    child.expect("ready")
    for _ in range(4):  # apart: the Heroku CLI counts only reads that are one Ctrl-C alone
        child.sendcontrol("c")
        time.sleep(0.15)
    child.expect(pexpect.EOF)
    child.close()
    ended = api.wait_ended("ctrlc", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (129, "hangup")
