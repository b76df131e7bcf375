"""Lexical rules shared by the parser and the value checks: characters, quotes, term starts.

Columns are 1-based character positions in the text handed in, shifted by ``offset`` so
that a value checked on its own can report its place in the whole filter.
"""

from __future__ import annotations

import re
import unicodedata

from runoff.query.errors import FilterError
from runoff.query.operators import NEGATION

QUOTE = '"'

# A term starts at the beginning or after whitespace, outside double quotes, with -?IDENT:
TERM_START = re.compile(
    rf"(?P<negated>{re.escape(NEGATION.prefix)}?)(?P<attribute>[A-Za-z_][A-Za-z0-9_]*):"
)


def check_characters(text: str, offset: int = 0) -> None:
    """Raise FilterError at the first character no database can store (NUL, lone surrogate)."""
    for index, char in enumerate(text):
        if char == "\x00" or unicodedata.category(char) == "Cs":
            raise FilterError(offset + index + 1, f"character U+{ord(char):04X} is not allowed")


def term_starts(text: str, offset: int = 0) -> list[re.Match[str]]:
    """Every ``-?IDENT:`` that starts a term in ``text``, in order; known or not.

    Raises FilterError at the last unmatched ``"`` when the double quotes do not pair up.
    """
    check_quotes(text, offset)
    starts: list[re.Match[str]] = []
    inside_quotes = False
    for index, char in enumerate(text):
        if char == QUOTE:
            inside_quotes = not inside_quotes
        elif not inside_quotes and (index == 0 or text[index - 1].isspace()):
            found = TERM_START.match(text, index)
            if found:
                starts.append(found)
    return starts


def check_quotes(text: str, offset: int = 0) -> None:
    """Raise FilterError at the last unmatched ``"`` in ``text``, if any."""
    open_quote: int | None = None
    for index, char in enumerate(text):
        if char == QUOTE:
            open_quote = index if open_quote is None else None
    if open_quote is not None:
        raise FilterError(offset + open_quote + 1, "unbalanced double quote")
