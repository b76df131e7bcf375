"""The webhook channel: a signed JSON POST per state change.

Bodies: ``generic`` (runoff's documented body) or ``slack`` (an incoming-webhook body). Each
request carries ``Runoff-Event-Id`` (the same on retries) and ``Runoff-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the webhook's secret>``, so a
receiver can check who sent it and refuse replays. Any 2xx answer is success.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from runoff.alerts.channel import DeliveryError
from runoff.errors import Invalid

FORMATS = ("generic", "slack")
TIMEOUT_SECONDS = 10.0
SIGNATURE_HEADER = "Runoff-Signature"
EVENT_HEADER = "Runoff-Event-Id"


def check_url(url: object) -> str:
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https"):
        raise Invalid("url must be an http:// or https:// URL")
    if not urlsplit(url).hostname or len(url) > 2000:
        raise Invalid("url must name a host and be at most 2000 characters long")
    return url


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``Runoff-Signature`` value for ``body`` sent at ``timestamp`` (unix seconds)."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Whether ``header`` is a valid signature of ``body`` (what a receiver does)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        expected = signature(secret, int(fields.get("t", "")), body)
    except ValueError:
        return False
    return hmac.compare_digest(expected, header)


class WebhookChannel:
    def send(
        self, url: str, secret: str, payload: dict[str, Any], event_id: str, now_s: int
    ) -> None:
        """POST ``payload``; DeliveryError unless the receiver answers 2xx."""
        body = json.dumps(payload).encode()
        request = urllib.request.Request(url, data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        request.add_header("User-Agent", "runoff-alerts")
        request.add_header(EVENT_HEADER, event_id)
        request.add_header(SIGNATURE_HEADER, signature(secret, now_s, body))
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise DeliveryError(f"webhook {url} answered HTTP {error.code}") from None
        except (OSError, ValueError) as error:
            raise DeliveryError(f"webhook {url}: {error}") from None
