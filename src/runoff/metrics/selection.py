"""Which recorded runs a filter selects, as SQL over the raw runs or over rollups.

Rollups are keyed by series (command, type, size) and final state. A filter is a conjunction
of clauses each on one attribute, so one without a ``name`` term selects exactly the rollup
rows whose series passes its command/type/size clauses and whose state passes its state
clause: the series are found by testing the filter in memory on each series of the add-on,
the states by testing it on each state. A filter with a ``name`` term cannot be answered
from rollups (names are nearly unique per run); it is answered from the raw runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, select, true

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
SERIES_ATTRIBUTES = ("command", "type", "size")


@dataclass(frozen=True)
class Selection:
    """The series ids and states a filter selects; None for "all of them"."""

    series: frozenset[int] | None
    states: frozenset[str] | None


def uses_rollups(filter: Filter) -> bool:
    return all(term.attribute != "name" for term in filter.terms)


def _part(filter: Filter, attributes: tuple[str, ...]) -> Filter:
    return Filter(tuple(t for t in filter.terms if t.attribute in attributes))


def has_state_terms(filter: Filter) -> bool:
    return any(term.attribute == "state" for term in filter.terms)


def select_cells(conn: Connection, addon_id: str, filter: Filter) -> Selection:
    """What ``filter`` (which must name no ``name`` term) selects of the rollups."""
    series_filter = _part(filter, SERIES_ATTRIBUTES)
    series = None
    if series_filter.terms:
        rows = conn.execute(
            select(
                metrics_series.c.id,
                metrics_series.c.command,
                metrics_series.c.type,
                metrics_series.c.size,
            ).where(metrics_series.c.addon_id == addon_id)
        )
        series = frozenset(
            row.id
            for row in rows
            if series_filter.matches({"command": row.command, "type": row.type, "size": row.size})
        )
    state_filter = _part(filter, ("state",))
    states = None
    if state_filter.terms:
        states = frozenset(s.value for s in RunState if state_filter.matches({"state": s.value}))
    return Selection(series, states)


def rollup_condition(table: Any, selected: Selection) -> ColumnElement[bool]:
    """SQL narrowing rollup rows (or runs: both have series_id and state) to ``selected``."""
    parts: list[ColumnElement[bool]] = []
    if selected.series is not None:
        parts.append(table.c.series_id.in_(sorted(selected.series)))
    if selected.states is not None:
        parts.append(table.c.state.in_(sorted(selected.states)))
    return and_(*parts) if parts else true()


def exact_names(filter: Filter) -> list[str] | None:
    """Lower-cased names when every plain ``name`` term is exact (so a matching run has one
    of them), else None."""
    plain = [t for t in filter.terms if t.attribute == "name" and not t.negated]
    if not plain or not all(t.match.exact for t in plain):
        return None
    return sorted({t.match.value.lower() for t in plain})


def run_condition(addon_id: str, filter: Filter) -> ColumnElement[bool]:
    """SQL over ``RUNS`` selecting the add-on's runs that ``filter`` matches."""
    condition = and_(metrics_runs.c.addon_id == addon_id, filter.to_sql(COLUMNS))
    names = exact_names(filter)
    if names is not None:
        # Implied by the filter; written out so the lower(name) index finds the runs.
        condition = and_(condition, func.lower(metrics_runs.c.name).in_(names))
    return condition
