"""parse: where terms begin and end, what plain text means, and the errors it reports."""

from __future__ import annotations

import pytest

from runoff.errors import Invalid
from runoff.query import Filter, FilterError, Match, Term, parse


def t(attribute: str, value: str, negated: bool = False) -> Term:
    """A term on ``attribute`` with the Match written as ``value``."""
    return Term(attribute, Match.parse(value), negated)


def n(attribute: str, value: str) -> Term:
    """A negated term."""
    return t(attribute, value, negated=True)


def terms(*terms: Term) -> Filter:
    return Filter(terms)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A value runs to the next term, so it may hold spaces.
        ("state:timed out", terms(t("state", "timed out"))),
        ("state:failed state:timed out", terms(t("state", "failed"), t("state", "timed out"))),
        ("command:echo a  b -state:failed", terms(t("command", "echo a  b"), n("state", "failed"))),
        # Blanks around values and between terms do not count.
        ("  state:  failed \t\n size:l  ", terms(t("state", "failed"), t("size", "l"))),
        # Attribute names ignore case and are written in lower case.
        ("State:failed SIZE:l", terms(t("state", "failed"), t("size", "l"))),
        # A term starts only at the beginning or after a blank: these colons are text.
        ("command:state:failed", terms(t("command", "state:failed"))),
        ("command:http://example.com/x", terms(t("command", "http://example.com/x"))),
        ("command:C:\\tmp", terms(t("command", "C:\\tmp"))),
        ("sleep 12:30", terms(t("command", "sleep 12:30"))),
        ("command:a -:b", terms(t("command", "a -:b"))),
        # Inside double quotes nothing starts a term.
        ('command:"run state:failed"', terms(t("command", '"run state:failed"'))),
        ('echo "x state:y" z', terms(t("command", 'echo "x state:y" z'))),
        # Quotes inside a value are part of it; only a wholly quoted value is exact.
        ('command:echo "Hello World!"', terms(t("command", 'echo "Hello World!"'))),
        ('type:"scheduler"x', terms(t("type", '"scheduler"x'))),
        ('type:"a" "b"', terms(t("type", '"a" "b"'))),
        ('type:"a b"', terms(t("type", '"a b"'))),
        # Plain text before the first term is a command filter; a leading - excludes.
        ('"python scrape.py"', terms(t("command", '"python scrape.py"'))),
        ("-Hello World", terms(n("command", "Hello World"))),
        ("--version", terms(n("command", "-version"))),
        ("echo hi state:failed", terms(t("command", "echo hi"), t("state", "failed"))),
        ("-echo hi -state:failed", terms(n("command", "echo hi"), n("state", "failed"))),
        # A - inside a value is text.
        ("command:-x", terms(t("command", "-x"))),
        ("state:a - b", terms(t("state", "a - b"))),
        # Values keep any character but NUL and lone surrogates.
        ("command:tâche ✓ 日本", terms(t("command", "tâche ✓ 日本"))),
    ],
)
def test_parse(text: str, expected: Filter) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize("text", ["", " ", "\t\n", "\u00a0\u2028"])
def test_an_empty_filter_matches_everything(text: str) -> None:
    assert parse(text) == Filter()
    assert parse(text).matches({})


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ("stat:failed", 1, 'unknown attribute "stat"'),
        ("state:failed foo:bar", 14, 'unknown attribute "foo"'),
        ("rake db:migrate", 6, 'unknown attribute "db"'),
        ("-x:1", 2, 'unknown attribute "x"'),
        ("command:a\tb:c", 11, 'unknown attribute "b"'),
        ('command:"abc', 9, "unbalanced double quote"),
        ('a "b" "c', 7, "unbalanced double quote"),
        ('"', 1, "unbalanced double quote"),
        ("state:", 7, "empty value"),
        ("state:   type:run", 7, "empty value"),
        ("-", 2, "empty value"),
        ("  -  ", 4, "empty value"),
        ("- state:failed", 2, "empty value"),
        ('type:""', 6, "empty value"),
        ('type: "  "', 7, "empty value"),
        ("command:a\x00b", 10, "character U+0000 is not allowed"),
        ("x\ud800", 2, "character U+D800 is not allowed"),
    ],
)
def test_errors_say_where_and_why(text: str, column: int, reason: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.reason.startswith(reason)
    assert str(caught.value) == f"invalid filter at column {column}: {caught.value.reason}"


def test_an_unknown_attribute_suggests_quoting() -> None:
    with pytest.raises(FilterError) as caught:
        parse("rake db:migrate")
    assert caught.value.reason == (
        'unknown attribute "db" (expected one of command, state, type, name, size); '
        'to match text containing "db:", put the value in double quotes'
    )
    assert parse('"rake db:migrate"') == Filter(
        (Term("command", Match(exact=True, value="rake db:migrate")),)
    )


def test_filter_error_is_an_invalid_request() -> None:
    error = FilterError(7, "unbalanced double quote")
    assert isinstance(error, Invalid)
    assert error.status == 422
    assert error.message == "invalid filter at column 7: unbalanced double quote"


@pytest.mark.parametrize(
    ("text", "column", "reason"),
    [
        ('stat:x " \x00', 10, "character U+0000 is not allowed"),
        ('stat:x "', 8, "unbalanced double quote"),
        ("state: stat:x", 8, 'unknown attribute "stat"'),
        ("state: type:", 7, "empty value"),
    ],
)
def test_the_first_fault_reported(text: str, column: int, reason: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse(text)
    assert caught.value.column == column
    assert caught.value.reason.startswith(reason)
