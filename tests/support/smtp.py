"""A real SMTP server on loopback (aiosmtpd) that keeps what it accepts, parsed."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage
    at: float  # time.time() when accepted

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


class _Controller(Controller):
    """aiosmtpd's controller on port 0: it learns the port it got before connecting to it."""

    def _trigger_server(self) -> None:
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.inbox.add(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, time.time()))
        return "250 Message accepted for delivery"


class Inbox:
    """``Inbox().start()`` listens on a free loopback port; ``stop``/``start`` take it down
    and up again on the same port; ``url`` is the RUNOFF_SMTP_URL to reach it."""

    def __init__(self, **controller: Any) -> None:
        self.port = 0  # the port it got, once started
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._options = controller
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?timeout=5"

    def add(self, item: Received) -> None:
        with self._lock:
            self.received.append(item)

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def start(self) -> Inbox:
        self._controller = _Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, **self._options
        )
        self._controller.start()
        self.port = self._controller.port
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
