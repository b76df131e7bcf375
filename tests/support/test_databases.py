"""tests/support/databases.py on the backend of this run (SQLite, or PostgreSQL when
RUNOFF_TEST_DATABASE_URL is set); the PostgreSQL-only tests are skipped on SQLite."""

from __future__ import annotations

import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url

from runoff.store.db import make_engine
from tests.support import databases
from tests.support.databases import (
    ENV_VAR,
    backend_name,
    clone_template,
    drop_database,
    ensure_template,
    fresh_database_url,
    migrations_head,
    schema_fingerprint,
)

postgresql_only = pytest.mark.skipif(
    not os.environ.get(ENV_VAR), reason=f"needs PostgreSQL: set {ENV_VAR}"
)


def _server() -> URL:
    return databases._server_url(os.environ[ENV_VAR])


def _database_exists(name: str) -> bool:
    with databases._connect(_server()) as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def _schema(url: str) -> tuple[list[str], list[str]]:
    """(alembic revisions, table names) of the database at ``url``."""
    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            revisions = list(
                conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            )
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    return [str(r) for r in revisions], tables


def test_backend_name_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    assert backend_name() == "sqlite"
    for url in ("postgres://u@h/db", "postgresql://u@h:5/db", "postgresql+psycopg://u@h/db"):
        monkeypatch.setenv(ENV_VAR, url)
        assert backend_name() == "postgresql"
    monkeypatch.setenv(ENV_VAR, "mysql://u@h/db")
    with pytest.raises(ValueError, match="PostgreSQL"):
        backend_name()


def test_fingerprint_names_the_head() -> None:
    head = migrations_head()
    assert head
    assert f"head={head} " in schema_fingerprint()


def test_fresh_database_is_migrated_to_head(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        revisions, tables = _schema(url)
        if backend_name() == "sqlite":
            assert url == f"sqlite:///{tmp_path}/runoff.db"
        else:
            assert url.startswith("postgresql://")
            assert (make_url(url).database or "").startswith("t_")
    assert "+".join(sorted(revisions)) == migrations_head()
    assert "alembic_version" in tables
    assert len(tables) > 1


def test_fresh_databases_are_isolated(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as first, fresh_database_url(tmp_path) as second:
        assert first != second
        engine = make_engine(first, pool_size=1)
        try:
            with engine.begin() as conn:
                conn.execute(text("CREATE TABLE probe_isolation (x INTEGER)"))
                conn.execute(text("INSERT INTO probe_isolation VALUES (1)"))
        finally:
            engine.dispose()
        assert "probe_isolation" in _schema(first)[1]
        assert "probe_isolation" not in _schema(second)[1]
    # ...and a database made after that starts clean, from the template.
    with fresh_database_url(tmp_path / "later") as third:
        assert "probe_isolation" not in _schema(third)[1]


def test_sqlite_template_is_built_once_per_process() -> None:
    first = databases._sqlite_template()
    assert databases._sqlite_template() == first
    assert first.stat().st_size > 0


@postgresql_only
def test_database_is_dropped_despite_open_connections(tmp_path: Path) -> None:
    with fresh_database_url(tmp_path) as url:
        name = make_url(url).database or ""
        assert _database_exists(name)
        leftover = psycopg.connect(url)  # never closed by the test: the drop must not wait for it
    try:
        assert not _database_exists(name)
        with pytest.raises(psycopg.OperationalError):
            leftover.execute("SELECT 1")
    finally:
        leftover.close()


@postgresql_only
def test_template_is_rebuilt_when_the_migrations_change() -> None:
    server = _server()
    template = f"runoff_template_test_{secrets.token_hex(4)}"
    try:
        assert ensure_template(server, template) is True
        assert ensure_template(server, template) is False
        with databases._connect(server) as conn:
            conn.execute(f"COMMENT ON DATABASE \"{template}\" IS 'runoff-schema head=older'")
        clone = clone_template(server, template)  # notices, rebuilds, clones
        try:
            assert ensure_template(server, template) is False
            revisions, _ = _schema(databases._libpq(server, clone))
            assert "+".join(sorted(revisions)) == migrations_head()
        finally:
            drop_database(server, clone)
        assert not _database_exists(clone)
    finally:
        drop_database(server, template)


@postgresql_only
def test_racing_builders_build_the_template_once() -> None:
    server = _server()
    template = f"runoff_template_test_{secrets.token_hex(4)}"
    start = threading.Barrier(4)

    def build_then_clone(_: int) -> tuple[bool, str]:
        start.wait()
        built = ensure_template(server, template)
        return built, clone_template(server, template)

    try:
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(build_then_clone, range(4)))
        assert sum(built for built, _ in results) == 1
        clones = {clone for _, clone in results}
        assert len(clones) == 4
        for clone in clones:
            drop_database(server, clone)
    finally:
        drop_database(server, template)
