"""``runoff run``: the real CLI in a real terminal (pexpect) against a live server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.cli.fakeapi import FakeApi, json_reply
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer

PROMPT = "PROMPT> "
SHELL = f"PS1='{PROMPT}' bash --norc --noprofile"


@pytest.fixture
def cli_env(server: LiveServer, api: Api, tmp_path: Path) -> dict[str, str]:
    api.create_app("term")
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "RUNOFF_API_URL": server.url,
        "RUNOFF_API_KEY": ADMIN_TOKEN,
        "RUNOFF_APP": "term",
        "TERM": "xterm",
    }


RUNOFF = str(Path(sys.executable).parent / "runoff")  # the installed console script


def runoff_argv(*args: str) -> list[str]:
    return [RUNOFF, *args]


def spawn(env: dict[str, str], *args: str) -> pexpect.spawn:
    argv = runoff_argv("run", *args)
    return pexpect.spawn(argv[0], argv[1:], env=env, timeout=30, dimensions=(30, 90))


def run(env: dict[str, str], *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        runoff_argv("run", *args), env=env, input=stdin, capture_output=True, timeout=60
    )


def test_an_interactive_shell(cli_env: dict[str, str], api: Api) -> None:
    child = spawn(cli_env, "--", SHELL)
    child.expect("up, run.1")
    child.expect(PROMPT)
    child.sendline("echo $((6 * 7)) $TERM")
    child.expect("42 xterm")
    child.expect(PROMPT)
    child.sendline("stty size")
    child.expect("30 90")
    child.setwinsize(40, 100)  # SIGWINCH to runoff, which forwards the new size
    child.expect(PROMPT)
    time.sleep(0.5)  # SIGWINCH is asynchronous: let it reach the dyno's terminal
    child.sendline("stty size")
    child.expect("40 100")
    child.expect(PROMPT)
    child.sendline("sleep 100; echo not $((1 + 1)) interrupted")
    time.sleep(0.5)
    child.sendcontrol("c")
    child.expect(PROMPT)
    assert b"not 2 interrupted" not in child.before
    child.sendline("exit 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 3
    ended = api.wait_ended("term", "run.1")
    assert (ended["exit_status"], ended["outcome"]) == (3, "failed")


def test_the_terminal_is_restored_after_the_session(cli_env: dict[str, str]) -> None:
    probe = f"{RUNOFF} run -- 'exit 0'; stty -a | grep -o ' -\\?icanon'"
    child = pexpect.spawn("bash", ["--norc", "-c", probe], env=cli_env, timeout=30)
    child.expect(pexpect.EOF)
    assert b" icanon" in child.before  # canonical mode again: raw mode was undone


def test_four_ctrl_c_within_a_second_force_a_disconnect(cli_env: dict[str, str], api: Api) -> None:
    child = spawn(cli_env, "--", "trap '' INT; echo rea''dy; sleep 100")
    child.expect("up, run.1")
    child.expect("ready")
    for _ in range(4):
        child.sendcontrol("c")
    child.expect("forcing run.1 to disconnect")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 1
    ended = api.wait_ended("term", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (129, "hangup")


def test_piped_stdin_without_a_tty(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "--no-tty", "--", "python3", stdin=b"print(6 * 7)\n")
    assert (done.returncode, done.stdout) == (0, b"42\n")
    assert done.stderr == b"Running python3 on term... up, run.1\n"


def test_piped_stdin_with_a_tty_ends_with_eof(cli_env: dict[str, str]) -> None:
    done = run(cli_env, "--", "cat > /dev/null; echo read it all", stdin=b"some input\n")
    assert done.returncode == 0
    assert done.stdout.endswith(b"read it all\n")  # \r\n turned into \n: stdout is no terminal


def test_exit_status_and_no_exit_code(cli_env: dict[str, str]) -> None:
    assert run(cli_env, "--", "exit 7").returncode == 7
    assert run(cli_env, "--no-exit-code", "--", "exit 7").returncode == 0
    assert run(cli_env, "--no-tty", "--", "kill -TERM $$").returncode == 143


def test_flags_reach_the_dyno(cli_env: dict[str, str], api: Api) -> None:
    done = run(
        cli_env,
        "--no-tty",
        "--size",
        "standard-2X",
        "--env",
        "A=1;B=2",
        "--type",
        "console",
        "--ttl",
        "60",
        "--",
        "echo $A$B $DYNO",
    )
    assert done.stdout == b"12 console.1\n"
    dyno = api.wait_ended("term", "console.1")
    assert (dyno["size"], dyno["time_to_live"], dyno["type"]) == ("Standard-2X", 60, "console")


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word (a firewall that drops)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_a_rendezvous_that_does_not_answer_times_out(
    fake_api: FakeApi, silent_port: int, tmp_path: Path
) -> None:
    fake_api.on(
        "POST",
        "/apps/myapp/dynos",
        json_reply({"name": "run.1", "attach_url": f"rendezvous://127.0.0.1:{silent_port}/s"}, 201),
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNOFF_API_URL": fake_api.url,
        "RUNOFF_API_KEY": "t",
        "RUNOFF_RUN_TIMEOUT": "1",
    }
    done = run(env, "-a", "myapp", "--", "bash")
    assert done.returncode == 1
    err = done.stderr.decode()
    assert "\nTimeout awaiting process\n" in err
    assert f"on port {silent_port}" in err
    assert f"openssl s_client -connect 127.0.0.1:{silent_port}" in err


def test_an_unreachable_server_times_out(silent_port: int, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "RUNOFF_API_URL": f"http://127.0.0.1:{silent_port}",
        "RUNOFF_API_KEY": "t",
        "RUNOFF_RUN_TIMEOUT": "1",
    }
    done = run(env, "-a", "myapp", "--", "bash")
    assert done.returncode == 1
    assert "Timeout awaiting process" in done.stderr.decode()


def test_a_certificate_other_than_the_pinned_one_is_refused(
    cli_env: dict[str, str], server: LiveServer, fake_api: FakeApi, api: Api
) -> None:
    """runoff's CLI trusts the certificate the API names, not any certificate."""
    real = api.post("/apps/term/dynos", {"command": "true", "attach": True}).ok()
    fake_api.on(
        "POST",
        "/apps/term/dynos",
        json_reply({**real, "attach_fingerprint": "00" * 32}, 201),
    )
    done = run({**cli_env, "RUNOFF_API_URL": fake_api.url}, "--", "true")
    assert done.returncode == 1
    assert "certificate is not the one the API named" in done.stderr.decode()


def test_sigterm_to_runoff_restores_the_terminal_and_hangs_up(
    cli_env: dict[str, str], api: Api
) -> None:
    child = spawn(cli_env, "--", "echo rea''dy; sleep 100")
    child.expect("ready")
    assert not termios.tcgetattr(child.child_fd)[3] & termios.ICANON  # raw while attached
    child.kill(signal.SIGTERM)
    child.expect(pexpect.EOF)
    assert termios.tcgetattr(child.child_fd)[3] & termios.ICANON
    child.close()
    assert child.exitstatus == 143
    ended = api.wait_ended("term", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (129, "hangup")


def test_the_run_command_loads_no_server_code() -> None:
    code = (
        "import sys, runoff.cli.main, runoff.cli.run\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'starlette', 'uvicorn', 'psycopg', 'cryptography', 'asyncio', 'typing',"
        " 'dataclasses') or m.startswith(('runoff.web', 'runoff.store', 'runoff.dynos.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['runoff.dynos.wire']"  # the frame format, stdlib only
