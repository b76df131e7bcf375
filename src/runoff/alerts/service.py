"""Alerts as the API offers them: list and show alerts with their notifications, the
add-on's additional e-mail addresses and webhooks, and guidance for one run."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select

from runoff import redact
from runoff.alerts import recipients
from runoff.alerts.webhook import FORMATS, check_url
from runoff.apps.model import App
from runoff.clock import Clock, iso
from runoff.dynos.store import DynoStore
from runoff.errors import Invalid, NotFound
from runoff.logs.store import LogStore
from runoff.metrics.addons import AddonService
from runoff.monitors.describe import Describer, log_excerpt
from runoff.store.rows import new_id
from runoff.store.schema import (
    addons,
    alert_deliveries,
    alert_emails,
    alert_flips,
    alert_webhooks,
    alerts,
    monitors,
)
from runoff.wholes import whole

STATUSES = ("open", "resolved")
Rows = list[dict[str, Any]]
MAX_WEBHOOKS = 10
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


def _addresses(emails: list[str]) -> list[str]:
    """The distinct addresses, trimmed and lowercased; Invalid for one that is not one."""
    cleaned = sorted({e.strip().lower() for e in emails if e.strip()})
    for email in cleaned:
        if not _EMAIL.match(email) or len(email) > 254:
            raise Invalid(f"{email!r} is not an e-mail address")
    return cleaned


def _alert(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "number": row.number,
        "status": row.status,
        "monitor": {"id": row.monitor_id, "name": row.monitor_name, "type": row.monitor_type},
        "opened_at": iso(row.opened_at),
        "resolved_at": iso(row.resolved_at),
        "detail": json.loads(row.detail),
    }


def _alerts_query(addon_id: str) -> Any:
    return (
        select(
            alerts,
            monitors.c.name.label("monitor_name"),
            monitors.c.type.label("monitor_type"),
        )
        .join(monitors, monitors.c.id == alerts.c.monitor_id)
        .where(alerts.c.addon_id == addon_id)
    )


def _delivery(row: Any, hooks: dict[str, str]) -> dict[str, Any]:
    target = json.loads(row.target) if row.channel == "email" else hooks.get(row.target)
    return {
        "channel": row.channel,
        "to": target,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": iso(row.next_attempt_at) if row.status == "pending" else None,
        "sent_at": iso(row.sent_at),
    }


class AlertService:
    def __init__(
        self, engine: Engine, clock: Clock, addons: AddonService, dynos: DynoStore, logs: LogStore
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._addons = addons
        self._dynos = dynos
        self._logs = logs

    # alerts ----------------------------------------------------------------------------------
    def list_alerts(self, app: App, status: str | None = None, limit: int = 100) -> Rows:
        """The add-on's alerts, newest first; ``status`` keeps open or resolved ones."""
        if status is not None and status not in STATUSES:
            raise Invalid("status must be open or resolved")
        addon = self._addons.require(app)
        query = _alerts_query(addon.id).order_by(alerts.c.number.desc()).limit(limit)
        if status is not None:
            query = query.where(alerts.c.status == status)
        with self._engine.connect() as conn:
            return [_alert(row) for row in conn.execute(query)]

    def get(self, app: App, ref: str) -> dict[str, Any]:
        """One alert (by number or id) with each notification and its deliveries."""
        addon = self._addons.require(app)
        query = _alerts_query(addon.id)
        number = whole(ref)
        query = (
            query.where(alerts.c.number == number)
            if number is not None
            else query.where(alerts.c.id == ref)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
            if row is None:
                raise NotFound(f"Couldn't find that alert: {ref}")
            found = _alert(row)
            found["notifications"] = self._notifications(conn, addon.id, row.id)
        return found

    def _notifications(self, conn: Connection, addon_id: str, alert_id: str) -> list[Any]:
        hooks = {h.id: h.url for h in recipients.webhooks(conn, addon_id)}
        flips = conn.execute(
            select(alert_flips).where(alert_flips.c.alert_id == alert_id).order_by(alert_flips.c.id)
        ).all()
        deliveries = conn.execute(
            select(alert_deliveries)
            .where(alert_deliveries.c.flip_id.in_([f.id for f in flips]))
            .order_by(alert_deliveries.c.created_at, alert_deliveries.c.id)
        ).all()
        return [
            {
                "kind": flip.kind,
                "at": iso(flip.at),
                "reason": json.loads(flip.detail).get("reason"),
                "claimed_at": iso(flip.processed_at),
                "deliveries": [_delivery(d, hooks) for d in deliveries if d.flip_id == flip.id],
            }
            for flip in flips
        ]

    # where alerts go -------------------------------------------------------------------------
    def notifications(self, app: App) -> dict[str, Any]:
        addon = self._addons.require(app)
        with self._engine.connect() as conn:
            return {
                "recipients": recipients.people(conn, app.id),
                "emails": recipients.extra_emails(conn, addon.id),
                "webhooks": [
                    {"id": h.id, "url": h.url, "format": h.format}
                    for h in recipients.webhooks(conn, addon.id)
                ],
                "limits": {"extra_emails": self._addons.plan_of(addon).extra_emails},
            }

    def set_emails(self, app: App, emails: Any) -> list[str]:
        """Replace the add-on's additional addresses (the plan limits how many)."""
        if not isinstance(emails, list) or not all(isinstance(e, str) for e in emails):
            raise Invalid("emails must be a list of e-mail addresses")
        cleaned = _addresses(emails)
        return self._change_emails(app, lambda _: cleaned)

    def add_email(self, app: App, email: str) -> list[str]:
        """Add one additional address (within the plan's limit)."""
        added = _addresses([email])
        if not added:
            raise Invalid("an e-mail address is required")
        return self._change_emails(app, lambda current: sorted({*current, *added}))

    def remove_email(self, app: App, email: str) -> list[str]:
        gone = email.strip().lower()
        # Never refused: an app over its (downgraded) plan's limit can always remove some.
        return self._change_emails(app, lambda current: [e for e in current if e != gone], False)

    def _change_emails(
        self, app: App, change: Callable[[list[str]], list[str]], limited: bool = True
    ) -> list[str]:
        """Read the additional addresses, ``change`` them and write them back in one
        transaction (two changes at once do not lose one), within the plan's limit if
        ``limited``."""
        addon = self._addons.require(app)
        plan = self._addons.plan_of(addon)
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            conn.execute(select(addons.c.id).where(addons.c.id == addon.id).with_for_update())
            current = recipients.extra_emails(conn, addon.id)
            wanted = change(current)
            if limited:
                plan.check_extra_emails(len(wanted))
            conn.execute(delete(alert_emails).where(alert_emails.c.addon_id == addon.id))
            if wanted:
                conn.execute(
                    alert_emails.insert(),
                    [{"addon_id": addon.id, "email": e, "created_at": now} for e in wanted],
                )
        return wanted

    def add_webhook(self, app: App, url: Any, format: Any) -> dict[str, Any]:
        """Add a webhook; the answer holds its signing secret, shown only this once."""
        url = check_url(url)
        format = format or "generic"
        if format not in FORMATS:
            raise Invalid(f"format must be one of {', '.join(FORMATS)}")
        addon = self._addons.require(app)
        hook = {"id": new_id(), "url": url, "format": format, "secret": secrets.token_hex(32)}
        with self._engine.begin() as conn:
            count = conn.execute(
                select(func.count()).where(alert_webhooks.c.addon_id == addon.id)
            ).scalar_one()
            if count >= MAX_WEBHOOKS:
                raise Invalid(f"an app can have at most {MAX_WEBHOOKS} webhooks")
            conn.execute(
                alert_webhooks.insert().values(
                    addon_id=addon.id, created_at=self._clock.now_us(), **hook
                )
            )
        return hook

    def remove_webhook(self, app: App, webhook_id: str) -> None:
        addon = self._addons.require(app)
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(alert_webhooks).where(
                    alert_webhooks.c.addon_id == addon.id, alert_webhooks.c.id == webhook_id
                )
            )
        if result.rowcount != 1:
            raise NotFound(f"Couldn't find that webhook: {webhook_id}")

    def recent_deliveries(self, app: App, limit: int = 25) -> Rows:
        """The add-on's newest deliveries (e-mail and webhook), with their alert's number and
        the kind of message (opened, resolved, reminder), newest first."""
        addon = self._addons.require(app)
        query = (
            select(alert_deliveries, alert_flips.c.kind, alerts.c.number)
            .join(alert_flips, alert_flips.c.id == alert_deliveries.c.flip_id)
            .join(alerts, alerts.c.id == alert_flips.c.alert_id)
            .where(alert_deliveries.c.addon_id == addon.id)
            .order_by(alert_deliveries.c.created_at.desc(), alert_deliveries.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            hooks = {h.id: h.url for h in recipients.webhooks(conn, addon.id)}
            rows = conn.execute(query).all()
        return [
            {"alert_number": row.number, "kind": row.kind, **_delivery(row, hooks)} for row in rows
        ]

    # guidance --------------------------------------------------------------------------------
    def run_guidance(self, app: App, public_url: str, dyno_ref: str) -> dict[str, Any]:
        """A run as alerts show it (redacted, last log lines, guidance if it failed or timed
        out)."""
        self._addons.require(app)
        dyno = self._dynos.find(app.id, dyno_ref)
        with self._engine.connect() as conn:
            redactor = redact.for_app(conn, app.id, [dyno.release_id])
        lines = log_excerpt(self._logs, dyno) if dyno.ended_at is not None else []
        return Describer(redactor, public_url).run(dyno, lines)
