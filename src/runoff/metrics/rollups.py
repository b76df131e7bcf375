"""Pre-aggregated series: what ended runs add to each (resolution, bucket, series, state).

A *series* is one (command, type, size) of an add-on; rollup rows are keyed by resolution,
bucket start, series and the run's final state, and hold the count, sum, min, max and
quantile sketch of the execution times of runs that ended in the bucket, and ``busy_us``:
the run-time of ended runs that falls inside the bucket (the integral of concurrency).
All of these are additive, so merging rows of any set of series, or of finer buckets, gives
exactly what the raw runs give. Running runs are not in rollups; queries add them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from runoff.clock import US_PER_SECOND
from runoff.metrics import sketch
from runoff.metrics.ranges import RESOLUTIONS
from runoff.store.schema import metrics_rollups

Key = tuple[int, int, int, str]  # resolution (s), bucket start (µs), series id, state


@dataclass
class Cell:
    count: int = 0
    sum_us: int = 0
    min_us: int | None = None
    max_us: int | None = None
    bins: sketch.Bins = field(default_factory=Counter)
    busy_us: int = 0

    def add_end(self, duration_us: int) -> None:
        self.count += 1
        self.sum_us += duration_us
        self.min_us = duration_us if self.min_us is None else min(self.min_us, duration_us)
        self.max_us = duration_us if self.max_us is None else max(self.max_us, duration_us)
        self.bins[sketch.bin_of(duration_us)] += 1

    def merge(self, other: Cell) -> None:
        self.count += other.count
        self.sum_us += other.sum_us
        if other.min_us is not None:
            self.min_us = other.min_us if self.min_us is None else min(self.min_us, other.min_us)
        if other.max_us is not None:
            self.max_us = other.max_us if self.max_us is None else max(self.max_us, other.max_us)
        self.bins.update(other.bins)
        self.busy_us += other.busy_us

    @classmethod
    def from_row(cls, row: Any) -> Cell:
        return cls(
            row.count, row.sum_us, row.min_us, row.max_us, sketch.decode(row.sketch), row.busy_us
        )


@dataclass(frozen=True)
class EndedRun:
    """What rollups need of a run that ended."""

    series_id: int
    state: str
    created_at: int
    ended_at: int


def overlaps(start: int, end: int, resolution: int) -> Iterator[tuple[int, int]]:
    """(bucket start, µs of [start, end) inside it) for each bucket [start, end) touches."""
    res = resolution * US_PER_SECOND
    bucket = start // res * res
    while bucket < end:
        inside = min(end, bucket + res) - max(start, bucket)
        if inside > 0:
            yield bucket, inside
        bucket += res


def contributions(runs: Iterable[EndedRun], now_us: int) -> dict[Key, Cell]:
    """The rollup cells ``runs`` add, for every resolution, skipping buckets older than the
    resolution keeps (relative to ``now_us``)."""
    cells: dict[Key, Cell] = {}
    for run in runs:
        for resolution, keep in RESOLUTIONS.items():
            cutoff = now_us - (keep + resolution) * US_PER_SECOND
            res_us = resolution * US_PER_SECOND
            end_bucket = run.ended_at // res_us * res_us
            if end_bucket >= cutoff:
                key = (resolution, end_bucket, run.series_id, run.state)
                cells.setdefault(key, Cell()).add_end(run.ended_at - run.created_at)
            start = max(run.created_at, cutoff)
            for bucket, inside in overlaps(start, run.ended_at, resolution):
                cells.setdefault(
                    (resolution, bucket, run.series_id, run.state), Cell()
                ).busy_us += inside
    return cells


def _values(addon_id: str, key: Key, cell: Cell) -> dict[str, Any]:
    resolution, bucket, series_id, state = key
    return {
        "addon_id": addon_id,
        "resolution": resolution,
        "bucket": bucket,
        "series_id": series_id,
        "state": state,
        "count": cell.count,
        "sum_us": cell.sum_us,
        "min_us": cell.min_us,
        "max_us": cell.max_us,
        "sketch": sketch.encode(cell.bins),
        "busy_us": cell.busy_us,
    }


_KEY_COLUMNS = ("addon_id", "resolution", "bucket", "series_id", "state")
_VALUE_COLUMNS = ("count", "sum_us", "min_us", "max_us", "sketch", "busy_us")
# One UPDATE statement for every merged cell (executemany): keyed by the primary key.
_MERGE = (
    update(metrics_rollups)
    .where(
        metrics_rollups.c.addon_id == bindparam("k_addon_id"),
        metrics_rollups.c.resolution == bindparam("k_resolution"),
        metrics_rollups.c.bucket == bindparam("k_bucket"),
        metrics_rollups.c.series_id == bindparam("k_series_id"),
        metrics_rollups.c.state == bindparam("k_state"),
    )
    .values(
        count=bindparam("v_count"),
        sum_us=bindparam("v_sum_us"),
        min_us=bindparam("v_min_us"),
        max_us=bindparam("v_max_us"),
        sketch=bindparam("v_sketch"),
        busy_us=bindparam("v_busy_us"),
    )
)


def apply(conn: Connection, addon_id: str, cells: dict[Key, Cell]) -> None:
    """Merge ``cells`` into the stored rollups of ``addon_id`` (read, merge, write back).

    One locking read of the cells' resolutions, buckets and series (a superset of their
    keys, in a statement of one shape, so it is compiled once), then one executemany UPDATE
    for the merged cells and one INSERT for the new ones.
    """
    if not cells:
        return
    query = (
        select(metrics_rollups)
        .where(
            metrics_rollups.c.addon_id == addon_id,
            metrics_rollups.c.resolution.in_(sorted({key[0] for key in cells})),
            metrics_rollups.c.bucket.in_(sorted({key[1] for key in cells})),
            metrics_rollups.c.series_id.in_(sorted({key[2] for key in cells})),
        )
        .with_for_update()
    )
    existing = {}
    for row in conn.execute(query):
        key = (row.resolution, row.bucket, row.series_id, row.state)
        if key in cells:
            existing[key] = Cell.from_row(row)
    merged: list[dict[str, Any]] = []
    inserts: list[dict[str, Any]] = []
    for key, cell in cells.items():
        stored = existing.get(key)
        if stored is None:
            inserts.append(_values(addon_id, key, cell))
            continue
        stored.merge(cell)
        values = _values(addon_id, key, stored)
        merged.append(
            {f"k_{name}": values[name] for name in _KEY_COLUMNS}
            | {f"v_{name}": values[name] for name in _VALUE_COLUMNS}
        )
    if merged:
        conn.execute(_MERGE, merged)
    if inserts:
        conn.execute(metrics_rollups.insert(), inserts)
