"""Attached one-off dynos through the API and the rendezvous endpoint (real TLS, real ptys)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runoff.dynos import certs, wire
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer, ServerProcess
from tests.support.rendezvous import Client, attach, split_url, tls_socket
from tests.support.slugs import deploy

MARKER = ' ; echo "\uffff heroku-command-exit-status: $?"'


@pytest.fixture
def ca(server: LiveServer) -> Path:
    path = server.platform.rendezvous.tls.ca
    assert path is not None
    return path


def test_a_framed_session_on_a_tty_carries_output_and_exit_status(api: Api, ca: Path) -> None:
    api.create_app("tty")
    dyno = attach(api, "tty", "echo hi; tty; exit 3")
    assert dyno["name"] == "run.1"
    assert dyno["attach_url"].startswith("rendezvous://127.0.0.1:")
    assert len(dyno["attach_fingerprint"]) == 64
    client = Client(dyno["attach_url"], ca)
    assert client.read_banner().startswith(wire.BANNER_PREFIX.encode())
    output = client.read_to_end()
    # a terminal: a pty of the host, or in the sandbox the same one bound at /dev/console
    assert output.startswith((b"hi\r\n/dev/pts/", b"hi\r\n/dev/console\r\n"))
    assert client.status == 3
    ended = api.wait_ended("tty", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["attach_url"]) == (3, "failed", None)
    assert api.messages("tty") == [
        "heroku[run.1]: Starting process with command `echo hi; tty; exit 3`",
        "heroku[run.1]: State changed from starting to up",
        "heroku[run.1]: Process exited with status 3",
        "heroku[run.1]: State changed from up to complete",
    ]


def test_attached_runs_are_recorded_as_attached(api: Api, server: LiveServer, ca: Path) -> None:
    api.create_app("flags")
    Client(attach(api, "flags", "true")["attach_url"], ca).read_to_end()
    detached = api.run("flags", "true")
    api.wait_ended("flags", "run.1")
    api.wait_ended("flags", detached["name"])
    app_id = api.get("/apps/flags").ok()["id"]
    records = {d.name: d.attach for d in server.platform.dyno_store.history(app_id)}
    assert records == {"run.1": True, "run.2": False}


def test_the_raw_protocol_sends_the_banner_alone_first(api: Api, ca: Path) -> None:
    """The Heroku CLI drops the first chunk it reads: it must hold the banner only."""
    api.create_app("raw")
    client = Client(attach(api, "raw", "echo right away")["attach_url"], ca, framed=False)
    first = client.read_some()
    assert first.endswith(b"\r\n")
    assert first.count(b"\n") == 1
    assert not first.startswith(wire.BANNER_PREFIX.encode())
    client.banner, client.output = first, bytearray()
    assert client.read_to_end() == b"right away\r\n"
    assert client.status is None  # raw: the connection just closes


def test_without_a_tty_eot_ends_the_input(api: Api, ca: Path) -> None:
    api.create_app("notty")
    dyno = attach(api, "notty", "test -t 0 || echo no tty; cat; echo end", force_no_tty=True)
    client = Client(dyno["attach_url"], ca, framed=False)
    client.read_banner()
    client.send(b"abc\x04ignored")
    assert client.read_to_end() == b"no tty\nabcend\n"


def test_framed_input_is_binary_safe_and_ends_with_an_end_frame(api: Api, ca: Path) -> None:
    api.create_app("binary")
    dyno = attach(api, "binary", "od -An -tx1", force_no_tty=True)
    client = Client(dyno["attach_url"], ca)
    client.read_banner()
    client.send(b"a\x04\x00\xff")
    client.send_frame(wire.END)
    assert client.read_to_end().split() == [b"61", b"04", b"00", b"ff"]
    assert client.status == 0


def test_window_from_the_request_env_then_resizes(api: Api, ca: Path) -> None:
    api.create_app("window")
    env = {"COLUMNS": 100, "LINES": 40, "TERM": "xterm-256color"}
    command = "stty size; echo $TERM; read line; stty size"
    client = Client(attach(api, "window", command, env=env)["attach_url"], ca)
    client.read_banner()
    client.read_until(b"xterm-256color")
    assert b"40 100" in client.output
    client.send_frame(wire.WINDOW, wire.WINDOW_SIZE.pack(50, 120))
    client.send(b"go\n")
    client.read_to_end()
    assert client.output.endswith(b"50 120\r\n")


def test_a_wrong_secret_gets_the_connection_closed_and_nothing_else(api: Api, ca: Path) -> None:
    api.create_app("wrong")
    url = attach(api, "wrong", "echo secret output")["attach_url"]
    host, port, secret = split_url(url)
    for guess in ("nope", secret[:-1], secret + "x", ""):
        sock = tls_socket(host, port, ca)
        sock.sendall(f"{guess}\r\n".encode())
        assert sock.recv(1024) == b""
        sock.close()
    assert b"secret output" in Client(url, ca).read_to_end()


def test_a_secret_works_once(api: Api, ca: Path) -> None:
    api.create_app("once")
    url = attach(api, "once", "read line; echo got $line")["attach_url"]
    first = Client(url, ca)
    first.read_banner()
    second = Client(url, ca)
    assert second.read_banner() == b""
    assert second.closed
    first.send(b"it\n")
    assert b"got it" in first.read_to_end()


def test_a_client_that_never_connects(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(attach_timeout_seconds=1.0)
    api = Api(server.url, "test-admin-token")
    api.create_app("nobody")
    url = attach(api, "nobody", "sleep 100")["attach_url"]
    ended = api.wait_ended("nobody", "run.1")
    assert (ended["outcome"], ended["stop_reason"]) == ("timed_out", "attach_timeout")
    messages = api.messages("nobody")
    assert "heroku[run.1]: Error R13 (Attach error) -> Failed to attach to process" in messages
    assert "heroku[run.1]: Stopping all processes with SIGTERM" in messages
    ca = server.platform.rendezvous.tls.ca
    assert ca is not None
    late = Client(url, ca)
    assert late.read_banner() == b""
    assert late.closed


def test_a_run_that_ended_before_anyone_connected_keeps_its_status(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(attach_timeout_seconds=1.0)
    api = Api(server.url, "test-admin-token")
    api.create_app("early")
    attach(api, "early", "echo lost; exit 2")
    ended = api.wait_ended("early", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (2, "failed", None)
    assert "heroku[run.1]: Error R13 (Attach error) -> Failed to attach to process" in (
        api.messages("early")
    )


def test_output_written_before_the_client_came_is_delivered(api: Api, ca: Path) -> None:
    api.create_app("buffered")
    url = attach(api, "buffered", "echo early; exit 4")["attach_url"]
    wait_for(lambda: "Process exited" in " ".join(api.messages("buffered")), 30, "the exit")
    client = Client(url, ca)
    assert client.read_to_end() == b"early\r\n"
    assert client.status == 4


def test_a_disconnect_hangs_up_the_dyno(api: Api, ca: Path) -> None:
    api.create_app("hangup")
    client = Client(attach(api, "hangup", "echo ready; sleep 100")["attach_url"], ca)
    client.read_banner()
    client.read_until(b"ready")
    client.close()
    ended = api.wait_ended("hangup", "run.1")
    assert (ended["exit_status"], ended["outcome"]) == (129, "timed_out")
    assert ended["stop_reason"] == "hangup"
    assert "heroku[run.1]: Stopping all processes with SIGHUP" in api.messages("hangup")


def test_a_process_that_traps_sighup_runs_on_after_a_disconnect(api: Api, ca: Path) -> None:
    api.create_app("trapper")
    command = "trap '' HUP; echo ready; sleep 1; echo still here; exit 0"
    client = Client(attach(api, "trapper", command)["attach_url"], ca)
    client.read_banner()
    client.read_until(b"ready")
    client.close()
    ended = api.wait_ended("trapper", "run.1")
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (0, "succeeded", None)


def test_a_trapping_process_still_ends_at_its_ttl(api: Api, ca: Path) -> None:
    api.create_app("ttl")
    dyno = attach(api, "ttl", "trap '' HUP; echo ready; sleep 100", time_to_live=2)
    client = Client(dyno["attach_url"], ca)
    client.read_banner()
    client.read_until(b"ready")
    client.close()
    ended = api.wait_ended("ttl", "run.1")
    assert (ended["outcome"], ended["stop_reason"]) == ("timed_out", "ttl")


def test_an_idle_connection_is_closed_and_the_dyno_hung_up(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(attach_idle_seconds=1.0)
    api = Api(server.url, "test-admin-token")
    ca = server.platform.rendezvous.tls.ca
    assert ca is not None
    api.create_app("idle")
    client = Client(attach(api, "idle", "echo ready; sleep 100")["attach_url"], ca)
    client.read_to_end()
    assert client.output == b"ready\r\n"
    assert client.status is None
    assert client.notices
    assert "no input and no output for 1 seconds" in client.notices[0]
    ended = api.wait_ended("idle", "run.1")
    assert (ended["exit_status"], ended["stop_reason"]) == (129, "hangup")


def test_input_and_output_keep_a_session_from_going_idle(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(attach_idle_seconds=1.0)
    api = Api(server.url, "test-admin-token")
    ca = server.platform.rendezvous.tls.ca
    assert ca is not None
    api.create_app("busy")
    command = "for i in 1 2 3 4 5 6; do sleep 0.4; echo tick $i; done; exit 0"
    client = Client(attach(api, "busy", command)["attach_url"], ca)
    assert client.read_to_end().count(b"tick") == 6
    assert client.status == 0


def test_a_slow_client_gets_every_byte_while_the_server_serves_others(api: Api, ca: Path) -> None:
    api.create_app("slow")
    size = 32_000_000  # more than the kernel's socket buffers hold
    command = f"head -c {size} /dev/zero | tr '\\0' x; echo; echo done"
    client = Client(attach(api, "slow", command, force_no_tty=True)["attach_url"], ca)
    client.read_banner()
    time.sleep(1)  # not reading: the server must hold back rather than buffer it all
    assert api.dyno("slow", "run.1")["ended_at"] is None  # the dyno waits on its output
    assert api.get("/healthz").ok()["status"] == "ok"
    api.run("slow", "echo meanwhile")
    api.wait_ended("slow", "run.2")
    output = client.read_to_end()
    assert len(output) == size + len(b"\ndone\n")
    assert output.endswith(b"x\ndone\n")
    assert client.status == 0


def test_a_client_that_never_sends_its_secret_is_dropped(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(attach_handshake_seconds=0.5)
    ca = server.platform.rendezvous.tls.ca
    assert ca is not None
    port = server.platform.rendezvous.port
    silent = tls_socket("127.0.0.1", port, ca)
    silent.sendall(b"half a secr")
    assert silent.recv(1024) == b""  # closed after the handshake timeout
    silent.close()
    plain = socket.create_connection(("127.0.0.1", port), 30)  # never starts TLS
    plain.settimeout(30)
    assert plain.recv(1024) == b""
    plain.close()


def test_heroku_exit_marker_reports_the_status_of_exit(api: Api, ca: Path) -> None:
    api.create_app("marker")
    dyno = attach(api, "marker", "exit 3" + MARKER)
    assert dyno["command"] == "exit 3"
    client = Client(dyno["attach_url"], ca, framed=False)
    assert "\uffff heroku-command-exit-status: 3".encode() in client.read_to_end()
    assert api.wait_ended("marker", "run.1")["exit_status"] == 0  # the marker's echo ran last


def test_process_types_are_substituted(api: Api, ca: Path) -> None:
    api.create_app("procs")
    deploy(api, "procs", {"Procfile": "hello: echo hello from the procfile\n"})
    dyno = attach(api, "procs", "hello world")
    assert dyno["command"] == "echo hello from the procfile world"
    assert Client(dyno["attach_url"], ca).read_to_end() == b"hello from the procfile world\r\n"


def test_stopping_an_attached_dyno_reports_its_status(api: Api, ca: Path) -> None:
    api.create_app("stopped")
    client = Client(attach(api, "stopped", "echo ready; sleep 100")["attach_url"], ca)
    client.read_banner()
    client.read_until(b"ready")
    api.post("/apps/stopped/dynos/run.1/actions/stop").ok()
    client.read_to_end()
    assert client.status == 143
    ended = api.wait_ended("stopped", "run.1")
    assert (ended["outcome"], ended["stop_reason"]) == ("timed_out", "stopped")


def test_shutdown_does_not_wait_for_clients_that_never_came(
    server_factory: Callable[..., LiveServer],
) -> None:
    first = server_factory()
    api = Api(first.url, "test-admin-token")
    api.create_app("shutdown")
    attach(api, "shutdown", "echo bye")
    wait_for(lambda: "Process exited" in " ".join(api.messages("shutdown")), 30, "the exit")
    first.stop()
    second = Api(server_factory().url, "test-admin-token")
    ended = second.dyno("shutdown", "run.1")
    assert (ended["exit_status"], ended["outcome"]) == (0, "succeeded")


def test_a_configured_certificate_replaces_the_generated_one(
    server_factory: Callable[..., LiveServer], tmp_path: Path
) -> None:
    own = certs.generated(tmp_path / "own", "127.0.0.1")  # as if from the operator's own CA
    assert own.ca is not None
    server = server_factory(rendezvous_cert=own.cert, rendezvous_key=own.key)
    assert server.platform.rendezvous.tls.ca is None
    api = Api(server.url, "test-admin-token")
    api.create_app("owncert")
    dyno = attach(api, "owncert", "echo with my certificate")
    assert dyno["attach_fingerprint"] == own.fingerprint()
    assert Client(dyno["attach_url"], own.ca).read_to_end() == b"with my certificate\r\n"
    assert not (server.settings.data_dir / "tls").exists()


def test_the_server_prints_where_its_ca_is(tmp_path: Path, database_url: str) -> None:
    server = ServerProcess(tmp_path / "data", database_url).start()
    server.terminate()
    ca = tmp_path / "data" / "tls" / "ca.pem"
    assert ca.exists()
    assert f"export NODE_EXTRA_CA_CERTS={ca}" in server.log.read_text()
