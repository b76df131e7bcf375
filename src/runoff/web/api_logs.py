"""Log sessions and the Server-Sent Events stream behind ``logplex_url``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.logs.model import LogLine
from runoff.logs.sessions import LogSession, parse_request
from runoff.platform import Platform
from runoff.web.common import app_for, json_body, platform, respond, sync

KEEPALIVE_SECONDS = 10.0
BACKLOG_PAGE = 5000


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


def _event(line: LogLine, as_json: bool) -> bytes:
    data = line.as_json() if as_json else line.render()
    return f"id: {line.id}\ndata: {data}\n\n".encode()


async def _events(
    plat: Platform, session: LogSession, last_event_id: int | None
) -> AsyncIterator[bytes]:
    router = plat.router
    sub = router.subscribe(session.app_id, session.filter) if session.tail else None
    try:
        yield b"retry: 1000\n\n" if session.tail else b"retry: 10\n\n"
        await router.aflush()
        if last_event_id is not None:
            backlog = await sync(
                plat.log_store.after, session.app_id, session.filter, last_event_id, BACKLOG_PAGE
            )
        else:
            backlog = await sync(plat.log_store.tail, session.app_id, session.filter, session.lines)
        last = last_event_id or 0
        for line in backlog:
            yield _event(line, session.json)
            last = line.id
        if sub is None:
            return
        while True:
            try:
                batch = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            chunk = b"".join(
                _event(line, session.json) for line in batch.to_lines() if line.id > last
            )
            if chunk:
                last = batch.first_id + len(batch.lines) - 1
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
        _events(plat, session, last_event_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


routes = [
    Route("/apps/{app}/log-sessions", create_session, methods=["POST"]),
    Route("/log-streams/{id}/{secret}", stream, methods=["GET"]),
]
