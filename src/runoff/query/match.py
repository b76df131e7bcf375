"""One value matcher: an exact (``"scheduler"``) or partial (``sched``) case-insensitive match.

Monitors use it alone for their command, type and size fields; filters use one per term.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from runoff.query.errors import FilterError
from runoff.query.operators import COMPARISONS, EXACT, PARTIAL, Comparison, quote_for_humans
from runoff.query.syntax import check_characters, check_quotes


@dataclass(frozen=True, kw_only=True)
class Match:
    """``value`` compared with a text exactly (``exact``) or as a substring, ignoring case.

    Every Match can be written as text that ``Match.parse`` reads back to an equal Match;
    constructing one that cannot (empty value, a ``"`` inside an exact value, surrounding
    blanks or a wholly quoted value in a partial one) raises ValueError.
    """

    exact: bool = False
    value: str

    def __post_init__(self) -> None:
        written = str(self)
        try:
            comparison, value = read_value(written, 0, len(written))
        except FilterError as error:
            raise ValueError(f"{self!r} cannot be written as filter text: {error.reason}") from None
        if comparison is not self.comparison or value != self.value:
            raise ValueError(f"{self!r} cannot be written as filter text")

    @classmethod
    def parse(cls, text: str) -> Match:
        """Read one value: wholly in double quotes means exact, anything else partial.

        Surrounding whitespace is ignored; ``-`` and ``attribute:`` have no special meaning
        here. Raises FilterError (columns relative to ``text``) and nothing else.
        """
        return parse_match(text, 0, len(text))

    @property
    def comparison(self) -> Comparison:
        return EXACT if self.exact else PARTIAL

    def matches(self, text: str) -> bool:
        """Whether ``text`` is (exact) or contains (partial) the value, ignoring case."""
        return self.comparison.test(text, self.value)

    def to_sql(self, column: ColumnElement[str]) -> ColumnElement[bool]:
        """The same test as ``matches`` as a SQL expression on a non-null text column."""
        return self.comparison.sql(column, self.value)

    def describe(self, *, negated: bool = False) -> str:
        """Human wording, e.g. ``is "scheduler"`` or ``does not contain "sched"``."""
        template = self.comparison.human_negated if negated else self.comparison.human
        return template.format(value=quote_for_humans(self.value))

    def __str__(self) -> str:
        return self.comparison.spell(self.value)


def parse_match(text: str, start: int, end: int) -> Match:
    """The Match written in ``text[start:end]``; FilterError columns count in all of ``text``."""
    comparison, value = read_value(text, start, end)
    return Match(exact=comparison is EXACT, value=value)


def read_value(text: str, start: int, end: int) -> tuple[Comparison, str]:
    """The comparison and value written in ``text[start:end]``.

    Raises FilterError, with columns counted in all of ``text``, and nothing else.
    """
    raw = text[start:end]
    check_characters(raw, start)
    stripped = raw.strip()
    if not stripped:
        raise FilterError(start + 1, "empty value")
    value_start = start + (len(raw) - len(raw.lstrip()))
    check_quotes(stripped, value_start)
    for comparison in COMPARISONS:
        value = comparison.parse(stripped)
        if value is not None:
            break
    else:  # pragma: no cover - PARTIAL accepts every text
        raise AssertionError("no comparison accepts the value")
    if not value.strip():
        raise FilterError(value_start + 1, "empty value")
    return comparison, value
