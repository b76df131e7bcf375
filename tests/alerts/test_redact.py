"""Config var values never leave runoff in a command or log line; other text is unchanged."""

from __future__ import annotations

from runoff.redact import REDACTED, Redactor, secrets_of


def test_every_secret_is_replaced() -> None:
    redact = Redactor(named=[("API_KEY", "s3cr3t"), ("DATABASE_URL", "postgres://u:pw@db/x")])
    assert redact("psql postgres://u:pw@db/x -c 'select s3cr3t'") == (
        f"psql {REDACTED} -c 'select {REDACTED}'"
    )


def test_url_credentials_are_hidden_under_any_name() -> None:
    redact = Redactor(named=[("DB", "postgres://admin:hunter2@db/x")])
    assert redact("login admin:hunter2 ok") == f"login {REDACTED} ok"


def test_longest_value_first() -> None:
    redact = Redactor(named=[("A_TOKEN", "abcd"), ("B_TOKEN", "abcdef")])
    assert redact("x abcdef y abcd") == f"x {REDACTED} y {REDACTED}"


def test_regex_characters_are_literal() -> None:
    assert Redactor(named=[("X_SECRET", "a.b*")])("a.b* axb") == f"{REDACTED} axb"


def test_short_settings_are_not_secrets() -> None:
    redact = Redactor(named=[("WEB_CONCURRENCY", "2"), ("DEBUG", "true"), ("ENV", "production")])
    text = "2026-12-02T06:02:22.123456+00:00 app[run.2]: production true"
    assert redact(text) == text


def test_short_named_secret_is_a_whole_token_only() -> None:
    redact = Redactor(named=[("DB_PASS", "ab")])
    assert redact("about ab lab") == f"about {REDACTED} lab"
    assert secrets_of("DB_PASS", "ab") == (set(), {"ab"})


def test_unnamed_values_by_shape() -> None:
    assert secrets_of(None, "a1b2c3d4") == ({"a1b2c3d4"}, set())
    assert secrets_of(None, "abcdefgh") == (set(), set())
    assert secrets_of(None, "x" * 16) == ({"x" * 16}, set())


def test_a_secret_across_records_is_hidden_in_each() -> None:
    redact = Redactor(named=[("API_KEY", "supersecret")])
    assert redact.lines(["head super", "secret tail"]) == [f"head {REDACTED}", f"{REDACTED} tail"]


def test_excerpt_redacts_before_cutting() -> None:
    secret = "k" * 50
    command = "x" * 190 + secret
    shown = Redactor([secret]).excerpt(command)
    assert "k" not in shown
    assert shown.endswith(REDACTED)
    assert len(Redactor([]).excerpt("y" * 300)) == 200


def test_no_values() -> None:
    assert Redactor([])("echo hi") == "echo hi"
