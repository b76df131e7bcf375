"""The operator rows: LIKE escaping, and that each row is the one place its meaning lives."""

from __future__ import annotations

import pytest
from sqlalchemy import Dialect, String, column
from sqlalchemy.dialects import postgresql, sqlite

from runoff.query import Match, parse
from runoff.query.operators import (
    EXACT,
    LIKE_ESCAPE,
    NEGATION,
    OPERATORS,
    PARTIAL,
    Comparison,
    like_pattern,
)

from .rows import DynoTable, names_in_memory


def test_like_pattern_escapes_wildcards_and_the_escape_character() -> None:
    assert LIKE_ESCAPE == "/"
    assert like_pattern("100%_a/b\\") == "%100/%/_a//b\\%"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("command:100%", {"task.4001"}),
        ("command:done_ok", {"task.4001"}),
        ("command:C:\\tmp", {"task.4002"}),
        (
            "command:/",
            {
                "advanced-scheduler.1002",
                "release.3001",
                "release.3002",
                "task.4001",
                "task.4002",
            },
        ),
        ("command:tâche.py --ünïcode ✓", {"run.6001"}),
        ('command:"python tâche.py --ünïcode ✓"', {"run.6001"}),
    ],
)
def test_wildcards_and_unusual_characters_are_text(
    dyno_table: DynoTable, text: str, expected: set[str]
) -> None:
    assert names_in_memory(parse(text)) == expected
    assert dyno_table.names(parse(text)) == expected


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.psycopg.dialect()])
def test_sql_lowers_both_sides(dialect: Dialect) -> None:
    col = column("type", String())
    exact = str(Match.parse('"Run"').to_sql(col).compile(dialect=dialect))
    partial = str(Match.parse("Run").to_sql(col).compile(dialect=dialect))
    assert exact.startswith("lower(type) = lower(")
    assert partial.startswith("lower(type) LIKE lower(")
    assert partial.endswith("ESCAPE '/'")


def test_each_operator_is_one_row() -> None:
    assert [row.name for row in OPERATORS] == ["exact", "partial", "negation"]
    assert [row.syntax for row in OPERATORS] == ['"VALUE"', "VALUE", "-TERM"]


@pytest.mark.parametrize("comparison", [EXACT, PARTIAL], ids=["exact", "partial"])
def test_a_comparison_reads_back_what_it_writes(comparison: Comparison) -> None:
    assert comparison.parse(comparison.spell("a value")) == "a value"


def test_negation_row() -> None:
    assert NEGATION.parse("-type:run") == "type:run"
    assert NEGATION.parse("type:run") is None
    assert NEGATION.spell("type:run") == "-type:run"
    assert NEGATION.test(True) is False
    assert NEGATION.human(PARTIAL, '"x"') == 'does not contain "x"'
    assert NEGATION.human(EXACT, '"x"') == 'is not "x"'
