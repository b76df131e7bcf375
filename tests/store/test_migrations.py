"""Migrating a database that holds data: 0003 keeps existing monitors (counting from their
creation) and their alerts, up and down, on SQLite, where a batch column change would rebuild
the table and so delete, by cascade, the rows that refer to it."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from runoff.store.db import MIGRATIONS_DIR, make_migration_engine


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_existing_monitors_count_from_their_creation(tmp_path: Path) -> None:
    engine = make_migration_engine(f"sqlite:///{tmp_path / 'old.sqlite'}")
    try:
        _migrate(engine, "0002_dashboard")
        # sqlite3 leaves foreign keys off: a monitor and its alert are enough here.
        with contextlib.closing(sqlite3.connect(tmp_path / "old.sqlite")) as raw, raw:
            raw.execute(
                "INSERT INTO monitors (id, addon_id, app_id, name, type, sensitivity,"
                " recovery, state, history, ok_streak, version, created_at, updated_at)"
                " VALUES ('m1', 'a1', 'p1', 'failures', 'command-failure', 1, 1, 'ok',"
                " '', 0, 3, 1000, 2000)"
            )
            raw.execute(
                "INSERT INTO alerts (id, addon_id, monitor_id, number, status, opened_at, detail)"
                " VALUES ('al1', 'a1', 'm1', 1, 'open', 1500, '{}')"
            )
        _migrate(engine, "head")
        with engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM monitors")).mappings().one()
            alerts = conn.execute(text("SELECT id FROM alerts")).scalars().all()
        assert row["counting_since"] == 1000
        assert (row["name"], row["version"], row["updated_at"]) == ("failures", 3, 2000)
        assert alerts == ["al1"]
        _migrate(engine, "0002_dashboard", down=True)
        with engine.connect() as conn:
            columns = conn.execute(text("SELECT * FROM monitors")).keys()
            assert "counting_since" not in columns
            assert conn.execute(text("SELECT count(*) FROM monitors")).scalar_one() == 1
            assert conn.execute(text("SELECT count(*) FROM alerts")).scalar_one() == 1
    finally:
        engine.dispose()
