"""Small helpers shared by the domain ``store`` modules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def new_id() -> str:
    return str(uuid.uuid4())


def next_counter(conn: Connection, table: Table, app_id: str, name: str) -> int:
    """Increment and return the per-app counter ``name`` (1 on first use).

    One upsert inside the caller's transaction: concurrent first uses of a counter cannot both
    insert its row (an UPDATE-then-INSERT raced on PostgreSQL, the loser failing on the key),
    and the row lock (PostgreSQL) or the write lock of ``BEGIN IMMEDIATE`` (SQLite) gives
    concurrent callers distinct values.
    """
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(app_id=app_id, name=name, value=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.app_id, table.c.name],
        set_={"value": table.c.value + 1},
    ).returning(table.c.value)
    return int(conn.execute(statement).scalar_one())


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> int:
    """INSERT ``rows``, skipping any whose key (primary or unique) is taken. For one row,
    returns 1 if it was inserted and 0 if not (how a claim is made once); for several, how
    many were offered.

    RETURNING, not the row count, says whether one row went in: psycopg reports -1 for an
    ``INSERT ... ON CONFLICT DO NOTHING``.
    """
    if not rows:
        return 0
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing()
    if len(rows) == 1:
        keys = statement.returning(*table.primary_key.columns)
        return 0 if conn.execute(keys, rows[0]).first() is None else 1
    conn.execute(statement, rows)
    return len(rows)


def as_dict(row: Any) -> dict[str, Any]:
    return dict(row._mapping)
