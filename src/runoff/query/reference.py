"""The operator table of docs/filter-language.md, rendered from the operator rows so the
documentation cannot drift from the code (a test compares the two)."""

from __future__ import annotations

from sqlalchemy import String, column
from sqlalchemy.dialects import sqlite

from runoff.query.operators import OPERATORS
from runoff.query.parser import parse


def operator_table() -> str:
    """A Markdown table: each operator, how it is written, and one example in SQL and in words."""
    lines = [
        "| operator | written | example | SQL (SQLite) | in words |",
        "|---|---|---|---|---|",
    ]
    for row in OPERATORS:
        example = parse(row.example)
        sql = example.to_sql({"type": column("type", String())}).compile(
            dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
        )
        cells = [row.name, f"`{row.syntax}`", f"`{row.example}`", f"`{sql}`"]
        lines.append("| " + " | ".join([*cells, example.describe()]) + " |")
    return "\n".join(lines) + "\n"
