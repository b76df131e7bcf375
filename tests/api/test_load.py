"""The API under load: 503 with Retry-After past the in-flight bound, a request budget per token.

The bound is driven at the ASGI level with an app that answers when the test lets it, and on a
live server with a request whose body is only half sent; the token bucket's refill by a clock
the test moves. No test depends on how fast anything runs.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runoff.settings import Settings
from runoff.web.load import Budget, Shed, Slots
from tests.support.api import Api, Reply, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer


def header(reply: Reply, name: str) -> str | None:
    found = {key.lower(): value for key, value in reply.headers.items()}
    return found.get(name.lower())


@contextmanager
def half_sent(server: LiveServer, path: str) -> Iterator[socket.socket]:
    """A PATCH to ``path`` whose body is promised but not sent: in flight until closed."""
    sock = socket.create_connection((server.settings.host, server.settings.port))
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    )
    sock.sendall(head.encode())
    try:
        yield sock
    finally:
        sock.close()


def shed_of(server: LiveServer) -> Shed:
    """The server's ``Shed`` middleware (the app's stack is built by its first request)."""
    layer = server._server.config.app.middleware_stack
    while not isinstance(layer, Shed):
        layer = layer.app
    return layer


def answer(sock: socket.socket) -> tuple[int, bytes]:
    sock.settimeout(60)
    reply = http.client.HTTPResponse(sock)
    reply.begin()
    return reply.status, reply.read()


def finish(sock: socket.socket) -> int:
    """Send the rest of the held PATCH's body; its status."""
    sock.sendall(b'"A": "1"}'.ljust(99))
    return answer(sock)[0]


class Gate:
    """An ASGI app that answers 200 once ``open`` is set; ``entered`` counts who got in."""

    def __init__(self) -> None:
        self.open = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.entered += 1
        await self.open.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(app: ASGIApp, path: str = "/apps/x") -> tuple[int, dict[bytes, bytes], bytes]:
    """``app``'s answer to a GET of ``path``: status, headers, body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    await app(scope, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent)


async def until(check: Callable[[], bool]) -> None:
    for _ in range(10_000):
        if check():
            return
        await asyncio.sleep(0)
    raise AssertionError("never came true")


def test_past_the_bound_a_request_is_told_503_with_retry_after() -> None:
    async def scenario() -> None:
        gate = Gate()
        shed = Shed(gate, limit=1, queue_seconds=0.01)
        first = asyncio.create_task(call(shed))
        await until(lambda: gate.entered == 1)
        status, headers, body = await call(shed)
        assert status == 503
        assert headers[b"retry-after"] == b"1"
        assert json.loads(body)["id"] == "service_unavailable"
        assert gate.entered == 1  # the refused one never reached the app
        health = asyncio.create_task(call(shed, "/healthz"))  # never shed
        await until(lambda: gate.entered == 2)
        gate.open.set()
        assert (await first)[0] == 200
        assert (await health)[0] == 200
        assert (await call(shed))[0] == 200  # the slot came back

    asyncio.run(scenario())


def test_a_request_waits_for_a_slot_within_the_queue_time() -> None:
    async def scenario() -> None:
        gate = Gate()
        shed = Shed(gate, limit=1, queue_seconds=60)
        first = asyncio.create_task(call(shed))
        await until(lambda: gate.entered == 1)
        second = asyncio.create_task(call(shed))
        await until(lambda: shed.waiting == 1)
        assert gate.entered == 1
        gate.open.set()
        assert [(await first)[0], (await second)[0]] == [200, 200]
        assert (shed.in_flight, shed.waiting) == (0, 0)

    asyncio.run(scenario())


def test_a_slow_upload_holds_no_slot(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(api_max_in_flight=1, api_queue_seconds=0.05)
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("slow")
    shed = shed_of(server)
    with half_sent(server, "/apps/slow/config-vars") as held:
        wait_for(lambda: shed.reading == 1, what="the PATCH waiting for its body")
        assert api.get("/apps/slow/config-vars").ok() == {}  # not 503: the slot is free
        assert finish(held) == 200
    assert api.get("/apps/slow/config-vars").ok() == {"A": "1"}


def test_each_token_has_its_budget_and_is_told_what_is_left(
    server_factory: Callable[..., LiveServer],
) -> None:
    server = server_factory(rate_limit_per_hour=3)
    admin = Api(server.url, ADMIN_TOKEN)
    alice = admin.as_token(
        admin.post("/users", {"email": "alice@example.com"}).ok()["access_token"]["token"]
    )  # admin's first request: 2 left
    assert [header(admin.get("/account"), "RateLimit-Remaining") for _ in range(2)] == ["1", "0"]
    refused = admin.get("/account")
    assert refused.status == 429
    assert refused.body["id"] == "rate_limit"
    assert header(refused, "RateLimit-Remaining") == "0"
    assert int(header(refused, "Retry-After") or 0) >= 1
    assert admin.get("/apps").status == 429  # every route, not only the one used up
    mine = alice.get("/account")
    assert mine.ok()["email"] == "alice@example.com"
    assert header(mine, "RateLimit-Remaining") == "2"


def test_unknown_tokens_get_no_budget(server_factory: Callable[..., LiveServer]) -> None:
    server = server_factory(rate_limit_per_hour=1)
    stranger = Api(server.url, "not-a-token")
    for _ in range(3):  # never 429: nothing is counted for a credential the API refused
        reply = stranger.get("/account")
        assert reply.status == 401
        assert header(reply, "RateLimit-Remaining") is None
    assert Api(server.url, None).get("/healthz").status == 200


def test_no_header_when_the_limit_is_off(api: Api) -> None:
    assert header(api.get("/account"), "RateLimit-Remaining") is None


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_bucket_refills_continuously_up_to_its_size() -> None:
    clock = FakeClock()
    budget = Budget(3600, clock)  # one request a second
    assert [budget.take(b"k") for _ in range(3)] == [3599, 3598, 3597]
    for _ in range(3597):
        budget.take(b"k")
    assert budget.take(b"k") is None  # empty: refused, nothing spent
    assert budget.retry_after(b"k") == 1
    clock.now += 2.5
    assert budget.take(b"k") == 1  # 2.5 refilled, one spent
    clock.now += 10 * 3600
    assert budget.take(b"k") == 3599  # never more than the hour's budget
    assert budget.take(b"other") == 3599  # each key its own


def test_retry_after_is_the_time_to_one_request() -> None:
    clock = FakeClock()
    budget = Budget(60, clock)  # one a minute
    for _ in range(60):
        assert budget.take(b"k") is not None
    assert budget.take(b"k") is None
    assert budget.retry_after(b"k") == 60
    clock.now += 45
    assert budget.retry_after(b"k") == 15


@pytest.mark.parametrize(
    ("env", "field", "expected"),
    [
        ({}, "rate_limit_per_hour", 0),
        ({"RUNOFF_RATE_LIMIT_PER_HOUR": "4500"}, "rate_limit_per_hour", 4500),
        ({"RUNOFF_API_MAX_IN_FLIGHT": "0"}, "api_max_in_flight", 0),
        ({"RUNOFF_API_QUEUE_SECONDS": "0.5"}, "api_queue_seconds", 0.5),
    ],
)
def test_settings(env: dict[str, str], field: str, expected: float) -> None:
    assert getattr(Settings.from_env({"RUNOFF_DATA_DIR": "/tmp/x", **env}), field) == expected


def test_slots_go_to_admitted_requests_first_and_are_never_lost() -> None:
    async def scenario() -> None:
        slots = Slots(1)
        await slots.take()
        order: list[str] = []

        async def wait(name: str, resuming: bool) -> None:
            await slots.take(resuming=resuming)
            order.append(name)

        new = asyncio.create_task(wait("new", False))
        await asyncio.sleep(0)
        back = asyncio.create_task(wait("back", True))
        doomed = asyncio.create_task(wait("doomed", True))
        await asyncio.sleep(0)
        slots.give()  # to "back": admitted requests first
        await asyncio.sleep(0)
        assert order == ["back"]
        slots.give()  # handed to "doomed", cancelled before it runs: passed on to "new"
        doomed.cancel()
        await asyncio.gather(new, back, doomed, return_exceptions=True)
        assert order == ["back", "new"]
        slots.give()
        assert slots.free == 1

    asyncio.run(scenario())
