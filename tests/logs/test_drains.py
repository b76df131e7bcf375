"""Log drains: the API, and delivery to real syslog (TCP, TLS) and HTTPS receivers."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Iterator

import pytest

from tests.support.api import Api, wait_for
from tests.support.certs import Certs, make_certs
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.receivers import HttpsReceiver, SyslogReceiver

SYSLOG = re.compile(
    rb"<190>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00) (\S+) (app|heroku) (\S+) - (.*)\n",
    re.DOTALL,
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def drain_api(server_factory: Callable[..., LiveServer], certs: Certs) -> Api:
    api = Api(server_factory(drain_ca_file=certs.ca_file).url, ADMIN_TOKEN)
    api.create_app("drained")
    return api


@pytest.fixture
def syslog_tcp() -> Iterator[SyslogReceiver]:
    receiver = SyslogReceiver()
    yield receiver
    receiver.close()


def parsed(message: bytes) -> tuple[str, str, str, bytes]:
    match = SYSLOG.fullmatch(message)
    assert match, message
    _, host, source, dyno, text = match.groups()
    return host.decode(), source.decode(), dyno.decode(), text


def app_texts(messages: list[bytes]) -> list[bytes]:
    return [parsed(m)[3] for m in messages if parsed(m)[1] == "app"]


# the API ----------------------------------------------------------------------------------------
def test_add_list_show_and_remove_drains(api: Api) -> None:
    api.create_app("drainy")
    created = api.post("/apps/drainy/log-drains", {"url": "syslog+tls://logs.example.com:6514"})
    assert created.status == 201
    drain = created.body
    assert drain["url"] == "syslog+tls://logs.example.com:6514"
    assert re.fullmatch(r"d\.[0-9a-f-]{36}", drain["token"])
    assert drain["app"]["name"] == "drainy"
    assert drain["addon"] is None
    assert set(drain) >= {"id", "created_at", "updated_at"}
    second = api.post("/apps/drainy/log-drains", {"url": "https://u:p@example.com/x?y=1"}).ok()
    assert [d["url"] for d in api.get("/apps/drainy/log-drains").ok()] == [
        drain["url"],
        second["url"],
    ]
    assert api.get(f"/apps/drainy/log-drains/{drain['token']}").ok()["id"] == drain["id"]
    quoted = urllib.parse.quote(second["url"], safe="")
    assert api.delete(f"/apps/drainy/log-drains/{quoted}").ok()["id"] == second["id"]
    assert api.delete(f"/apps/drainy/log-drains/{drain['id']}").ok()["id"] == drain["id"]
    assert api.get("/apps/drainy/log-drains").ok() == []
    assert api.delete(f"/apps/drainy/log-drains/{drain['id']}").status == 404


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com", "Unsupported drain URL scheme"),
        ("syslog://example.com", "needs a port"),
        ("syslog://example.com:99999", "invalid port"),
        ("syslog+tls://example.com:514/path", "no path"),
        ("https:///nohost", "has no host"),
        (None, "url is required"),
    ],
)
def test_bad_drain_urls_are_refused(api: Api, url: object, message: str) -> None:
    api.create_app("badurls")
    reply = api.post("/apps/badurls/log-drains", {"url": url})
    assert reply.status == 422
    assert reply.body["id"] == "invalid_params"
    assert message in reply.body["message"]


def test_at_most_five_per_app_and_no_repeats(api: Api, user_api: Callable[[str], Api]) -> None:
    api.create_app("fivefold")
    for port in range(5):
        api.post("/apps/fivefold/log-drains", {"url": f"syslog://h:{1000 + port}"}).ok()
    full = api.post("/apps/fivefold/log-drains", {"url": "syslog://h:2000"})
    assert (full.status, full.body["id"]) == (422, "invalid_params")
    assert "at most 5" in full.body["message"]
    again = api.post("/apps/fivefold/log-drains", {"url": "syslog://h:1000"})
    assert again.status == 422
    assert again.body["message"] == "Url has already been taken"
    assert user_api("mallory").get("/apps/fivefold/log-drains").status == 404


# delivery ---------------------------------------------------------------------------------------
def test_syslog_over_tcp_gets_every_line_as_rfc5424(
    drain_api: Api, syslog_tcp: SyslogReceiver
) -> None:
    drain = drain_api.post("/apps/drained/log-drains", {"url": syslog_tcp.url}).ok()
    drain_api.run("drained", "echo hello; echo 'two words'")
    drain_api.wait_ended("drained", "run.1")
    messages = syslog_tcp.wait(6)
    hosts = {parsed(m)[0] for m in messages}
    assert hosts == {drain["token"]}
    assert [(parsed(m)[1], parsed(m)[2], parsed(m)[3]) for m in messages[:4]] == [
        ("heroku", "run.1", b"Starting process with command `echo hello; echo 'two words'`"),
        ("heroku", "run.1", b"State changed from starting to up"),
        ("app", "run.1", b"hello"),
        ("app", "run.1", b"two words"),
    ]


def test_syslog_over_tls(drain_api: Api, certs: Certs) -> None:
    receiver = SyslogReceiver(certs.server_context())
    try:
        drain_api.post("/apps/drained/log-drains", {"url": receiver.url}).ok()
        drain_api.run("drained", "seq 1 300")
        receiver.wait(300)
        assert app_texts(receiver.wait(300))[:300] == [b"%d" % i for i in range(1, 301)]
    finally:
        receiver.close()


def test_https_posts_in_logplex_shape(drain_api: Api, certs: Certs) -> None:
    receiver = HttpsReceiver(certs.server_context())
    try:
        drain = drain_api.post("/apps/drained/log-drains", {"url": receiver.url}).ok()
        drain_api.run("drained", "seq 1 1200")
        drain_api.wait_ended("drained", "run.1")
        wait_for(lambda: len(app_texts(receiver.delivered())) >= 1200, 30, "1200 lines")
        assert app_texts(receiver.delivered()) == [b"%d" % i for i in range(1, 1201)]
        for post in receiver.posts:
            assert post.headers["Content-Type"] == "application/logplex-1"
            assert post.headers["Logplex-Msg-Count"] == str(len(post.messages))
            assert post.headers["Logplex-Drain-Token"] == drain["token"]
            assert re.fullmatch(r"[0-9A-F]{32}", post.headers["Logplex-Frame-Id"])
            assert all(parsed(m)[0] == "host" for m in post.messages)
        assert max(len(post.messages) for post in receiver.posts) <= 500
        assert len({post.headers["Logplex-Frame-Id"] for post in receiver.posts}) == len(
            receiver.posts
        )
    finally:
        receiver.close()


def test_a_failed_post_is_retried_with_the_same_frame_id(drain_api: Api) -> None:
    receiver = HttpsReceiver(None, statuses=[500, 503])
    try:
        drain_api.post("/apps/drained/log-drains", {"url": receiver.url}).ok()
        drain_api.run("drained", "echo once")
        wait_for(lambda: receiver.delivered(), 30, "a delivered POST")
        first, second, third = receiver.posts[:3]
        assert [p.status for p in (first, second, third)] == [500, 503, 200]
        frame_ids = {p.headers["Logplex-Frame-Id"] for p in (first, second, third)}
        assert len(frame_ids) == 1
        assert first.messages == third.messages
    finally:
        receiver.close()


def test_overflow_drops_the_oldest_and_says_so_with_l10(
    server_factory: Callable[..., LiveServer],
) -> None:
    drain_api = Api(server_factory(drain_buffer_lines=50).url, ADMIN_TOKEN)
    drain_api.create_app("drained")
    receiver = HttpsReceiver(None)
    receiver.gate.clear()  # the endpoint hangs: the drain's buffer (50 lines) overflows
    try:
        drain = drain_api.post("/apps/drained/log-drains", {"url": receiver.url}).ok()
        drain_api.run("drained", "echo first; sleep 0.5; seq 1 1000")
        drain_api.wait_ended("drained", "run.1")
        receiver.gate.set()
        wait_for(lambda: b"1000" in app_texts(receiver.delivered()), 30, "the last line")
        messages = receiver.delivered()
        errors = [parsed(m) for m in messages if b"Error L10" in m]
        assert len(errors) == 1
        _host, source, dyno, text = errors[0]
        assert (source, dyno) == ("heroku", "logplex")
        match = re.fullmatch(
            rb"Error L10 \(output buffer overflow\): (\d+) messages dropped since "
            rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00\.",
            text,
        )
        assert match, text
        texts = [parsed(m)[3] for m in messages]
        after = [parsed(m) for m in messages[texts.index(text) + 1 :]]
        assert len(after) <= 50
        kept = [int(t) for _, source, _, t in after if source == "app"]
        assert kept == list(range(kept[0], 1001))  # the newest lines, in order
        # the loss is told in the app's own stream too (as Logplex does), once
        stored = drain_api.logs("drained", lines=5000)
        told = [line.split(" ", 1)[1] for line in stored if " heroku[logplex]: " in line]
        assert told == [f"heroku[logplex]: {text.decode()} (drain {drain['token']})"]
        # every other line was either delivered or counted as dropped
        assert len(messages) - 1 + int(match.group(1)) == len(stored) - 1
        # and the stored stream lost nothing
        app_lines = [line.split(" ", 1)[1] for line in stored if " app[" in line]
        assert app_lines == ["app[run.1]: first"] + [f"app[run.1]: {i}" for i in range(1, 1001)]
    finally:
        receiver.close()


def test_a_drain_that_comes_up_late_gets_what_was_buffered(drain_api: Api) -> None:
    late = SyslogReceiver()
    port = late.port
    late.close()  # nothing listens there yet
    drain_api.post("/apps/drained/log-drains", {"url": f"syslog://127.0.0.1:{port}"}).ok()
    drain_api.run("drained", "echo early bird")
    drain_api.wait_ended("drained", "run.1")
    receiver = SyslogReceiver(port=port)
    try:
        wait_for(lambda: b"early bird" in app_texts(receiver.messages), 30, "the early line")
    finally:
        receiver.close()


def test_removing_a_drain_stops_delivery(drain_api: Api, syslog_tcp: SyslogReceiver) -> None:
    drain = drain_api.post("/apps/drained/log-drains", {"url": syslog_tcp.url}).ok()
    drain_api.run("drained", "echo before")
    wait_for(lambda: b"before" in app_texts(syslog_tcp.messages), 30, "the first line")
    drain_api.delete(f"/apps/drained/log-drains/{drain['token']}").ok()
    drain_api.run("drained", "echo after")
    drain_api.wait_ended("drained", "run.2")
    assert b"after" not in app_texts(syslog_tcp.messages)
