"""Log values: lines as rendered, batches as routed and stored, and stream filters.

Lines travel in batches: the lines of one dyno and source read at the same instant, packed in
one ``bytes`` (lines joined by ``\\n``, so a batch of ``count`` lines has ``count - 1``
newlines). Nothing on the ingest path makes a Python object per line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import NamedTuple

from runoff.clock import rfc5424

APP = "app"
HEROKU = "heroku"
SOURCES = (APP, HEROKU)
MAX_LINE_BYTES = 10_000


class LogLine(NamedTuple):
    id: int
    app_id: str
    at: int
    source: str
    dyno: str
    message: bytes

    def render(self) -> str:
        """``2026-11-23T10:00:00.123456+00:00 app[run.2]: hello``"""
        text = self.message.decode("utf-8", "replace")
        return f"{rfc5424(self.at)} {self.source}[{self.dyno}]: {text}"

    def as_json(self) -> str:
        return json.dumps(
            {
                "id": self.id,
                "time": rfc5424(self.at),
                "source": self.source,
                "dyno": self.dyno,
                "message": self.message.decode("utf-8", "replace"),
            }
        )


class LogBatch:
    """Consecutive lines of one dyno and source with one timestamp.

    Line ``i`` has id ``first_id + i``; ids grow with arrival order across the whole router, so
    sorting by id gives the app's time-ordered stream. ``data`` holds the lines joined by
    ``\\n`` and never contains more than ``count - 1`` newlines.
    """

    __slots__ = ("_events", "app_id", "at", "count", "data", "dyno", "first_id", "source")

    def __init__(
        self, app_id: str, dyno: str, source: str, at: int, first_id: int, count: int, data: bytes
    ) -> None:
        self.app_id = app_id
        self.dyno = dyno
        self.source = source
        self.at = at
        self.first_id = first_id
        self.count = count
        self.data = data
        self._events: dict[bool, bytes] = {}

    def __repr__(self) -> str:
        return (
            f"LogBatch({self.app_id!r}, {self.dyno!r}, {self.source!r}, at={self.at},"
            f" ids={self.first_id}..{self.last_id})"
        )

    @property
    def last_id(self) -> int:
        return self.first_id + self.count - 1

    @property
    def lines(self) -> list[bytes]:
        return self.data.split(b"\n")

    def to_lines(self) -> list[LogLine]:
        return [
            LogLine(self.first_id + i, self.app_id, self.at, self.source, self.dyno, line)
            for i, line in enumerate(self.lines)
        ]

    def since(self, after_id: int) -> LogBatch | None:
        """The part of this batch with ids above ``after_id`` (self if all; None if none)."""
        if after_id < self.first_id:
            return self
        if after_id >= self.last_id:
            return None
        skip = after_id - self.first_id + 1
        rest = b"\n".join(self.lines[skip:])
        return LogBatch(
            self.app_id, self.dyno, self.source, self.at, after_id + 1, self.count - skip, rest
        )

    def newest(self, count: int) -> LogBatch:
        """The last ``count`` lines of this batch (self if it has no more)."""
        if count >= self.count:
            return self
        return self.since(self.last_id - count) or self

    def events(self, as_json: bool) -> bytes:
        """The batch as Server-Sent Events, one per line with its id; cached, since every
        tail session of the app sends the same bytes."""
        cached = self._events.get(as_json)
        if cached is None:
            cached = self._events[as_json] = _render_events(self, as_json)
        return cached


def _render_events(batch: LogBatch, as_json: bool) -> bytes:
    # SSE ends a field at \r as well as \n: a carriage return in a line must not split it.
    texts = batch.data.decode("utf-8", "replace").replace("\r", "").split("\n")
    first = batch.first_id
    if as_json:
        # the same text LogLine.as_json gives, with the shared fields encoded once
        shared = json.dumps({"time": rfc5424(batch.at), "source": batch.source, "dyno": batch.dyno})
        inner = shared[1:-1]
        parts = [
            f'id: {first + i}\ndata: {{"id": {first + i}, {inner}, "message": {json.dumps(t)}}}\n\n'
            for i, t in enumerate(texts)
        ]
    else:
        prefix = f"{rfc5424(batch.at)} {batch.source}[{batch.dyno}]: "
        parts = [f"id: {first + i}\ndata: {prefix}{t}\n\n" for i, t in enumerate(texts)]
    return "".join(parts).encode()


@dataclass(frozen=True)
class StreamFilter:
    """Which lines a log session or query wants.

    ``dynos`` values with a dot name one dyno (``run.3``); values without a dot name a process
    type and match every dyno of it (``run`` matches ``run.1``, ``run.2``...). Empty = all.
    """

    dynos: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def wants_dyno(self, dyno: str) -> bool:
        if not self.dynos:
            return True
        return any(d == dyno or ("." not in d and dyno.startswith(d + ".")) for d in self.dynos)

    def wants(self, dyno: str, source: str) -> bool:
        return (not self.sources or source in self.sources) and self.wants_dyno(dyno)


def split_long(line: bytes) -> list[bytes]:
    """Lines over ``MAX_LINE_BYTES`` become several lines of at most that many bytes."""
    if len(line) <= MAX_LINE_BYTES:
        return [line]
    return [line[i : i + MAX_LINE_BYTES] for i in range(0, len(line), MAX_LINE_BYTES)]


def pack(lines: list[bytes]) -> tuple[bytes, int]:
    """Lines as one batch body: long lines split, embedded newlines made line ends."""
    data = b"\n".join(lines)
    parts = data.split(b"\n")
    if any(len(part) > MAX_LINE_BYTES for part in parts):
        parts = [piece for part in parts for piece in split_long(part)]
        data = b"\n".join(parts)
    return data, len(parts)
