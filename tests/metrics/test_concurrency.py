"""Kept concurrency peaks and a destroyed add-on: housekeeping that computed peaks for an
add-on destroyed meanwhile keeps nothing and fails nothing (on PostgreSQL it used to violate
the foreign key of ``metrics_peaks``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from runoff.store.schema import addons, metrics_peaks
from tests.support.harness import Harness


def test_housekeeping_survives_the_add_on_being_destroyed_midway(harness: Harness) -> None:
    addon = harness.metrics.addons.provision(harness.app)
    harness.run(5)
    harness.sync()
    harness.clock.advance(6 * 3600)  # settled buckets: peaks to keep
    destroyed: list[str] = []

    def destroy_after_peaks_read(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        reads_peaks = (
            statement.lstrip().upper().startswith("SELECT") and "metrics_peaks" in statement
        )
        if reads_peaks and not destroyed:
            destroyed.append(addon.id)  # before destroying: it runs SQL too
            harness.metrics.addons.destroy(harness.app, addon.name)

    event.listen(harness.engine, "after_cursor_execute", destroy_after_peaks_read)
    try:
        harness.metrics.housekeeping()
    finally:
        event.remove(harness.engine, "after_cursor_execute", destroy_after_peaks_read)
    assert destroyed == [addon.id]
    with harness.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(addons)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(metrics_peaks)).scalar() == 0


def test_housekeeping_keeps_the_peaks_of_a_live_add_on(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(5)
    harness.sync()
    harness.clock.advance(6 * 3600)
    harness.metrics.housekeeping()
    with harness.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(metrics_peaks)).scalar() > 0
