"""Deleting what is older than it is kept: rollups past their resolution's range, and runs,
events and rollups past the retention of their add-on's plan."""

from __future__ import annotations

from sqlalchemy import Engine, and_, delete, select

from runoff.clock import US_PER_SECOND
from runoff.metrics.plans import SERVICE, plan_named
from runoff.metrics.ranges import RESOLUTIONS
from runoff.store.schema import (
    addons,
    metrics_events,
    metrics_peaks,
    metrics_rollups,
    metrics_runs,
)


def analyze(engine: Engine) -> None:
    """Refresh the planner's statistics of the metrics tables (which index is selective);
    sampled on SQLite so it takes milliseconds."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA analysis_limit=1000")
        for table in ("metrics_runs", "metrics_events", "metrics_rollups", "metrics_series"):
            conn.exec_driver_sql(f"ANALYZE {table}")


def prune(engine: Engine, now_us: int) -> None:
    """Delete every metrics row older than it is kept at ``now_us``, then ``analyze``."""
    with engine.begin() as conn:
        plans = conn.execute(select(addons.c.id, addons.c.plan).where(addons.c.service == SERVICE))
        retention = {row.id: plan_named(row.plan).retention_seconds for row in plans}
    for resolution, keep in RESOLUTIONS.items():
        # A bucket is kept while any of it lies inside the longest range shown at it.
        cutoff = now_us - (keep + resolution) * US_PER_SECOND
        with engine.begin() as conn:
            for table in (metrics_rollups, metrics_peaks):
                conn.execute(
                    delete(table).where(table.c.resolution == resolution, table.c.bucket < cutoff)
                )
    for addon_id, seconds in retention.items():
        cutoff = now_us - seconds * US_PER_SECOND
        with engine.begin() as conn:
            for resolution in RESOLUTIONS:
                for table in (metrics_rollups, metrics_peaks):
                    conn.execute(
                        delete(table).where(
                            table.c.addon_id == addon_id,
                            table.c.resolution == resolution,
                            table.c.bucket < cutoff - resolution * US_PER_SECOND,
                        )
                    )
            conn.execute(
                delete(metrics_events).where(
                    metrics_events.c.addon_id == addon_id, metrics_events.c.at < cutoff
                )
            )
            conn.execute(
                delete(metrics_runs).where(
                    and_(metrics_runs.c.addon_id == addon_id, metrics_runs.c.ended_at < cutoff)
                )
            )
    analyze(engine)
