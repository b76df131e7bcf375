"""A parsed filter: terms on dyno attributes, tested in memory or turned into SQL.

Meaning: for each attribute named, the text must match at least one of its plain terms
(if it has any) and none of its negated terms; all attributes named must hold. A filter
without terms matches every dyno.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import ColumnElement, and_, or_, true

from runoff.query.attributes import ATTRIBUTES
from runoff.query.match import Match
from runoff.query.operators import NEGATION, quote_for_humans
from runoff.query.syntax import term_starts


class Columns(Protocol):
    """Attribute name -> text column: a ``Mapping`` or a table's ``.c`` collection."""

    def __getitem__(self, attribute: str, /) -> ColumnElement[str]: ...


@dataclass(frozen=True)
class Term:
    """``attribute`` must match ``match`` (or, when ``negated``, must not).

    Raises ValueError for an unknown attribute or for a partial value that could not be
    written inside a filter (one holding ``-?IDENT:`` after a blank, outside quotes).
    """

    attribute: str
    match: Match
    negated: bool = False

    def __post_init__(self) -> None:
        if self.attribute not in ATTRIBUTES:
            raise ValueError(f"unknown attribute {self.attribute!r}")
        # Written as attribute:value, so a term start at the value's first character is not one.
        if not self.match.exact and any(s.start() > 0 for s in term_starts(self.match.value)):
            raise ValueError(f"{self.match.value!r} would start a new term inside a filter")

    def matches(self, text: str) -> bool:
        matched = self.match.matches(text)
        return NEGATION.test(matched) if self.negated else matched

    def to_sql(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        expression = self.match.to_sql(column)
        return NEGATION.sql(expression) if self.negated else expression

    def __str__(self) -> str:
        written = f"{self.attribute}:{self.match}"
        return NEGATION.spell(written) if self.negated else written


def _canonical(terms: Iterable[Term]) -> tuple[Term, ...]:
    order = list(ATTRIBUTES)
    unique = dict.fromkeys(terms)
    return tuple(sorted(unique, key=lambda term: (order.index(term.attribute), term.negated)))


@dataclass(frozen=True)
class _Clause:
    """The terms on one attribute: any of ``plain`` (when there are some) and all of
    ``negated`` (each of which excludes)."""

    attribute: str
    plain: tuple[Term, ...]
    negated: tuple[Term, ...]

    def matches(self, text: str) -> bool:
        return (not self.plain or any(t.matches(text) for t in self.plain)) and all(
            t.matches(text) for t in self.negated
        )

    def to_sql(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        parts = [or_(*(t.to_sql(column) for t in self.plain))] if self.plain else []
        parts.extend(t.to_sql(column) for t in self.negated)
        return and_(*parts)

    def describe(self) -> str:
        phrases = [
            NEGATION.human(t.match.comparison, quote_for_humans(t.match.value))
            for t in self.negated
        ]
        if self.plain:
            # Consecutive values of one comparison share its verb: is "failed" or "timed out".
            runs = itertools.groupby((t.match for t in self.plain), key=lambda m: m.comparison)
            alternatives = [
                comparison.human.format(value=" or ".join(quote_for_humans(m.value) for m in run))
                for comparison, run in runs
            ]
            phrases.insert(0, " or ".join(alternatives))
        return f"{self.attribute} " + " and ".join(phrases)


@dataclass(frozen=True)
class Filter:
    """Terms in canonical order: by attribute as in ATTRIBUTES, plain before negated, each
    once, otherwise as given. Two filters with the same terms in any order are equal."""

    terms: tuple[Term, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", _canonical(self.terms))

    def matches(self, record: Mapping[str, str]) -> bool:
        """Whether a dyno with these attribute texts passes; ``record`` needs (at least)
        every attribute the filter names, else KeyError."""
        return all(clause.matches(record[clause.attribute]) for clause in self._clauses())

    def to_sql(self, columns: Columns) -> ColumnElement[bool]:
        """The same test as ``matches`` as a SQLAlchemy Core expression over non-null text
        ``columns`` (``{"command": dynos.c.command, ...}`` or ``dynos.c``; needs every
        attribute the filter names, else KeyError)."""
        clauses = [clause.to_sql(columns[clause.attribute]) for clause in self._clauses()]
        return and_(*clauses) if clauses else true()

    def describe(self) -> str:
        """Human wording, e.g. ``command contains "echo" and state is "failed" or "timed out"``;
        ``all dynos`` for the empty filter."""
        wording = [clause.describe() for clause in self._clauses()]
        return " and ".join(wording) if wording else "all dynos"

    def __str__(self) -> str:
        """Canonical filter text; ``parse(str(f)) == f``."""
        return " ".join(str(term) for term in self.terms)

    def _clauses(self) -> list[_Clause]:
        grouped = itertools.groupby(self.terms, key=lambda term: term.attribute)
        return [
            _Clause(
                attribute,
                plain=tuple(t for t in terms if not t.negated),
                negated=tuple(t for t in terms if t.negated),
            )
            for attribute, group in grouped
            for terms in [tuple(group)]
        ]
