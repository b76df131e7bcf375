"""Delivering frames: syslog over TCP or TLS, or HTTP(S) POSTs in Logplex's shape.

``send`` either delivers the whole frame or raises ``DeliveryError`` (after closing the
connection, so the next attempt starts afresh); the caller retries the same frame.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from runoff.logs.drains import syslog
from runoff.logs.drains.model import Target

TIMEOUT_SECONDS = 30.0
USER_AGENT = "runoff-logplex/1"


class DeliveryError(Exception):
    pass


@dataclass(frozen=True)
class Frame:
    id: str  # Logplex-Frame-Id: the same on every attempt to deliver this frame
    messages: list[bytes]


class Transport(Protocol):
    async def send(self, frame: Frame) -> None: ...

    async def close(self) -> None: ...


class _Connection:
    """One persistent stream connection, opened on demand."""

    def __init__(self, target: Target, ssl_context: ssl.SSLContext | None) -> None:
        self.target = target
        self._ssl = ssl_context if target.tls else None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(
                self.target.host,
                self.target.port,
                ssl=self._ssl,
                server_hostname=self.target.host if self._ssl else None,
            )
        return self.reader, self.writer

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
                await asyncio.wait_for(writer.wait_closed(), 1.0)


class SyslogTransport:
    """RFC 5424 messages, RFC 6587 octet counting, over one long-lived TCP or TLS stream."""

    def __init__(self, target: Target, ssl_context: ssl.SSLContext | None) -> None:
        self._conn = _Connection(target, ssl_context)

    async def send(self, frame: Frame) -> None:
        try:
            _, writer = await asyncio.wait_for(self._conn.open(), TIMEOUT_SECONDS)
            writer.write(syslog.frames(frame.messages))
            await asyncio.wait_for(writer.drain(), TIMEOUT_SECONDS)
        except (OSError, TimeoutError, ssl.SSLError) as exc:
            await self._conn.close()
            raise DeliveryError(f"syslog delivery failed: {exc!r}") from exc

    async def close(self) -> None:
        await self._conn.close()


class HttpTransport:
    """A POST per frame (``Content-Type: application/logplex-1``), keep-alive."""

    def __init__(self, target: Target, ssl_context: ssl.SSLContext | None, token: str) -> None:
        self._conn = _Connection(target, ssl_context)
        self._target = target
        self._token = token

    def request(self, frame: Frame) -> bytes:
        body = syslog.frames(frame.messages)
        target = self._target
        default_port = 443 if target.tls else 80
        host = target.host if target.port == default_port else f"{target.host}:{target.port}"
        headers = [
            f"POST {target.path} HTTP/1.1",
            f"Host: {host}",
            "Content-Type: application/logplex-1",
            f"Content-Length: {len(body)}",
            f"Logplex-Msg-Count: {len(frame.messages)}",
            f"Logplex-Frame-Id: {frame.id}",
            f"Logplex-Drain-Token: {self._token}",
            f"User-Agent: {USER_AGENT}",
        ]
        if target.username is not None:
            pair = f"{target.username}:{target.password or ''}".encode()
            headers.append(f"Authorization: Basic {base64.b64encode(pair).decode()}")
        return ("\r\n".join(headers) + "\r\n\r\n").encode() + body

    async def send(self, frame: Frame) -> None:
        try:
            status, keep = await asyncio.wait_for(self._exchange(frame), TIMEOUT_SECONDS)
        except (OSError, TimeoutError, ssl.SSLError, ValueError, EOFError) as exc:
            await self._conn.close()
            raise DeliveryError(f"HTTP delivery failed: {exc!r}") from exc
        if not keep:
            await self._conn.close()
        if not 200 <= status < 300:
            raise DeliveryError(f"the drain answered HTTP {status}")

    async def _exchange(self, frame: Frame) -> tuple[int, bool]:
        reader, writer = await self._conn.open()
        writer.write(self.request(frame))
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise EOFError("connection closed before a response")
        status = int(status_line.split()[1])
        headers = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        keep = headers.get("connection", "").lower() != "close"
        if "chunked" in headers.get("transfer-encoding", "").lower():
            await _skip_chunked(reader)
        elif "content-length" in headers:
            await reader.readexactly(int(headers["content-length"]))
        elif status not in (204, 304):
            await reader.read()  # the body runs to the end of the connection
            keep = False
        return status, keep

    async def close(self) -> None:
        await self._conn.close()


async def _skip_chunked(reader: asyncio.StreamReader) -> None:
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return
        await reader.readexactly(size + 2)


def ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """Certificates are verified against the system's CAs plus ``ca_file`` if given."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(ca_file)
    return context


def transport_for(target: Target, token: str, context: ssl.SSLContext) -> Transport:
    if target.http:
        return HttpTransport(target, context, token)
    return SyslogTransport(target, context)
