"""Log values: lines as stored and rendered, batches as routed, and stream filters."""

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


@dataclass(frozen=True, slots=True)
class LogBatch:
    """Consecutive lines of one dyno and source, read at the same instant.

    Line ``i`` has id ``first_id + i``; ids grow with arrival order across the whole router, so
    sorting by id gives the app's time-ordered stream.
    """

    app_id: str
    dyno: str
    source: str
    at: int
    first_id: int
    lines: list[bytes]

    def to_lines(self) -> list[LogLine]:
        return [
            LogLine(self.first_id + i, self.app_id, self.at, self.source, self.dyno, line)
            for i, line in enumerate(self.lines)
        ]


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
