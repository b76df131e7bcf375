"""Log sessions and the Server-Sent Events stream behind ``logplex_url``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from runoff.apps.releases import ListRange
from runoff.auth.scopes import Need, allows
from runoff.logs.model import LogBatch
from runoff.logs.sessions import LogSession, parse_request
from runoff.platform import Platform
from runoff.redact import Redactor
from runoff.web.common import app_for, json_body, platform, respond, sync

KEEPALIVE_SECONDS = 10.0
PAGE = 5000  # lines per store read while catching up


async def create_session(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    flt, lines, tail, as_json = parse_request(await json_body(request, required=False))
    # logs may print config values: who may not read them gets them hidden
    redacted = not allows(list(who.scopes), Need.READ_PROTECTED)
    session, secret = await sync(
        platform(request).log_sessions.create,
        app.id,
        flt,
        lines,
        tail,
        as_json,
        redacted=redacted,
    )
    base = str(request.base_url).rstrip("/")
    return respond(
        {
            "id": session.id,
            "logplex_url": f"{base}/log-streams/{session.id}/{secret}",
            "created_at": None,
            "updated_at": None,
        },
        status=201,
    )


class _Stream:
    """The events of one log-session request: a backlog, then (tail) live batches.

    Every line is sent once, in id order: live batches are queued from the moment the request
    starts; the backlog is read from the store after a flush, and queued lines it already
    covered are skipped. When the live queue overflows, the missing lines are read from the
    store again, so a slow client costs bounded memory and loses nothing.
    """

    def __init__(self, plat: Platform, session: LogSession) -> None:
        self.plat = plat
        self.session = session
        self.last = 0

    def _send(self, batches: list[LogBatch]) -> bytes:
        parts = []
        for batch in batches:
            part = batch.since(self.last)
            if part is not None:
                parts.append(self._events(part))
                self.last = part.last_id
        return b"".join(parts)

    def _events(self, batch: LogBatch) -> bytes:
        return batch.events(self.session.json)

    async def _prepare(self) -> None:
        """Called before each send: what a subclass must read first (off the event loop)."""

    async def backlog(self) -> bytes:
        session = self.session
        batches = await sync(
            self.plat.log_store.read_tail, session.app_id, session.filter, session.lines
        )
        await self._prepare()
        return self._send(batches)

    async def after(self) -> AsyncIterator[bytes]:
        """Every stored line after ``last``, page by page."""
        session = self.session
        while True:
            batches = await sync(
                self.plat.log_store.read_after, session.app_id, session.filter, self.last, PAGE
            )
            await self._prepare()
            chunk = self._send(batches)
            if chunk:
                yield chunk
            if sum(batch.count for batch in batches) < PAGE:
                return

    async def events(self, resume_after: int | None) -> AsyncIterator[bytes]:
        router = self.plat.router
        session = self.session
        sub = router.subscribe(session.app_id, session.filter) if session.tail else None
        try:
            yield b"retry: 1000\n\n" if session.tail else b"retry: 10\n\n"
            watermark = router.last_id
            await router.aflush()
            if resume_after is None:
                yield await self.backlog()
                self.last = max(self.last, watermark)
            else:
                self.last = resume_after
                async for chunk in self.after():
                    yield chunk
            while sub is not None:
                batches = await sub.take(KEEPALIVE_SECONDS)
                if batches is None:  # fell behind: catch up from the store
                    await router.aflush()
                    async for chunk in self.after():
                        yield chunk
                elif not batches:
                    yield b": keepalive\n\n"
                else:
                    await self._prepare()
                    if chunk := self._send(batches):
                        yield chunk
        finally:
            if sub is not None:
                router.unsubscribe(sub)


class _RedactedStream(_Stream):
    """The stream of a session for a principal that may not read config vars: the values of
    the app's config vars, in its current release and in up to ``HISTORY`` earlier ones,
    become ``[REDACTED]`` (``runoff.redact``), a value split across the records of a
    long line included. The redactor is rebuilt before a send whenever the app has a new
    release, and a dyno starts only after its release exists, so no newer value slips by."""

    HISTORY = 1000

    def __init__(self, plat: Platform, session: LogSession) -> None:
        super().__init__(plat, session)
        self._release: str | None = None
        self._clean = Redactor()

    async def _prepare(self) -> None:
        current = await sync(self.plat.releases.current, self.session.app_id)
        if current is not None and current.id != self._release:
            window = ListRange(limit=self.HISTORY, descending=True)
            found = await sync(self.plat.releases.list, self.session.app_id, window)
            pairs = [(k, str(v)) for r in found for k, v in r.config.items() if v is not None]
            self._clean = Redactor(named=pairs)
            self._release = current.id

    def _events(self, batch: LogBatch) -> bytes:
        texts = [line.decode("utf-8", "replace") for line in batch.lines]
        shown = "\n".join(self._clean.lines(texts)).encode()
        if shown == batch.data:
            return batch.events(self.session.json)
        return LogBatch(
            batch.app_id, batch.dyno, batch.source, batch.at, batch.first_id, batch.count, shown
        ).events(self.session.json)


async def stream(request: Request) -> Response:
    plat = platform(request)
    session = await sync(
        plat.log_sessions.resolve, request.path_params["id"], request.path_params["secret"]
    )
    last_event_id = None
    with contextlib.suppress(ValueError):
        last_event_id = int(request.headers.get("last-event-id", ""))
    kind = _RedactedStream if session.redacted else _Stream
    return StreamingResponse(
        kind(plat, session).events(last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [
    Route("/apps/{app}/log-sessions", create_session, methods=["POST"]),
    Route("/log-streams/{id}/{secret}", stream, methods=["GET"]),
]
