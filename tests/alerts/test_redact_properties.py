"""Redaction's two properties over random configs and random log text split as the log store
splits long lines: (a) no secret survives, whatever the splits; (b) text holding no secret is
unchanged byte for byte."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runoff.logs.model import MAX_LINE_BYTES
from runoff.redact import REDACTED, Redactor, secrets_of

NAMES = st.sampled_from(
    [
        "API_KEY",
        "STRIPE_SECRET",
        "GH_TOKEN",
        "DB_PASSWORD",
        "SMTP_PASS",
        "DATABASE_URL",
        "WEB_CONCURRENCY",
        "DEBUG",
        "RAILS_ENV",
        "LANG",
        "PORT",
        "MISC",
    ]
)
VALUES = st.one_of(
    st.text(alphabet="abcdefXYZ0123456789-_", min_size=1, max_size=40),
    st.sampled_from(["2", "true", "production", "en_US.UTF-8", "5000"]),
    st.builds(
        lambda u, p: f"postgres://{u}:{p}@db:5432/x",
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.from_regex(r"[a-z0-9]{1,12}", fullmatch=True),
    ),
)
CONFIGS = st.lists(st.tuples(NAMES, VALUES), max_size=6)
FILLER = st.text(alphabet="abc XYZ 0123456789:.-T+\n", max_size=3 * MAX_LINE_BYTES // 100)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def records(text: str, size: int) -> list[str]:
    """``text`` as log records: one per line, long lines split every ``size`` characters."""
    out: list[str] = []
    for line in text.split("\n"):
        out += [line[i : i + size] for i in range(0, len(line), size)] or [""]
    return out


def hidden_values(config: list[tuple[str, str]]) -> set[str]:
    return {v for name, value in config for v in secrets_of(name, value)[0]}


@PROPERTY
@given(CONFIGS, st.lists(st.tuples(FILLER, st.booleans()), max_size=6), st.integers(3, 64))
def test_no_secret_survives_any_split(
    config: list[tuple[str, str]], pieces: list[tuple[str, bool]], size: int
) -> None:
    secrets = sorted(hidden_values(config))
    text = "".join(
        filler + (secrets[i % len(secrets)] if use and secrets else "")
        for i, (filler, use) in enumerate(pieces)
    )
    shown = Redactor(named=config).lines(records(text, size))
    for line in shown:
        for secret in secrets:
            assert secret not in line.replace(REDACTED, "\0")
    joined = "".join(shown).replace(REDACTED, "\0")
    for secret in secrets:
        assert secret not in joined


@PROPERTY
@given(CONFIGS, FILLER, st.integers(3, 64))
def test_text_without_secrets_is_unchanged(
    config: list[tuple[str, str]], text: str, size: int
) -> None:
    redact = Redactor(named=config)
    parts = records(text, size)
    if redact("".join(parts)) != "".join(parts):
        return  # the random text happens to hold a secret
    assert redact.lines(parts) == parts
    assert redact(text) == text


@PROPERTY
@given(st.sampled_from(["2", "true", "production", "5000"]), st.text(max_size=200))
def test_short_settings_never_mangle(value: str, text: str) -> None:
    assert Redactor(named=[("WEB_CONCURRENCY", value)])(text) == text
