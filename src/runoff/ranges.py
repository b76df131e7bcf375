"""Heroku's list ranges: ``Range: id ]abc..; max=200, order=desc`` in, ``Next-Range`` out.

A list request may name the attribute it pages by, a first value (``]`` before it: strictly
after it), a last value, and ``max`` (default 200, at most 1,000) and ``order``. A page that
stops short of the end is answered 206 with ``Next-Range``, the header to send for the page
after it; the last page is answered 200 without one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from runoff.errors import BadRequest

DEFAULT_MAX = 200
MAX_MAX = 1000
MAX_VALUE_LENGTH = 256
_RANGE = re.compile(
    r"^\s*(?P<attr>[a-z_]+)\s+(?P<after>\]?)(?P<first>[^\s;]*?)\s*\.\.\s*"
    r"(?P<last>[^\s;\[]*)(?P<before>\[?)\s*(?:;\s*(?P<params>.*))?$",
    re.ASCII,
)


@dataclass(frozen=True)
class Page:
    """One page of a list, in ``attr`` order: values from ``first`` (excluded when ``after``)
    up to ``last`` (excluded when ``before``; None: no bound), at most ``limit`` items."""

    attr: str
    first: str | None = None
    after: bool = False
    last: str | None = None
    before: bool = False
    descending: bool = False
    limit: int = DEFAULT_MAX

    def key(self, item: object) -> str:
        """The value ``item`` is paged by (its attribute named ``attr``)."""
        return str(getattr(item, self.attr))

    def bounds(self) -> tuple[str | None, bool, str | None, bool]:
        """(lowest value, whether excluded, highest value, whether excluded); None: no bound.
        The first value is where the order starts: the highest one when descending."""
        if self.descending:
            return self.last, self.before, self.first, self.after
        return self.first, self.after, self.last, self.before

    def holds(self, item: object) -> bool:
        """Whether ``item`` falls within the page's bounds (its limit aside)."""
        value = self.key(item)
        low, low_open, high, high_open = self.bounds()
        if low is not None and (value <= low if low_open else value < low):
            return False
        return high is None or (value < high if high_open else value <= high)

    def next_range(self, last_value: str) -> str:
        """The ``Next-Range`` of a page whose last item has ``last_value``."""
        order = ", order=desc" if self.descending else ""
        return f"{self.attr} ]{last_value}..; max={self.limit}{order}"

    def content_range(self, first_value: str, last_value: str) -> str:
        return f"{self.attr} {first_value}..{last_value}"


def parse_params(text: str, default_limit: int, max_limit: int) -> tuple[bool, int]:
    """A Range header's ``; order=desc, max=N`` part: (descending, limit)."""
    descending, limit = False, default_limit
    for part in re.split(r"[,;]", text):
        key, _, value = part.strip().partition("=")
        if key == "order":
            if value not in ("asc", "desc"):
                raise BadRequest(f"Invalid Range header: order must be asc or desc, got {value!r}")
            descending = value == "desc"
        elif key == "max":
            if not (value.isascii() and value.isdigit()) or int(value) < 1:
                raise BadRequest(
                    f"Invalid Range header: max must be a positive integer, got {value[:40]!r}"
                )
            limit = min(int(value), max_limit)
        elif key:
            raise BadRequest(f"Invalid Range header: unknown parameter {key[:40]!r}")
    return descending, limit


def parse(header: str, attrs: tuple[str, ...]) -> Page:
    """The page a ``Range`` header asks for, paging by one of ``attrs``.

    Raises ``BadRequest`` naming what is wrong: an unknown attribute or parameter, a ``max``
    that is not a positive integer, an ``order`` other than asc or desc.
    """
    match = _RANGE.match(header)
    if match is None:
        raise BadRequest(f"Invalid Range header {header[:100]!r}: expected `id ..; max=N`")
    attr = match["attr"]
    if attr not in attrs:
        raise BadRequest(f"Invalid Range header: ranges are by {' or '.join(attrs)}, not {attr!r}")
    first, last = match["first"] or None, match["last"] or None
    if any(v is not None and len(v) > MAX_VALUE_LENGTH for v in (first, last)):
        raise BadRequest("Invalid Range header: a bound is too long")
    descending, limit = parse_params(match["params"] or "", DEFAULT_MAX, MAX_MAX)
    after, before = bool(match["after"]), bool(match["before"])
    return Page(attr, first, after, last, before, descending, limit)
