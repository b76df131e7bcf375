"""One-off Dyno Metrics as the platform offers it: the add-on, the recorder, the queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, desc, or_, select

from runoff.apps.model import App
from runoff.clock import US_PER_SECOND, Clock
from runoff.metrics import concurrency
from runoff.metrics.addons import AddonService, DestroyHook
from runoff.metrics.model import Addon, Run, RunState
from runoff.metrics.plans import SERVICE, plan_named
from runoff.metrics.plots import Plots, Window
from runoff.metrics.prune import prune
from runoff.metrics.ranges import RANGES, range_named
from runoff.metrics.recorder import Recorder
from runoff.metrics.selection import RUNS, run_condition
from runoff.query import Filter, parse
from runoff.store.schema import addons, metrics_runs, metrics_series

PLOTS = ("events", "execution-time", "throughput", "concurrency")
MAX_RUNS = 1000


def _run(row: Any, addon: Addon) -> Run:
    return Run(
        dyno_id=row.dyno_id,
        addon_id=addon.id,
        app_id=addon.app_id,
        name=row.name,
        command=row.command,
        type=row.type,
        size=row.size,
        state=RunState(row.state),
        exit_status=row.exit_status,
        created_at=row.created_at,
        up_at=row.up_at,
        ended_at=row.ended_at,
    )


class MetricsService:
    def __init__(
        self, engine: Engine, clock: Clock, addon_destroy_hooks: Sequence[DestroyHook] = ()
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.addons = AddonService(engine, clock, addon_destroy_hooks)
        self.recorder = Recorder(engine, clock, self.housekeeping)
        self.plots = Plots(engine, clock)

    def housekeeping(self) -> None:
        """Prune old data, then compute and keep the settled concurrency peaks of every
        add-on without a filter (the dashboard's first view), so that no one waits for the
        sweep of a long range; later runs only add the buckets settled since."""
        now = self._clock.now_us()
        prune(self._engine, now)
        with self._engine.connect() as conn:
            ids = list(conn.execute(select(addons.c.id).where(addons.c.service == SERVICE)))
        everything = parse("")
        for (addon_id,) in ids:
            addon = self.addons.by_id(addon_id)
            if addon is not None:
                for range_ in RANGES:  # only the peaks: not the whole plot, thrown away
                    window = Window.of(range_, addon, now)
                    concurrency.cached_peaks(self._engine, addon.id, everything, window, now)

    def running(self, addon: Addon, filter: Filter) -> list[Run]:
        """The add-on's runs running now that ``filter`` matches, oldest first: what a
        concurrency monitor counts when a ``RunChange`` tells it the number changed."""
        query = (
            select(
                metrics_runs,
                metrics_series.c.command,
                metrics_series.c.type,
                metrics_series.c.size,
            )
            .select_from(RUNS)
            .where(run_condition(addon.id, filter), metrics_runs.c.ended_at.is_(None))
            .order_by(metrics_runs.c.created_at)
        )
        with self._engine.connect() as conn:
            return [_run(row, addon) for row in conn.execute(query)]

    def runs(self, app: App, filter_text: str | None, limit: int = 200) -> list[Run]:
        """The add-on's recorded runs matching the filter, newest first (at most ``limit``,
        at most MAX_RUNS)."""
        addon = self.addons.require(app)
        filter = parse(filter_text or "")
        kept_from = self._clock.now_us() - plan_named(addon.plan).retention_seconds * US_PER_SECOND
        query = (
            select(
                metrics_runs,
                metrics_series.c.command,
                metrics_series.c.type,
                metrics_series.c.size,
            )
            .select_from(RUNS)
            .where(
                run_condition(addon.id, filter),
                or_(metrics_runs.c.ended_at.is_(None), metrics_runs.c.ended_at >= kept_from),
            )
            .order_by(desc(metrics_runs.c.created_at))
            .limit(max(1, min(limit, MAX_RUNS)))
        )
        with self._engine.connect() as conn:
            return [_run(row, addon) for row in conn.execute(query)]

    def plot(
        self, app: App, plot: str, filter_text: str | None, range_name: str | None
    ) -> dict[str, Any]:
        """One plot's data (``plot`` in PLOTS) over a range for the runs a filter selects."""
        addon = self.addons.require(app)
        filter = parse(filter_text or "")
        range_ = range_named(range_name)
        if plot == "events":
            return self.plots.events(addon, filter, range_)
        if plot == "execution-time":
            return self.plots.execution_time(addon, filter, range_)
        if plot == "throughput":
            return self.plots.throughput(addon, filter, range_)
        if plot == "concurrency":
            return self.plots.concurrency(addon, filter, range_)
        raise ValueError(f"unknown plot {plot!r}")
