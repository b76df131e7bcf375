"""Whole numbers read from untrusted text: one rule for every route and field."""

from __future__ import annotations

MAX_DIGITS = 18  # any such number fits the databases' signed 64-bit integers


def whole(text: str) -> int | None:
    """The number ``text`` spells in ASCII digits (spaces around allowed), or None for anything
    else: a sign, ``"²"`` or ``"٣"`` (``str.isdigit`` accepts them, ``int`` does not), or more
    than ``MAX_DIGITS`` digits."""
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= MAX_DIGITS:
        return int(text)
    return None
