"""The parts of attached runs on their own: wire format, certificates, windows, markers."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest
from cryptography import x509

from runoff.cli.attach import CrLf
from runoff.dynos import certs, wire
from runoff.dynos.attach import (
    EXIT_MARKER_SUFFIX,
    split_exit_marker,
    window_from_env,
    with_exit_marker,
)
from runoff.dynos.executor import Window
from runoff.dynos.rendezvous import RendezvousServer, advertised_host
from runoff.settings import Settings, SettingsError


def test_frames_survive_any_read_boundaries() -> None:
    stream = wire.frame(wire.OUTPUT, b"hello") + wire.frame(wire.EXIT, b"3") + wire.window(4, 5)
    decoder = wire.Decoder(wire.OUTPUT + wire.EXIT + wire.WINDOW)
    frames = []
    for index in range(len(stream)):
        frames += decoder.feed(stream[index : index + 1])
    assert frames == [(wire.OUTPUT, b"hello"), (wire.EXIT, b"3"), (wire.WINDOW, b"\0\x04\0\x05")]


@pytest.mark.parametrize(
    "bad", [wire.frame(b"z", b"x"), wire.HEADER.pack(wire.OUTPUT, wire.MAX_PAYLOAD + 1)]
)
def test_unknown_or_oversized_frames_are_refused(bad: bytes) -> None:
    with pytest.raises(wire.WireError):
        wire.Decoder(wire.OUTPUT).feed(bad)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"abc\r\n", ("abc", False)),
        (b"abc?runoff=1\r\n", ("abc", True)),
        (b"abc?x=2&runoff=1\n", ("abc", True)),
        (b"abc?runoff=2\r\n", ("abc", False)),
        (b"\xff\r\n", ("\ufffd", False)),
    ],
)
def test_secret_line(line: bytes, expected: tuple[str, bool]) -> None:
    assert wire.parse_secret_line(line) == expected


@pytest.mark.parametrize(
    ("env", "window"),
    [
        ({}, Window(24, 80)),
        ({"LINES": "40", "COLUMNS": "100"}, Window(40, 100)),
        ({"LINES": "0", "COLUMNS": "-3"}, Window(24, 80)),
        ({"LINES": "x", "COLUMNS": "99999999"}, Window(24, 80)),
    ],
)
def test_window_from_env(env: dict[str, str], window: Window) -> None:
    assert window_from_env(env) == window


def test_exit_marker_is_split_off_and_wrapped_in_a_subshell() -> None:
    assert split_exit_marker("exit 3" + EXIT_MARKER_SUFFIX) == ("exit 3", True)
    assert split_exit_marker("exit 3") == ("exit 3", False)
    assert split_exit_marker(EXIT_MARKER_SUFFIX) == (EXIT_MARKER_SUFFIX, False)
    script = with_exit_marker("echo a # a comment )\nexit 3")
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout == "a\n\uffff heroku-command-exit-status: 3\n"


def test_crlf_translation_across_chunks() -> None:
    crlf = CrLf()
    assert crlf(b"a\r") == b"a"
    assert crlf(b"\nb\r\n\r") == b"\nb\n"
    assert crlf(b"c") == b"\rc"
    assert crlf.flush() == b""
    assert crlf(b"d\r") == b"d"
    assert crlf.flush() == b"\r"


def test_advertised_host() -> None:
    assert advertised_host("127.0.0.1", None) == "127.0.0.1"
    assert advertised_host("0.0.0.0", "runoff.example.com") == "runoff.example.com"
    assert advertised_host("0.0.0.0", None) == socket.getfqdn()


def _names(path: Path) -> list[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in sans]


def test_generated_certificates_cover_the_host_and_keep_their_ca(tmp_path: Path) -> None:
    first = certs.generated(tmp_path, "10.1.2.3")
    assert first.ca is not None
    assert _names(first.cert) == ["10.1.2.3", "localhost", "127.0.0.1", "::1"]
    assert (first.key.stat().st_mode & 0o777) == 0o600
    ca_pem, server_pem = first.ca.read_bytes(), first.cert.read_bytes()
    again = certs.generated(tmp_path, "10.1.2.3")
    assert (again.ca.read_bytes(), again.cert.read_bytes()) == (ca_pem, server_pem)
    moved = certs.generated(tmp_path, "runoff.example.com")
    assert moved.ca.read_bytes() == ca_pem  # users keep trusting the same CA
    assert _names(moved.cert)[0] == "runoff.example.com"


def test_a_client_trusting_the_ca_accepts_the_server(tmp_path: Path) -> None:
    files = certs.generated(tmp_path, "127.0.0.1")
    assert files.ca is not None
    server_context = files.context()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            with server_context.wrap_socket(conn, server_side=True) as tls:
                tls.sendall(b"ok")

        thread = threading.Thread(target=serve)
        thread.start()
        client_context = ssl.create_default_context(cafile=str(files.ca))
        with client_context.wrap_socket(
            socket.create_connection(("127.0.0.1", port)), server_hostname="127.0.0.1"
        ) as tls:
            assert tls.recv(2) == b"ok"
            assert files.fingerprint() == _sha256(tls.getpeercert(binary_form=True))
        thread.join()


def _sha256(data: bytes | None) -> str:
    import hashlib

    return hashlib.sha256(data or b"").hexdigest()


def test_rendezvous_settings() -> None:
    settings = Settings.from_env(
        {
            "RUNOFF_DATA_DIR": "/tmp/x",
            "RUNOFF_RENDEZVOUS_PORT": "6001",
            "RUNOFF_RENDEZVOUS_HOST": "runoff.example.com",
            "RUNOFF_ATTACH_IDLE_SECONDS": "2.5",
        }
    )
    assert (settings.rendezvous_port, settings.rendezvous_host) == (6001, "runoff.example.com")
    assert (settings.attach_idle_seconds, settings.attach_timeout_seconds) == (2.5, 60.0)
    assert Settings.from_env({}).rendezvous_port == 5001
    with pytest.raises(SettingsError, match="go together"):
        Settings.from_env({"RUNOFF_RENDEZVOUS_CERT": "/tmp/cert.pem"})
    with pytest.raises(SettingsError, match="RUNOFF_ATTACH_TIMEOUT_SECONDS"):
        Settings.from_env({"RUNOFF_ATTACH_TIMEOUT_SECONDS": "soon"})


def test_a_taken_rendezvous_port_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        server = RendezvousServer(
            tls=certs.generated(tmp_path, "127.0.0.1"),
            bind_host="127.0.0.1",
            port=taken.getsockname()[1],
            public_host="127.0.0.1",
            handshake_seconds=1,
        )
        with pytest.raises(OSError, match="RUNOFF_RENDEZVOUS_PORT"):
            asyncio.run(server.start())
