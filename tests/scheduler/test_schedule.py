"""Frequencies: parsing, next and latest slots, intervals."""

from __future__ import annotations

import pytest

from runoff.clock import parse_iso
from runoff.errors import Invalid
from runoff.scheduler.schedule import parse, slots_between

T = parse_iso("2026-11-18T11:06:40Z")


def at(text: str) -> int:
    return parse_iso(text)


@pytest.mark.parametrize(
    ("text", "canonical", "next_slot", "interval"),
    [
        ("every 10 minutes", "every 10 minutes", "2026-11-18T11:10:00Z", 600),
        ("Every  10 min", "every 10 minutes", "2026-11-18T11:10:00Z", 600),
        ("every hour at :05", "every hour at :05", "2026-11-18T12:05:00Z", 3600),
        ("hourly at 30", "every hour at :30", "2026-11-18T11:30:00Z", 3600),
        ("hourly", "every hour at :00", "2026-11-18T12:00:00Z", 3600),
        ("every day at 3:00", "every day at 03:00", "2026-11-19T03:00:00Z", 86400),
        ("daily at 11:07", "every day at 11:07", "2026-11-18T11:07:00Z", 86400),
        ("30 2 * * 1-5", "30 2 * * 1-5", "2026-11-19T02:30:00Z", 86400),
        ("*/15 * * * *", "*/15 * * * *", "2026-11-18T11:15:00Z", 900),
    ],
)
def test_forms(text: str, canonical: str, next_slot: str, interval: int) -> None:
    schedule = parse(text)
    assert schedule.text == canonical
    assert schedule.next_after(T) == at(next_slot)
    assert schedule.interval_at(at(next_slot)) == interval
    assert schedule.latest_at_or_before(at(next_slot)) == at(next_slot)
    assert schedule.latest_at_or_before(at(next_slot) - 1) < at(next_slot)


def test_cron_interval_is_the_gap_to_the_next_firing() -> None:
    friday = parse("30 2 * * 1-5")
    slot = at("2026-11-20T02:30:00Z")  # a Friday: the next firing is on Monday
    assert friday.interval_at(slot) == 3 * 86400


def test_slots_between_excludes_the_start_and_includes_the_end() -> None:
    every10 = parse("every 10 minutes")
    start, end = at("2026-11-18T11:00:00Z"), at("2026-11-18T11:30:00Z")
    assert list(slots_between(every10, start, end)) == [
        at("2026-11-18T11:10:00Z"),
        at("2026-11-18T11:20:00Z"),
        at("2026-11-18T11:30:00Z"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "every 5 minutes",
        "hourly at :75",
        "daily at 24:00",
        "* * * *",
        "61 * * * *",
        "0 0 * * * *",
        "0 0 31 2 *",
    ],
)
def test_invalid(text: str) -> None:
    with pytest.raises(Invalid):
        parse(text)
