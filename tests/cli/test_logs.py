from __future__ import annotations

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, Reply, sse_reply

LINE_1 = "2026-11-23T10:00:00.123456+00:00 app[run.2]: hello"
LINE_2 = "2026-11-23T10:00:01.000000+00:00 heroku[run.2]: Process exited with status 0"


def session(fake_api: FakeApi) -> None:
    fake_api.json(
        "POST",
        "/apps/myapp/log-sessions",
        {"id": "s1", "logplex_url": f"{fake_api.url}/log-streams/s1/secret"},
        201,
    )


def test_logs_prints_the_backlog_and_exits(cli: Cli, fake_api: FakeApi) -> None:
    session(fake_api)
    fake_api.on(
        "GET",
        "/log-streams/s1/secret",
        sse_reply(
            "retry: 10\n\n",
            f"id: 1\ndata: {LINE_1}\n\n",
            ": keepalive\n\n",
            f"id: 2\ndata: {LINE_2}\n\n",
        ),
    )
    result = cli("logs", "-a", "myapp")
    assert (result.code, result.out, result.err) == (0, f"{LINE_1}\n{LINE_2}\n", "")
    create, stream = fake_api.requests
    assert create.json() == {"lines": 100, "tail": False}
    assert create.headers["authorization"] == "Bearer tok-alice"
    assert stream.headers["accept"] == "text/event-stream"
    assert "authorization" not in stream.headers


def test_logs_filters_single_values_as_strings_repeated_as_lists(
    cli: Cli, fake_api: FakeApi
) -> None:
    session(fake_api)
    fake_api.on("GET", "/log-streams/s1/secret", sse_reply())
    cli("logs", "-a", "myapp", "-n", "5", "-d", "run.1", "-d", "run.2", "-p", "web", "-s", "app")
    assert fake_api.requests[0].json() == {
        "lines": 5,
        "tail": False,
        "dyno": ["run.1", "run.2"],
        "type": "web",
        "source": "app",
    }


def test_logs_json_asks_for_json_lines(cli: Cli, fake_api: FakeApi) -> None:
    session(fake_api)
    fake_api.on("GET", "/log-streams/s1/secret", sse_reply('data: {"message": "hello"}\n\n'))
    result = cli("logs", "-a", "myapp", "--json")
    assert result.out == '{"message": "hello"}\n'
    assert fake_api.requests[0].json() == {"lines": 100, "tail": False, "format": "json"}


def test_logs_tail_reconnects_and_ctrl_c_exits_quietly(cli: Cli, fake_api: FakeApi) -> None:
    session(fake_api)
    fake_api.on(
        "GET",
        "/log-streams/s1/secret",
        sse_reply("retry: 1000\n\n", f"id: 1\ndata: {LINE_1}\n\n"),
        sse_reply(f"id: 2\ndata: {LINE_2}\n\n"),
    )

    def sleep(seconds: float) -> None:
        cli.sleeps.append(seconds)
        if len(cli.sleeps) == 2:
            raise KeyboardInterrupt

    cli.sleep = sleep
    result = cli("logs", "-a", "myapp", "--tail")
    assert (result.code, result.out, result.err) == (0, f"{LINE_1}\n{LINE_2}\n", "")
    assert cli.sleeps == [1.0, 1.0]
    assert fake_api.requests[0].json() == {"lines": 100, "tail": True}
    assert [r.headers.get("last-event-id") for r in fake_api.requests[1:]] == [None, "1"]


def test_logs_stream_error_is_one_line(cli: Cli, fake_api: FakeApi) -> None:
    session(fake_api)
    fake_api.on("GET", "/log-streams/s1/secret", Reply(drop=True))
    result = cli("logs", "-a", "myapp")
    assert result.code == 1
    assert result.err.startswith(f"runoff: the runoff server at {fake_api.url} is unreachable")
