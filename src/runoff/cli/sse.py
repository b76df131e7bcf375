"""Server-Sent Events parsing (the ``text/event-stream`` format of the WHATWG HTML standard)."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator


class SseEvent:
    """One dispatched event: its ``data`` (lines joined by ``\\n``), type and last event id."""

    __slots__ = ("data", "event", "id")

    def __init__(self, data: str, event: str = "message", id: str | None = None) -> None:
        self.data = data
        self.event = event
        self.id = id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SseEvent):
            return NotImplemented
        return (self.data, self.event, self.id) == (other.data, other.event, other.id)

    def __hash__(self) -> int:
        return hash((self.data, self.event, self.id))

    def __repr__(self) -> str:
        return f"SseEvent(data={self.data!r}, event={self.event!r}, id={self.id!r})"


class SseParser:
    """Incremental parser: ``feed`` it one line at a time, it returns an event when one ends.

    ``last_event_id`` and ``retry_seconds`` survive reconnections (send the former back as
    ``Last-Event-ID``); call ``reset`` on a new connection to drop a half-received event.
    """

    def __init__(self) -> None:
        self.last_event_id = ""
        self.retry_seconds: float | None = None
        self._data: list[str] = []
        self._event = ""

    def reset(self) -> None:
        self._data = []
        self._event = ""

    def feed(self, line: str) -> SseEvent | None:
        """Consume one line (with or without its line ending); an empty line ends an event."""
        if line.endswith("\r\n"):
            line = line[:-2]
        elif line.endswith(("\n", "\r")):
            line = line[:-1]
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry" and value.isascii() and value.isdigit():
            self.retry_seconds = int(value) / 1000
        return None

    def _dispatch(self) -> SseEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = SseEvent(
            "\n".join(self._data), self._event or "message", self.last_event_id or None
        )
        self.reset()
        return event


def parse_events(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events in ``lines``; an event not ended by an empty line is dropped, as the spec says."""
    parser = SseParser()
    for line in lines:
        event = parser.feed(line)
        if event is not None:
            yield event
