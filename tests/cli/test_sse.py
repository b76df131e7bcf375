from __future__ import annotations

from runoff.cli.sse import SseEvent, SseParser, parse_events


def events(text: str) -> list[SseEvent]:
    return list(parse_events(text.splitlines(keepends=True)))


def test_data_lines_make_one_event_per_blank_line() -> None:
    assert events("data: a\n\ndata: b\n\n") == [SseEvent("a"), SseEvent("b")]


def test_multiple_data_lines_join_with_newlines() -> None:
    assert events("data: first\ndata: second\n\n") == [SseEvent("first\nsecond")]


def test_comments_retry_and_empty_events_produce_nothing() -> None:
    assert events(": keepalive\n\nretry: 10\n\n\n\n") == []


def test_id_is_remembered_across_events() -> None:
    assert events("id: 1\ndata: a\n\ndata: b\n\n") == [SseEvent("a", id="1"), SseEvent("b", id="1")]


def test_only_one_leading_space_is_stripped_and_colons_stay() -> None:
    timestamped = "2026-11-23T10:00:00.123456+00:00 app[run.2]: hello"
    assert events(f"data: {timestamped}\n\ndata:  two spaces\n\n") == [
        SseEvent(timestamped),
        SseEvent(" two spaces"),
    ]


def test_crlf_line_endings_and_field_without_colon() -> None:
    assert events("data\r\n\r\ndata: x\r\n\r\n") == [SseEvent(""), SseEvent("x")]


def test_event_type_applies_to_one_event() -> None:
    assert events("event: end\ndata: bye\n\ndata: next\n\n") == [
        SseEvent("bye", event="end"),
        SseEvent("next"),
    ]


def test_an_unterminated_event_is_dropped() -> None:
    assert events("data: a\n\ndata: partial") == [SseEvent("a")]


def test_parser_state_for_reconnection() -> None:
    parser = SseParser()
    for line in ["retry: 1500\n", "id: 41\n", "data: x\n", "\n", "data: half\n"]:
        parser.feed(line)
    assert parser.retry_seconds == 1.5
    assert parser.last_event_id == "41"
    parser.reset()
    assert parser.feed("\n") is None  # the half-received event is gone


def test_invalid_retry_and_id_with_nul_are_ignored() -> None:
    parser = SseParser()
    parser.feed("retry: soon\n")
    parser.feed("id: a\0b\n")
    assert parser.retry_seconds is None
    assert parser.last_event_id == ""
