"""The client side of a rendezvous: connect, claim the dyno, then bridge it to this terminal.

runoff's own client speaks the framed extension (see ``runoff.dynos.wire``): it pins the
server certificate to the fingerprint the API returned, forwards window resizes, ends input
without a magic byte, and learns the dyno's exit status. Everything runs in one thread around
one ``poll``: the socket is read whenever it has data, so the dyno's output never waits on our
input (which could deadlock a process like ``cat`` that stops reading while it cannot write).
"""

from __future__ import annotations

import hashlib
import os
import selectors
import signal
import socket
import ssl
import time
import urllib.parse

from runoff.dynos import wire
from runoff.errors import RunoffError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

READ_CHUNK = 1 << 16
MAX_PENDING = 1 << 20  # stop reading stdin while this much input waits for the socket
CTRL_C = b"\x03"
FORCE_DISCONNECT_PRESSES = 4  # Ctrl-C this many times within a second, as with the Heroku CLI


class AttachError(RunoffError):
    """The rendezvous could not be reached or refused the secret."""


class Unreachable(AttachError):
    """Nothing answered at the rendezvous address within the timeout."""


def _pin(sock: ssl.SSLSocket, fingerprint: str) -> None:
    der = sock.getpeercert(binary_form=True) or b""
    if hashlib.sha256(der).hexdigest() != fingerprint.lower():
        raise AttachError(
            "the rendezvous server's certificate is not the one the API named: not attaching"
        )


def _tls(sock: socket.socket, host: str, fingerprint: str | None) -> ssl.SSLSocket:
    if fingerprint:
        # The API (which the token already trusts) named the certificate: no CA is needed.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context()
    tls = context.wrap_socket(sock, server_hostname=host)
    if fingerprint:
        _pin(tls, fingerprint)
    return tls


class Session:
    """A claimed rendezvous: the TLS socket, the banner, and frames not yet handled."""

    def __init__(self, sock: ssl.SSLSocket, banner: str, rest: bytes) -> None:
        self.sock = sock
        self.banner = banner
        self.decoder = wire.Decoder(wire.OUTPUT + wire.EXIT + wire.NOTICE)
        self.early = self.decoder.feed(rest)

    def close(self) -> None:
        self.sock.close()


def connect(url: str, fingerprint: str | None, timeout: float) -> Session:
    """Open the rendezvous at ``url`` and claim it; ``Unreachable`` if that takes longer than
    ``timeout`` or the address refuses, ``AttachError`` if the secret is refused."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        port = None
    if not host or port is None:
        raise AttachError(f"the server gave an invalid attach URL: {url!r}")
    secret = parts.path[1:] + (f"?{parts.query}&" if parts.query else "?") + wire.QUERY
    deadline = time.monotonic() + timeout
    try:
        raw = socket.create_connection((host, port), timeout)
        raw.settimeout(max(0.1, deadline - time.monotonic()))
        sock = _tls(raw, host, fingerprint)
    except (OSError, ssl.SSLError) as error:
        raise Unreachable(f"{host}:{port}: {error}") from None
    try:
        sock.sendall(secret.encode() + b"\r\n")
        banner, rest = _read_banner(sock, deadline)
    except BaseException:
        sock.close()
        raise
    return Session(sock, banner, rest)


def _read_banner(sock: ssl.SSLSocket, deadline: float) -> tuple[str, bytes]:
    data = b""
    while b"\n" not in data:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            chunk = sock.recv(READ_CHUNK)
        except TimeoutError:
            raise Unreachable("no answer from the rendezvous server") from None
        except OSError as error:
            raise AttachError(f"the rendezvous connection failed: {error}") from None
        if not chunk:
            raise AttachError("the rendezvous server refused the secret (expired or already used)")
        data += chunk
    line, _, rest = data.partition(b"\n")
    banner = line.decode("utf-8", "replace").rstrip("\r")
    if not banner.startswith(wire.BANNER_PREFIX):
        raise AttachError(f"the rendezvous server does not speak runoff's protocol: {banner!r}")
    return banner, rest


class CrLf:
    """Turns a pty's ``\\r\\n`` into ``\\n`` for output that is not a terminal, like the
    Heroku CLI (a ``\\r`` at the end of a chunk waits to see what follows)."""

    def __init__(self) -> None:
        self._cr = False

    def __call__(self, data: bytes) -> bytes:
        if self._cr:
            data = b"\r" + data
        self._cr = data.endswith(b"\r")
        if self._cr:
            data = data[:-1]
        return data.replace(b"\r\n", b"\n")

    def flush(self) -> bytes:
        cr, self._cr = self._cr, False
        return b"\r" if cr else b""


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            selectors.DefaultSelector().select(0.05)  # someone left the fd non-blocking


class Bridge:
    """Moves bytes between this process's stdin/stdout and the session until it ends."""

    def __init__(
        self,
        session: Session,
        *,
        stdin: int,
        stdout: int,
        window: Callable[[], tuple[int, int] | None] | None,
        raw_terminal: bool,
        translate: bool,
        notice: Callable[[str], None],
    ) -> None:
        self.session = session
        self.stdin: int | None = stdin
        self.stdout = stdout
        self.window = window  # the terminal's (rows, cols), if resizes are to be forwarded
        self.raw_terminal = raw_terminal  # Ctrl-C arrives as a byte: count them
        self.crlf = CrLf() if translate else None
        self.notice = notice
        self.status: int | None = None
        self.forced = False
        self._out = bytearray()
        self._presses: list[float] = []
        self._resized = False
        self._selector = selectors.PollSelector()  # poll, unlike epoll, takes regular files

    def run(self) -> int | None:
        """Bridge until the server closes; the exit status it sent, if any."""
        wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        previous_wake = signal.set_wakeup_fd(wake_write)
        previous_winch = signal.signal(signal.SIGWINCH, self._on_winch)
        try:
            self._selector.register(wake_read, selectors.EVENT_READ)
            if self.stdin is not None:
                self._selector.register(self.stdin, selectors.EVENT_READ)
            self.session.sock.setblocking(False)
            self._selector.register(self.session.sock, selectors.EVENT_READ)
            if self.window is not None:
                self._queue_window()
            for kind, payload in self.session.early:
                self._handle(kind, payload)
            self._loop(wake_read)
        finally:
            signal.signal(signal.SIGWINCH, previous_winch)
            signal.set_wakeup_fd(previous_wake)
            self._selector.close()
            os.close(wake_read)
            os.close(wake_write)
        if self.crlf is not None:
            write_all(self.stdout, self.crlf.flush())
        return self.status

    def _on_winch(self, _signum: int, _frame: object) -> None:
        self._resized = True

    def _queue_window(self) -> None:
        size = self.window() if self.window is not None else None
        if size is not None:
            self._out += wire.window(*size)

    def _loop(self, wake: int) -> None:
        sock = self.session.sock
        while True:
            self._set_interest()
            for key, _ in self._selector.select():
                if key.fd == wake:
                    os.read(wake, 512)
                    if self._resized:
                        self._resized = False
                        self._queue_window()
                elif key.fileobj is sock:
                    if not self._receive():
                        return
                else:
                    self._read_stdin()
                    if self.forced:
                        return
            self._send()

    def _set_interest(self) -> None:
        sock = self.session.sock
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self._out else 0)
        self._selector.modify(sock, events)
        if self.stdin is not None:
            full = len(self._out) >= MAX_PENDING
            key = self._selector.get_map().get(self.stdin)
            if full and key is not None:
                self._selector.unregister(self.stdin)
            elif not full and key is None:
                self._selector.register(self.stdin, selectors.EVENT_READ)

    def _receive(self) -> bool:
        """Read what the socket has; False once the server has closed the connection."""
        while True:
            try:
                data = self.session.sock.recv(READ_CHUNK)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return True
            except OSError:
                return False
            if not data:
                return False
            try:
                frames = self.session.decoder.feed(data)
            except wire.WireError as error:
                raise AttachError(f"the rendezvous server broke the protocol: {error}") from None
            for kind, payload in frames:
                self._handle(kind, payload)

    def _handle(self, kind: bytes, payload: bytes) -> None:
        if kind == wire.OUTPUT:
            write_all(self.stdout, self.crlf(payload) if self.crlf else payload)
        elif kind == wire.EXIT:
            self.status = int(payload or b"1")
        elif kind == wire.NOTICE:
            self.notice(payload.decode("utf-8", "replace"))

    def _read_stdin(self) -> None:
        assert self.stdin is not None
        try:
            data = os.read(self.stdin, READ_CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._selector.unregister(self.stdin)
            self.stdin = None
            self._out += wire.frame(wire.END)
            return
        if self.raw_terminal and data and not data.strip(CTRL_C):
            # a slow reader may get several presses in one read
            now = time.monotonic()
            self._presses = [t for t in self._presses if t > now - 1.0] + [now] * len(data)
            if len(self._presses) >= FORCE_DISCONNECT_PRESSES:
                self.forced = True
                return
        self._out += wire.frame(wire.INPUT, data)

    def _send(self) -> None:
        while self._out:
            try:
                sent = self.session.sock.send(self._out)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                return
            except OSError:
                self._out.clear()  # the server is gone; _receive will see it
                return
            del self._out[:sent]
