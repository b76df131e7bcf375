"""``runoff server``: it binds port 0 when asked and names the ports it got; it fails at once,
saying why, when it cannot listen."""

from __future__ import annotations

import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live import ServerProcess


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something else listens on for the whole test."""
    with socket.create_server(("127.0.0.1", 0)) as sock:
        yield sock.getsockname()[1]


def test_port_zero_names_the_ports_it_got(tmp_path: Path, database_url: str) -> None:
    server = ServerProcess(tmp_path / "data", database_url).start()
    try:
        assert server.port != 0
        assert server.rendezvous_port not in (0, server.port)
        with urllib.request.urlopen(server.url + "/healthz", timeout=10) as response:
            assert response.status == 200
    finally:
        assert server.terminate() == 0


def test_an_api_port_in_use_fails_at_once(
    tmp_path: Path, database_url: str, taken_port: int
) -> None:
    server = ServerProcess(tmp_path / "data", database_url, RUNOFF_PORT=str(taken_port))
    with pytest.raises(
        RuntimeError, match=rf"cannot listen on 127\.0\.0\.1:{taken_port}.*RUNOFF_PORT"
    ):
        server.start()
    assert server.proc is not None
    assert server.proc.wait() == 1


def test_an_attach_port_in_use_fails_at_once(
    tmp_path: Path, database_url: str, taken_port: int
) -> None:
    server = ServerProcess(tmp_path / "data", database_url, RUNOFF_RENDEZVOUS_PORT=str(taken_port))
    with pytest.raises(
        RuntimeError, match=r"cannot listen for attached runs.*RUNOFF_RENDEZVOUS_PORT"
    ):
        server.start()
    assert server.proc is not None
    assert server.proc.wait() != 0
