"""Provisioning the One-off Dyno Metrics add-on: create, list, change plan, destroy.

One add-on per app. Its ``created_at`` is when recording starts: runs of dynos created
before it are not recorded. Destroying it deletes, in one transaction, every row of the
add-on (runs, events, series, rollups, and through ``destroy_hooks`` and ``ON DELETE
CASCADE`` the rows of features built on it, such as monitors and alerts); it cannot be undone.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.exc import IntegrityError

from runoff.apps.model import App
from runoff.clock import Clock
from runoff.errors import Conflict, NotFound
from runoff.metrics.model import Addon
from runoff.metrics.plans import DEFAULT_PLAN, SERVICE, Plan, plan_named
from runoff.store.rows import new_id
from runoff.store.schema import (
    addons,
    apps,
    metrics_events,
    metrics_peaks,
    metrics_rollups,
    metrics_runs,
    metrics_series,
)

DestroyHook = Callable[[Connection, Addon], None]


def _addon(row: Any) -> Addon:
    return Addon(
        id=row.id,
        app_id=row.app_id,
        app_name=row.app_name,
        service=row.service,
        name=row.name,
        plan=row.plan,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _query() -> Any:
    return select(addons, apps.c.name.label("app_name")).join(apps, apps.c.id == addons.c.app_id)


def not_provisioned(app_name: str) -> NotFound:
    return NotFound(
        f"One-off Dyno Metrics is not provisioned for {app_name}: "
        f"run `runoff addons:create {SERVICE} -a {app_name}` first."
    )


class AddonService:
    def __init__(
        self, engine: Engine, clock: Clock, destroy_hooks: Sequence[DestroyHook] = ()
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.destroy_hooks: list[DestroyHook] = list(destroy_hooks)
        """Called inside the destroy transaction, before the add-on's own rows go."""

    def provision(self, app: App, plan_name: str | None = None) -> Addon:
        """Provision ``SERVICE`` for ``app``; Conflict if it already has it."""
        plan = plan_named(plan_name or DEFAULT_PLAN)
        now = self._clock.now_us()
        addon_id = new_id()
        name = f"{SERVICE}-{secrets.token_hex(4)}"
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    addons.insert().values(
                        id=addon_id,
                        app_id=app.id,
                        service=SERVICE,
                        name=name,
                        plan=plan.name,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError:
            raise Conflict(f"{app.name} already has {SERVICE}; see `runoff addons`.") from None
        return Addon(addon_id, app.id, app.name, SERVICE, name, plan.name, now, now)

    def of_apps(self, app_ids: list[str]) -> list[Addon]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                _query().where(addons.c.app_id.in_(app_ids)).order_by(addons.c.name)
            )
            return [_addon(row) for row in rows]

    def list(self, app: App) -> list[Addon]:
        return self.of_apps([app.id])

    def by_id(self, addon_id: str) -> Addon | None:
        with self._engine.connect() as conn:
            row = conn.execute(_query().where(addons.c.id == addon_id)).first()
        return None if row is None else _addon(row)

    def for_app(self, app_id: str) -> Addon | None:
        """The app's One-off Dyno Metrics add-on, if provisioned."""
        with self._engine.connect() as conn:
            row = conn.execute(
                _query().where(addons.c.app_id == app_id, addons.c.service == SERVICE)
            ).first()
        return None if row is None else _addon(row)

    def require(self, app: App) -> Addon:
        """The app's add-on, or NotFound saying it is not provisioned."""
        found = self.for_app(app.id)
        if found is None:
            raise not_provisioned(app.name)
        return found

    def get(self, app: App, ref: str) -> Addon:
        """By add-on name, id, service name (``one-off-metrics``) or ``service:plan``."""
        service = ref.partition(":")[0]
        for addon in self.list(app):
            if ref in (addon.id, addon.name) or service == addon.service:
                return addon
        raise NotFound(f"Couldn't find that add-on: {ref} on {app.name}")

    def find(self, ref: str) -> Addon:
        """Any app's add-on by its (globally unique) name or id; the caller checks access."""
        with self._engine.connect() as conn:
            row = conn.execute(
                _query().where((addons.c.name == ref) | (addons.c.id == ref))
            ).first()
        if row is None:
            raise NotFound(f"Couldn't find that add-on: {ref}")
        return _addon(row)

    def change_plan(self, app: App, ref: str, plan_name: str) -> Addon:
        addon = self.get(app, ref)
        plan = plan_named(plan_name)
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            conn.execute(
                update(addons).where(addons.c.id == addon.id).values(plan=plan.name, updated_at=now)
            )
        return Addon(**{**addon.__dict__, "plan": plan.name, "updated_at": now})

    def destroy(self, app: App, ref: str) -> Addon:
        addon = self.get(app, ref)
        with self._engine.begin() as conn:
            for hook in self.destroy_hooks:
                hook(conn, addon)
            # Children first: explicit deletes keep SQLite from checking cascades row by row.
            tables = (metrics_peaks, metrics_rollups, metrics_events, metrics_runs, metrics_series)
            for table in tables:
                conn.execute(delete(table).where(table.c.addon_id == addon.id))
            conn.execute(delete(addons).where(addons.c.id == addon.id))
        return addon

    @staticmethod
    def plan_of(addon: Addon) -> Plan:
        return plan_named(addon.plan)
