"""Which recorded runs a filter selects, as SQL over the raw runs or as rollup cells.

Rollups are keyed by series (command, type, size) and final state, so a filter that names
no ``name`` term selects a set of (series, state) *cells*, found by testing the filter in
memory on each series of the add-on: exact, whatever the filter. A filter with a ``name``
term cannot be answered from rollups (names are nearly unique per run); it is answered
from the raw runs with the filter's SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, select, true

from runoff.metrics.model import RunState
from runoff.query import Filter
from runoff.store.schema import metrics_runs, metrics_series

COLUMNS = {
    "command": metrics_series.c.command,
    "type": metrics_series.c.type,
    "size": metrics_series.c.size,
    "name": metrics_runs.c.name,
    "state": metrics_runs.c.state,
}
RUNS = metrics_runs.join(metrics_series, metrics_series.c.id == metrics_runs.c.series_id)


@dataclass(frozen=True)
class Cells:
    """The (series id, state) pairs a filter selects; ``everything`` when it selects all."""

    pairs: frozenset[tuple[int, str]]
    series: frozenset[int]
    everything: bool

    def __contains__(self, key: tuple[int, str]) -> bool:
        return self.everything or key in self.pairs


def uses_rollups(filter: Filter) -> bool:
    return all(term.attribute != "name" for term in filter.terms)


def cells(conn: Connection, addon_id: str, filter: Filter) -> Cells:
    """The cells ``filter`` (which must name no ``name`` term) selects."""
    rows = conn.execute(
        select(
            metrics_series.c.id,
            metrics_series.c.command,
            metrics_series.c.type,
            metrics_series.c.size,
        ).where(metrics_series.c.addon_id == addon_id)
    )
    pairs = set()
    total = 0
    for row in rows:
        for state in RunState:
            total += 1
            record = {"command": row.command, "type": row.type, "size": row.size}
            if filter.matches({**record, "state": state.value}):
                pairs.add((row.id, state.value))
    return Cells(frozenset(pairs), frozenset(s for s, _ in pairs), len(pairs) == total)


def run_condition(addon_id: str, filter: Filter) -> ColumnElement[bool]:
    """SQL over ``RUNS`` selecting the add-on's runs that ``filter`` matches."""
    return and_(metrics_runs.c.addon_id == addon_id, filter.to_sql(COLUMNS))


def rollup_condition(table: Any, selected: Cells) -> ColumnElement[bool]:
    """SQL narrowing rollup rows to the selected series (states are checked in memory)."""
    if selected.everything:
        return true()
    condition: ColumnElement[bool] = table.c.series_id.in_(sorted(selected.series))
    return condition
