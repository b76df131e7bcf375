"""Keeping config var values out of everything that leaves runoff about a run.

A command or log line shown in an alert (e-mail, webhook, API alert body) first goes through
a ``Redactor`` holding the values of every config var of the app (its current release and
the release the run used): each occurrence of a value becomes ``[REDACTED]``, longest values
first so a value containing another is hidden whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, select

from runoff.store.schema import dynos, releases

REDACTED = "[REDACTED]"
COMMAND_EXCERPT = 200  # characters of a command shown, after redaction


class Redactor:
    def __init__(self, values: Iterable[str]) -> None:
        secrets = sorted({v for v in values if v}, key=lambda v: (-len(v), v))
        self._pattern = re.compile("|".join(re.escape(v) for v in secrets)) if secrets else None

    def __call__(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(REDACTED, text)

    def excerpt(self, command: str, limit: int = COMMAND_EXCERPT) -> str:
        """Part of ``command``: redacted first, then cut to ``limit`` characters with ``…``."""
        shown = self(command)
        return shown if len(shown) <= limit else shown[: limit - 1] + "…"


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
    values: list[str] = []
    for (config,) in conn.execute(query):
        values += [str(v) for v in json.loads(config).values() if v is not None]
    return Redactor(values)


def for_runs(engine: Engine, app_id: str, dyno_ids: Iterable[str]) -> Redactor:
    """A Redactor for a list of the app's runs: the config vars of its current release and of
    every release those runs used (a value changed since is still hidden in older runs)."""
    ids = sorted(set(dyno_ids))
    with engine.connect() as conn:
        used = conn.execute(select(dynos.c.release_id).where(dynos.c.id.in_(ids)).distinct())
        return for_app(conn, app_id, used.scalars().all() if ids else ())
