"""Log sessions and the Server-Sent Events stream behind ``logplex_url``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.logs.model import LogBatch
from runoff.logs.sessions import LogSession, parse_request
from runoff.platform import Platform
from runoff.web.common import app_for, json_body, platform, respond, sync

KEEPALIVE_SECONDS = 10.0
PAGE = 5000  # lines per store read while catching up


async def create_session(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    flt, lines, tail, as_json = parse_request(await json_body(request, required=False))
    session, secret = await sync(
        platform(request).log_sessions.create, app.id, flt, lines, tail, as_json
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
                parts.append(part.events(self.session.json))
                self.last = part.last_id
        return b"".join(parts)

    async def backlog(self) -> bytes:
        session = self.session
        batches = await sync(
            self.plat.log_store.read_tail, session.app_id, session.filter, session.lines
        )
        return self._send(batches)

    async def after(self) -> AsyncIterator[bytes]:
        """Every stored line after ``last``, page by page."""
        session = self.session
        while True:
            batches = await sync(
                self.plat.log_store.read_after, session.app_id, session.filter, self.last, PAGE
            )
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
                elif chunk := self._send(batches):
                    yield chunk
        finally:
            if sub is not None:
                router.unsubscribe(sub)


async def stream(request: Request) -> Response:
    plat = platform(request)
    session = await sync(
        plat.log_sessions.resolve, request.path_params["id"], request.path_params["secret"]
    )
    last_event_id = None
    with contextlib.suppress(ValueError):
        last_event_id = int(request.headers.get("last-event-id", ""))
    return StreamingResponse(
        _Stream(plat, session).events(last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [
    Route("/apps/{app}/log-sessions", create_session, methods=["POST"]),
    Route("/log-streams/{id}/{secret}", stream, methods=["GET"]),
]
