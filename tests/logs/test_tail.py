"""Tailing under load: nothing lost for slow clients, quiet dynos not held up by chatty ones."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.api import Api
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.runcli import run_cli


class Stream:
    """A raw SSE connection whose reading the test controls."""

    def __init__(self, url: str, headers: dict[str, str] | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        self.conn.request(
            "GET", parts.path, headers={"Accept": "text/event-stream", **(headers or {})}
        )
        self.response = self.conn.getresponse()
        assert self.response.status == 200

    def events(self) -> Iterator[tuple[int | None, str]]:
        """(id, data) of each event as it arrives."""
        event_id = None
        while True:
            raw = self.response.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\n")
            if line.startswith("id: "):
                event_id = int(line[4:])
            elif line.startswith("data: "):
                yield event_id, line[6:]
                event_id = None

    def close(self) -> None:
        self.conn.close()


def tail_url(api: Api, app: str, **fields: object) -> str:
    body = {"tail": True, "lines": 0, **fields}
    url: str = api.post(f"/apps/{app}/log-sessions", body).ok()["logplex_url"]
    return url


def test_a_slow_tail_client_gets_every_line_once_in_order(
    server_factory: Callable[..., LiveServer],
) -> None:
    api = Api(server_factory(log_tail_buffer_lines=100).url, ADMIN_TOKEN)
    api.create_app("firehose")
    stream = Stream(tail_url(api, "firehose", source="app"))
    total = 150_000
    api.run("firehose", f"seq -f '%.0f {'p' * 80}' 1 {total}")
    api.wait_ended("firehose", "run.1", timeout=60)  # the client has read nothing so far
    ids, numbers = [], []
    for event_id, data in stream.events():
        ids.append(event_id)
        numbers.append(int(data.split(": ", 1)[1].split(" ", 1)[0]))
        if len(numbers) == total:
            break
    stream.close()
    assert numbers == list(range(1, total + 1))
    assert all(b > a for a, b in itertools.pairwise(ids))


def test_resuming_a_tail_after_many_lines_sends_them_all(api: Api) -> None:
    api.create_app("resumer")
    url = tail_url(api, "resumer", source="app")
    first = Stream(url)
    api.run("resumer", "seq 1 12000")
    event_id, data = next(first.events())
    first.close()
    api.wait_ended("resumer", "run.1")
    assert data.endswith(": 1")
    stream = Stream(url, {"Last-Event-ID": str(event_id)})
    got = []
    for _, data in stream.events():
        got.append(int(data.rsplit(" ", 1)[1]))
        if len(got) == 11999:
            break
    stream.close()
    assert got == list(range(2, 12001))


@pytest.mark.slow
def test_chatty_dynos_do_not_hold_up_a_quiet_one(api: Api) -> None:
    api.create_app("noisy")
    stream = Stream(tail_url(api, "noisy", dyno="quiet", source="app"))
    received: list[tuple[int | None, float, float]] = []

    def read() -> None:
        for event_id, data in stream.events():
            received.append((event_id, float(data.rsplit(" ", 1)[1]), time.time()))
            if len(received) == 20:
                return

    reader = threading.Thread(target=read)
    reader.start()
    chatty = "yes 'chatty line padded to about a hundred bytes .................................'"
    for _ in range(3):  # writing as fast as they can until they are stopped
        api.run("noisy", chatty, type="chatty")
    api.run("noisy", "for i in $(seq 20); do date +%s.%N; sleep 0.1; done", type="quiet")
    reader.join(timeout=90)
    stream.close()
    assert len(received) == 20
    delays = [got - sent for _, sent, got in received]
    # delivered as written, not after the chatty dynos' ~900 MB went through the store
    assert max(delays) < 5, delays
    for name in ("chatty.1", "chatty.2", "chatty.3"):
        api.post(f"/apps/noisy/dynos/{name}/actions/stop").ok()
    for name in ("chatty.1", "chatty.2", "chatty.3"):
        api.wait_ended("noisy", name, timeout=120)
    last_chatty = Stream(
        api.post("/apps/noisy/log-sessions", {"lines": 1, "dyno": "chatty", "source": "app"}).ok()[
            "logplex_url"
        ]
    )
    [(chatty_id, _)] = list(last_chatty.events())
    last_chatty.close()
    assert chatty_id is not None
    assert received[-1][0] is not None
    assert chatty_id > received[-1][0]  # the chatty dynos were still writing all along


def test_logs_cli_filters_and_json_against_a_live_server(api: Api, tmp_path: Path) -> None:
    api.create_app("clilogs")
    for command, dyno_type in (("echo one", "run"), ("echo two", "worker"), ("echo 3", "web")):
        name = api.run("clilogs", command, type=dyno_type)["name"]
        api.wait_ended("clilogs", name)
    cli = run_cli(
        api.base_url,
        ADMIN_TOKEN,
        tmp_path,
        "logs",
        "-a",
        "clilogs",
        "--json",
        "-p",
        "run",
        "-p",
        "web",
        "-s",
        "app",
        "-n",
        "1",
    )
    assert cli.code == 0, cli.err
    [line] = [json.loads(text) for text in cli.out.splitlines()]
    assert (line["source"], line["dyno"], line["message"]) == ("app", "web.1", "3")
    assert isinstance(line["id"], int)
    assert line["time"].endswith("+00:00")
    cli = run_cli(
        api.base_url,
        ADMIN_TOKEN,
        tmp_path,
        "logs",
        "-a",
        "clilogs",
        "-d",
        "worker.1",
        "-d",
        "run.1",
        "-s",
        "app",
    )
    assert [text.split(" ", 1)[1] for text in cli.out.splitlines()] == [
        "app[run.1]: one",
        "app[worker.1]: two",
    ]
