"""How many matching runs ran at once: exact peaks by a sweep, kept once settled.

A run counts as running on [created_at, ended_at) (until now while it runs), so a run that
ends at the instant another starts never overlaps it. The peak of a bucket is the largest
count at any instant of it. It is not additive over series, so it is computed from the
matching runs' intervals (one indexed query, a sort and a sweep), never from per-series
maxima; max over time is decomposable, so each bucket is computed on its own.

Settled buckets are kept in ``metrics_peaks`` per canonical filter: a bucket is settled
when it ended a minute ago (the recorder is never further behind) and, for filters with a
``state`` term, before the oldest running run began (its state will change). The recorder
deletes kept peaks from the start of any run it records or ends, so a late recording can
never leave a stale peak. The first query of a new filter pays the sweep; later ones only
sweep the unsettled tail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, delete, func, select

from runoff.clock import US_PER_SECOND
from runoff.metrics import selection
from runoff.metrics.rollups import overlaps
from runoff.query import Filter
from runoff.store.rows import insert_new
from runoff.store.schema import addons, metrics_peaks, metrics_runs

if TYPE_CHECKING:
    from runoff.metrics.plots import Window

Interval = tuple[int, int | None]
SETTLE_US = 60 * US_PER_SECOND
LONGEST_BUCKET_US = 3600 * US_PER_SECOND


def intervals(
    conn: Connection, addon_id: str, filter: Filter, start: int, end: int
) -> list[Interval]:
    """(created_at, ended_at or None) of the matching runs overlapping [start, end)."""
    base = (
        select(metrics_runs.c.created_at, metrics_runs.c.ended_at)
        .select_from(selection.RUNS)
        .where(selection.run_condition(addon_id, filter), metrics_runs.c.created_at < end)
    )
    # Two index range scans (ended in range; still running) rather than one OR, which
    # would read every run of the add-on.
    ended = base.where(metrics_runs.c.ended_at > start)
    found = [(row[0], row[1]) for row in conn.execute(ended)]
    return found + running(conn, addon_id, filter, before=end)


def running(
    conn: Connection, addon_id: str, filter: Filter, before: int | None = None
) -> list[Interval]:
    """The matching runs still running (created before ``before``, if given)."""
    query = (
        select(metrics_runs.c.created_at)
        .select_from(selection.RUNS)
        .where(selection.run_condition(addon_id, filter), metrics_runs.c.ended_at.is_(None))
    )
    if before is not None:
        query = query.where(metrics_runs.c.created_at < before)
    return [(row[0], None) for row in conn.execute(query)]


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


def peaks(found: list[Interval], window: Window, buckets: list[int]) -> dict[int, int]:
    """Bucket start -> the most runs running at one instant of it, for ``buckets`` (of the
    window, ascending); ``found`` must hold every run overlapping them."""
    import numpy as np  # numpy loads only where queries run, never in the CLI

    created = np.fromiter((c for c, _ in found), dtype=np.int64, count=len(found))
    ended = np.fromiter(
        (window.end if e is None else e for _, e in found), dtype=np.int64, count=len(found)
    )
    begin = np.maximum(created, window.start)
    finish = np.minimum(ended, window.end)
    inside = begin < finish
    times = np.concatenate((begin[inside], finish[inside]))
    deltas = np.concatenate(
        (np.ones(int(inside.sum()), np.int64), -np.ones(int(inside.sum()), np.int64))
    )
    # At one instant ends (-1) sort before starts (+1): half-open intervals do not overlap.
    order = np.lexsort((deltas, times))
    times = times[order]
    running = np.cumsum(deltas[order])
    result: dict[int, int] = {}
    res = window.range.resolution_us
    for bucket in buckets:
        first = max(bucket, window.start)
        if first >= window.end:
            break
        low = int(np.searchsorted(times, first, side="right"))
        high = int(np.searchsorted(times, bucket + res, side="left"))
        peak = int(running[low - 1]) if low else 0
        if high > low:
            peak = max(peak, int(running[low:high].max()))
        result[bucket] = peak
    return result


def filter_key(filter: Filter) -> str:
    return hashlib.sha256(str(filter).encode()).hexdigest()


def settled_until(conn: Connection, addon_id: str, filter: Filter, now: int) -> int:
    """Buckets ending at or before this instant have final peaks for ``filter``."""
    until = now - SETTLE_US
    if selection.has_state_terms(filter):
        oldest = conn.execute(
            select(func.min(metrics_runs.c.created_at)).where(
                metrics_runs.c.addon_id == addon_id, metrics_runs.c.ended_at.is_(None)
            )
        ).scalar()
        if oldest is not None:
            until = min(until, oldest)
    return until


def cached_peaks(
    engine: Engine, addon_id: str, filter: Filter, window: Window, now: int
) -> dict[int, int]:
    """Every bucket's peak: kept ones read back, the rest swept (and kept if settled)."""
    res = window.range.resolution
    key = filter_key(filter)
    with engine.connect() as conn:
        kept = dict(
            conn.execute(
                select(metrics_peaks.c.bucket, metrics_peaks.c.peak).where(
                    metrics_peaks.c.addon_id == addon_id,
                    metrics_peaks.c.filter_key == key,
                    metrics_peaks.c.resolution == res,
                    metrics_peaks.c.bucket >= window.start,  # whole buckets only
                    metrics_peaks.c.bucket <= window.buckets[-1],
                )
            ).all()
        )
        missing = [b for b in window.buckets if b not in kept and max(b, window.start) < window.end]
        if not missing:
            return kept
        found = intervals(conn, addon_id, filter, max(missing[0], window.start), window.end)
        settled = settled_until(conn, addon_id, filter, now)
    computed = peaks(found, window, missing)
    keep = [
        {"addon_id": addon_id, "filter_key": key, "resolution": res, "bucket": b, "peak": p}
        for b, p in computed.items()
        if b >= window.start and b + window.range.resolution_us <= settled
    ]
    if keep:
        with engine.begin() as conn:
            if _hold_addon(conn, addon_id):
                insert_new(conn, metrics_peaks, keep)
    return {**kept, **computed}


def _hold_addon(conn: Connection, addon_id: str) -> bool:
    """Whether the add-on still exists, kept so until the transaction ends.

    On PostgreSQL a ``FOR KEY SHARE`` row lock: a destroy under way is waited for (then the
    row is gone), a later one waits for this transaction and its cascade takes what was
    inserted. On SQLite the write transaction already holds the database.
    """
    held = select(addons.c.id).where(addons.c.id == addon_id)
    return conn.execute(held.with_for_update(read=True, key_share=True)).first() is not None


def forget_from(conn: Connection, addon_id: str, since: int) -> None:
    """Drop kept peaks of buckets that may overlap anything from ``since`` on."""
    conn.execute(
        delete(metrics_peaks).where(
            metrics_peaks.c.addon_id == addon_id,
            metrics_peaks.c.bucket > since - LONGEST_BUCKET_US,
        )
    )
