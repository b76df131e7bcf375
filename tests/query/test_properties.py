"""Properties over generated and random texts: parse raises FilterError and nothing else,
every filter writes itself back, and SQL selects exactly what ``matches`` accepts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from sqlalchemy import String, column
from sqlalchemy.dialects import postgresql, sqlite

from runoff.query import ATTRIBUTES, Filter, FilterError, Match, Term, parse

from .rows import DynoTable, names_in_memory

T = TypeVar("T")
COLUMNS = {attribute: column(attribute, String()) for attribute in ATTRIBUTES}
PIECES = [
    *(f"{attribute}:" for attribute in ATTRIBUTES),
    *(f"-{attribute}:" for attribute in ATTRIBUTES),
    "State:",
    "db:",
    "-x:",
    "_:",
    "-",
    ":",
    '"',
    " ",
    "\t",
    "\u00a0",
    "echo",
    "Hello World!",
    "timed out",
    "%",
    "_",
    "/",
    "\\",
    "é",
    "İ",
    "ß",
    "✓",
    "\x00",
    "\ud800",
]
# Surrogates and every other category included: text from JSON can hold them.
any_character = st.characters(exclude_categories=())
filter_like = st.lists(st.sampled_from(PIECES) | st.text(any_character, max_size=3), max_size=12)
texts = st.text(any_character) | filter_like.map("".join)


@given(texts)
@settings(max_examples=500)
def test_parse_raises_filter_error_and_nothing_else(text: str) -> None:
    parsed = _outcome(parse, text)
    if isinstance(parsed, FilterError):
        assert 1 <= parsed.column <= len(text) + 1
        assert str(parsed) == f"invalid filter at column {parsed.column}: {parsed.reason}"
    else:
        _check_round_trip(parsed)


@given(texts)
def test_match_parse_raises_filter_error_and_nothing_else(text: str) -> None:
    match = _outcome(Match.parse, text)
    if isinstance(match, FilterError):
        assert 1 <= match.column <= len(text) + 1
    else:
        assert Match.parse(str(match)) == match


def _outcome(read: Callable[[str], T], text: str) -> T | FilterError:
    """What ``read(text)`` returns, or the FilterError it raises; anything else propagates."""
    try:
        return read(text)
    except FilterError as error:
        return error


def _check_round_trip(parsed: Filter) -> None:
    written = str(parsed)
    assert parse(written) == parsed
    assert str(parse(written)) == written
    assert parsed.describe()
    for dialect in (sqlite.dialect(), postgresql.psycopg.dialect()):
        parsed.to_sql(COLUMNS).compile(dialect=dialect)


ROW_ALPHABET = st.sampled_from(list('aAbB -_%/\\".:!1'))


@st.composite
def terms(draw: st.DrawFn, values: st.SearchStrategy[str]) -> Term:
    """A valid Term, rejecting generated values the language cannot write."""
    try:
        match = Match(exact=draw(st.booleans()), value=draw(values))
        return Term(draw(st.sampled_from(list(ATTRIBUTES))), match, draw(st.booleans()))
    except ValueError:
        reject()


def filters(values: st.SearchStrategy[str]) -> st.SearchStrategy[Filter]:
    return st.lists(terms(values), max_size=4).map(lambda found: Filter(tuple(found)))


@given(filters(st.text(any_character.filter(lambda c: c != "\x00"), min_size=1, max_size=8)))
def test_every_filter_writes_itself_back(built: Filter) -> None:
    _check_round_trip(built)


ROW_VALUES = st.lists(
    st.sampled_from(["echo", "hello", "World", "sched", "uler", "Performance", "-l", "py", "1"])
    | st.sampled_from(list(' .!%_/\\"')),
    min_size=1,
    max_size=4,
).map("".join)


@given(filters(ROW_VALUES))
@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_sql_selects_what_matches_accepts_on_the_seed_rows(
    dyno_table: DynoTable, built: Filter
) -> None:
    assert dyno_table.names(built) == names_in_memory(built)


rows = st.lists(
    st.fixed_dictionaries(
        {field: st.text(ROW_ALPHABET, max_size=6) for field in ATTRIBUTES if field != "name"}
    ),
    max_size=6,
)


@given(rows, filters(st.text(ROW_ALPHABET, min_size=1, max_size=3)))
@settings(deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
def test_sql_selects_what_matches_accepts_on_random_rows(
    scratch_table: DynoTable, generated: list[dict[str, str]], built: Filter
) -> None:
    named = [{**row, "name": f"row{index}"} for index, row in enumerate(generated)]
    scratch_table.replace_rows(named)
    expected = {row["name"] for row in named if built.matches(row)}
    assert scratch_table.names(built) == expected
