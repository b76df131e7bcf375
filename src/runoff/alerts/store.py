"""Alert notifications in the database: claiming flips, and deliveries with their retries.

A flip to notify has ``processed_at`` NULL. A sender claims it with ``UPDATE ... SET
processed_at = now WHERE id = ? AND processed_at IS NULL``: only the sender whose update
changed the row goes on, and in the same transaction it writes one delivery per channel
(one e-mail to all recipients, one per webhook). A delivery is sent by whoever leases it
(``lease_until``), with the same kind of conditional update; a sent one is never sent again,
a failed attempt is retried at ``next_attempt_at`` until ``max_attempts``, then marked
``failed``. Nothing is deleted but by deleting its monitor or the add-on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from runoff.alerts import recipients
from runoff.store.rows import new_id
from runoff.store.schema import alert_deliveries, alert_flips, alert_webhooks, monitors

PENDING, SENT, FAILED = "pending", "sent", "failed"
EMAIL, WEBHOOK = "email", "webhook"


@dataclass(frozen=True)
class Claimed:
    """A delivery leased for one attempt, with what it needs to send."""

    id: str
    flip_id: int
    channel: str
    target: Any  # e-mail: list of addresses; webhook: recipients.Webhook
    attempts: int
    detail: dict[str, Any]


def unprocessed(conn: Connection, limit: int = 100) -> list[int]:
    query = (
        select(alert_flips.c.id)
        .where(alert_flips.c.processed_at.is_(None))
        .order_by(alert_flips.c.id)
        .limit(limit)
    )
    return [int(row.id) for row in conn.execute(query)]


def claim_flip(conn: Connection, flip_id: int, now: int) -> int:
    """Claim a flip and write its deliveries; returns how many (0: another sender has it)."""
    claimed = conn.execute(
        update(alert_flips)
        .where(alert_flips.c.id == flip_id, alert_flips.c.processed_at.is_(None))
        .values(processed_at=now)
    )
    if claimed.rowcount != 1:
        return 0
    flip = conn.execute(
        select(alert_flips.c.addon_id, monitors.c.app_id)
        .join(monitors, monitors.c.id == alert_flips.c.monitor_id)
        .where(alert_flips.c.id == flip_id)
    ).one()
    targets: list[tuple[str, str]] = [
        (EMAIL, json.dumps(recipients.emails(conn, flip.app_id, flip.addon_id)))
    ]
    targets += [(WEBHOOK, hook.id) for hook in recipients.webhooks(conn, flip.addon_id)]
    rows = [
        {
            "id": new_id(),
            "flip_id": flip_id,
            "addon_id": flip.addon_id,
            "channel": channel,
            "target": target,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for channel, target in targets
    ]
    conn.execute(alert_deliveries.insert(), rows)
    return len(rows)


def due(
    conn: Connection, now: int, limit: int = 100, channels: tuple[str, ...] | None = None
) -> list[str]:
    """Deliveries ready for an attempt; only on ``channels`` when given (a server without
    SMTP leaves e-mail to servers that have it rather than failing them)."""
    query = (
        select(alert_deliveries.c.id)
        .where(
            alert_deliveries.c.status == PENDING,
            alert_deliveries.c.next_attempt_at <= now,
            alert_deliveries.c.lease_until.is_(None) | (alert_deliveries.c.lease_until < now),
        )
        .order_by(alert_deliveries.c.next_attempt_at)
        .limit(limit)
    )
    if channels is not None:
        query = query.where(alert_deliveries.c.channel.in_(channels))
    return [row.id for row in conn.execute(query)]


def lease(conn: Connection, delivery_id: str, now: int, until: int) -> Claimed | None:
    """Lease a due delivery for one attempt; None if it is not due or another sender has it."""
    leased = conn.execute(
        update(alert_deliveries)
        .where(
            alert_deliveries.c.id == delivery_id,
            alert_deliveries.c.status == PENDING,
            alert_deliveries.c.next_attempt_at <= now,
            alert_deliveries.c.lease_until.is_(None) | (alert_deliveries.c.lease_until < now),
        )
        .values(lease_until=until, attempts=alert_deliveries.c.attempts + 1)
    )
    if leased.rowcount != 1:
        return None
    row = conn.execute(
        select(alert_deliveries, alert_flips.c.detail)
        .join(alert_flips, alert_flips.c.id == alert_deliveries.c.flip_id)
        .where(alert_deliveries.c.id == delivery_id)
    ).one()
    target: Any = row.target
    if row.channel == EMAIL:
        target = json.loads(row.target)
    else:
        hook = conn.execute(select(alert_webhooks).where(alert_webhooks.c.id == row.target)).first()
        target = (
            None
            if hook is None
            else recipients.Webhook(hook.id, hook.url, hook.format, hook.secret)
        )
    return Claimed(row.id, row.flip_id, row.channel, target, row.attempts, json.loads(row.detail))


def finish(conn: Connection, delivery_id: str, now: int, note: str | None = None) -> None:
    conn.execute(
        update(alert_deliveries)
        .where(alert_deliveries.c.id == delivery_id)
        .values(status=SENT, sent_at=now, lease_until=None, last_error=note)
    )


def retry_later(conn: Connection, delivery_id: str, error: str, at: int | None) -> None:
    """Record a failed attempt: retry at ``at``, or give up (status ``failed``) if None."""
    values: dict[str, Any] = {"last_error": error[:1000], "lease_until": None}
    if at is None:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = at
    conn.execute(
        update(alert_deliveries).where(alert_deliveries.c.id == delivery_id).values(**values)
    )
