"""LogBatch: slicing by id and its Server-Sent Events."""

from __future__ import annotations

import json

from runoff.logs.model import MAX_LINE_BYTES, LogBatch, pack

AT = 1_795_000_000_000_001


def make(*lines: bytes) -> LogBatch:
    return LogBatch("a1", "run.1", "app", AT, 10, len(lines), b"\n".join(lines))


def test_since_and_newest() -> None:
    batch = make(b"a", b"b", b"c")
    assert batch.since(9) is batch
    assert batch.since(12) is None
    part = batch.since(10)
    assert part is not None
    assert (part.first_id, part.lines) == (11, [b"b", b"c"])
    assert batch.newest(1).lines == [b"c"]
    assert batch.newest(5) is batch


def test_events_text_and_json() -> None:
    batch = make(b"hello", b"bad \r carriage", "ünï".encode())
    text = batch.events(False).decode()
    assert text.split("\n\n")[:3] == [
        "id: 10\ndata: 2026-11-18T11:06:40.000001+00:00 app[run.1]: hello",
        "id: 11\ndata: 2026-11-18T11:06:40.000001+00:00 app[run.1]: bad  carriage",
        "id: 12\ndata: 2026-11-18T11:06:40.000001+00:00 app[run.1]: ünï",
    ]
    events = [e for e in batch.events(True).decode().split("\n\n") if e]
    first = json.loads(events[0].split("data: ", 1)[1])
    assert first == json.loads(batch.to_lines()[0].as_json())
    assert batch.events(False) is batch.events(False)  # rendered once for every session


def test_pack_splits_long_lines_and_embedded_newlines() -> None:
    data, count = pack([b"a\nb", b"x" * (MAX_LINE_BYTES + 1)])
    assert count == 4
    assert data.split(b"\n") == [b"a", b"b", b"x" * MAX_LINE_BYTES, b"x"]
