"""The rendezvous wire format, shared by the server and the ``runoff`` CLI (standard library only).

Heroku's protocol, which the ``heroku`` CLI speaks: over TLS the client sends the secret (the
attach URL's path without its ``/``, plus any query) and ``\\r\\n``; the server sends one
banner line, waits ``BANNER_PAUSE_SECONDS`` (the Heroku CLI throws its first chunk of data
away), then bytes flow raw both ways until the server closes the connection. Without a tty
``\\x04`` from the client ends the dyno's input.

runoff's extension: a client that adds ``?runoff=1`` to the secret line gets a banner that
starts with ``runoff/1``, no pause, and then framed messages both ways, each a one-byte kind, a
four-byte big-endian length and the payload. That carries what raw bytes cannot: window
resizes, the end of input (binary-safe), the exit status and the reason a session ends.
"""

from __future__ import annotations

import struct

VERSION = "1"
QUERY = f"runoff={VERSION}"
BANNER_PREFIX = f"runoff/{VERSION}"
BANNER_PAUSE_SECONDS = 0.2
MAX_SECRET_LINE = 1024
HEADER = struct.Struct("!cI")
MAX_PAYLOAD = 1 << 20
EOT = b"\x04"

# client -> server
INPUT = b"i"  # bytes for the dyno's stdin
WINDOW = b"w"  # "!HH" rows, columns
END = b"f"  # end of input (empty payload)
# server -> client
OUTPUT = b"o"  # bytes from the dyno's stdout and stderr
EXIT = b"x"  # the exit status, in decimal ASCII; the server closes the connection next
NOTICE = b"e"  # why the server ends the session early, UTF-8 text (e.g. the idle timeout)

WINDOW_SIZE = struct.Struct("!HH")


class WireError(Exception):
    """A frame that breaks the format (unknown kind, oversized payload)."""


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    return HEADER.pack(kind, len(payload)) + payload


def window(rows: int, cols: int) -> bytes:
    return frame(WINDOW, WINDOW_SIZE.pack(rows, cols))


def parse_secret_line(line: bytes) -> tuple[str, bool]:
    """``b"SECRET?runoff=1\\r\\n"`` -> ``("SECRET", True)``: the secret and whether the client
    speaks the runoff extension."""
    text = line.decode("ascii", "replace").rstrip("\r\n")
    secret, _, query = text.partition("?")
    return secret, QUERY in query.split("&")


class Decoder:
    """Splits a byte stream into ``(kind, payload)`` frames, whatever the read boundaries."""

    def __init__(self, kinds: bytes) -> None:
        self._kinds = kinds
        self._buffer = b""

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            kind, size = HEADER.unpack_from(self._buffer)
            if kind not in self._kinds or size > MAX_PAYLOAD:
                raise WireError(f"unexpected frame {kind!r} of {size} bytes")
            end = HEADER.size + size
            if len(self._buffer) < end:
                break
            frames.append((kind, self._buffer[HEADER.size : end]))
            self._buffer = self._buffer[end:]
        return frames
