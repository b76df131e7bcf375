"""A test client of the rendezvous endpoint: raw (as the Heroku CLI) or framed (as runoff's)."""

from __future__ import annotations

import socket
import ssl
import time
import urllib.parse
from pathlib import Path
from typing import Any

from runoff.dynos import wire
from tests.support.api import Api


def split_url(url: str) -> tuple[str, int, str]:
    parts = urllib.parse.urlsplit(url)
    assert parts.scheme == "rendezvous", url
    assert parts.hostname, url
    assert parts.port, url
    return parts.hostname, parts.port, parts.path[1:]


def tls_socket(host: str, port: int, ca: Path, timeout: float = 30) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(ca))
    return context.wrap_socket(
        socket.create_connection((host, port), timeout), server_hostname=host
    )


class Client:
    """One connection that claims ``url``'s secret."""

    def __init__(self, url: str, ca: Path, *, framed: bool = True, timeout: float = 30) -> None:
        host, port, secret = split_url(url)
        self.framed = framed
        self.sock = tls_socket(host, port, ca, timeout)
        self.sock.sendall(f"{secret}{'?' + wire.QUERY if framed else ''}\r\n".encode())
        self.banner = b""
        self._buffer = b""
        self._decoder = wire.Decoder(wire.OUTPUT + wire.EXIT + wire.NOTICE)
        self.output = bytearray()
        self.status: int | None = None
        self.notices: list[str] = []
        self.closed = False

    def _recv(self) -> bytes:
        try:
            data = self.sock.recv(1 << 16)
        except (ConnectionError, ssl.SSLError):
            data = b""
        if not data:
            self.closed = True
            self.sock.close()
        return data

    def read_banner(self) -> bytes:
        while b"\n" not in self._buffer and not self.closed:
            self._buffer += self._recv()
        self.banner, _, rest = self._buffer.partition(b"\n")
        self._buffer = b""
        self._take(rest)
        return self.banner

    def _take(self, data: bytes) -> None:
        if not self.framed:
            self.output += data
            return
        for kind, payload in self._decoder.feed(data):
            if kind == wire.OUTPUT:
                self.output += payload
            elif kind == wire.EXIT:
                self.status = int(payload)
            else:
                self.notices.append(payload.decode())

    def read_some(self) -> bytes:
        data = self._recv()
        self._take(data)
        return data

    def read_until(self, needle: bytes, timeout: float = 30) -> bytearray:
        deadline = time.monotonic() + timeout
        while needle not in self.output:
            assert not self.closed, f"closed before {needle!r}; got {self.output!r}"
            assert time.monotonic() < deadline, f"no {needle!r} in {self.output!r}"
            self.read_some()
        return self.output

    def read_to_end(self) -> bytearray:
        if not self.banner:
            self.read_banner()
        while not self.closed:
            self.read_some()
        return self.output

    def send(self, data: bytes) -> None:
        self.sock.sendall(wire.frame(wire.INPUT, data) if self.framed else data)

    def send_frame(self, kind: bytes, payload: bytes = b"") -> None:
        self.sock.sendall(wire.frame(kind, payload))

    def close(self) -> None:
        self.sock.close()


def attach(api: Api, app: str, command: str, **fields: Any) -> dict[str, Any]:
    """``POST /apps/{app}/dynos`` with ``attach: true``; the dyno with its ``attach_url``."""
    result: dict[str, Any] = api.post(
        f"/apps/{app}/dynos", {"command": command, "attach": True, **fields}
    ).ok()
    return result
