"""The databases the SQL runs on: an in-memory SQLite database, and PostgreSQL too when
RUNOFF_TEST_DATABASE_URL names one (a table of our own is created there and dropped after).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, create_engine
from sqlalchemy.pool import StaticPool

from runoff.store.db import normalize_url

from .rows import FIELDS, ROWS, DynoTable


def _engines() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("RUNOFF_TEST_DATABASE_URL"):
        backends.append("postgresql")
    return backends


def _engine(backend: str) -> Engine:
    if backend == "sqlite":
        return create_engine("sqlite://", poolclass=StaticPool)
    return create_engine(normalize_url(os.environ["RUNOFF_TEST_DATABASE_URL"]))


@pytest.fixture(scope="session", params=_engines())
def dyno_table(request: pytest.FixtureRequest) -> Iterator[DynoTable]:
    engine = _engine(request.param)
    table = Table(
        f"query_test_{uuid.uuid4().hex[:12]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        *(Column(field, Text, nullable=False) for field in FIELDS),
    )
    table.create(engine)
    try:
        with engine.begin() as connection:
            connection.execute(table.insert(), ROWS)
        yield DynoTable(request.param, engine, table)
    finally:
        table.drop(engine)
        engine.dispose()
