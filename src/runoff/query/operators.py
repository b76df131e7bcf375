"""The operators of the filter language, each defined once as a row (datasette style).

A row holds the operator's parse rule, its in-memory test, its SQL and its human wording, so
the parser, ``matches``, ``to_sql`` and ``describe`` cannot disagree about what it means.
Comparisons (exact, partial) test one value against one text; negation turns either around.
Everything is case-insensitive: Python's ``str.lower`` in memory, SQL ``lower()`` on both
sides in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, func, literal, not_

LIKE_ESCAPE = "/"
"""Escape character for LIKE patterns; not a backslash, whose meaning in a PostgreSQL string
literal depends on ``standard_conforming_strings``."""


@dataclass(frozen=True)
class Comparison:
    """A way to compare one filter value with one attribute text.

    ``parse`` returns the value written in ``text`` or None when this row's rule does not
    apply; ``spell`` is its inverse. ``test(candidate, value)`` and ``sql(column, value)``
    must agree. ``human`` and ``human_negated`` are templates over ``{value}``. ``example`` is
    a filter using the row, for the reference in docs/filter-language.md.
    """

    name: str
    syntax: str
    example: str
    parse: Callable[[str], str | None]
    spell: Callable[[str], str]
    test: Callable[[str, str], bool]
    sql: Callable[[ColumnElement[str], str], ColumnElement[bool]]
    human: str
    human_negated: str


@dataclass(frozen=True)
class Negation:
    """The ``-`` in front of a term: excludes what the term's comparison matches.

    ``human(comparison, value)`` words a negated comparison of ``value``.
    """

    name: str
    syntax: str
    example: str
    prefix: str
    test: Callable[[bool], bool]
    sql: Callable[[ColumnElement[bool]], ColumnElement[bool]]
    human: Callable[[Comparison, str], str]

    def parse(self, text: str) -> str | None:
        """The term after the prefix, or None when ``text`` is not negated."""
        return text[len(self.prefix) :] if text.startswith(self.prefix) else None

    def spell(self, term: str) -> str:
        return self.prefix + term


def _unquote(text: str) -> str | None:
    if len(text) >= 2 and text[0] == text[-1] == '"' and '"' not in text[1:-1]:
        return text[1:-1]
    return None


def _lowered(value: str) -> ColumnElement[str]:
    return func.lower(literal(value, String()))


def like_pattern(value: str) -> str:
    """A LIKE pattern (escaped with LIKE_ESCAPE) matching texts that contain ``value``."""
    escaped = "".join(LIKE_ESCAPE + char if char in "%_" + LIKE_ESCAPE else char for char in value)
    return f"%{escaped}%"


def quote_for_humans(value: str) -> str:
    """``value`` in double quotes, or in single quotes when it holds a double quote."""
    return f"'{value}'" if '"' in value else f'"{value}"'


EXACT = Comparison(
    name="exact",
    syntax='"VALUE"',
    example='type:"scheduler"',
    parse=_unquote,
    spell=lambda value: f'"{value}"',
    test=lambda candidate, value: candidate.lower() == value.lower(),
    sql=lambda column, value: func.lower(column) == _lowered(value),
    human="is {value}",
    human_negated="is not {value}",
)

PARTIAL = Comparison(
    name="partial",
    syntax="VALUE",
    example="type:sched",
    parse=lambda text: text,
    spell=lambda value: value,
    test=lambda candidate, value: value.lower() in candidate.lower(),
    sql=lambda column, value: func.lower(column).like(
        _lowered(like_pattern(value)), escape=LIKE_ESCAPE
    ),
    human="contains {value}",
    human_negated="does not contain {value}",
)

NEGATION = Negation(
    name="negation",
    syntax="-TERM",
    example="-type:release",
    prefix="-",
    test=lambda matched: not matched,
    sql=not_,
    human=lambda comparison, value: comparison.human_negated.format(value=value),
)

COMPARISONS: tuple[Comparison, ...] = (EXACT, PARTIAL)
"""Tried in order on a value's text; the first whose parse rule applies wins."""

OPERATORS: tuple[Comparison | Negation, ...] = (*COMPARISONS, NEGATION)
"""Every operator of the language, in documentation order."""
