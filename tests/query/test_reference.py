"""docs/filter-language.md says what the code does: its tables are checked against it."""

from __future__ import annotations

from pathlib import Path

import pytest

from runoff.query import FilterError, parse
from runoff.query.reference import operator_table

DOC = Path(__file__).parents[2] / "docs" / "filter-language.md"


def _section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(f"<!-- {name} -->\n", 1)[1].split(f"<!-- /{name} -->", 1)[0]


def _rows(name: str) -> list[list[str]]:
    """The body rows of the table in a section, cells stripped of blanks and backticks."""
    lines = _section(name).strip().splitlines()[2:]
    return [[cell.strip().strip("`") for cell in line.strip("|").split(" | ")] for line in lines]


def test_the_operator_table_is_rendered_from_the_rows() -> None:
    assert _section("operators") == operator_table()


@pytest.mark.parametrize(("text", "canonical", "wording"), _rows("examples"))
def test_each_documented_example(text: str, canonical: str, wording: str) -> None:
    parsed = parse(text)
    assert (str(parsed), parsed.describe()) == (canonical, wording)


@pytest.mark.parametrize(("text", "column", "reason"), _rows("errors"))
def test_each_documented_error(text: str, column: str, reason: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert (caught.value.column, caught.value.reason) == (int(column), reason)
