"""The four plots' data: events, execution time, throughput and concurrency per bucket.

Every plot takes a parsed filter and a Range and answers what the raw runs give (execution
time quantiles within the sketch's 1 %). Filters without a ``name`` term read the rollups of
the range's resolution, summed by the database (plus, for concurrency, the runs still
running); filters with one read the raw runs. Both paths merge the same sketches with the
same code, so they agree exactly. Data older than the plan's retention is left out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, func, select

from runoff.clock import US_PER_SECOND, Clock, iso, to_datetime
from runoff.metrics import concurrency, selection, sketch
from runoff.metrics.model import Addon
from runoff.metrics.plans import plan_named
from runoff.metrics.ranges import Range
from runoff.metrics.selection import Selection
from runoff.query import Filter
from runoff.store.schema import metrics_events, metrics_rollups, metrics_runs

MAX_EVENTS = 2000
"""The events plot shows at most this many events (the newest) and says when it cut."""
FEW_SERIES = 4


@dataclass(frozen=True)
class Window:
    """The buckets of a range at one instant, and the part of time that has data."""

    range: Range
    buckets: list[int]
    start: int  # µs: the first bucket, or the retention limit if later
    end: int  # µs: the end of the last bucket, or just after now if earlier

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


@dataclass
class Ended:
    """Execution times of the runs that ended in one bucket."""

    count: int = 0
    sum_us: int = 0
    min_us: int = 0
    max_us: int = 0
    sketches: list[bytes] = field(default_factory=list)

    def add(self, count: int, sum_us: int, low: int, high: int, blob: bytes) -> None:
        self.min_us = low if not self.count else min(self.min_us, low)
        self.max_us = high if not self.count else max(self.max_us, high)
        self.count += count
        self.sum_us += sum_us
        self.sketches.append(blob)


class Plots:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def window(self, addon: Addon, range_: Range) -> Window:
        return Window.of(range_, addon, self._clock.now_us())

    def _rollups(self, addon: Addon, filter: Filter, window: Window, *columns: Any) -> Any:
        """SELECT ``columns`` from the add-on's rollups the filter selects in the window."""
        with self._engine.connect() as conn:
            selected = selection.select_cells(conn, addon.id, filter)
        table = metrics_rollups
        return select(*columns).where(
            table.c.addon_id == addon.id,
            table.c.resolution == window.range.resolution,
            table.c.bucket >= window.bucket_of(window.start),
            table.c.bucket < window.end,
            selection.rollup_condition(table, selected),
        )

    def _ended_runs(self, addon: Addon, filter: Filter, window: Window, *columns: Any) -> Any:
        return (
            select(*columns)
            .select_from(selection.RUNS)
            .where(
                selection.run_condition(addon.id, filter),
                metrics_runs.c.ended_at >= window.start,
                metrics_runs.c.ended_at < window.end,
            )
        )

    # throughput -------------------------------------------------------------------------------
    def throughput(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Runs that ended in each bucket, by state: succeeded (exit 0), failed (> 0),
        timed_out (null)."""
        window = self.window(addon, range_)
        if selection.uses_rollups(filter):
            table = metrics_rollups
            query = self._rollups(
                addon, filter, window, table.c.bucket, table.c.state, func.sum(table.c.count)
            ).group_by(table.c.bucket, table.c.state)
        else:
            runs = metrics_runs.c
            query = self._ended_runs(addon, filter, window, runs.ended_at, runs.state)
        counts: Counter[tuple[int, str]] = Counter()
        with self._engine.connect() as conn:
            for at, state, *count in conn.execute(query):
                counts[(window.bucket_of(at), state)] += int(count[0]) if count else 1
        return window.plot(
            [
                {
                    "time": iso(bucket),
                    "succeeded": counts[(bucket, "succeeded")],
                    "failed": counts[(bucket, "failed")],
                    "timed_out": counts[(bucket, "timed out")],
                }
                for bucket in window.buckets
            ]
        )

    # execution time ---------------------------------------------------------------------------
    def _ended(self, addon: Addon, filter: Filter, window: Window) -> dict[int, Ended]:
        found: dict[int, Ended] = {}
        with self._engine.connect() as conn:
            if selection.uses_rollups(filter):
                t = metrics_rollups.c
                columns = (t.bucket, t.count, t.sum_us, t.min_us, t.max_us, t.sketch)
                query = self._rollups(addon, filter, window, *columns).where(t.count > 0)
                for bucket, count, total, low, high, blob in conn.execute(query):
                    found.setdefault(bucket, Ended()).add(count, total, low, high, blob)
                return found
            runs = metrics_runs.c
            query = self._ended_runs(addon, filter, window, runs.ended_at, runs.created_at)
            durations: dict[int, list[int]] = {}
            for ended, created in conn.execute(query):
                durations.setdefault(window.bucket_of(ended), []).append(ended - created)
        for bucket, values in durations.items():
            found[bucket] = Ended()
            found[bucket].add(len(values), sum(values), min(values), max(values), b"")
            found[bucket].sketches = [sketch.encode(sketch.of(values))]
        return found

    def execution_time(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Per bucket, of the runs that ended in it: count, and min, mean, p50, p95, max of
        their execution times in seconds (null without runs)."""
        window = self.window(addon, range_)
        ended = self._ended(addon, filter, window)
        order = sorted(ended)
        values = sketch.quantiles(
            [ended[b].sketches for b in order],
            (0.50, 0.95),
            [ended[b].min_us for b in order],
            [ended[b].max_us for b in order],
        )
        quantiles = dict(zip(order, values, strict=True))
        buckets = []
        for bucket in window.buckets:
            cell = ended.get(bucket)
            if cell is None:
                empty = dict.fromkeys(("min", "mean", "p50", "p95", "max"))
                buckets.append({"time": iso(bucket), "count": 0, **empty})
                continue
            p50, p95 = quantiles[bucket]
            buckets.append(
                {
                    "time": iso(bucket),
                    "count": cell.count,
                    "min": _seconds(cell.min_us),
                    "mean": _seconds(cell.sum_us / cell.count),
                    "p50": _seconds(p50),
                    "p95": _seconds(p95),
                    "max": _seconds(cell.max_us),
                }
            )
        return window.plot(buckets)

    # concurrency ------------------------------------------------------------------------------
    def concurrency(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Per bucket: the most matching runs running at one instant (``max``) and their
        time-weighted mean number (``mean``) over the part of the bucket in the window."""
        window = self.window(addon, range_)
        busy: Counter[int] = Counter()
        with self._engine.connect() as conn:
            if selection.uses_rollups(filter):
                table = metrics_rollups
                query = self._rollups(
                    addon, filter, window, table.c.bucket, func.sum(table.c.busy_us)
                ).group_by(table.c.bucket)
                busy.update({bucket: int(used) for bucket, used in conn.execute(query)})
                live = concurrency.running(conn, addon.id, filter)
            else:
                live = concurrency.intervals(conn, addon.id, filter, window.start, window.end)
        for bucket, inside in concurrency.busy(live, window):
            busy[bucket] += inside
        now = self._clock.now_us()
        peaks = concurrency.cached_peaks(self._engine, addon.id, filter, window, now)
        buckets = []
        for bucket in window.buckets:
            seconds = window.seconds_in(bucket)
            mean = busy[bucket] / US_PER_SECOND / seconds if seconds else 0.0
            buckets.append(
                {"time": iso(bucket), "max": peaks.get(bucket, 0), "mean": round(mean, 6)}
            )
        return window.plot(buckets)

    # events -----------------------------------------------------------------------------------
    def events(self, addon: Addon, filter: Filter, range_: Range) -> dict[str, Any]:
        """Lifecycle events of matching runs per bucket (the newest MAX_EVENTS)."""
        window = self.window(addon, range_)
        rows = self._newest_events(addon, filter, window)
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
        return window.plot(buckets, truncated=len(rows) > MAX_EVENTS)

    def _newest_events(self, addon: Addon, filter: Filter, window: Window) -> list[Any]:
        """Up to MAX_EVENTS + 1 matching events, newest first.

        Events carry their run's series, name and state, so filters without ``name`` need
        no join: few series are read each through the (add-on, series, time) index, many
        by scanning time backwards. Name filters join the runs."""
        events = metrics_events
        columns = (events.c.name, events.c.event, events.c.at, events.c.exit_status, events.c.id)
        query = select(*columns).where(
            events.c.addon_id == addon.id, events.c.at >= window.start, events.c.at < window.end
        )
        newest = (events.c.at.desc(), events.c.id.desc())
        with self._engine.connect() as conn:
            if not selection.uses_rollups(filter):
                joined = events.join(selection.RUNS, metrics_runs.c.dyno_id == events.c.dyno_id)
                query = query.select_from(joined).where(selection.run_condition(addon.id, filter))
                return list(conn.execute(query.order_by(*newest).limit(MAX_EVENTS + 1)))
            selected = selection.select_cells(conn, addon.id, filter)
            if selected.series is None or len(selected.series) > FEW_SERIES:
                query = query.where(selection.rollup_condition(events, selected))
                return list(conn.execute(query.order_by(*newest).limit(MAX_EVENTS + 1)))
            rows: list[Any] = []
            for series_id in selected.series:
                # Read through the (add-on, series, time, id) index newest first, this stops
                # after MAX_EVENTS matches even for a rare series.
                one = query.where(
                    events.c.series_id == series_id,
                    selection.rollup_condition(events, Selection(None, selected.states)),
                )
                rows += conn.execute(one.order_by(*newest).limit(MAX_EVENTS + 1)).all()
        rows.sort(key=lambda row: (row.at, row.id), reverse=True)
        return rows[: MAX_EVENTS + 1]


def _seconds(us: float) -> float:
    return round(us / US_PER_SECOND, 6)


def _iso_us(us: int) -> str:
    """ISO 8601 with microseconds, so events within a second keep their order."""
    micros = us % US_PER_SECOND
    return to_datetime(us - micros).strftime("%Y-%m-%dT%H:%M:%S") + f".{micros:06d}Z"
