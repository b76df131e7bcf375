"""The HTTP layer against a real loopback server: headers, bodies, errors, the event stream."""

from __future__ import annotations

import io
import socket

import pytest

from runoff.cli.client import ACCEPT, Client, path
from runoff.cli.sse import SseEvent
from runoff.errors import Invalid, NotFound, RunoffError, Unauthorized
from tests.cli.fakeapi import FakeApi, Reply, error_reply, json_reply, sse_reply


def test_path_encodes_each_segment() -> None:
    assert path("apps", "myapp", "collaborators", "bob@example.com") == (
        "/apps/myapp/collaborators/bob@example.com"
    )
    assert path("apps", "a b/c") == "/apps/a%20b%2Fc"


def test_requests_carry_the_heroku_accept_header_and_bearer_token(fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps", [])
    assert Client(fake_api.url, "secret").get("apps") == []
    headers = fake_api.only().headers
    assert headers["accept"] == ACCEPT == "application/vnd.heroku+json; version=3"
    assert headers["authorization"] == "Bearer secret"


def test_no_authorization_header_without_a_token(fake_api: FakeApi) -> None:
    fake_api.json("GET", "/apps", [])
    Client(fake_api.url, None).get("apps")
    assert "authorization" not in fake_api.only().headers


def test_json_payload_is_sent_as_json(fake_api: FakeApi) -> None:
    fake_api.json("PATCH", "/apps/myapp/config-vars", {"A": "1"})
    assert Client(fake_api.url, "t").patch("apps", "myapp", "config-vars", payload={"A": "1"}) == {
        "A": "1"
    }
    sent = fake_api.only()
    assert sent.headers["content-type"] == "application/json"
    assert sent.json() == {"A": "1"}


def test_api_url_with_a_path_prefix(fake_api: FakeApi) -> None:
    fake_api.json("GET", "/api/account", {"email": "a@example.com"})
    Client(fake_api.url + "/api/", "t").get("account")
    assert fake_api.only().path == "/api/account"


def test_empty_body_is_none(fake_api: FakeApi) -> None:
    fake_api.on("DELETE", "/apps/myapp/dynos", Reply(202))
    assert Client(fake_api.url, "t").delete("apps", "myapp", "dynos") is None


def test_api_error_raises_the_matching_error_with_the_servers_message(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps/nope", error_reply(404, "Couldn't find that app.", "not_found"))
    with pytest.raises(NotFound, match=r"^Couldn't find that app\.$"):
        Client(fake_api.url, "t").get("apps", "nope")


def test_unknown_error_status_is_still_a_runoff_error(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps", error_reply(418, "I'm a teapot"))
    with pytest.raises(RunoffError, match="I'm a teapot"):
        Client(fake_api.url, "t").get("apps")


def test_error_without_json_names_the_status(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps", Reply(502, [b"<html>bad gateway</html>"]))
    with pytest.raises(RunoffError, match="the server answered 502 Bad Gateway"):
        Client(fake_api.url, "t").get("apps")


def test_401_without_a_token_says_how_to_log_in(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps", error_reply(401, "Invalid credentials provided.", "unauthorized"))
    with pytest.raises(Unauthorized, match=r"not logged in to .*: run 'runoff login"):
        Client(fake_api.url, None).get("apps")
    with pytest.raises(Unauthorized, match=r"^Invalid credentials provided\.$"):
        Client(fake_api.url, "bad").get("apps")


def test_a_success_that_is_not_json_is_an_error(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/apps", Reply(200, [b"hello"]))
    with pytest.raises(RunoffError, match="not JSON"):
        Client(fake_api.url, "t").get("apps")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_names_the_server() -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(RunoffError) as raised:
        Client(url, "t").get("apps")
    assert raised.value.message == f"the runoff server at {url} is unreachable (connection refused)"


def test_upload_streams_the_file_as_the_body(fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/slugs", {"id": "s1"}, 201)
    data = b"\x1f\x8b" + bytes(range(256)) * 100
    Client(fake_api.url, "t").upload(
        "apps",
        "myapp",
        "slugs",
        data=io.BytesIO(data),
        size=len(data),
        content_type="application/gzip",
        timeout=5,
    )
    sent = fake_api.only()
    assert sent.body == data
    assert sent.headers["content-type"] == "application/gzip"


# --- the event stream -------------------------------------------------------------------


def test_events_without_follow_end_when_the_server_closes(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET",
        "/streams/1",
        sse_reply(
            "retry: 10\n\n", ": keepalive\n\n", "id: 1\ndata: one\n\n", "id: 2\ndata: two\n\n"
        ),
    )
    client = Client(fake_api.url, "secret")
    events = list(client.events(f"{fake_api.url}/streams/1", follow=False, sleep=pytest.fail))
    assert events == [SseEvent("one", id="1"), SseEvent("two", id="2")]
    sent = fake_api.only()
    assert sent.headers["accept"] == "text/event-stream"
    assert "authorization" not in sent.headers  # the URL carries its own secret


def test_events_accept_a_url_relative_to_the_api(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/streams/1", sse_reply("data: x\n\n"))
    events = list(Client(fake_api.url, None).events("/streams/1", follow=False, sleep=pytest.fail))
    assert [e.data for e in events] == ["x"]


def test_follow_reconnects_with_last_event_id_until_the_server_says_204(
    fake_api: FakeApi,
) -> None:
    fake_api.on(
        "GET",
        "/streams/1",
        sse_reply("retry: 250\n\n", "id: 7\ndata: seven\n\n", "id: 8\ndata: half an eve"),
        Reply(drop=True),  # the connection drops before any response
        sse_reply("id: 9\ndata: nine\n\n"),
        Reply(204),
    )
    sleeps: list[float] = []
    client = Client(fake_api.url, None)
    events = list(client.events("/streams/1", follow=True, sleep=sleeps.append))
    assert [e.data for e in events] == ["seven", "nine"]
    resumes = [r.headers.get("last-event-id") for r in fake_api.requests]
    assert resumes == [None, "8", "8", "9"]
    assert sleeps == [0.25, 1.0, 0.25]


def test_follow_gives_up_after_repeated_failures(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/streams/1", sse_reply("data: a\n\n"), Reply(drop=True))
    client = Client(fake_api.url, None)
    events = client.events("/streams/1", follow=True, sleep=lambda _: None)
    assert next(events).data == "a"
    with pytest.raises(RunoffError, match="is unreachable"):
        next(events)
    assert len(fake_api.requests) == 2 + 5


def test_an_expired_stream_is_an_api_error(fake_api: FakeApi) -> None:
    fake_api.on("GET", "/streams/1", error_reply(404, "Log session expired.", "not_found"))
    with pytest.raises(NotFound, match=r"Log session expired\."):
        list(Client(fake_api.url, None).events("/streams/1", follow=True, sleep=pytest.fail))


def test_first_connection_failure_is_raised_even_when_following() -> None:
    client = Client(f"http://127.0.0.1:{_closed_port()}", None)
    with pytest.raises(RunoffError, match="connection refused"):
        list(client.events("/streams/1", follow=True, sleep=pytest.fail))


def test_invalid_payload_error_class(fake_api: FakeApi) -> None:
    fake_api.on("POST", "/apps", json_reply({"id": "invalid_params", "message": "bad name"}, 422))
    with pytest.raises(Invalid, match="bad name"):
        Client(fake_api.url, "t").post("apps", payload={"name": "X"})
