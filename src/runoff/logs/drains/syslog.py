"""RFC 5424 syslog messages and RFC 6587 octet-counted frames, as Logplex sends them.

A message: ``<190>1 TIMESTAMP HOSTNAME SOURCE DYNO - MESSAGE\\n`` — priority 190 (local7.info),
the line's own timestamp with microseconds, the drain token as hostname on syslog drains
(``host`` on HTTPS drains, whose token travels in a header), the source (``app`` or
``heroku``) as APP-NAME, the dyno as PROCID, no MSGID and no structured data.
"""

from __future__ import annotations

from collections.abc import Iterable

from runoff.clock import rfc5424

PRIORITY = 190


def message(at: int, hostname: str, source: str, dyno: str, text: bytes) -> bytes:
    head = f"<{PRIORITY}>1 {rfc5424(at)} {hostname} {source} {dyno} - "
    return head.encode() + text + b"\n"


def frames(messages: Iterable[bytes]) -> bytes:
    """Messages with their octet counts: ``LEN SP MESSAGE`` each, back to back."""
    return b"".join(b"%d %s" % (len(m), m) for m in messages)


def parse_frames(data: bytes) -> tuple[list[bytes], bytes]:
    """The complete messages at the start of ``data`` and the incomplete rest (receivers)."""
    found: list[bytes] = []
    while True:
        space = data.find(b" ")
        if space < 0 or not data[:space].isdigit():
            return found, data
        end = space + 1 + int(data[:space])
        if end > len(data):
            return found, data
        found.append(data[space + 1 : end])
        data = data[end:]
