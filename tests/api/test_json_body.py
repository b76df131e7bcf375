"""json_body refuses what cannot be stored or read back, naming the field, with a 4xx."""

from __future__ import annotations

import asyncio
import json

import pytest
from starlette.requests import Request

from runoff.errors import RunoffError
from runoff.web.common import MAX_JSON_BYTES, json_body, resume_id


def post(raw: bytes) -> tuple[int, dict[str, object]]:
    """Status and JSON answer of json_body for a POST carrying raw."""
    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": raw, "more_body": False}

    async def run() -> tuple[int, dict[str, object]]:
        try:
            return 200, {"body": await json_body(Request(scope, receive))}
        except RunoffError as exc:
            return exc.status, {"id": exc.id, "message": exc.message}

    return asyncio.run(run())


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b'{"name": "a\\u0000b"}', 400, "name"),
        (b'{"name": "\\ud800"}', 400, "name"),
        (b'{"a": {"b": [1, 99999999999999999999]}}', 400, "a.b[1]"),
        (b'{"n": NaN}', 400, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested"),
        (b"[" * 40 + b"]" * 40, 400, "nested"),
        (b"\xff\xfe", 400, "not valid JSON"),
    ],
)
def test_bad_bodies_answer_400_naming_the_field(raw: bytes, status: int, words: str) -> None:
    code, answer = post(raw)
    assert code == status
    assert words in str(answer["message"])


def test_a_body_over_the_cap_answers_413() -> None:
    assert post(b" " * (MAX_JSON_BYTES + 1)) == (
        413,
        {
            "id": "request_too_large",
            "message": f"The request body is larger than {MAX_JSON_BYTES} bytes",
        },
    )


def test_good_bodies_pass() -> None:
    body = {"name": "é✓", "n": 2**63 - 1, "list": [True, None, 1.5]}
    assert post(json.dumps(body).encode()) == (200, {"body": body})


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("42", 42),
        (" 42 ", 42),
        ("²", None),
        ("-1", None),
        ("abc", None),
        ("9" * 40, None),
        (str(2**63), None),
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_a_resume_point_never_fails(header: str | None, expected: int | None) -> None:
    assert resume_id(header) == expected
