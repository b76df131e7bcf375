"""Log sessions: filters, backlog, live tail, resumption, expiry."""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from collections.abc import Callable, Iterator

import pytest

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer


@pytest.fixture
def busy_app(api: Api) -> Api:
    api.create_app("busy")
    for command, dyno_type in (
        ("echo one", "run"),
        ("echo two", "worker"),
        ("echo three", "runner"),
    ):
        name = api.run("busy", command, type=dyno_type)["name"]
        api.wait_ended("busy", name)  # one after the other, so their lines have a known order
    return api


def app_lines(api: Api, **fields: object) -> list[str]:
    return api.messages("busy", source="app", **fields)


def test_filters(busy_app: Api) -> None:
    api = busy_app
    assert app_lines(api) == ["app[run.1]: one", "app[worker.1]: two", "app[runner.1]: three"]
    assert app_lines(api, dyno="run.1") == ["app[run.1]: one"]
    assert app_lines(api, dyno="run") == ["app[run.1]: one"]  # type prefix, not "runner"
    assert app_lines(api, dyno=["run.1", "worker"]) == ["app[run.1]: one", "app[worker.1]: two"]
    assert app_lines(api, type="worker") == ["app[worker.1]: two"]
    heroku = api.messages("busy", source="heroku", dyno="run.1")
    assert heroku[0] == "heroku[run.1]: Starting process with command `echo one`"
    assert all(line.startswith("heroku[run.1]") for line in heroku)


def test_lines_counts_after_filtering(busy_app: Api) -> None:
    assert busy_app.messages("busy", source="app", lines=2) == [
        "app[worker.1]: two",
        "app[runner.1]: three",
    ]
    assert busy_app.messages("busy", dyno="run.1", lines=1) == [
        "heroku[run.1]: State changed from up to complete"
    ]


def test_lines_keep_rfc5424_timestamps(busy_app: Api) -> None:
    line = busy_app.logs("busy", lines=1)[0]
    stamp = line.split(" ", 1)[0]
    assert len(stamp) == len("2026-11-23T10:00:00.123456+00:00")
    assert stamp.endswith("+00:00")


def test_bad_requests(api: Api) -> None:
    api.create_app("logbad")
    assert api.post("/apps/logbad/log-sessions", {"source": "kernel"}).status == 422
    assert api.post("/apps/logbad/log-sessions", {"lines": -1}).status == 422
    assert api.post("/apps/logbad/log-sessions", {"lines": 10**9}).status == 422


def test_wrong_secret_is_404(api: Api) -> None:
    api.create_app("secretive")
    url = api.post("/apps/secretive/log-sessions", {}).ok()["logplex_url"]
    reply = Api(api.base_url, None).get(url[:-4] + "AAAA")
    assert reply.status == 404


def test_sessions_expire(server_factory: Callable[..., LiveServer]) -> None:
    api = Api(server_factory(log_session_ttl_seconds=1).url, ADMIN_TOKEN)
    api.create_app("expiring")
    url = api.post("/apps/expiring/log-sessions", {}).ok()["logplex_url"]
    assert Api(api.base_url, None).get(url).status == 200
    time.sleep(1.1)
    assert Api(api.base_url, None).get(url).status == 404


def sse(url: str, headers: dict[str, str] | None = None) -> Iterator[tuple[str, str]]:
    """(field, value) pairs of an event stream, as they arrive."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", parts.path, headers={"Accept": "text/event-stream", **(headers or {})})
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("content-type", "").startswith("text/event-stream")
    try:
        while True:
            raw = response.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\n")
            if line:
                field, _, value = line.partition(": ")
                yield field, value
    finally:
        conn.close()


def test_tail_streams_new_lines_live(api: Api) -> None:
    api.create_app("tailed")
    api.run("tailed", "echo before")
    api.wait_ended("tailed", "run.1")
    url = api.post("/apps/tailed/log-sessions", {"tail": True, "source": "app"}).ok()["logplex_url"]
    stream = sse(url)
    assert next(stream) == ("retry", "1000")
    assert next(stream)[0] == "id"
    assert next(stream)[1].endswith("app[run.1]: before")
    api.run("tailed", "echo live; sleep 0.2; echo again")
    seen = [value for field, value in _take(stream, 4) if field == "data"]
    assert [s.split(" ", 1)[1] for s in seen] == ["app[run.2]: live", "app[run.2]: again"]
    stream.close()


def test_resume_with_last_event_id(api: Api) -> None:
    api.create_app("resumed")
    api.run("resumed", "echo a; echo b; echo c")
    api.wait_ended("resumed", "run.1")
    url = api.post("/apps/resumed/log-sessions", {"source": "app", "tail": True}).ok()[
        "logplex_url"
    ]
    events = list(_take(sse(url), 7))
    first_id = events[1][1]
    resumed = [v for f, v in _take(sse(url, {"Last-Event-ID": first_id}), 5) if f == "data"]
    assert [r.split(" ", 1)[1] for r in resumed] == ["app[run.1]: b", "app[run.1]: c"]


def test_json_format(api: Api) -> None:
    api.create_app("jsonlogs")
    api.run("jsonlogs", "echo structured")
    api.wait_ended("jsonlogs", "run.1")
    url = api.post("/apps/jsonlogs/log-sessions", {"source": "app", "format": "json"}).ok()[
        "logplex_url"
    ]
    data = [json.loads(v) for f, v in sse(url) if f == "data"]
    assert [(d["source"], d["dyno"], d["message"]) for d in data] == [
        ("app", "run.1", "structured")
    ]


def _take(stream: Iterator[tuple[str, str]], count: int) -> Iterator[tuple[str, str]]:
    for _ in range(count):
        yield next(stream)


_ = wait_for
