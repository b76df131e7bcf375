"""Turning a dyno's output stream into batches of complete lines.

Capture is unbuffered from the dyno's point of view: whatever one read returns is cut after its
last newline and published at once. A line longer than ``MAX_LINE_BYTES`` is published in
pieces of that size as soon as a piece is complete, whatever the read boundaries.
"""

from __future__ import annotations

import contextlib
import fcntl

from runoff.logs.model import MAX_LINE_BYTES, split_long

PIPE_BYTES = 1 << 20


def widen_pipe(fd: int) -> None:
    """Give a dyno's output pipe room for 1 MiB (64 KiB by default), so a chatty dyno is
    read in fewer, larger pieces; left as is where the host refuses."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


class LineBuffer:
    """Holds the incomplete last line between reads of one stream."""

    def __init__(self) -> None:
        self.partial = b""
        # the last line was published in full pieces and its newline has not been read yet
        self._chunked = False

    def feed(self, data: bytes) -> tuple[bytes, int] | None:
        """The complete lines ``data`` ends, as a batch body and its line count (or None)."""
        if self._chunked and data.startswith(b"\n"):
            data = data[1:]  # ends a line whose pieces were already published
        self._chunked = False
        buffer = self.partial + data if self.partial else data
        end = buffer.rfind(b"\n")
        if end < 0:
            body, count, rest = b"", 0, buffer
        else:
            body, rest = buffer[:end], buffer[end + 1 :]
            count = body.count(b"\n") + 1
            if len(body) > MAX_LINE_BYTES and max(map(len, body.split(b"\n"))) > MAX_LINE_BYTES:
                parts = [piece for line in body.split(b"\n") for piece in split_long(line)]
                body, count = b"\n".join(parts), len(parts)
        pieces = []
        while len(rest) >= MAX_LINE_BYTES:
            pieces.append(rest[:MAX_LINE_BYTES])
            rest = rest[MAX_LINE_BYTES:]
            self._chunked = not rest
        self.partial = rest
        if pieces:
            body = b"\n".join([body, *pieces]) if count else b"\n".join(pieces)
            count += len(pieces)
        return (body, count) if count else None

    def finish(self) -> tuple[bytes, int] | None:
        """The unterminated last line at the end of the stream, if any."""
        rest, self.partial = self.partial, b""
        return (rest, 1) if rest else None
