"""Match: the single-value matcher that monitors reuse for their command, type and size."""

from __future__ import annotations

import pytest

from runoff.query import FilterError, Match


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"scheduler"', Match(exact=True, value="scheduler")),
        ("sched", Match(exact=False, value="sched")),
        ("  sched  ", Match(exact=False, value="sched")),
        ('" spaced "', Match(exact=True, value=" spaced ")),
        ('echo "Hello World!"', Match(exact=False, value='echo "Hello World!"')),
        ('"a" "b"', Match(exact=False, value='"a" "b"')),
        # Alone, a value has no terms: - and attribute: are text.
        ("-x", Match(exact=False, value="-x")),
        ("rake db:migrate state:failed", Match(exact=False, value="rake db:migrate state:failed")),
    ],
)
def test_parse(text: str, expected: Match) -> None:
    assert Match.parse(text) == expected
    assert Match.parse(str(expected)) == expected


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("", 1, "empty value"),
        ("   ", 1, "empty value"),
        ('""', 1, "empty value"),
        ('  " "', 3, "empty value"),
        ('a"b', 2, "unbalanced double quote"),
        ("a\x00", 2, "character U+0000 is not allowed"),
    ],
)
def test_parse_errors(text: str, column: int, reason: str) -> None:
    with pytest.raises(FilterError) as caught:
        Match.parse(text)
    assert (caught.value.column, caught.value.reason) == (column, reason)


@pytest.mark.parametrize(
    ("match", "text", "expected"),
    [
        (Match(exact=True, value="scheduler"), "scheduler", True),
        (Match(exact=True, value="scheduler"), "SCHEDULER", True),
        (Match(exact=True, value="scheduler"), "advanced-scheduler", False),
        (Match(exact=False, value="scheduler"), "advanced-scheduler", True),
        (Match(exact=False, value="performance"), "Performance-M", True),
        (Match(exact=True, value="performance"), "Performance-M", False),
        (Match(exact=False, value=".py"), "python scrape.py", True),
        (Match(exact=False, value="100%"), "1000", False),
    ],
)
def test_matches(match: Match, text: str, expected: bool) -> None:
    assert match.matches(text) is expected


def test_describe() -> None:
    assert Match.parse('"scheduler"').describe() == 'is "scheduler"'
    assert Match.parse("sched").describe() == 'contains "sched"'
    assert Match.parse("sched").describe(negated=True) == 'does not contain "sched"'
    assert Match.parse('"scheduler"').describe(negated=True) == 'is not "scheduler"'
    assert Match.parse('echo "hi"').describe() == "contains 'echo \"hi\"'"


@pytest.mark.parametrize(
    "fields",
    [
        {"exact": False, "value": ""},
        {"exact": True, "value": "  "},
        {"exact": True, "value": 'a"b'},
        {"exact": False, "value": " padded"},
        {"exact": False, "value": '"quoted"'},
        {"exact": False, "value": 'a"b'},
        {"exact": False, "value": "nul\x00"},
    ],
)
def test_a_match_that_cannot_be_written_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="cannot be written as filter text"):
        Match(**fields)  # type: ignore[arg-type]


def test_fields_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        Match(True, "x")  # type: ignore[misc]
