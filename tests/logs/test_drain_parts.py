"""Drain building blocks: URLs, RFC 5424 messages and octet counting, the bounded buffer."""

from __future__ import annotations

import pytest

from runoff.errors import Invalid
from runoff.logs.drains.buffer import DrainBuffer
from runoff.logs.drains.model import parse_url
from runoff.logs.drains.syslog import frames, message, parse_frames
from runoff.logs.model import LogBatch

AT = 1_795_000_000_123_456


def test_urls() -> None:
    tls = parse_url("syslog+tls://logs.example.com:6514")
    assert (tls.scheme, tls.host, tls.port, tls.tls, tls.http) == (
        "syslog+tls",
        "logs.example.com",
        6514,
        True,
        False,
    )
    https = parse_url("https://u%40x:p%3Ass@example.com/drain?k=v")
    assert (https.port, https.path, https.username, https.password) == (
        443,
        "/drain?k=v",
        "u@x",
        "p:ss",
    )
    assert parse_url("http://example.com").port == 80
    with pytest.raises(Invalid):
        parse_url("syslog://example.com")


def test_messages_and_octet_counting() -> None:
    one = message(AT, "d.token", "app", "run.1", "héllo".encode())
    assert one == "<190>1 2026-11-18T11:06:40.123456+00:00 d.token app run.1 - héllo\n".encode()
    two = message(AT, "host", "heroku", "run.1", b"State changed from starting to up")
    data = frames([one, two])
    assert data.startswith(b"%d <190>1" % len(one))
    assert parse_frames(data + b"12 <190>1 par") == ([one, two], b"12 <190>1 par")


def batch(first_id: int, *lines: bytes, at: int = AT) -> LogBatch:
    return LogBatch("a1", "run.1", "app", at, first_id, len(lines), b"\n".join(lines))


def test_buffer_drops_the_oldest_and_reports_once() -> None:
    buffer = DrainBuffer(3)
    buffer.add(batch(1, b"a", b"b"))
    lines, report = buffer.take(10)
    assert [line[3] for line in lines] == [b"a", b"b"]
    assert report is None
    buffer.add(batch(3, b"c", b"d", b"e"))
    buffer.add(batch(6, b"f", b"g", at=AT + 1))
    lines, report = buffer.take(2)
    assert [line[3] for line in lines] == [b"e", b"f"]
    assert report is not None
    assert report.dropped == 2
    assert report.line(AT + 5)[3] == (
        b"Error L10 (output buffer overflow): 2 messages dropped since "
        b"2026-11-18T11:06:40.123457+00:00."
    )
    assert report.line(AT)[1:3] == ("heroku", "logplex")
    lines, report = buffer.take(10)
    assert [line[3] for line in lines] == [b"g"]
    assert report is None
