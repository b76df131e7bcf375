"""Config var values never leave runoff in a command or log line."""

from __future__ import annotations

from runoff.alerts.redact import REDACTED, Redactor


def test_every_value_is_replaced() -> None:
    redact = Redactor(["s3cr3t", "postgres://u:pw@db/x", ""])
    assert redact("psql postgres://u:pw@db/x -c 'select s3cr3t'") == (
        f"psql {REDACTED} -c 'select {REDACTED}'"
    )


def test_longest_value_first() -> None:
    redact = Redactor(["abc", "abcdef"])
    assert redact("x abcdef y abc") == f"x {REDACTED} y {REDACTED}"


def test_regex_characters_are_literal() -> None:
    assert Redactor(["a.b*"])("a.b* axb") == f"{REDACTED} axb"


def test_excerpt_redacts_before_cutting() -> None:
    secret = "k" * 50
    command = "x" * 190 + secret
    shown = Redactor([secret]).excerpt(command)
    assert "k" not in shown
    assert shown.endswith(REDACTED)
    assert len(Redactor([]).excerpt("y" * 300)) == 200


def test_no_values() -> None:
    assert Redactor([])("echo hi") == "echo hi"
