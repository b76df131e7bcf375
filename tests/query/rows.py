"""Dyno rows covering every example of the seed, and ways to ask which of them a filter selects."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Column, Engine, Table, delete, select

from runoff.query import ATTRIBUTES, Filter, Match

FIELDS = ("name", "type", "command", "size", "state")
ADV = "advanced-scheduler"
ROWS: list[dict[str, str]] = [
    dict(zip(FIELDS, row, strict=True))
    for row in [
        ("scheduler.1234", "scheduler", 'echo "Hello World!"', "Performance-L", "failed"),
        ("scheduler.4321", "scheduler", "python scrape.py", "Standard-1X", "succeeded"),
        ("scheduler.12345", "scheduler", "python scrape.py --pages 10", "Performance-L", "running"),
        (f"{ADV}.1001", ADV, 'echo "Hello World!"', "Performance-M", "timed out"),
        (f"{ADV}.1002", ADV, "node src/jobs/migrate.js", "Standard-2X", "succeeded"),
        ("run.2001", "run", 'echo "Hello World!"', "Standard-1X", "succeeded"),
        ("run.2002", "run", "echo Hello World", "Performance-L", "running"),
        ("run.2003", "run", 'ECHO "HELLO WORLD!"', "performance-l", "failed"),
        ("run.2004", "run", 'echo "Hello World!" && sleep 60', "Standard-1X", "running"),
        ("release.3001", "release", "node src/jobs/migrate.js", "Standard-1X", "succeeded"),
        ("release.3002", "release", "node src/jobs/migrate.js --dry-run", "Private-S", "failed"),
        ("task.4001", "task", "bin/report 100% done_ok", "Free", "timed out"),
        ("task.4002", "task", "bin/report 1000 doneXok C:\\tmp", "Free", "succeeded"),
        ("run.6001", "run", "python tâche.py --ünïcode ✓", "Hobby", "succeeded"),
    ]
]  # fmt: skip
ALL = frozenset(row["name"] for row in ROWS)


def names_in_memory(selects: Filter | Match, attribute: str = "") -> set[str]:
    """Names of ROWS that a Filter (or a Match on ``attribute``) selects, tested in Python."""
    if isinstance(selects, Match):
        return {row["name"] for row in ROWS if selects.matches(row[attribute])}
    return {row["name"] for row in ROWS if selects.matches(row)}


@dataclass
class DynoTable:
    """Dyno rows stored in a real database table."""

    engine: Engine
    table: Table

    @property
    def columns(self) -> Mapping[str, Column[str]]:
        return {attribute: self.table.c[attribute] for attribute in ATTRIBUTES}

    def names(self, selects: Filter | Match, attribute: str = "") -> set[str]:
        """Names of rows that a Filter (or a Match on ``attribute``) selects, in SQL."""
        if isinstance(selects, Match):
            condition = selects.to_sql(self.table.c[attribute])
        else:
            condition = selects.to_sql(self.columns)
        with self.engine.connect() as connection:
            return set(connection.scalars(select(self.table.c.name).where(condition)))

    def replace_rows(self, rows: list[dict[str, str]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(self.table))
            if rows:
                connection.execute(self.table.insert(), rows)
