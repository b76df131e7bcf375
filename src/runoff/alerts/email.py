"""The e-mail channel: SMTP as the operator configures it with ``RUNOFF_SMTP_URL``.

``smtp://[user:password@]host[:port]`` (port 25), ``smtps://...`` (TLS from the start, port
465), ``?starttls=1`` to upgrade a plain connection, ``?cafile=/path`` to trust a private CA,
``?timeout=SECONDS`` (default 30). User and password are percent-decoded. One message per
delivery, addressed to all of its recipients.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

from runoff.alerts.channel import DeliveryError
from runoff.settings import SettingsError


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    cafile: str | None = None
    timeout: float = 30.0

    @classmethod
    def parse(cls, url: str) -> SmtpConfig:
        """Read ``RUNOFF_SMTP_URL``; SettingsError naming the variable if it is wrong."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise SettingsError(
                f"RUNOFF_SMTP_URL must look like smtp://user:pass@host:port, got {url!r}"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
            timeout = float(query.get("timeout", "30"))
        except ValueError as error:
            raise SettingsError(f"RUNOFF_SMTP_URL: {error}") from None
        return cls(
            host=parts.hostname,
            port=port,
            tls=parts.scheme == "smtps",
            starttls=query.get("starttls", "0").lower() in ("1", "true", "yes"),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            cafile=query.get("cafile"),
            timeout=timeout,
        )

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


def build(sender: str, recipients: Sequence[str], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(body)
    return message


class EmailChannel:
    def __init__(self, config: SmtpConfig | None, sender: str) -> None:
        self.config = config
        self.sender = sender

    def send(self, recipients: Sequence[str], subject: str, body: str) -> list[str]:
        """Hand one message to the SMTP server; DeliveryError if it is not accepted at all.

        Returns the recipients the server refused while accepting the others (sending again
        would repeat the message to those who got it)."""
        config = self.config
        if config is None:
            raise DeliveryError("e-mail is not configured on this server (RUNOFF_SMTP_URL)")
        if not recipients:
            raise DeliveryError("no recipients: the app has no owner or admin e-mail")
        message = build(self.sender, recipients, subject, body)
        try:
            if config.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    config.host, config.port, timeout=config.timeout, context=config.context()
                )
            else:
                client = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
            with client:
                if config.starttls:
                    client.starttls(context=config.context())
                if config.user is not None:
                    client.login(config.user, config.password or "")
                refused = client.send_message(message, to_addrs=list(recipients))
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryError(f"SMTP {config.host}:{config.port}: {error}") from None
        return sorted(refused)
