"""Durable storage of log lines (one row per line, ids assigned by the router)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, or_, select, true

from runoff.logs.model import LogBatch, LogLine, StreamFilter
from runoff.store.schema import log_lines


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_clause(flt: StreamFilter) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if flt.sources:
        clauses.append(log_lines.c.source.in_(flt.sources))
    if flt.dynos:
        names = [d for d in flt.dynos if "." in d]
        types = [d for d in flt.dynos if "." not in d]
        alternatives: list[ColumnElement[bool]] = []
        if names:
            alternatives.append(log_lines.c.dyno.in_(names))
        alternatives += [log_lines.c.dyno.like(_escape_like(t) + ".%", escape="\\") for t in types]
        clauses.append(or_(*alternatives))
    if not clauses:
        return true()
    result = clauses[0]
    for clause in clauses[1:]:
        result = result & clause
    return result


class LogStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, batches: Sequence[LogBatch]) -> None:
        rows: list[dict[str, Any]] = [
            {
                "id": batch.first_id + i,
                "app_id": batch.app_id,
                "at": batch.at,
                "source": batch.source,
                "dyno": batch.dyno,
                "message": line,
            }
            for batch in batches
            for i, line in enumerate(batch.lines)
        ]
        if not rows:
            return
        with self._engine.begin() as conn:
            conn.execute(log_lines.insert(), rows)

    def max_id(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.max(log_lines.c.id))).scalar() or 0)

    def tail(self, app_id: str, flt: StreamFilter, limit: int) -> list[LogLine]:
        """The newest ``limit`` matching lines, oldest first."""
        query = (
            select(log_lines)
            .where(log_lines.c.app_id == app_id, filter_clause(flt))
            .order_by(log_lines.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
        return [LogLine(*row) for row in reversed(rows)]

    def after(self, app_id: str, flt: StreamFilter, after_id: int, limit: int) -> list[LogLine]:
        """Matching lines with id greater than ``after_id``, oldest first."""
        query = (
            select(log_lines)
            .where(log_lines.c.app_id == app_id, log_lines.c.id > after_id, filter_clause(flt))
            .order_by(log_lines.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [LogLine(*row) for row in conn.execute(query)]

    def delete_app(self, app_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(log_lines).where(log_lines.c.app_id == app_id))
