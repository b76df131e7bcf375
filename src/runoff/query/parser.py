"""Filter text -> Filter. See docs/filter-language.md for the grammar."""

from __future__ import annotations

import re

from runoff.query.attributes import ATTRIBUTES, DEFAULT_ATTRIBUTE
from runoff.query.errors import FilterError
from runoff.query.filter import Filter, Term
from runoff.query.match import parse_match
from runoff.query.operators import NEGATION
from runoff.query.syntax import check_characters, term_starts


def parse(text: str) -> Filter:
    """Read a filter such as ``command:echo "Hello World!" state:failed state:timed out``.

    Text before the first ``attribute:`` term filters on the command. An empty or blank text
    is the filter that matches everything. Raises FilterError, and nothing else, for a text
    the language does not accept.
    """
    check_characters(text)
    starts = term_starts(text)
    for start in starts:
        _check_attribute(start)
    # Each term's value runs to the next term's start; plain text runs to the first term.
    bounds = [start.start() for start in starts] + [len(text)]
    terms = [_plain_text_term(text, bounds[0])] if text[: bounds[0]].strip() else []
    terms.extend(_term(text, start, end) for start, end in zip(starts, bounds[1:], strict=True))
    return Filter(tuple(terms))


def _check_attribute(start: re.Match[str]) -> None:
    name = start["attribute"]
    if name.lower() not in ATTRIBUTES:
        known = ", ".join(ATTRIBUTES)
        raise FilterError(
            start.start("attribute") + 1,
            f'unknown attribute "{name}" (expected one of {known}); '
            f'to match text containing "{name}:", put the value in double quotes',
        )


def _term(text: str, start: re.Match[str], end: int) -> Term:
    return Term(
        start["attribute"].lower(),
        parse_match(text, start.end(), end),
        negated=bool(start["negated"]),
    )


def _plain_text_term(text: str, end: int) -> Term:
    begin = len(text) - len(text.lstrip())
    after_prefix = NEGATION.parse(text[begin:end])
    if after_prefix is None:
        return Term(DEFAULT_ATTRIBUTE, parse_match(text, begin, end))
    value_start = begin + len(NEGATION.prefix)
    return Term(DEFAULT_ATTRIBUTE, parse_match(text, value_start, end), negated=True)
