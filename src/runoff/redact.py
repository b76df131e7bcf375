"""Keeping config var values out of everything that leaves runoff about a run.

A command or log text shown outside (e-mail, webhook, guidance, the alerts API, the dashboard,
the dynos API to a principal that may not read config) first goes through a ``Redactor``
holding the app's secrets: each occurrence of one becomes ``[REDACTED]``. Text holding no
secret comes out byte for byte unchanged. What counts as a secret (``secrets_of``):

- a var whose name says so (``*_KEY``, ``*SECRET*``, ``*TOKEN*``, ``*PASSWORD*``, ``*PASS``,
  ``*_URL``, case-insensitive): its whole value, whatever its shape; a value shorter than
  ``MIN_SUBSTRING`` characters only as a whole token (not inside a longer run of letters,
  digits and ``_``), so ``DB_PASS=ab`` does not blank every ``ab`` of a word;
- any value that is a URL with credentials (``scheme://user:pw@host``): the whole value and
  its ``user:pw`` part;
- any other value of at least ``MIN_MIXED`` characters holding both a letter and a digit, or
  of at least ``MIN_PLAIN`` characters. Shorter values (``2``, ``true``, ``production``) are
  settings, not secrets: hiding them would blank every ``2`` of a timestamp.

Log records of a line longer than the maximum line size are stored split; ``lines`` redacts a
sequence of records as one joined text, so a secret across a split is still found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Engine, select

from runoff.store.schema import dynos, releases

REDACTED = "[REDACTED]"
COMMAND_EXCERPT = 200  # characters of a command shown, after redaction
MIN_SUBSTRING = 4  # a named secret shorter than this is matched as a whole token only
MIN_MIXED = 8  # an unnamed value with letters and digits is a secret from this length
MIN_PLAIN = 16  # any unnamed value is a secret from this length

_SECRET_NAME = re.compile(r"(_KEY$|SECRET|TOKEN|PASSWORD|PASS$|_URL$)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/@\s]+:[^/@\s]*)@")
_WORD = "A-Za-z0-9_"


def secrets_of(name: str | None, value: str) -> tuple[set[str], set[str]]:
    """The (substrings, whole tokens) to hide for config var ``name`` set to ``value``;
    ``name`` None for a value whose name is unknown."""
    if not value:
        return set(), set()
    credentials = _URL_CREDENTIALS.match(value)
    if credentials:
        return {value, credentials.group(1)}, set()
    if name is not None and _SECRET_NAME.search(name):
        return ({value}, set()) if len(value) >= MIN_SUBSTRING else (set(), {value})
    mixed = any(c.isalpha() for c in value) and any(c.isdigit() for c in value)
    if len(value) >= MIN_PLAIN or (mixed and len(value) >= MIN_MIXED):
        return {value}, set()
    return set(), set()


class Redactor:
    """Hides the secrets (see ``secrets_of``) of config vars."""

    def __init__(self, values: Iterable[str] = (), named: Iterable[tuple[str, str]] = ()) -> None:
        """``values`` of unknown names, ``named`` (name, value) pairs; a name may repeat."""
        pairs: list[tuple[str | None, str]] = [(None, v) for v in values]
        pairs += list(named)
        substrings: set[str] = set()
        tokens: set[str] = set()
        for name, value in pairs:
            found, whole = secrets_of(name, value)
            substrings |= found
            tokens |= whole
        alternatives = [re.escape(v) for v in sorted(substrings, key=lambda v: (-len(v), v))]
        alternatives += [
            rf"(?<![{_WORD}]){re.escape(v)}(?![{_WORD}])"
            for v in sorted(tokens, key=lambda v: (-len(v), v))
        ]
        self._pattern = re.compile("|".join(alternatives)) if alternatives else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def lines(self, parts: Sequence[str]) -> list[str]:
        """``parts`` (consecutive log records) redacted as their joined text: each record's
        share of a secret, even one across records, becomes ``[REDACTED]``."""
        if self._pattern is None:
            return list(parts)
        joined = "".join(parts)
        hidden = [m.span() for m in self._pattern.finditer(joined)]
        if not hidden:
            return list(parts)
        shown: list[str] = []
        start = 0
        for part in parts:
            end = start + len(part)
            shown.append(_hide(part, start, end, hidden))
            start = end
        return shown

    def excerpt(self, command: str, limit: int = COMMAND_EXCERPT) -> str:
        """Part of ``command``: redacted first, then cut to ``limit`` characters with ``…``."""
        shown = self(command)
        return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _hide(part: str, start: int, end: int, hidden: list[tuple[int, int]]) -> str:
    """``part`` (at ``start:end`` of the joined text) with its share of each span hidden."""
    out: list[str] = []
    at = start
    for low, high in hidden:
        if high <= start or low >= end:
            continue
        low, high = max(low, start), min(high, end)
        out += [part[at - start : low - start], REDACTED]
        at = high
    out.append(part[at - start :])
    return "".join(out)


def for_app(conn: Connection, app_id: str, release_ids: Iterable[str | None] = ()) -> Redactor:
    """A Redactor for the config vars of the app's current release and of ``release_ids``."""
    wanted = {r for r in release_ids if r}
    newest = (
        select(releases.c.id)
        .where(releases.c.app_id == app_id)
        .order_by(releases.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    query = select(releases.c.config).where(
        releases.c.app_id == app_id, (releases.c.id == newest) | releases.c.id.in_(wanted)
    )
    pairs: list[tuple[str, str]] = []
    for (config,) in conn.execute(query):
        pairs += [(k, str(v)) for k, v in json.loads(config).items() if v is not None]
    return Redactor(named=pairs)


def for_runs(engine: Engine, app_id: str, dyno_ids: Iterable[str]) -> Redactor:
    """A Redactor for a list of the app's runs: the config vars of its current release and of
    every release those runs used (a value changed since is still hidden in older runs)."""
    ids = sorted(set(dyno_ids))
    with engine.connect() as conn:
        used = conn.execute(select(dynos.c.release_id).where(dynos.c.id.in_(ids)).distinct())
        return for_app(conn, app_id, used.scalars().all() if ids else ())
