"""Engine creation and schema migrations for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def normalize_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for both."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # isolation_level=None hands transaction control to SQLAlchemy's BEGIN below.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


WRITE = "runoff_write"


def _sqlite_begin(conn: Any) -> None:
    # Writes (``engine.begin()``) take the write lock up front with IMMEDIATE, so
    # read-then-write transactions (limits, counters) serialize instead of failing with
    # "database is locked" on upgrade. Reads (``engine.connect()``) take no lock: under WAL
    # they read a snapshot and neither wait for writers nor hold them up.
    if conn.get_execution_options().get(WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


class SQLiteEngine(Engine):
    """An SQLite engine whose ``begin()`` is a write transaction.

    Writers of this process queue on a lock before SQLite's write lock: waiting on SQLite's
    busy handler sleeps in steps of 1, 2, 5, 10... ms, where the lock wakes the next writer
    as soon as the previous one commits. Other processes still meet the busy timeout.
    """

    _writer_lock: threading.RLock

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        with self._writer_lock, self.connect() as conn:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn


def make_engine(url: str, *, pool_size: int = 10) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=pool_size,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        engine.__class__ = SQLiteEngine
        engine._writer_lock = threading.RLock()  # type: ignore[attr-defined]
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


def make_migration_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return make_engine(url)
    return create_engine(url, poolclass=NullPool)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
