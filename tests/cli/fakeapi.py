"""A real HTTP server on loopback that records requests and answers canned Heroku-shaped
responses, so CLI tests check the exact requests sent without the runoff server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    """``chunks`` are written one by one, flushed, then the connection is closed (HTTP/1.0);
    ``drop`` closes the socket without any response."""

    status: int = 200
    chunks: Iterable[bytes] = ()
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


Handler = Callable[[Request], Reply]


def json_reply(body: object, status: int = 200) -> Reply:
    return Reply(status, [json.dumps(body).encode()], {"Content-Type": "application/json"})


def error_reply(status: int, message: str, id: str = "invalid_params") -> Reply:
    return json_reply({"id": id, "message": message}, status)


def sse_reply(*chunks: str) -> Reply:
    return Reply(200, [c.encode() for c in chunks], {"Content-Type": "text/event-stream"})


class FakeApi:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._routes: dict[tuple[str, str], list[Handler]] = {}
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def on(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer ``method path`` with ``replies`` in turn; the last one repeats."""
        self._routes[(method, path)] = [
            reply if callable(reply) else (lambda _, r=reply: r) for reply in replies
        ]

    def json(self, method: str, path: str, body: object, status: int = 200) -> None:
        self.on(method, path, json_reply(body, status))

    def only(self) -> Request:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]

    def _answer(self, request: Request) -> Reply:
        self.requests.append(request)
        handlers = self._routes.get((request.method, request.path.split("?")[0]))
        if not handlers:
            return error_reply(404, f"no route for {request.method} {request.path}", "not_found")
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def handle_one_request(self) -> None:
                self.raw_requestline = self.rfile.readline(65537)
                if not self.raw_requestline or not self.parse_request():
                    self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command,
                    self.path,
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length),
                )
                reply = api._answer(request)
                self.close_connection = True
                if reply.drop:
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                for chunk in reply.chunks:
                    self.wfile.write(chunk)
                    self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def serve() -> Iterator[FakeApi]:
    api = FakeApi().start()
    try:
        yield api
    finally:
        api.stop()
