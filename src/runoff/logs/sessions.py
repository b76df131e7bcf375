"""Log sessions: a short-lived URL that streams an app's logs without a bearer token.

``POST /apps/{app}/log-sessions`` records the filters and returns ``logplex_url``, which
carries a random secret (only its hash is stored). The URL stays valid until it expires, so a
tailing client can reconnect to it.

Reading logs must work when nothing can be written (a full disk): a session the store cannot
take is kept in this server's memory instead (bounded; valid on this server only), so
``heroku logs`` still answers with what is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select

from runoff.clock import US_PER_SECOND, Clock
from runoff.errors import InsufficientStorage, Invalid, NotFound
from runoff.logs.model import SOURCES, StreamFilter
from runoff.store import faults
from runoff.store.rows import new_id
from runoff.store.schema import log_sessions
from runoff.wholes import whole

MAX_LINES = 10_000
DEFAULT_LINES = 100
MAX_UNSTORED = 1_000  # sessions kept in memory while the store cannot take them


@dataclass(frozen=True)
class LogSession:
    id: str
    app_id: str
    filter: StreamFilter
    lines: int
    tail: bool
    json: bool
    created_at: int
    expires_at: int
    redacted: bool = False  # for a principal that may not read config vars: values hidden


def _strings(body: dict[str, Any], *keys: str) -> tuple[str, ...]:
    values: list[str] = []
    for key in keys:
        raw = body.get(key)
        if raw is None or raw == "":
            continue
        items = raw if isinstance(raw, list) else [raw]
        for item in items:
            if not isinstance(item, str) or not item:
                raise Invalid(f"{key} must be a string or a list of strings")
            values.extend(part for part in item.split(",") if part)
    return tuple(values)


def parse_request(body: Any) -> tuple[StreamFilter, int, bool, bool]:
    """Validate a log-session body (``dyno``/``dyno_name``/``type``, ``source``, ``lines``,
    ``tail``, ``format``); returns the filter, line count, tail flag and JSON flag."""
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    dynos = _strings(body, "dyno", "dyno_name", "type")
    sources = _strings(body, "source")
    for source in sources:
        if source not in SOURCES:
            raise Invalid(f"source must be one of {', '.join(SOURCES)}, got {source!r}")
    lines = body.get("lines", DEFAULT_LINES)
    if isinstance(lines, str) and (number := whole(lines)) is not None:
        lines = number
    if isinstance(lines, bool) or not isinstance(lines, int) or not 0 <= lines <= MAX_LINES:
        raise Invalid(f"lines must be a whole number from 0 to {MAX_LINES}")
    tail = bool(body.get("tail", False))
    as_json = body.get("format") == "json"
    return StreamFilter(dynos=dynos, sources=sources), lines, tail, as_json


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class LogSessions:
    def __init__(self, engine: Engine, clock: Clock, ttl_seconds: int) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl_us = ttl_seconds * US_PER_SECOND
        self._unstored: dict[str, tuple[str, LogSession]] = {}  # id -> (secret hash, session)
        self._lock = threading.Lock()

    def create(
        self,
        app_id: str,
        flt: StreamFilter,
        lines: int,
        tail: bool,
        as_json: bool,
        *,
        redacted: bool = False,
    ) -> tuple[LogSession, str]:
        """Record a session; returns it and the secret for its URL. ``redacted``: its stream
        hides config var values (the URL carries no trace of that, so it cannot be undone)."""
        now = self._clock.now_us()
        secret = secrets.token_urlsafe(32)
        session = LogSession(
            new_id(), app_id, flt, lines, tail, as_json, now, now + self._ttl_us, redacted
        )
        filters = {
            "dynos": list(flt.dynos),
            "sources": list(flt.sources),
            "lines": lines,
            "tail": tail,
            "json": as_json,
            "redacted": redacted,
        }
        try:
            with self._engine.begin() as conn:
                conn.execute(delete(log_sessions).where(log_sessions.c.expires_at < now))
                conn.execute(
                    log_sessions.insert().values(
                        id=session.id,
                        app_id=app_id,
                        secret_sha256=_hash(secret),
                        filters=json.dumps(filters),
                        created_at=now,
                        expires_at=session.expires_at,
                    )
                )
        except Exception as exc:
            if not isinstance(faults.classify(exc), InsufficientStorage):
                raise
            self._keep_unstored(session, secret, now)
        return session, secret

    def _keep_unstored(self, session: LogSession, secret: str, now: int) -> None:
        with self._lock:
            for key, (_, kept) in list(self._unstored.items()):
                if kept.expires_at <= now:
                    del self._unstored[key]
            if len(self._unstored) >= MAX_UNSTORED:
                del self._unstored[next(iter(self._unstored))]  # the oldest
            self._unstored[session.id] = (_hash(secret), session)

    def resolve(self, session_id: str, secret: str) -> LogSession:
        """The live session for this id and secret; ``NotFound`` otherwise (no hint which)."""
        with self._lock:
            kept = self._unstored.get(session_id)
        if kept is not None and hmac.compare_digest(kept[0], _hash(secret)):
            if kept[1].expires_at <= self._clock.now_us():
                raise NotFound("Couldn't find that log session (it may have expired)")
            return kept[1]
        query = select(log_sessions).where(
            log_sessions.c.id == session_id, log_sessions.c.secret_sha256 == _hash(secret)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at <= self._clock.now_us():
            raise NotFound("Couldn't find that log session (it may have expired)")
        filters = json.loads(row.filters)
        return LogSession(
            id=row.id,
            app_id=row.app_id,
            filter=StreamFilter(tuple(filters["dynos"]), tuple(filters["sources"])),
            lines=filters["lines"],
            tail=filters["tail"],
            json=filters["json"],
            created_at=row.created_at,
            expires_at=row.expires_at,
            redacted=bool(filters.get("redacted", False)),
        )
