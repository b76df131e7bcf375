"""The rendezvous endpoint: a TLS server where clients claim attached dynos by their secret.

Each attached dyno gets a secret (32 random bytes, URL-safe) valid for one connection within
the attach timeout. A connection whose first line is not a pending secret is closed without a
word; a claimed or expired secret is gone for good. Secrets are kept by their SHA-256 only, so
looking one up takes the same time whatever it shares with a real one. See ``wire`` for the
protocol, ``attach`` for what happens once a client is in.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

from runoff.dynos import certs, wire
from runoff.dynos.attach import Attachment
from runoff.dynos.certs import TlsFiles

log = logging.getLogger(__name__)
READ_CHUNK = 1 << 16
KEEPALIVE = {"TCP_KEEPIDLE": 60, "TCP_KEEPINTVL": 10, "TCP_KEEPCNT": 6}  # a dead peer: ~2 min
Messages = list[tuple[bytes, bytes]]


class Connection:
    """One client's connection, in Heroku's raw mode or runoff's framed mode."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        framed: bool,
        tty: bool,
    ) -> None:
        self.framed = framed
        self._reader = reader
        self._writer = writer
        self._tty = tty
        self._input_ended = False
        self._decoder = wire.Decoder(wire.INPUT + wire.WINDOW + wire.END)

    async def greet(self, name: str) -> None:
        """Send the banner line; Heroku's client then needs a pause (it drops its first read)."""
        prefix = f"{wire.BANNER_PREFIX} " if self.framed else ""
        self._writer.write(f"{prefix}rendezvous: attached to {name}\r\n".encode())
        await self._writer.drain()
        if not self.framed:
            await asyncio.sleep(wire.BANNER_PAUSE_SECONDS)

    async def send_output(self, data: bytes) -> None:
        """Send the dyno's output, waiting while the client is behind (``OSError`` if gone)."""
        if self._writer.is_closing():
            raise ConnectionResetError("the client is gone")
        self._writer.write(wire.frame(wire.OUTPUT, data) if self.framed else data)
        await self._writer.drain()

    async def receive(self) -> Messages | None:
        """The client's next messages; None once it is gone (EOF, error, broken framing)."""
        try:
            data = await self._reader.read(READ_CHUNK)
        except OSError:
            return None
        if not data:
            return None
        if self.framed:
            try:
                return self._decoder.feed(data)
            except wire.WireError as exc:
                log.info("rendezvous: closing a connection: %s", exc)
                return None
        return self._raw(data)

    def _raw(self, data: bytes) -> Messages:
        """Heroku's client: bytes are input, and without a tty ``\\x04`` ends it."""
        if self._input_ended:
            return []
        if self._tty or wire.EOT not in data:
            return [(wire.INPUT, data)]
        self._input_ended = True
        before = data.split(wire.EOT, 1)[0]
        return [(wire.INPUT, before), (wire.END, b"")]

    def send_exit(self, status: int) -> None:
        if self.framed and not self._writer.is_closing():
            self._writer.write(wire.frame(wire.EXIT, str(status).encode()))

    def notice(self, text: str) -> None:
        if self.framed and not self._writer.is_closing():
            self._writer.write(wire.frame(wire.NOTICE, text.encode()))

    def close(self) -> None:
        """Close after what was written is sent (a TLS close, then the socket)."""
        self._writer.close()

    def abort(self) -> None:
        self._writer.transport.abort()


@dataclass
class _Pending:
    attachment: Attachment
    name: str
    timer: asyncio.TimerHandle


class RendezvousServer:
    """Listens on ``host:port`` with TLS; hands each claimed secret's connection over."""

    def __init__(
        self,
        *,
        tls: TlsFiles,
        bind_host: str,
        port: int,
        public_host: str,
        handshake_seconds: float,
    ) -> None:
        self.tls = tls
        self.public_host = public_host
        self._bind_host = bind_host
        self._port = port
        self._handshake_seconds = handshake_seconds
        self._pending: dict[bytes, _Pending] = {}
        self._connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self.fingerprint = tls.fingerprint()

    @property
    def port(self) -> int:
        """The port listened on (the configured one, or the one picked for port 0)."""
        if self._server is None or not self._server.sockets:
            return self._port
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Listen; an ``OSError`` naming the setting if the port cannot be had."""
        try:
            self._server = await asyncio.start_server(
                self._handle,
                self._bind_host,
                self._port,
                ssl=self.tls.context(),
                ssl_handshake_timeout=self._handshake_seconds,
                reuse_address=True,
            )
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot listen for attached runs on {self._bind_host}:{self._port} "
                f"({exc.strerror}); choose another port with RUNOFF_RENDEZVOUS_PORT",
            ) from None

    def expect(self, attachment: Attachment, name: str, timeout: float) -> str:
        """A new single-use secret for ``attachment``; it expires after ``timeout`` seconds."""
        secret = secrets.token_urlsafe(32)
        key = hashlib.sha256(secret.encode()).digest()
        loop = asyncio.get_running_loop()
        timer = loop.call_later(timeout, self._expire, key)
        self._pending[key] = _Pending(attachment, name, timer)
        return secret

    def url(self, secret: str) -> str:
        host = f"[{self.public_host}]" if ":" in self.public_host else self.public_host
        return f"rendezvous://{host}:{self.port}/{secret}"

    def _expire(self, key: bytes) -> None:
        pending = self._pending.pop(key, None)
        if pending is not None:
            pending.attachment.expire()

    def _claim(self, line: bytes) -> tuple[_Pending, bool] | None:
        secret, framed = wire.parse_secret_line(line)
        pending = self._pending.pop(hashlib.sha256(secret.encode()).digest(), None)
        if pending is None:
            return None
        pending.timer.cancel()
        return pending, framed

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _keepalive(writer.get_extra_info("socket"))
        try:
            line = await asyncio.wait_for(reader.readuntil(b"\n"), self._handshake_seconds)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            line = b""
        claimed = self._claim(line) if 0 < len(line) <= wire.MAX_SECRET_LINE else None
        if claimed is None:
            writer.close()  # a wrong, used or expired secret: nothing else
            return
        pending, framed = claimed
        conn = Connection(reader, writer, framed=framed, tty=pending.attachment.tty)
        self._connections.add(conn)
        try:
            await pending.attachment.serve(conn, pending.name)
        finally:
            self._connections.discard(conn)

    async def stop_accepting(self) -> None:
        """Stop listening; dynos still waiting for their client stop waiting."""
        if self._server is not None:
            self._server.close()
        for key in list(self._pending):
            pending = self._pending.pop(key)
            pending.timer.cancel()
            pending.attachment.abandon()

    async def close(self) -> None:
        """Drop the connections left (after the dynos ended) and wait for the listener."""
        for conn in list(self._connections):
            conn.abort()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 5)


def advertised_host(bind_host: str, configured: str | None) -> str:
    """The host put in attach URLs: the configured one, else the bind address unless it is a
    wildcard (then this machine's name)."""
    if configured:
        return configured
    if bind_host in ("", "0.0.0.0", "::"):
        return socket.getfqdn()
    return bind_host


def tls_files(data_dir: Path, host: str, cert: Path | None, key: Path | None) -> TlsFiles:
    """The configured certificate and key, else the generated ones (made on first use)."""
    if cert is not None and key is not None:
        return TlsFiles(cert, key, None)
    return certs.generated(data_dir, host)


def _keepalive(sock: socket.socket | None) -> None:
    """Find a peer that vanished (no FIN) in minutes rather than at the idle timeout."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in KEEPALIVE.items():
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
