"""Releases (slug + config, numbered v1, v2, ...) and config vars.

Every change of code (deploy) or config creates a release. The *current* release is the newest
one whose status is ``succeeded``; dynos always start from the current release. A release whose
Procfile declares a ``release`` type is created ``pending``: the release phase runs that
command and marks it ``succeeded`` (it becomes current) or ``failed``.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from runoff import ranges
from runoff.apps.model import (
    CONFIG_KEY,
    MAX_ENVIRONMENT_BYTES,
    RELEASE_PHASE_TYPE,
    App,
    Release,
    ReleaseStatus,
    environment_bytes,
)
from runoff.auth.model import User
from runoff.clock import Clock
from runoff.errors import BadRequest, Invalid, NotFound
from runoff.store.rows import new_id
from runoff.store.schema import releases, slugs, users
from runoff.wholes import whole

ReleaseListener = Callable[[App, Release], None]
_KEEP: Any = object()


@dataclass(frozen=True)
class ListRange:
    """A parsed ``Range: version ..; order=desc,max=N`` header."""

    descending: bool = False
    limit: int = 1000
    start: int | None = None
    end: int | None = None


_RANGE = re.compile(r"^\s*(\w+)\s+(\d*)\s*\.\.\s*(\d*)\s*(?:;\s*(.*))?$", re.ASCII)
_INT64_MAX = 2**63 - 1
MAX_CONFIG_NAME = 256
MAX_CONFIG_VALUE = 32 * 1024  # bytes; well under exec's 128 KiB per "KEY=value" string


def parse_range(header: str | None, *, max_limit: int = 1000) -> ListRange:
    if not header:
        return ListRange(limit=max_limit)
    match = _RANGE.match(header)
    if match is None or match.group(1) not in ("version", "id"):
        raise BadRequest(f"Invalid Range header {header!r}: expected `version ..; max=N`")
    descending, limit = ranges.parse_params(match.group(4) or "", max_limit, max_limit)
    start = int(match.group(2)) if match.group(2) and match.group(1) == "version" else None
    end = int(match.group(3)) if match.group(3) and match.group(1) == "version" else None
    if any(bound is not None and bound > _INT64_MAX for bound in (start, end)):
        raise BadRequest("Invalid Range header: version out of range")
    return ListRange(descending=descending, limit=limit, start=start, end=end)


def validate_config_patch(patch: Any) -> dict[str, str | None]:
    if not isinstance(patch, dict):
        raise BadRequest("config vars must be a JSON object of KEY: value (null to unset)")
    checked: dict[str, str | None] = {}
    for key, value in patch.items():
        if not CONFIG_KEY.fullmatch(key):
            raise Invalid(f"Invalid config var name {key!r}: use only letters, digits and _")
        if value is not None and not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise Invalid(f"Config var {key} must be a string or null")
            value = str(value)
        if len(key) > MAX_CONFIG_NAME:
            raise Invalid(
                f"Config var name {key[:40]}… is longer than {MAX_CONFIG_NAME} characters"
            )
        if value is not None and len(value.encode("utf-8", "surrogatepass")) > MAX_CONFIG_VALUE:
            raise Invalid(f"Config var {key} is larger than {MAX_CONFIG_VALUE} bytes")
        if value is not None and "\x00" in value:
            raise Invalid(f"Config var {key} must not contain NUL characters")
        checked[key] = value
    return checked


def describe_config_change(patch: Mapping[str, str | None]) -> str:
    set_keys = [k for k, v in patch.items() if v is not None]
    unset_keys = [k for k, v in patch.items() if v is None]
    parts = []
    if set_keys:
        parts.append(f"Set {', '.join(set_keys)} config vars")
    if unset_keys:
        parts.append(f"Remove {', '.join(unset_keys)} config vars")
    return " and ".join(parts)


class ReleaseService:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self.listeners: list[ReleaseListener] = []
        """Called after a release is created and after its status changes (any thread)."""

    def _query(self) -> Any:
        return (
            select(releases, users.c.email.label("user_email"), slugs.c.process_types)
            .outerjoin(users, users.c.id == releases.c.user_id)
            .outerjoin(slugs, slugs.c.id == releases.c.slug_id)
        )

    @staticmethod
    def _release(row: Any, current_id: str | None = None) -> Release:
        return Release(
            id=row.id,
            app_id=row.app_id,
            version=row.version,
            description=row.description,
            status=ReleaseStatus(row.status),
            slug_id=row.slug_id,
            config=json.loads(row.config),
            user_email=row.user_email,
            created_at=row.created_at,
            updated_at=row.updated_at,
            process_types=json.loads(row.process_types) if row.process_types else {},
            current=row.id == current_id,
        )

    def _current_row(self, conn: Connection, app_id: str) -> Any:
        query = (
            self._query()
            .where(releases.c.app_id == app_id, releases.c.status == ReleaseStatus.SUCCEEDED.value)
            .order_by(releases.c.version.desc())
            .limit(1)
        )
        return conn.execute(query).first()

    def current(self, app_id: str) -> Release | None:
        with self._engine.connect() as conn:
            row = self._current_row(conn, app_id)
        return self._release(row, row.id) if row else None

    def get(self, app_id: str, version_or_id: str) -> Release:
        query = self._query().where(releases.c.app_id == app_id)
        if (version := whole(version_or_id)) is not None:
            query = query.where(releases.c.version == version)
        else:
            query = query.where(releases.c.id == version_or_id)
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            current = self._current_row(conn, app_id)
        if row is None:
            raise NotFound(f"Couldn't find that release: {version_or_id}")
        return self._release(row, current.id if current else None)

    def list(self, app_id: str, window: ListRange) -> list[Release]:
        order = releases.c.version.desc() if window.descending else releases.c.version.asc()
        query = self._query().where(releases.c.app_id == app_id).order_by(order).limit(window.limit)
        if window.start is not None:
            query = query.where(releases.c.version >= window.start)
        if window.end is not None:
            query = query.where(releases.c.version <= window.end)
        with self._engine.connect() as conn:
            rows = list(conn.execute(query))
            current = self._current_row(conn, app_id)
        current_id = current.id if current else None
        return [self._release(row, current_id) for row in rows]

    def create(
        self,
        app: App,
        user: User | None,
        description: str,
        *,
        slug_id: str | None = _KEEP,
        config: dict[str, str] = _KEEP,
    ) -> Release:
        """Create the next release; code or config not given is carried over from the current.

        It is ``pending`` when its Procfile has a ``release`` type, else ``succeeded``."""
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            current = self._current_row(conn, app.id)
            if slug_id is _KEEP:
                slug_id = current.slug_id if current else None
            if config is _KEEP:
                config = json.loads(current.config) if current else {}
            status = ReleaseStatus.SUCCEEDED
            if slug_id is not None:
                owned = conn.execute(
                    select(slugs.c.process_types).where(
                        slugs.c.id == slug_id, slugs.c.app_id == app.id
                    )
                ).first()
                if owned is None:
                    raise NotFound(f"Couldn't find that slug: {slug_id}")
                if RELEASE_PHASE_TYPE in json.loads(owned.process_types):
                    status = ReleaseStatus.PENDING
            version = (
                conn.execute(
                    select(func.max(releases.c.version)).where(releases.c.app_id == app.id)
                ).scalar()
                or 0
            ) + 1
            release_id = new_id()
            conn.execute(
                releases.insert().values(
                    id=release_id,
                    app_id=app.id,
                    version=version,
                    description=description,
                    status=status.value,
                    slug_id=slug_id,
                    config=json.dumps(config, sort_keys=True),
                    user_id=user.id if user else None,
                    created_at=now,
                    updated_at=now,
                )
            )
            row = conn.execute(self._query().where(releases.c.id == release_id)).one()
        release = self._release(row, release_id if status is ReleaseStatus.SUCCEEDED else None)
        for listener in self.listeners:
            listener(app, release)
        return release

    def set_status(self, app: App, release: Release, status: ReleaseStatus) -> Release:
        """Settle a pending release; returns it as stored (``current`` if it became so)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(releases)
                .where(releases.c.id == release.id)
                .values(status=status.value, updated_at=self._clock.now_us())
            )
        settled = self.get(app.id, release.id)
        for listener in self.listeners:
            listener(app, settled)
        return settled

    def pending(self) -> builtins.list[Release]:
        """Every release still waiting for its release phase, oldest first."""
        query = (
            self._query()
            .where(releases.c.status == ReleaseStatus.PENDING.value)
            .order_by(releases.c.created_at)
        )
        with self._engine.connect() as conn:
            return [self._release(row) for row in conn.execute(query)]

    # config vars -----------------------------------------------------------------------------
    def config(self, app_id: str) -> dict[str, str]:
        current = self.current(app_id)
        return dict(current.config) if current else {}

    def update_config(self, app: App, user: User | None, patch: Any) -> dict[str, str]:
        """Apply ``patch`` (``null`` unsets); a change creates a release. Returns the new config."""
        checked = validate_config_patch(patch)
        config = self.config(app.id)
        updated = dict(config)
        for key, value in checked.items():
            if value is None:
                updated.pop(key, None)
            else:
                updated[key] = value
        if updated != config and environment_bytes(updated) > MAX_ENVIRONMENT_BYTES:
            raise Invalid(
                f"Config vars would total {environment_bytes(updated)} bytes as an environment; "
                f"at most {MAX_ENVIRONMENT_BYTES} fit in a dyno's environment"
            )
        if updated != config:
            self.create(app, user, describe_config_change(checked), config=updated)
        return updated
