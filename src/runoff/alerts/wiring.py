"""Monitors and alerts as one part of the platform: built, started and stopped together.

``Monitoring`` subscribes the engine to the metrics recorder's run changes, wakes the sender
when the engine (or the API) makes a flip, and registers the add-on destroy hook that deletes
every monitor, alert, notification and setting of the add-on in the destroying transaction.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, delete

from runoff.alerts.email import EmailChannel, SmtpConfig
from runoff.alerts.sender import AlertSender, Retry
from runoff.alerts.service import AlertService
from runoff.clock import Clock
from runoff.dynos.store import DynoStore
from runoff.logs.store import LogStore
from runoff.metrics import MetricsService
from runoff.metrics.model import Addon
from runoff.monitors.describe_change import ChangeDescriber
from runoff.monitors.engine import MonitorEngine
from runoff.monitors.service import MonitorService
from runoff.settings import Settings
from runoff.store.schema import (
    alert_deliveries,
    alert_emails,
    alert_flips,
    alert_webhooks,
    alerts,
    monitor_marks,
    monitor_runs,
    monitors,
)

# Children first: explicit deletes keep SQLite from checking cascades row by row.
ADDON_TABLES = (
    alert_deliveries,
    alert_flips,
    alerts,
    monitor_marks,
    monitor_runs,
    alert_webhooks,
    alert_emails,
    monitors,
)


def destroy_addon_rows(conn: Connection, addon: Addon) -> None:
    """An ``AddonService.destroy_hooks`` entry: delete the add-on's monitoring rows."""
    for table in ADDON_TABLES:
        conn.execute(delete(table).where(table.c.addon_id == addon.id))


class Monitoring:
    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        clock: Clock,
        dynos: DynoStore,
        logs: LogStore,
        metrics: MetricsService,
    ) -> None:
        smtp = SmtpConfig.parse(settings.smtp_url) if settings.smtp_url else None
        retry = Retry(settings.alert_retry_seconds, settings.alert_max_attempts)
        self.sender = AlertSender(
            engine, clock, EmailChannel(smtp, settings.smtp_from), retry=retry
        )
        describer = ChangeDescriber(settings.base_url)
        self.engine = MonitorEngine(engine, clock, dynos, logs, describer, self.sender.wake)
        self.monitors = MonitorService(
            engine,
            clock,
            metrics.addons,
            settings.base_url,
            self.sender.wake,
            on_change=self.engine.refresh_watched,
        )
        self.alerts = AlertService(engine, clock, metrics.addons, dynos, logs)
        metrics.recorder.subscribe(self.engine.on_run_change)

    def start(self) -> None:
        self.engine.start()
        self.sender.start()

    def stop(self) -> None:
        """Evaluate what is queued, then send what is due, then stop."""
        self.engine.stop()
        self.sender.stop()
