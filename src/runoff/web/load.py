"""The API under load: overload answered 503 at once, and a request budget per token.

``Shed`` bounds the requests being worked on (``RUNOFF_API_MAX_IN_FLIGHT``). A request over
the bound waits for a slot at most ``RUNOFF_API_QUEUE_SECONDS``; if none frees in that time
it is answered ``503 service_unavailable`` with ``Retry-After``, so a client learns in about
a second that the server is saturated instead of queueing for a minute behind everything else.
A slot is held while the request is worked on: not while its body is awaited from the client
(a slow upload holds none), nor once its response has started (a log stream holds none).

``RateLimit`` gives each API token Heroku's budget, a token bucket of
``RUNOFF_RATE_LIMIT_PER_HOUR`` requests that refills continuously at that rate per hour. Each
authenticated response carries ``RateLimit-Remaining``; a request with an empty bucket is
answered ``429 rate_limit`` before any work is done. Buckets are made only for credentials
the API has accepted, so unknown tokens cost no memory.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runoff.errors import RunoffError
from runoff.platform import Platform
from runoff.web.common import bearer_token

NOT_SHED = ("/healthz",)  # a health check says the process is alive, busy or not
RETRY_AFTER_SECONDS = 1
MAX_BUCKETS = 10_000  # past this, full buckets are forgotten (a new one starts full anyway)


def limits(app: ASGIApp, /, *, platform: Platform) -> ASGIApp:
    """``app`` behind the bounds ``platform``'s settings ask for (``Shed`` outermost); as a
    middleware factory, read when the app first serves a request."""
    settings = platform.settings
    if settings.rate_limit_per_hour:
        app = RateLimit(app, per_hour=settings.rate_limit_per_hour)
    if settings.api_max_in_flight:
        app = Shed(app, limit=settings.api_max_in_flight, queue_seconds=settings.api_queue_seconds)
    return app


class Slots:
    """``limit`` slots, handed to waiters in turn: first to requests that were admitted and
    take their turn again (after their body arrived), then to new ones, each queue in order."""

    def __init__(self, limit: int) -> None:
        self.free = limit
        self._resuming: deque[asyncio.Future[None]] = deque()
        self._new: deque[asyncio.Future[None]] = deque()

    async def take(self, *, resuming: bool = False) -> None:
        if self.free > 0 and not self._resuming and (resuming or not self._new):
            self.free -= 1
            return
        turn = asyncio.get_running_loop().create_future()
        (self._resuming if resuming else self._new).append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if not turn.cancelled():  # handed a slot as the wait was cancelled: pass it on
                self.give()
            raise

    def give(self) -> None:
        for queue in (self._resuming, self._new):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)
                    return
        self.free += 1


class Shed:
    """At most ``limit`` requests worked on at once; a request waits ``queue_seconds`` at most
    for its turn, then is answered 503 with ``Retry-After`` (module doc)."""

    def __init__(self, app: ASGIApp, *, limit: int, queue_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.queue_seconds = queue_seconds
        self._slots = Slots(limit)
        self.in_flight = 0  # requests holding a slot
        self.waiting = 0  # requests waiting for one
        self.reading = 0  # admitted requests waiting for their body (holding no slot)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(NOT_SHED):
            return await self.app(scope, receive, send)
        slots = self._slots
        self.waiting += 1
        try:
            async with asyncio.timeout(self.queue_seconds):
                await slots.take()
        except TimeoutError:
            return await _refuse_busy(scope, receive, send)
        finally:
            self.waiting -= 1
        self.in_flight += 1
        held, responded = True, False

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.in_flight -= 1
                slots.give()

        async def paced(message: Message) -> None:
            nonlocal responded
            if message["type"] == "http.response.start":
                responded = True
                release()
            await send(message)

        async def unheld() -> Message:
            # no slot while waiting on the client: slow uploads must not fill the bound
            nonlocal held
            release()
            self.reading += 1
            try:
                message = await receive()
            finally:
                self.reading -= 1
            if not responded:
                await slots.take(resuming=True)  # admitted: ahead of new ones, never refused
                held = True
                self.in_flight += 1
            return message

        try:
            await self.app(scope, unheld, paced)
        finally:
            release()


async def _refuse_busy(scope: Scope, receive: Receive, send: Send) -> None:
    body = {
        "id": "service_unavailable",
        "message": "The API is at capacity; retry after the time in Retry-After.",
    }
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    await JSONResponse(body, status_code=503, headers=headers)(scope, receive, send)


@dataclass
class Bucket:
    tokens: float
    stamp: float  # the clock's time when ``tokens`` was right


class Budget:
    """Token buckets of ``per_hour`` requests, refilled continuously, one per credential."""

    def __init__(self, per_hour: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_hour)
        self.per_second = per_hour / 3600.0
        self._clock = clock
        self._buckets: dict[bytes, Bucket] = {}

    def known(self, key: bytes) -> bool:
        return key in self._buckets

    def take(self, key: bytes) -> int | None:
        """Spend one request of ``key``'s bucket (a new bucket starts full): the whole requests
        left, or None when the bucket is empty (nothing is spent then)."""
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            self._forget_full(now)
            bucket = self._buckets[key] = Bucket(self.capacity, now)
        bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.stamp) * self.per_second)
        bucket.stamp = now
        if bucket.tokens < 1:
            return None
        bucket.tokens -= 1
        return math.floor(bucket.tokens)

    def retry_after(self, key: bytes) -> int:
        """Whole seconds until ``key``'s bucket holds one request again (at least 1)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 1
        now = self._clock()
        missing = 1 - (bucket.tokens + (now - bucket.stamp) * self.per_second)
        return max(1, math.ceil(missing / self.per_second))

    def _forget_full(self, now: float) -> None:
        if len(self._buckets) < MAX_BUCKETS:
            return
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.stamp) * self.per_second >= self.capacity:
                del self._buckets[key]


class RateLimit:
    """``RateLimit-Remaining`` on authenticated responses, 429 once a token's budget is spent."""

    def __init__(
        self, app: ASGIApp, *, per_hour: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.budget = Budget(per_hour, clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = _credential_key(scope) if scope["type"] == "http" else None
        if key is None:
            return await self.app(scope, receive, send)
        remaining: int | None = None
        if self.budget.known(key):  # charged before the work: an empty bucket costs nothing
            remaining = self.budget.take(key)
            if remaining is None:
                return await self._refuse(key, scope, receive, send)
        state = scope.setdefault("state", {})  # where the routes keep the caller they found

        async def counted(message: Message) -> None:
            nonlocal remaining
            if message["type"] == "http.response.start":
                if remaining is None and state.get("principal") is not None:
                    remaining = self.budget.take(key)  # a first request: its bucket is new
                if remaining is not None:
                    header = (b"ratelimit-remaining", str(remaining).encode())
                    message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, counted)

    async def _refuse(self, key: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        body = {
            "id": "rate_limit",
            "message": "Your account reached the API rate limit. Please wait a few minutes "
            "before making new requests.",
        }
        headers = {"RateLimit-Remaining": "0", "Retry-After": str(self.budget.retry_after(key))}
        await JSONResponse(body, status_code=429, headers=headers)(scope, receive, send)


def _credential_key(scope: Scope) -> bytes | None:
    """A digest of the token the request presents (as the API reads it), or None."""
    if not any(name == b"authorization" for name, _ in scope.get("headers", ())):
        return None
    try:
        token = bearer_token(Request(scope))
    except RunoffError:
        return None
    return hashlib.blake2b(token.encode(), digest_size=16).digest()
