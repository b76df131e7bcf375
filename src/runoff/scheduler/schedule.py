"""Frequencies: when a job's slots are, in UTC.

Accepted forms (case-insensitive):

- ``every 10 minutes`` — at :00, :10, :20, ... of every hour (Heroku Scheduler's finest);
- ``every hour at :MM`` (or ``hourly at :MM``, ``hourly`` for :00);
- ``every day at HH:MM`` (or ``daily at HH:MM``);
- a standard 5-field cron expression (``minute hour day-of-month month day-of-week``), e.g.
  ``30 2 * * 1-5``, evaluated in UTC by ``cronsim`` (the parser healthchecks.io maintains).

A slot is a moment (µs since the epoch, whole minutes). ``interval_at(slot)`` is the gap to the
next slot: the time-to-live of the dyno that slot starts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from cronsim import CronSim, CronSimError

from runoff.clock import US_PER_SECOND, to_datetime
from runoff.errors import Invalid

MINUTE = 60 * US_PER_SECOND
MAX_SLOTS = 200_000  # a bound on one walk over slots (a year of every-minute cron is 525,600)

_EVERY_10 = re.compile(r"^every\s+10\s+min(ute)?s?$")
_HOURLY = re.compile(r"^(?:every\s+hour|hourly)(?:\s+at\s+:?(\d{1,2}))?$")
_DAILY = re.compile(r"^(?:every\s+day|daily)\s+at\s+(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Periodic:
    """Slots at ``offset`` past every multiple of ``period`` since the epoch (both µs)."""

    text: str
    period: int
    offset: int

    def next_after(self, moment: int) -> int:
        base = (moment - self.offset) // self.period * self.period + self.offset
        return base + self.period if base <= moment else base

    def latest_at_or_before(self, moment: int) -> int:
        return (moment - self.offset) // self.period * self.period + self.offset

    def interval_at(self, slot: int) -> int:
        return self.period // US_PER_SECOND


@dataclass(frozen=True)
class Cron:
    text: str

    def next_after(self, moment: int) -> int:
        start = to_datetime(moment).replace(microsecond=0)
        found: datetime = next(CronSim(self.text, start))
        return int(found.timestamp()) * US_PER_SECOND

    def latest_at_or_before(self, moment: int) -> int:
        start = to_datetime(moment + US_PER_SECOND).replace(microsecond=0)
        found: datetime = next(CronSim(self.text, start, reverse=True))
        return int(found.timestamp()) * US_PER_SECOND

    def interval_at(self, slot: int) -> int:
        return (self.next_after(slot) - slot) // US_PER_SECOND


Schedule = Periodic | Cron


def parse(text: object) -> Schedule:
    """The schedule ``text`` describes; ``Invalid`` with the accepted forms otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise Invalid(f"schedule is required: {FORMS}")
    words = " ".join(text.lower().split())
    if _EVERY_10.match(words):
        return Periodic("every 10 minutes", 10 * MINUTE, 0)
    if match := _HOURLY.match(words):
        minute = int(match.group(1) or 0)
        if minute > 59:
            raise Invalid(f"schedule {text!r}: the minute must be 00 to 59")
        return Periodic(f"every hour at :{minute:02d}", 60 * MINUTE, minute * MINUTE)
    if match := _DAILY.match(words):
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour > 23 or minute > 59:
            raise Invalid(f"schedule {text!r}: the time must be 00:00 to 23:59 (UTC)")
        offset = (hour * 60 + minute) * MINUTE
        return Periodic(f"every day at {hour:02d}:{minute:02d}", 1440 * MINUTE, offset)
    return _cron(text, words)


def _cron(text: str, words: str) -> Cron:
    if len(words.split()) != 5:
        raise Invalid(f"schedule {text!r} is not understood: {FORMS}")
    try:
        next(CronSim(words, datetime(2000, 1, 1, tzinfo=UTC)))
    except (CronSimError, StopIteration) as exc:
        raise Invalid(f"schedule {text!r} is not a valid cron expression: {exc}") from None
    return Cron(words)


def slots_between(schedule: Schedule, after: int, until: int) -> Iterator[int]:
    """Slots ``s`` with ``after < s <= until``, oldest first (at most ``MAX_SLOTS``)."""
    slot = schedule.next_after(after)
    for _ in range(MAX_SLOTS):
        if slot > until:
            return
        yield slot
        slot = schedule.next_after(slot)


FORMS = (
    "use `every 10 minutes`, `every hour at :MM`, `every day at HH:MM` (UTC) or a 5-field "
    "cron expression such as `30 2 * * 1-5`"
)
