"""The socket-level HTTP/1.1 transport against scripted raw responses."""

from __future__ import annotations

import io
import socket
import threading
from collections.abc import Iterator

import pytest

from runoff.cli import transport


class RawServer:
    """Accepts connections on loopback; answers each with the next scripted bytes, then closes.
    Records each request's raw bytes (head and body)."""

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.received: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for answer in self.answers:
            connection, _ = self._sock.accept()
            with connection:
                self.received.append(self._read_request(connection))
                connection.sendall(answer)

    @staticmethod
    def _read_request(connection: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += connection.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
                while len(body) < length:
                    body += connection.recv(65536)
        return head + b"\r\n\r\n" + body

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture
def raw() -> Iterator[list[RawServer]]:
    servers: list[RawServer] = []
    yield servers
    for server in servers:
        server.close()


def serve(raw: list[RawServer], *answers: bytes) -> RawServer:
    server = RawServer(*answers)
    raw.append(server)
    return server


def get(url: str, method: str = "GET", body: bytes | None = None) -> transport.Response:
    return transport.request(method, url + "/x?y=1", {"Accept": "a/b"}, body, timeout=5)


def read_all(url: str) -> bytes:
    response = get(url)
    try:
        return response.read()
    finally:
        response.close()


def test_request_head_and_content_length_body(raw: list[RawServer]) -> None:
    server = serve(raw, b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello")
    response = get(server.url, "POST", b'{"a":1}')
    assert (response.status, response.reason, response.headers["x-a"]) == (201, "Created", "1")
    assert response.read() == b"hello"
    response.close()
    server.close()
    head, _, body = server.received[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "POST /x?y=1 HTTP/1.1"
    assert lines[1] == f"Host: {server.url.removeprefix('http://')}"
    assert {"Connection: close", "Accept: a/b", "Content-Length: 7"} <= set(lines)
    assert body == b'{"a":1}'


def test_chunked_body_read_by_lines(raw: list[RawServer]) -> None:
    server = serve(
        raw,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"8\r\ndata: a\n\r\n3;ext=1\r\n\nda\r\n6\r\nta: b\n\r\n0\r\nTrailer: x\r\n\r\n",
    )
    response = get(server.url)
    assert list(iter(response.readline, b"")) == [b"data: a\n", b"\n", b"data: b\n"]
    response.close()


def test_body_until_close_and_last_line_without_newline(raw: list[RawServer]) -> None:
    server = serve(raw, b"HTTP/1.0 200 OK\r\n\r\nline 1\nline 2")
    response = get(server.url)
    assert [response.readline(), response.readline(), response.readline()] == [
        b"line 1\n",
        b"line 2",
        b"",
    ]
    response.close()


def test_interim_responses_are_skipped(raw: list[RawServer]) -> None:
    server = serve(raw, b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
    response = get(server.url, "DELETE")
    assert response.status == 204
    assert response.read() == b""
    response.close()
    assert b"Content-Length" not in server.received[0]  # DELETE without a body


def test_post_without_body_sends_content_length_0(raw: list[RawServer]) -> None:
    server = serve(raw, b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
    get(server.url, "POST").close()
    server.close()
    assert b"Content-Length: 0\r\n" in server.received[0]


def test_file_body_is_streamed(raw: list[RawServer]) -> None:
    server = serve(raw, b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}")
    data = bytes(200_000)
    headers = {"Content-Length": str(len(data))}
    response = transport.request("POST", server.url, headers, io.BytesIO(data), timeout=5)
    assert response.read() == b"{}"
    response.close()
    server.close()
    assert server.received[0].endswith(b"\r\n\r\n" + data)


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-",
        b"",
    ],
)
def test_a_connection_closed_early_is_a_connection_error(
    raw: list[RawServer], answer: bytes
) -> None:
    server = serve(raw, answer)
    with pytest.raises(ConnectionError):
        read_all(server.url)


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH_9.2\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: many\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
)
def test_a_response_that_is_not_http_is_a_protocol_error(
    raw: list[RawServer], answer: bytes
) -> None:
    server = serve(raw, answer)
    with pytest.raises(transport.ProtocolError):
        read_all(server.url)


def test_header_injection_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid character"):
        transport.request("GET", "http://127.0.0.1:9", {"Authorization": "a\r\nX: y"}, timeout=1)


def test_only_http_urls() -> None:
    with pytest.raises(ValueError, match="not an http"):
        transport.request("GET", "ftp://example.com/", {}, timeout=1)
