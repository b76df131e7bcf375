"""How many matching runs ran at once: exact peaks by a sweep, and run-time per bucket.

A run counts as running on [created_at, ended_at) (until now while it runs), so a run that
ends at the instant another starts never overlaps it. The peak of a bucket is the largest
count at any instant of it: it is not additive over series, so it is always computed from
the matching runs' intervals (one indexed query and a sort), never from per-series maxima.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, or_, select

from runoff.metrics import selection
from runoff.metrics.rollups import overlaps
from runoff.query import Filter
from runoff.store.schema import metrics_runs

if TYPE_CHECKING:
    from runoff.metrics.plots import Window

Interval = tuple[int, int | None]


def intervals(
    conn: Connection, addon_id: str, filter: Filter, start: int, end: int
) -> list[Interval]:
    """(created_at, ended_at or None) of the matching runs overlapping [start, end)."""
    query = (
        select(metrics_runs.c.created_at, metrics_runs.c.ended_at)
        .select_from(selection.RUNS)
        .where(
            selection.run_condition(addon_id, filter),
            metrics_runs.c.created_at < end,
            or_(metrics_runs.c.ended_at.is_(None), metrics_runs.c.ended_at > start),
        )
    )
    return [(row[0], row[1]) for row in conn.execute(query)]


def _clipped(found: Iterable[Interval], window: Window) -> Iterator[tuple[int, int]]:
    for created, ended in found:
        begin = max(created, window.start)
        finish = window.end if ended is None else min(ended, window.end)
        if begin < finish:
            yield begin, finish


def busy(found: Iterable[Interval], window: Window) -> Iterator[tuple[int, int]]:
    """(bucket, µs of run-time inside it) for each run and bucket it overlaps in the window."""
    for begin, finish in _clipped(found, window):
        yield from overlaps(begin, finish, window.range.resolution)


def peaks(found: Iterable[Interval], window: Window) -> dict[int, int]:
    """Bucket start -> the most runs running at one instant of it (within the window)."""
    points: list[tuple[int, int]] = []
    for begin, finish in _clipped(found, window):
        points.append((begin, 1))
        points.append((finish, -1))
    # At one instant ends (-1) sort before starts (+1): half-open intervals do not overlap.
    points.sort()
    result: dict[int, int] = {}
    res = window.range.resolution_us
    running = 0
    index = 0
    for bucket in window.buckets:
        first = max(bucket, window.start)
        if first >= window.end:
            break
        while index < len(points) and points[index][0] <= first:
            running += points[index][1]
            index += 1
        peak = running
        while index < len(points) and points[index][0] < bucket + res:
            running += points[index][1]
            index += 1
            peak = max(peak, running)
        if peak:
            result[bucket] = peak
    return result
