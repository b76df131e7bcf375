"""Input at the boundary that once gave 500s: NUL in paths and query strings (PostgreSQL),
numbers as text that ``str.isdigit`` accepts and ``int`` or the databases do not, Procfile
commands that could be stored but never run."""

from __future__ import annotations

import urllib.parse

import pytest

from runoff.apps.model import MAX_COMMAND_BYTES
from runoff.wholes import whole
from tests.support.api import Api
from tests.support.slugs import make_slug


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("0", 0),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),
        ("²", None),
        ("٣", None),
        ("-1", None),
        ("+1", None),
        ("1.5", None),
        ("", None),
    ],
)
def test_whole_numbers_from_text(text: str, number: int | None) -> None:
    assert whole(text) == number


@pytest.mark.parametrize(
    "path",
    [
        "/apps/a%00b",
        "/apps/{app}/releases/a%00b",
        "/apps/{app}/dynos/a%00b",
        "/apps/{app}/collaborators/a%00b",
        "/teams/a%00b",
        "/oauth/authorizations/a%00b",
        "/log-streams/a%00b/c",
        "/apps/{app}/one-off-metrics/dynos?filter=command%3D%22%00%22",
    ],
)
def test_nul_in_a_path_or_query_string_is_400(api: Api, path: str) -> None:
    app = api.create_app("nul")["name"]
    reply = api.get(path.replace("{app}", app))
    assert reply.status == 400, reply
    assert reply.body["id"] == "bad_request"
    assert "NUL" in reply.body["message"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/apps/{app}/releases/{number}", None),
        ("/apps/{app}/scheduler/jobs/{number}", None),
        ("/apps/{app}/one-off-metrics/alerts/{number}", None),
        ("/apps/{app}/one-off-metrics/dynos?limit={number}", None),
    ],
)
@pytest.mark.parametrize("number", ["²", "9" * 25])
def test_numbers_as_text_in_paths_are_4xx(api: Api, path: str, body: None, number: str) -> None:
    app = api.create_app("numbers")["name"]
    api.post(f"/apps/{app}/addons", {"plan": "one-off-metrics"}).ok()
    reply = api.get(path.format(app=app, number=urllib.parse.quote(number)))
    assert reply.status in (404, 422), reply


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/apps/{app}/log-sessions", {"lines": "{number}"}),
        ("/oauth/authorizations", {"expires_in": "{number}"}),
        ("/apps/{app}/one-off-metrics/monitors", {"type": "command-failure", "window": "{number}"}),
    ],
)
@pytest.mark.parametrize("number", ["²", "9" * 25])
def test_numbers_as_text_in_bodies_are_422(
    api: Api, path: str, body: dict[str, str], number: str
) -> None:
    app = api.create_app("numbers")["name"]
    api.post(f"/apps/{app}/addons", {"plan": "one-off-metrics"}).ok()
    sent = {key: value.replace("{number}", number) for key, value in body.items()}
    reply = api.post(path.format(app=app), sent)
    assert reply.status == 422, reply
    assert reply.body["id"] == "invalid_params"


@pytest.mark.parametrize(
    ("procfile", "words"),
    [
        ("web: echo a\0b\n", "NUL"),
        ("web: " + "x" * (MAX_COMMAND_BYTES + 1) + "\n", "larger than"),
    ],
)
def test_a_procfile_command_that_could_not_run_is_refused(
    api: Api, procfile: str, words: str
) -> None:
    app = api.create_app("procfile")["name"]
    reply = api.request(
        "POST",
        f"/apps/{app}/slugs",
        raw=make_slug({"Procfile": procfile}),
        headers={"Content-Type": "application/gzip"},
    )
    assert reply.status == 422, reply
    assert reply.body["id"] == "invalid_procfile"
    assert words in reply.body["message"]
