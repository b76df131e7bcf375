"""HTTP/1.1 over a socket, one request per connection (``Connection: close``).

``http.client`` costs ~18 ms to import (it pulls in ``email.parser`` and ``ssl``) and the
start-up time of ``runoff run:detached`` is benchmarked, so the CLI speaks the small part of
HTTP it needs itself: fixed-length, chunked and read-until-close bodies, 1xx responses skipped.
``ssl`` is imported only for https URLs.

Network failures are ``OSError``s (a connection closed early is a ``ConnectionError``); a
response that is not HTTP is a ``ProtocolError``.
"""

from __future__ import annotations

import socket
import urllib.parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from io import BufferedReader
    from typing import IO

MAX_LINE = 65536
BLOCK = 65536
_BODYLESS_METHODS = ("GET", "HEAD", "DELETE", "OPTIONS")


class ProtocolError(Exception):
    """The server's answer is not a well-formed HTTP/1.x response."""


def _closed_early() -> ConnectionError:
    return ConnectionError("the connection closed before the response ended")


class Response:
    """Status, lower-cased headers and the body, read whole or line by line."""

    def __init__(
        self,
        sock: socket.socket,
        file: BufferedReader,
        status: int,
        reason: str,
        headers: dict[str, str],
        has_body: bool,
    ) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self._sock = sock
        self._file = file
        self._buffer = b""
        self._chunked = has_body and "chunked" in headers.get("transfer-encoding", "").lower()
        self._remaining: int | None = None
        if has_body and not self._chunked and "content-length" in headers:
            try:
                self._remaining = int(headers["content-length"])
            except ValueError:
                raise ProtocolError("invalid Content-Length") from None
        self._done = not has_body

    def _next_piece(self) -> bytes:
        """The next piece of the decoded body; ``b""`` once it has ended."""
        if self._done:
            return b""
        if self._chunked:
            return self._next_chunk()
        if self._remaining is not None:
            if self._remaining == 0:
                self._done = True
                return b""
            piece = self._file.read1(min(BLOCK, self._remaining))
            if not piece:
                raise _closed_early()
            self._remaining -= len(piece)
            return piece
        piece = self._file.read1(BLOCK)
        self._done = not piece
        return piece

    def _next_chunk(self) -> bytes:
        size_line = self._file.readline(MAX_LINE)
        if not size_line:
            raise _closed_early()
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ProtocolError(f"invalid chunk size {size_line[:40]!r}") from None
        if size == 0:
            while self._file.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            self._done = True
            return b""
        data = self._file.read(size)
        if len(data) < size or not self._file.readline(MAX_LINE):
            raise _closed_early()
        return data

    def read(self) -> bytes:
        """The rest of the body."""
        pieces = [self._buffer]
        self._buffer = b""
        while piece := self._next_piece():
            pieces.append(piece)
        return b"".join(pieces)

    def readline(self) -> bytes:
        """The next body line with its ``\\n``; the last line may lack it; ``b""`` at the end."""
        while b"\n" not in self._buffer:
            piece = self._next_piece()
            if not piece:
                line, self._buffer = self._buffer, b""
                return line
            self._buffer += piece
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line + b"\n"

    def close(self) -> None:
        self._file.close()
        self._sock.close()


def _connect(parts: urllib.parse.SplitResult, timeout: float | None) -> socket.socket:
    https = parts.scheme == "https"
    host = parts.hostname or ""
    sock = socket.create_connection((host, parts.port or (443 if https else 80)), timeout)
    if not https:
        return sock
    import ssl

    try:
        return ssl.create_default_context().wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def _head(method: str, parts: urllib.parse.SplitResult, headers: Mapping[str, str]) -> bytes:
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}"]
    lines.append("Connection: close")
    for name, value in headers.items():
        if any(c in value or c in name for c in "\r\n\0"):
            raise ValueError(f"invalid character in the {name} header")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _read_line(file: BufferedReader) -> bytes:
    line = file.readline(MAX_LINE)
    if not line.endswith(b"\n"):
        if len(line) >= MAX_LINE:
            raise ProtocolError("a header line is too long")
        raise _closed_early()
    return line


def _read_head(file: BufferedReader) -> tuple[int, str, dict[str, str]]:
    line = _read_line(file)
    version, _, rest = line.decode("latin-1").rstrip("\r\n").partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/1.") or not (code.isascii() and code.isdigit()):
        raise ProtocolError(f"not an HTTP response: {line[:60]!r}")
    headers: dict[str, str] = {}
    while (line := _read_line(file)) not in (b"\r\n", b"\n"):
        name, colon, value = line.decode("latin-1").partition(":")
        if not colon:
            raise ProtocolError(f"invalid header line {line[:60]!r}")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return int(code), reason, headers


def request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes | IO[bytes] | None = None,
    *,
    timeout: float | None,
) -> Response:
    """Send one request and read the response's status and headers; the caller reads the body
    and closes the response. A file ``body`` needs a ``Content-Length`` in ``headers``."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    sent = dict(headers)
    if isinstance(body, bytes):
        sent["Content-Length"] = str(len(body))
    elif body is None and method not in _BODYLESS_METHODS:
        sent["Content-Length"] = "0"
    head = _head(method, parts, sent)
    sock = _connect(parts, timeout)
    file = sock.makefile("rb")
    try:
        sock.sendall(head)
        if isinstance(body, bytes):
            sock.sendall(body)
        elif body is not None:
            while block := body.read(BLOCK):
                sock.sendall(block)
        status, reason, response_headers = _read_head(file)
        while 100 <= status < 200:  # 100 Continue and other interim responses
            status, reason, response_headers = _read_head(file)
        has_body = method != "HEAD" and status not in (204, 304)
        return Response(sock, file, status, reason, response_headers, has_body)
    except BaseException:
        file.close()
        sock.close()
        raise
