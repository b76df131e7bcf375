"""Filter and Term: canonical form, how terms combine, wording, and the SQL of edge cases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from runoff.query import ATTRIBUTES, Filter, Match, Term, parse

from .rows import ALL, ROWS, DynoTable, names_in_memory

# type scheduler, command "python scrape.py", size Standard-1X, state succeeded
RECORD = next(row for row in ROWS if row["name"] == "scheduler.4321")


def test_terms_are_kept_in_canonical_order_once() -> None:
    shuffled = parse("size:l -state:failed name:x state:timed type:run state:timed")
    assert [str(term) for term in shuffled.terms] == [
        "state:timed",
        "-state:failed",
        "type:run",
        "name:x",
        "size:l",
    ]
    assert shuffled == parse("state:timed -state:failed type:run name:x size:l")
    assert str(shuffled) == "state:timed -state:failed type:run name:x size:l"


def test_plain_text_is_written_as_a_command_term() -> None:
    assert str(parse('echo "Hello World!"')) == 'command:echo "Hello World!"'
    assert str(parse("-Hello World")) == "-command:Hello World"
    assert str(parse("")) == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", True),
        ("state:succ", True),
        # Several values for one attribute are alternatives.
        ("state:failed state:succeeded", True),
        ("state:failed state:running", False),
        # Different attributes must all hold.
        ("state:succeeded type:run", False),
        ("state:succeeded type:sched", True),
        # Each negated value excludes on its own (AND NOT each).
        ("-state:failed -state:running", True),
        ("-state:failed -state:succ", False),
        # Plain values, then negated ones, on one attribute.
        ("type:sched -type:advanced", True),
        ("type:sched -type:scheduler", False),
    ],
)
def test_how_terms_combine(dyno_table: DynoTable, text: str, expected: bool) -> None:
    assert parse(text).matches(RECORD) is expected
    assert (RECORD["name"] in dyno_table.names(parse(text))) is expected


def test_the_empty_filter_selects_every_row(dyno_table: DynoTable) -> None:
    assert dyno_table.names(Filter()) == ALL == names_in_memory(Filter())


def test_to_sql_takes_a_tables_column_collection(dyno_table: DynoTable) -> None:
    condition = parse('type:"scheduler" -state:succeeded').to_sql(dyno_table.table.c)
    with dyno_table.engine.connect() as connection:
        found = set(connection.scalars(select(dyno_table.table.c.name).where(condition)))
    assert found == {"scheduler.1234", "scheduler.12345"}


def test_matches_needs_only_the_attributes_named() -> None:
    assert parse("type:run").matches({"type": "run"})
    with pytest.raises(KeyError):
        parse("type:run").matches({"state": "running"})


@pytest.mark.parametrize(
    ("text", "wording"),
    [
        ("", "all dynos"),
        ("state:failed", 'state contains "failed"'),
        ('state:"failed" state:"timed out"', 'state is "failed" or "timed out"'),
        ('state:"failed" state:time', 'state is "failed" or contains "time"'),
        ("-state:a -state:b", 'state does not contain "a" and does not contain "b"'),
        ('type:sched -type:"run"', 'type contains "sched" and is not "run"'),
        (
            'command:echo state:"failed" state:"timed out"',
            'command contains "echo" and state is "failed" or "timed out"',
        ),
    ],
)
def test_describe(text: str, wording: str) -> None:
    assert parse(text).describe() == wording


def test_term_refuses_an_unknown_attribute() -> None:
    with pytest.raises(ValueError, match="unknown attribute 'host'"):
        Term("host", Match.parse("x"))


def test_term_refuses_a_partial_value_that_would_start_a_term() -> None:
    with pytest.raises(ValueError, match="would start a new term"):
        Term("command", Match.parse("rake db:migrate"))
    # Written right after "command:", a leading IDENT: is not a term start.
    assert str(Term("command", Match.parse("db:migrate"))) == "command:db:migrate"
    # In double quotes it is text.
    assert str(Term("command", Match.parse('"rake db:migrate"'))) == 'command:"rake db:migrate"'


def test_attributes_are_the_seeds_five() -> None:
    assert list(ATTRIBUTES) == ["command", "state", "type", "name", "size"]
