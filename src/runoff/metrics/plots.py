"""The four plots' data: events, execution time, throughput and concurrency per bucket.

Every plot takes a parsed filter and a Range and answers exactly what the raw runs give
(execution-time quantiles within the sketch's 1 %). Filters without a ``name`` term read
the rollups of the range's resolution (plus, for concurrency, the runs still running);
filters with one read the raw runs. Both paths build the same ``Cell`` values, so they agree.
Data older than the plan's retention is left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from runoff.clock import US_PER_SECOND, Clock, iso, to_datetime
from runoff.metrics import concurrency, selection, sketch
from runoff.metrics.model import Addon
from runoff.metrics.plans import plan_named
from runoff.metrics.ranges import Range
from runoff.metrics.rollups import Cell
from runoff.query import Filter
from runoff.store.schema import metrics_events, metrics_rollups, metrics_runs

MAX_EVENTS = 2000
"""The events plot shows at most this many events (the newest) and says when it cut."""


@dataclass(frozen=True)
class Window:
    """The buckets of a range at one instant, and the part of time that has data."""

    range: Range
    buckets: list[int]
    start: int  # µs: the first bucket, or the retention limit if later
    end: int  # µs: the end of the last bucket, or now if earlier

    @classmethod
    def of(cls, range_: Range, addon: Addon, now_us: int) -> Window:
        buckets = range_.buckets(now_us)
        kept_from = now_us - plan_named(addon.plan).retention_seconds * US_PER_SECOND
        start = max(buckets[0], kept_from)
        end = min(buckets[-1] + range_.resolution_us, now_us + 1)  # what happened now counts
        return cls(range_, buckets, start, max(start, end))

    def bucket_of(self, at_us: int) -> int:
        res = self.range.resolution_us
        return at_us // res * res

    def seconds_in(self, bucket: int) -> float:
        """How much of ``bucket`` lies in the window (the current bucket is partial)."""
        inside = min(self.end, bucket + self.range.resolution_us) - max(self.start, bucket)
        return max(0, inside) / US_PER_SECOND

    def plot(self, buckets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {
            "range": self.range.name,
            "resolution_seconds": self.range.resolution,
            "buckets": buckets,
            **extra,
        }


class Plots:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def window(self, addon: Addon, range_: Range) -> Window:
        return Window.of(range_, addon, self._clock.now_us())

    # ended runs per bucket: throughput and execution time ----------------------------------
    def _ended_cells(self, addon: Addon, filter: Filter, window: Window) -> dict[int, Cell]:
        with self._engine.connect() as conn:
            if selection.uses_rollups(filter):
                return self._rollup_cells(conn, addon, filter, window, ended=True)
            query = (
                select(metrics_runs.c.created_at, metrics_runs.c.ended_at)
                .select_from(selection.RUNS)
                .where(
                    selection.run_condition(addon.id, filter),
                    metrics_runs.c.ended_at >= window.start,
                    metrics_runs.c.ended_at < window.end,
                )
            )
            cells: dict[int, Cell] = {}
            for created_at, ended_at in conn.execute(query):
                cells.setdefault(window.bucket_of(ended_at), Cell()).add_end(ended_at - created_at)
            return cells

    def _rollup_cells(
        self, conn: Connection, addon: Addon, filter: Filter, window: Window, *, ended: bool
    ) -> dict[int, Cell]:
        selected = selection.cells(conn, addon.id, filter)
        table = metrics_rollups
        columns = [table.c.bucket, table.c.series_id, table.c.state, table.c.busy_us]
        if ended:
            columns += [
                table.c.count,
                table.c.sum_us,
                table.c.min_us,
                table.c.max_us,
                table.c.sketch,
            ]
        query = select(*columns).where(
            table.c.addon_id == addon.id,
            table.c.resolution == window.range.resolution,
            table.c.bucket >= window.bucket_of(window.start),
            table.c.bucket < window.end,
            selection.rollup_condition(table, selected),
        )
        if ended:
            query = query.where(table.c.count > 0)
        cells: dict[int, Cell] = {}
        for row in conn.execute(query):
            if (row.series_id, row.state) not in selected:
                continue
            cell = cells.setdefault(row.bucket, Cell())
            if ended:
                cell.merge(Cell.from_row(row))
            else:
                cell.busy_us += row.busy_us
        return cells

    def throughput(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Runs that ended in each bucket, by state: succeeded (exit 0), failed (> 0),
        timed_out (null)."""
        window = self.window(addon, range_)
        by_state: dict[int, dict[str, int]] = {}
        with self._engine.connect() as conn:
            if selection.uses_rollups(filter):
                selected = selection.cells(conn, addon.id, filter)
                table = metrics_rollups
                query = select(table.c.bucket, table.c.series_id, table.c.state, table.c.count)
                query = query.where(
                    table.c.addon_id == addon.id,
                    table.c.resolution == range_.resolution,
                    table.c.bucket >= window.bucket_of(window.start),
                    table.c.bucket < window.end,
                    table.c.count > 0,
                    selection.rollup_condition(table, selected),
                )
                rows: Iterable[Any] = (
                    (r.bucket, r.state, r.count)
                    for r in conn.execute(query)
                    if (r.series_id, r.state) in selected
                )
            else:
                query = (
                    select(metrics_runs.c.ended_at, metrics_runs.c.state)
                    .select_from(selection.RUNS)
                    .where(
                        selection.run_condition(addon.id, filter),
                        metrics_runs.c.ended_at >= window.start,
                        metrics_runs.c.ended_at < window.end,
                    )
                )
                rows = ((window.bucket_of(r.ended_at), r.state, 1) for r in conn.execute(query))
            for bucket, state, count in rows:
                counts = by_state.setdefault(bucket, {})
                counts[state] = counts.get(state, 0) + count
        buckets = []
        for bucket in window.buckets:
            counts = by_state.get(bucket, {})
            buckets.append(
                {
                    "time": iso(bucket),
                    "succeeded": counts.get("succeeded", 0),
                    "failed": counts.get("failed", 0),
                    "timed_out": counts.get("timed out", 0),
                }
            )
        return window.plot(buckets)

    def execution_time(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Per bucket, of the runs that ended in it: count, and min, mean, p50, p95, max of
        their execution times in seconds (null without runs)."""
        window = self.window(addon, range_)
        cells = self._ended_cells(addon, filter, window)
        return window.plot([_execution(bucket, cells.get(bucket)) for bucket in window.buckets])

    def concurrency(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Per bucket: the most matching runs running at one instant (``max``) and their
        time-weighted mean number (``mean``) over the part of the bucket in the window."""
        window = self.window(addon, range_)
        with self._engine.connect() as conn:
            intervals = concurrency.intervals(conn, addon.id, filter, window.start, window.end)
            if selection.uses_rollups(filter):
                busy = self._rollup_cells(conn, addon, filter, window, ended=False)
                running: list[concurrency.Interval] = [i for i in intervals if i[1] is None]
            else:
                busy, running = {}, intervals
        for bucket, inside in concurrency.busy(running, window):
            busy.setdefault(bucket, Cell()).busy_us += inside
        peaks = concurrency.peaks(intervals, window)
        buckets = []
        for bucket in window.buckets:
            seconds = window.seconds_in(bucket)
            used = busy[bucket].busy_us / US_PER_SECOND if bucket in busy else 0.0
            buckets.append(
                {
                    "time": iso(bucket),
                    "max": peaks.get(bucket, 0),
                    "mean": round(used / seconds, 6) if seconds else 0.0,
                }
            )
        return window.plot(buckets)

    def events(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Lifecycle events of matching runs per bucket (the newest MAX_EVENTS)."""
        window = self.window(addon, range_)
        events = metrics_events
        query = (
            select(metrics_runs.c.name, events.c.event, events.c.at, events.c.exit_status)
            .select_from(events.join(selection.RUNS, metrics_runs.c.dyno_id == events.c.dyno_id))
            .where(
                events.c.addon_id == addon.id,
                events.c.at >= window.start,
                events.c.at < window.end,
                selection.run_condition(addon.id, filter),
            )
            .order_by(events.c.at.desc(), events.c.id.desc())
            .limit(MAX_EVENTS + 1)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
        truncated = len(rows) > MAX_EVENTS
        by_bucket: dict[int, list[dict[str, Any]]] = {}
        for row in reversed(rows[:MAX_EVENTS]):
            by_bucket.setdefault(window.bucket_of(row.at), []).append(
                {
                    "name": row.name,
                    "event": row.event,
                    "time": _iso_us(row.at),
                    "exit_status": row.exit_status,
                }
            )
        buckets = [{"time": iso(b), "events": by_bucket.get(b, [])} for b in window.buckets]
        return window.plot(buckets, truncated=truncated)


def _seconds(us: float | None) -> float | None:
    return None if us is None else round(us / US_PER_SECOND, 6)


def _iso_us(us: int) -> str:
    """ISO 8601 with microseconds, so events within a second keep their order."""
    micros = us % US_PER_SECOND
    return to_datetime(us - micros).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"


def _execution(bucket: int, cell: Cell | None) -> dict[str, Any]:
    if cell is None or cell.count == 0:
        empty = dict.fromkeys(("min", "mean", "p50", "p95", "max"))
        return {"time": iso(bucket), "count": 0, **empty}
    assert cell.min_us is not None
    assert cell.max_us is not None
    return {
        "time": iso(bucket),
        "count": cell.count,
        "min": _seconds(cell.min_us),
        "mean": _seconds(cell.sum_us / cell.count),
        "p50": _seconds(sketch.quantile(cell.bins, 0.50, cell.min_us, cell.max_us)),
        "p95": _seconds(sketch.quantile(cell.bins, 0.95, cell.min_us, cell.max_us)),
        "max": _seconds(cell.max_us),
    }
