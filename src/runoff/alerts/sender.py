"""The alert sender: a thread that claims new flips and sends their deliveries.

``wake`` is called when this server made a flip (so the e-mail leaves at once); it also polls
every ``POLL_SECONDS`` for flips made by other servers and for retries that fell due. Any
number of senders may share a database: claims and leases are conditional updates (see
runoff.alerts.store), so each state change is notified once. A sender that dies between
handing a message to SMTP and recording it leaves the lease to expire, and the message is
sent again: at-least-once in that one case, exactly once otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine

from runoff.alerts import message, store
from runoff.alerts.channel import DeliveryError
from runoff.alerts.email import EmailChannel
from runoff.alerts.webhook import WebhookChannel
from runoff.background import Loop
from runoff.clock import US_PER_SECOND, Clock

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
LEASE_SECONDS = 120
MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True)
class Retry:
    """Back-off: attempt n failing waits ``base_seconds * 2**(n-1)`` (at most an hour)."""

    base_seconds: float = 10.0
    max_attempts: int = 12

    def next_at(self, now: int, attempts: int) -> int | None:
        if attempts >= self.max_attempts:
            return None
        wait = min(self.base_seconds * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)
        return now + int(wait * US_PER_SECOND)


class AlertSender:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        email: EmailChannel,
        webhook: WebhookChannel | None = None,
        retry: Retry | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self.email = email
        self.webhook = webhook or WebhookChannel()
        self.retry = retry or Retry()
        self._loop = Loop("alert-sender", self.run_once, poll_seconds=POLL_SECONDS)

    def wake(self) -> None:
        self._loop.wake()

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    def run_once(self) -> int:
        """Claim new flips, then attempt every due delivery; returns attempts made."""
        now = self._clock.now_us()
        with self._engine.connect() as conn:
            flips = store.unprocessed(conn)
        for flip_id in flips:
            with self._engine.begin() as conn:
                store.claim_flip(conn, flip_id, now)
        channels = None if self.email.config is not None else (store.WEBHOOK,)
        with self._engine.connect() as conn:
            due = store.due(conn, self._clock.now_us(), channels=channels)
        attempts = 0
        for delivery_id in due:
            attempts += self._attempt(delivery_id)
        return attempts

    def _attempt(self, delivery_id: str) -> int:
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            claimed = store.lease(conn, delivery_id, now, now + LEASE_SECONDS * US_PER_SECOND)
        if claimed is None:
            return 0
        note = None
        try:
            note = self._send(claimed)
        except DeliveryError as error:
            retry_at = self.retry.next_at(self._clock.now_us(), claimed.attempts)
            with self._engine.begin() as conn:
                store.retry_later(conn, claimed.id, str(error), retry_at)
            level = logging.WARNING if retry_at is not None else logging.ERROR
            what = "will retry" if retry_at is not None else "giving up"
            log.log(
                level, "alert %s delivery %s: %s (%s)", claimed.channel, claimed.id, error, what
            )
            return 1
        with self._engine.begin() as conn:
            store.finish(conn, claimed.id, self._clock.now_us(), note)
        return 1

    def _send(self, claimed: store.Claimed) -> str | None:
        detail = claimed.detail
        if claimed.channel == store.EMAIL:
            refused = self.email.send(claimed.target, message.subject(detail), message.text(detail))
            return f"refused: {', '.join(refused)}" if refused else None
        hook = claimed.target
        if hook is None:
            raise DeliveryError("the webhook was deleted")
        event_id = f"{detail.get('alert_id')}:{claimed.flip_id}"
        if hook.format == "slack":
            payload = message.slack(detail)
        else:
            payload = message.generic(detail, event_id=event_id)
        self.webhook.send(
            hook.url, hook.secret, payload, event_id, self._clock.now_us() // US_PER_SECOND
        )
        return None
