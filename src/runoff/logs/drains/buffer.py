"""A drain's bounded buffer: when it overflows the oldest lines go, and the drain is told.

The stored stream is not affected: a drain that cannot keep up loses lines only on its way
out. What was dropped is reported to the drain, before the next lines it gets, in Logplex's
words: ``Error L10 (output buffer overflow): N messages dropped since TIMESTAMP.``
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from itertools import repeat

from runoff.clock import rfc5424
from runoff.logs.model import HEROKU, LogBatch

Line = tuple[int, str, str, bytes]  # at, source, dyno, message
LOGPLEX = "logplex"  # the "dyno" of Logplex's own lines: heroku[logplex]


@dataclass(frozen=True)
class Report:
    dropped: int
    since: int

    def line(self, at: int) -> Line:
        text = (
            f"Error L10 (output buffer overflow): {self.dropped} messages dropped since "
            f"{rfc5424(self.since)}."
        )
        return (at, HEROKU, LOGPLEX, text.encode())


class DrainBuffer:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lines: deque[Line] = deque(maxlen=capacity)
        self._dropped = 0
        self._since = 0

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, batch: LogBatch) -> None:
        lines = batch.data.split(b"\n")
        overflow = len(self._lines) + len(lines) - self.capacity
        if overflow > 0:
            if not self._dropped:
                self._since = batch.at
            self._dropped += overflow
        # a deque with maxlen drops from the left as it takes on the right
        self._lines.extend(zip(repeat(batch.at), repeat(batch.source), repeat(batch.dyno), lines))

    def take(self, limit: int) -> tuple[list[Line], Report | None]:
        """Up to ``limit`` of the oldest lines, and what was dropped since the last take."""
        count = min(limit, len(self._lines))
        lines = [self._lines.popleft() for _ in range(count)]
        report = Report(self._dropped, self._since) if self._dropped else None
        self._dropped = 0
        return lines, report
