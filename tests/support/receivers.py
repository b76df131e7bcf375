"""Real log drain receivers on loopback: a syslog listener (TCP or TLS) and an HTTPS endpoint."""

from __future__ import annotations

import contextlib
import http.server
import socket
import socketserver
import ssl
import threading
from dataclasses import dataclass, field

from runoff.logs.drains.syslog import parse_frames
from tests.support.api import wait_for


class SyslogReceiver:
    """Accepts connections and keeps every octet-counted message received, in order."""

    def __init__(self, context: ssl.SSLContext | None = None, port: int = 0) -> None:
        self.messages: list[bytes] = []
        self.connections = 0
        self._context = context
        self._lock = threading.Lock()
        self._sock = socket.create_server(("127.0.0.1", port))
        self.port: int = self._sock.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"syslog{'+tls' if self._context else ''}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._context is not None:
                conn = self._context.wrap_socket(conn, server_side=True)
            with self._lock:
                self.connections += 1
            rest = b""
            while data := conn.recv(65536):
                found, rest = parse_frames(rest + data)
                with self._lock:
                    self.messages += found
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()

    def wait(self, count: int, timeout: float = 30) -> list[bytes]:
        wait_for(lambda: len(self.messages) >= count, timeout, f"{count} syslog messages")
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self._closed = True
        # close() alone leaves a blocked accept() listening (the kernel keeps the socket):
        # shutdown wakes it, so the port really stops accepting
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()


@dataclass
class Post:
    headers: dict[str, str]
    messages: list[bytes]
    status: int


@dataclass
class HttpsReceiver:
    """An HTTPS endpoint answering POSTs with the statuses in ``statuses`` (then 200);
    ``gate``, while clear, holds every request."""

    context: ssl.SSLContext | None
    statuses: list[int] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    gate: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.gate.set()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.gate.wait(60)
                messages, rest = parse_frames(body)
                assert rest == b"", rest
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.posts.append(Post(dict(self.headers.items()), messages, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        if self.context is not None:
            self._server.socket = self.context.wrap_socket(self._server.socket, server_side=True)
        self.port: int = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"{'https' if self.context else 'http'}://127.0.0.1:{self.port}/logs?app=1"

    def delivered(self) -> list[bytes]:
        """Messages of the POSTs answered with a 2xx, in order."""
        return [m for post in list(self.posts) if 200 <= post.status < 300 for m in post.messages]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class WebhookReceiver:
    """An HTTP server on loopback keeping each POST (headers, body); answers 500 while
    ``failing`` counts down, 204 otherwise."""

    def __init__(self) -> None:
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.failing = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failing:
                    receiver.failing -= 1
                    self.send_response(500)
                else:
                    receiver.posts.append((dict(self.headers), body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
