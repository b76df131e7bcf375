"""Monitors as the API offers them: list, show, create, update (enable/disable), destroy.

Monitors belong to the app's One-off Dyno Metrics add-on: every operation needs it
provisioned, and its plan limits how many monitors the app may have (checked in the
creating transaction, so concurrent creations cannot overshoot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, select

from runoff.apps.model import App
from runoff.clock import Clock
from runoff.metrics.addons import AddonService
from runoff.monitors import store
from runoff.monitors.describe import flip_detail
from runoff.monitors.evaluate import Step, set_enabled
from runoff.monitors.model import Monitor, MonitorState, Progress
from runoff.monitors.spec import parse_create, parse_update
from runoff.monitors.store import StaleMonitor
from runoff.store.schema import (
    addons,
    alert_deliveries,
    alert_flips,
    alerts,
    monitor_runs,
    monitors,
)

RETRIES = 10


class MonitorService:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        addons: AddonService,
        public_url: str,
        on_flip: Callable[[], None],
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        """``on_flip`` is called after a change that made a flip to send; ``on_change``
        after any monitor was created, changed or deleted."""
        self._engine = engine
        self._clock = clock
        self._addons = addons
        self._public_url = public_url
        self._on_flip = on_flip
        self._on_change = on_change

    def list(self, app: App) -> list[Monitor]:
        addon = self._addons.require(app)
        with self._engine.connect() as conn:
            return store.listed(conn, addon.id)

    def get(self, app: App, ref: str) -> Monitor:
        addon = self._addons.require(app)
        with self._engine.connect() as conn:
            return store.load(conn, addon.id, ref)

    def create(self, app: App, body: object) -> Monitor:
        addon = self._addons.require(app)
        spec = parse_create(body)
        plan = self._addons.plan_of(addon)
        with self._engine.begin() as conn:
            # Lock the add-on's row so concurrent creations count one after another.
            conn.execute(select(addons.c.id).where(addons.c.id == addon.id).with_for_update())
            plan.check_monitors(store.count(conn, addon.id))
            monitor_id = store.insert(conn, addon.id, app.id, spec, self._clock.now_us())
            created = store.load(conn, addon.id, monitor_id)
        self._on_change()
        return created

    def update(self, app: App, ref: str, body: object) -> Monitor:
        """Change a monitor's settings. A change of rules or filters starts its counting
        afresh (an open alert stays open until it recovers); disabling an alerting monitor
        resolves its alert, which is notified."""
        addon = self._addons.require(app)
        for _ in range(RETRIES):
            try:
                with self._engine.begin() as conn:
                    current = store.load(conn, addon.id, ref, lock=True)
                    spec = parse_update(body, store.spec_of(current))
                    now = self._clock.now_us()
                    values = store.spec_values(spec)
                    toggled = set_enabled(current.progress, spec.enabled)
                    if toggled.flip is None:
                        progress = current.progress
                        if spec.rules != current.rules or spec.filters != current.filters:
                            progress = Progress(progress.state, "", 0, progress.notified_at)
                            values["counting_since"] = now
                        toggled = Step(progress, None)
                    elif spec.enabled:
                        values["counting_since"] = now
                    detail = self._toggle_detail(app, current, toggled, now)
                    flip = store.apply_step(conn, current, addon.id, toggled, now, detail, values)
                    updated = store.load(conn, addon.id, current.id)
            except StaleMonitor:
                continue
            self._on_change()
            if flip is not None:
                self._on_flip()
            return updated
        raise StaleMonitor(f"gave up updating {ref} after {RETRIES} conflicts")

    def _toggle_detail(
        self, app: App, monitor: Monitor, result: Step, now: int
    ) -> dict[str, Any] | None:
        if result.flip is None:
            return None
        disabled = result.progress.state is MonitorState.DISABLED
        reason = "the monitor was disabled" if disabled else "the monitor was enabled"
        if monitor.progress.state is MonitorState.ALERTING:
            reason = f"Resolved: {reason}"
        return flip_detail(
            public_url=self._public_url,
            app_name=app.name,
            monitor=monitor,
            kind=result.flip,
            at=now,
            runs=[],
            running=None,
            reason=reason,
        )

    def destroy(self, app: App, ref: str) -> Monitor:
        """Delete a monitor with its alerts and their notifications (sent or not)."""
        addon = self._addons.require(app)
        with self._engine.begin() as conn:
            monitor = store.load(conn, addon.id, ref, lock=True)
            flips = select(alert_flips.c.id).where(alert_flips.c.monitor_id == monitor.id)
            conn.execute(delete(alert_deliveries).where(alert_deliveries.c.flip_id.in_(flips)))
            conn.execute(delete(alert_flips).where(alert_flips.c.monitor_id == monitor.id))
            conn.execute(delete(alerts).where(alerts.c.monitor_id == monitor.id))
            conn.execute(delete(monitor_runs).where(monitor_runs.c.monitor_id == monitor.id))
            conn.execute(delete(monitors).where(monitors.c.id == monitor.id))
        self._on_change()
        return monitor
