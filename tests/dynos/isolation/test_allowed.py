"""What a sandboxed dyno must still do: own /app and /tmp, read its config, reach the network,
and give ``run bash`` a prompt and job control (issue 14)."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from runoff.cli.context import System
from runoff.cli.main import main
from runoff.dynos.local.sandbox import Sandbox
from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.rendezvous import Client, attach
from tests.support.slugs import deploy


@pytest.fixture
def ca(server: LiveServer) -> Path:
    path = server.platform.rendezvous.tls.ca
    assert path is not None
    return path


def output(api: Api, app: str, dyno: str = "run.1") -> list[str]:
    api.wait_ended(app, dyno)
    return [line.split(": ", 1)[1] for line in api.messages(app, source="app", dyno=dyno)]


def status(server: LiveServer, tmp_path: Path) -> tuple[int, str, str]:
    """``runoff status`` against ``server``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    env = {"HOME": str(tmp_path), "RUNOFF_API_URL": server.url, "RUNOFF_API_KEY": ADMIN_TOKEN}
    system = System(env=env, cwd=str(tmp_path), stdin=io.StringIO(), stdout=out, stderr=err)
    return main(["status"], system), out.getvalue(), err.getvalue()


def test_the_server_runs_dynos_in_the_sandbox_by_default(
    server: LiveServer, api: Api, tmp_path: Path
) -> None:
    assert server.platform.executor.isolation == "sandbox"
    assert api.get("/healthz").ok() == {
        "status": "ok",
        "executor": "local",
        "isolation": "sandbox",
    }
    assert 'id="no-sandbox"' not in api.get("/dashboard/login").body
    code, out, err = status(server, tmp_path)
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == ["status:    ok", "executor:  local", "isolation: sandbox"]


def test_isolation_none_is_shown_and_dynos_see_the_host(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    server = server_factory(isolation="none")
    api = Api(server.url, ADMIN_TOKEN)
    assert api.get("/healthz").ok()["isolation"] == "none"
    code, out, err = status(server, tmp_path)
    assert code == 0
    assert "isolation: none" in out.splitlines()
    assert err == "runoff: warning: dynos run without a sandbox (RUNOFF_ISOLATION=none)\n"
    login = api.get("/dashboard/login")
    assert login.status == 200
    assert 'id="no-sandbox"' in login.body
    api.create_app("plain")
    api.run("plain", "pwd")
    assert output(api, "plain")[0].startswith(str(server.settings.data_dir))


def test_a_dyno_owns_its_copy_of_the_slug_and_its_tmp(api: Api) -> None:
    api.create_app("owner")
    deploy(api, "owner", {"Procfile": "web: true\n", "bin/tool": "v1\n", "keep": "k\n"})
    script = (
        "echo v2 >> bin/tool && rm keep && mkdir -p new/dir && echo n > new/dir/f && "
        "echo t > /tmp/t && cat bin/tool /tmp/t new/dir/f && ls && echo $HOME && pwd"
    )
    api.run("owner", script)
    assert output(api, "owner") == ["v1", "v2", "t", "n", "Procfile", "bin", "new", "/app", "/app"]
    api.run("owner", "cat bin/tool keep; ls /tmp | wc -l")  # a fresh copy, a fresh /tmp
    assert output(api, "owner", "run.2") == ["v1", "k", "0"]


def test_a_dyno_reads_its_config(api: Api) -> None:
    api.create_app("configured")
    api.request("PATCH", "/apps/configured/config-vars", {"GREETING": "hello there"}).ok()
    api.run("configured", 'echo "$GREETING from $DYNO"')
    assert output(api, "configured") == ["hello there from run.1"]


def _primary_address() -> str | None:
    """This host's address on its default route (no packet is sent), if any."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def test_a_dyno_opens_loopback_and_outbound_connections(api: Api) -> None:
    listener = socket.create_server(("0.0.0.0", 0))
    port = listener.getsockname()[1]
    received: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = listener.accept()
            with conn:
                received.append(conn.recv(100))
                conn.sendall(b"pong\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    addresses = ["127.0.0.1", _primary_address() or "127.0.0.1"]
    api.create_app("net")
    api.run(
        "net",
        "; ".join(
            f"exec 3<>/dev/tcp/{host}/{port} && echo ping-{i} >&3 && head -n1 <&3 && exec 3<&-"
            for i, host in enumerate(addresses)
        ),
    )
    assert output(api, "net") == ["pong", "pong"]
    thread.join(10)
    listener.close()
    assert sorted(received) == [b"ping-0\n", b"ping-1\n"]


ANSI = re.compile(rb"\x1b\[[0-9;?]*[a-zA-Z]|\x1b\][^\x07]*\x07|\r")


def test_run_bash_has_the_heroku_prompt_and_job_control(api: Api, ca: Path) -> None:
    api.create_app("shell")
    client = Client(attach(api, "shell", "bash", env={"TERM": "xterm"})["attach_url"], ca)
    try:
        _interact(client)
    finally:
        client.close()


def _interact(client: Client) -> None:
    client.read_banner()

    def plain() -> bytes:
        return ANSI.sub(b"", bytes(client.output))

    def expect(needle: bytes) -> None:
        while needle not in plain():
            assert not client.closed, plain()
            try:
                client.read_some()
            except TimeoutError:
                raise AssertionError(f"no {needle!r} in {plain()!r}") from None

    expect(b"~ $ ")
    client.send(b"sleep 300 &\n")
    expect(b"[1] ")
    client.send(b"jobs\n")
    expect(b"Running")
    client.send(b"kill %1; wait %1; echo killed-$?\n")
    expect(b"killed-143")
    client.send(b"sh -c 'echo st\"\"arted; exec sleep 300'\n")  # prints once in the foreground
    expect(b"started\n")
    client.send(b"\x03")  # Ctrl-C reaches the foreground job, not the shell
    client.send(b"echo after-$?\n")
    expect(b"after-130")
    client.send(
        b"python3 -c 'import fcntl, termios; fcntl.ioctl(0, termios.TIOCSTI, b\"x\")' "
        b"2>&1 | tail -n1\n"
    )
    expect(b"PermissionError")
    client.send(b"exit 4\n")
    client.read_to_end()
    assert client.status == 4
    assert b"no job control" not in plain()
    assert b"cannot set terminal process group" not in plain()


def test_refusal_names_the_cause_and_the_way_out(tmp_path: Path) -> None:
    from runoff.dynos.local.sandbox import SandboxUnavailable

    with pytest.raises(SandboxUnavailable) as raised:
        Sandbox(tmp_path / "sandbox", bwrap=str(tmp_path / "no-bwrap"))
    message = raised.value.message
    assert "\n" not in message
    assert "dynos cannot be sandboxed" in message
    assert "RUNOFF_ISOLATION=none" in message


def test_a_server_that_cannot_sandbox_refuses_to_start_in_one_line(tmp_path: Path) -> None:
    env = {
        "PATH": str(tmp_path / "nothing-here"),  # no bwrap to find
        "HOME": str(tmp_path),
        "RUNOFF_DATA_DIR": str(tmp_path / "data"),
        "RUNOFF_PORT": "0",
        "RUNOFF_RENDEZVOUS_PORT": "0",
    }
    runoff = Path(sys.executable).parent / "runoff"
    done = subprocess.run(
        [str(runoff), "server"], env=env, capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert done.stdout == b""
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("runoff: dynos cannot be sandboxed: bwrap not found; ")
    assert "RUNOFF_ISOLATION=none" in lines[0]
