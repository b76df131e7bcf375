"""Bad dyno requests get a clear error and create nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.api import Api


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"command": "true", "time_to_live": 0}, 422, "time_to_live"),
        ({"command": "true", "time_to_live": 86401}, 422, "time_to_live"),
        ({"command": "true", "time_to_live": "soon"}, 422, "time_to_live"),
        ({"command": "true", "time_to_live": "²"}, 422, "time_to_live"),  # isdigit, not int
        ({"command": "true", "time_to_live": "9" * 25}, 422, "time_to_live"),
        ({"command": "true", "size": "enormous-9X"}, 422, "There is no dyno size 'enormous-9X'"),
        ({"command": "true", "env": {"BAD-KEY": "1"}}, 422, "Invalid env var name"),
        ({"command": "true", "type": "bad type!"}, 422, "type must be"),
        ({"command": ""}, 422, "command is required"),
        ({}, 422, "command is required"),
    ],
)
def test_invalid_fields(api: Api, body: dict[str, Any], status: int, fragment: str) -> None:
    api.create_app("strict")
    reply = api.post("/apps/strict/dynos", body)
    assert reply.status == status
    assert set(reply.body) == {"id", "message"}
    assert fragment in reply.body["message"]
    assert api.get("/apps/strict/dynos").ok() == []


def test_malformed_json_is_400(api: Api) -> None:
    api.create_app("malformed")
    reply = api.request(
        "POST",
        "/apps/malformed/dynos",
        raw=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400
    assert reply.body["id"] == "bad_request"


def test_sizes_are_case_insensitive_and_stored_canonically(api: Api) -> None:
    api.create_app("sizes")
    assert api.run("sizes", "true", size="standard-2x")["size"] == "Standard-2X"
    assert api.run("sizes", "true", size="PERFORMANCE-L")["size"] == "Performance-L"


def test_unknown_app_and_dyno(api: Api) -> None:
    assert api.post("/apps/nope-app/dynos", {"command": "true"}).status == 404
    api.create_app("known")
    reply = api.get("/apps/known/dynos/run.99")
    assert (reply.status, reply.body["id"]) == (404, "not_found")
