"""Drain records and the URLs a drain may have."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass

from runoff.errors import Invalid

SCHEMES = ("syslog", "syslog+tls", "https", "http")
MAX_URL = 2048


@dataclass(frozen=True)
class Drain:
    id: str
    app_id: str
    url: str
    token: str  # ``d.<uuid>``: sent with every message so the receiver knows the source
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class Target:
    """Where a drain URL points."""

    scheme: str
    host: str
    port: int
    path: str  # HTTP(S) only: path and query
    username: str | None = None
    password: str | None = None

    @property
    def tls(self) -> bool:
        return self.scheme in ("syslog+tls", "https")

    @property
    def http(self) -> bool:
        return self.scheme in ("http", "https")


def parse_url(url: object) -> Target:
    """Validate a drain URL: ``syslog://host:port``, ``syslog+tls://host:port``, or
    ``https://[user:password@]host[:port]/path`` (``http://`` too, for trusted networks)."""
    if not isinstance(url, str) or not url.strip():
        raise Invalid("url is required: syslog+tls://host:port, syslog://host:port or https://...")
    if len(url) > MAX_URL:
        raise Invalid(f"url is too long (at most {MAX_URL} characters)")
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Invalid(
            f"Unsupported drain URL scheme {parts.scheme or '(none)'!r}: "
            "use syslog+tls://, syslog:// or https://"
        )
    try:
        port = parts.port
    except ValueError:
        raise Invalid(f"The drain URL {url!r} has an invalid port") from None
    if not parts.hostname:
        raise Invalid(f"The drain URL {url!r} has no host")
    if scheme.startswith("syslog"):
        if port is None:
            raise Invalid(f"A syslog drain needs a port: {scheme}://{parts.hostname}:PORT")
        if parts.path not in ("", "/") or parts.query:
            raise Invalid("A syslog drain URL has no path: use syslog+tls://host:port")
    default_port = 443 if scheme == "https" else 80
    return Target(
        scheme=scheme,
        host=parts.hostname,
        port=port or default_port,
        path=(parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
    )
