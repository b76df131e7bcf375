"""A fresh, migrated database per test: SQLite by default, PostgreSQL when
``RUNOFF_TEST_DATABASE_URL`` names a server (``scripts/test`` starts a throwaway one).

Used by the ``database_url`` fixture in ``tests/conftest.py``::

    with fresh_database_url(tmp_path) as url:
        ...  # a database at the migrations' head, for this test alone

PostgreSQL: the schema is migrated once into the template database ``runoff_template``
(its comment holds a fingerprint of the migrations: head revision + hash of the files),
and every test gets ``CREATE DATABASE t_<random> TEMPLATE runoff_template``, dropped with
``WITH (FORCE)`` afterwards. Building and cloning are serialized with an advisory lock
(exclusive to build, shared to clone), so pytest-xdist workers and concurrent runs against
one server are safe, and a template built from other migrations is rebuilt.

SQLite: the migrations run once per process into a template file, which is copied to
``{tmp_path}/runoff.db`` for each test.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import secrets
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from functools import cache
from pathlib import Path

import psycopg
from alembic.script import ScriptDirectory
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from runoff.store.db import MIGRATIONS_DIR, make_migration_engine, migrate, normalize_url

ENV_VAR = "RUNOFF_TEST_DATABASE_URL"
TEMPLATE_DB = "runoff_template"
# pg_advisory_lock key guarding the template databases ("runoff" in ASCII).
TEMPLATE_LOCK_KEY = 0x72756E6F6666


def backend_name() -> str:
    """``"postgresql"`` when ``RUNOFF_TEST_DATABASE_URL`` is set, else ``"sqlite"``."""
    url = os.environ.get(ENV_VAR, "").strip()
    if not url:
        return "sqlite"
    _server_url(url)  # validates
    return "postgresql"


def migrations_head() -> str:
    """The head revision(s) of the migrations, ``+``-joined when there are several."""
    return "+".join(sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()))


@cache
def schema_fingerprint() -> str:
    """Head revision plus a hash of the migration files: it changes whenever they do, even
    when a migration is edited in place without a new revision."""
    digest = hashlib.sha256()
    for path in sorted(MIGRATIONS_DIR.rglob("*.py")):
        digest.update(path.relative_to(MIGRATIONS_DIR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return f"runoff-schema head={migrations_head()} sha256={digest.hexdigest()[:16]}"


@contextmanager
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """A new database at the migrations' head, for one test; dropped afterwards on PostgreSQL."""
    server = os.environ.get(ENV_VAR, "").strip()
    if server:
        with _fresh_postgresql(_server_url(server)) as url:
            yield url
    else:
        yield _fresh_sqlite(tmp_path)


# --- PostgreSQL -----------------------------------------------------------------------------


def _server_url(url: str) -> URL:
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"{ENV_VAR} must name a PostgreSQL server, not {parsed.drivername!r}")
    return parsed


def _libpq(url: URL, database: str | None = None) -> str:
    """A libpq/psycopg URL (``postgresql://...``), optionally for another database."""
    url = url.set(drivername="postgresql")
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _connect(server: URL) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(_libpq(server), autocommit=True, connect_timeout=30)


def _template_comment(conn: psycopg.Connection[tuple[object, ...]], name: str) -> str | None:
    """The template's comment, or None when there is no such database."""
    row = conn.execute(
        "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database"
        " WHERE datname = %s",
        (name,),
    ).fetchone()
    return None if row is None else str(row[0])


def _drop_database(conn: psycopg.Connection[tuple[object, ...]], name: str) -> None:
    ident = sql.Identifier(name)
    row = conn.execute(
        "SELECT datistemplate FROM pg_database WHERE datname = %s", (name,)
    ).fetchone()
    if row is not None and row[0]:  # a template database cannot be dropped
        conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE false").format(ident))
    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))


def ensure_template(server: URL, name: str = TEMPLATE_DB) -> bool:
    """Make ``name`` a template database migrated to head; True if this call (re)built it.

    Takes the exclusive advisory lock only when the template is missing or stale.
    """
    fingerprint = schema_fingerprint()
    with _connect(server) as conn:
        if _template_comment(conn, name) == fingerprint:
            return False
        conn.execute("SELECT pg_advisory_lock(%s)", (TEMPLATE_LOCK_KEY,))
        try:
            if _template_comment(conn, name) == fingerprint:
                return False  # another process built it while we waited
            _drop_database(conn, name)
            ident = sql.Identifier(name)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(ident))
            engine = make_migration_engine(_libpq(server, name))
            try:
                migrate(engine)
            finally:
                engine.dispose()
            conn.execute(sql.SQL("ALTER DATABASE {} IS_TEMPLATE true").format(ident))
            # The comment goes last: it marks the template complete.
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(fingerprint))
            )
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (TEMPLATE_LOCK_KEY,))


def clone_template(server: URL, template: str = TEMPLATE_DB) -> str:
    """Create ``t_<random>`` from the template (built or rebuilt first if needed); its name."""
    fingerprint = schema_fingerprint()
    name = f"t_{secrets.token_hex(8)}"
    for _ in range(5):
        with _connect(server) as conn:
            # Shared lock: many clones at once, but never while the template is rebuilt.
            conn.execute("SELECT pg_advisory_lock_shared(%s)", (TEMPLATE_LOCK_KEY,))
            try:
                if _template_comment(conn, template) == fingerprint:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                            sql.Identifier(name), sql.Identifier(template)
                        )
                    )
                    return name
            finally:
                conn.execute("SELECT pg_advisory_unlock_shared(%s)", (TEMPLATE_LOCK_KEY,))
        # Missing, half-built or from other migrations: (re)build it, then clone again.
        ensure_template(server, template)
    raise RuntimeError(f"template database {template!r} keeps changing under us")


def drop_database(server: URL, name: str) -> None:
    """Drop a database, terminating whatever is still connected to it."""
    with _connect(server) as conn:
        _drop_database(conn, name)


@contextmanager
def _fresh_postgresql(server: URL) -> Iterator[str]:
    name = clone_template(server)
    try:
        yield _libpq(server, name)
    finally:
        drop_database(server, name)


# --- SQLite ---------------------------------------------------------------------------------

_sqlite_lock = threading.Lock()
_sqlite_templates: dict[str, Path] = {}


def _sqlite_template() -> Path:
    """A SQLite file migrated to head, built once per process (per migrations fingerprint)."""
    fingerprint = schema_fingerprint()
    with _sqlite_lock:
        path = _sqlite_templates.get(fingerprint)
        if path is None:
            folder = Path(tempfile.mkdtemp(prefix="runoff-sqlite-template-"))
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            path = folder / "template.db"
            engine = make_migration_engine(f"sqlite:///{path}")
            try:
                migrate(engine)
            finally:
                engine.dispose()
            # Fold the WAL into the main file so that copying that file alone is enough.
            with closing(sqlite3.connect(path)) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _sqlite_templates[fingerprint] = path
        return path


def _fresh_sqlite(tmp_path: Path) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "runoff.db"
    n = 1
    while target.exists():  # a second database in the same test
        target = tmp_path / f"runoff-{n}.db"
        n += 1
    shutil.copyfile(_sqlite_template(), target)
    return f"sqlite:///{target}"
