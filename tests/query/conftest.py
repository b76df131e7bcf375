"""The databases the SQL runs on: an in-memory SQLite database, and PostgreSQL too when
RUNOFF_TEST_DATABASE_URL names one (tables of our own are created there and dropped after).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, Table, Text, create_engine
from sqlalchemy.pool import StaticPool

from runoff.store.db import normalize_url

from .rows import FIELDS, ROWS, DynoTable


def _backends() -> list[str]:
    backends = ["sqlite"]
    if os.environ.get("RUNOFF_TEST_DATABASE_URL"):
        backends.append("postgresql")
    return backends


@pytest.fixture(scope="session", params=_backends())
def database(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_engine("sqlite://", poolclass=StaticPool)
    else:
        engine = create_engine(normalize_url(os.environ["RUNOFF_TEST_DATABASE_URL"]))
    yield engine
    engine.dispose()


@contextmanager
def _dyno_table(engine: Engine, rows: list[dict[str, str]]) -> Iterator[DynoTable]:
    table = Table(
        f"query_test_{uuid.uuid4().hex[:12]}",
        MetaData(),
        Column("id", Integer, primary_key=True),
        *(Column(field, Text, nullable=False) for field in FIELDS),
    )
    table.create(engine)
    try:
        dynos = DynoTable(engine, table)
        dynos.replace_rows(rows)
        yield dynos
    finally:
        table.drop(engine)


@pytest.fixture(scope="session")
def dyno_table(database: Engine) -> Iterator[DynoTable]:
    """A table holding rows.ROWS."""
    with _dyno_table(database, ROWS) as dynos:
        yield dynos


@pytest.fixture(scope="session")
def scratch_table(database: Engine) -> Iterator[DynoTable]:
    """An empty table for tests that bring their own rows."""
    with _dyno_table(database, []) as dynos:
        yield dynos
