"""Small helpers shared by the domain ``store`` modules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Table, update


def new_id() -> str:
    return str(uuid.uuid4())


def next_counter(conn: Connection, table: Table, app_id: str, name: str) -> int:
    """Increment and return the per-app counter ``name`` (1 on first use).

    Runs inside the caller's transaction; the row lock (PostgreSQL) or the write lock taken by
    ``BEGIN IMMEDIATE`` (SQLite) makes concurrent callers get distinct values.
    """
    result = conn.execute(
        update(table)
        .where(table.c.app_id == app_id, table.c.name == name)
        .values(value=table.c.value + 1)
        .returning(table.c.value)
    ).scalar_one_or_none()
    if result is not None:
        return int(result)
    conn.execute(table.insert().values(app_id=app_id, name=name, value=1))
    return 1


def as_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
