"""JSON and event streams for the pages' scripts, under ``/dashboard/data/``.

Session-authenticated GETs only (nothing here changes state). Everything is what the API
answers, with the difference that commands and log lines are redacted (see ``views``):
the plots are ``MetricsService.plot`` as is (no commands in them), the runs table and logs
go through the app's ``Redactor``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from runoff import redact
from runoff.auth.scopes import Need
from runoff.clock import US_PER_SECOND, rfc5424
from runoff.dynos.model import Dyno
from runoff.errors import Invalid, NotFound
from runoff.logs.model import LogBatch, StreamFilter
from runoff.logs.sessions import LogSession
from runoff.metrics import PLOTS
from runoff.platform import Platform
from runoff.redact import Redactor
from runoff.web.api_logs import _Stream
from runoff.web.common import platform, respond, resume_id, sync
from runoff.web.dashboard import views
from runoff.web.dashboard.guard import app_for, data
from runoff.wholes import whole

BACKLOG_LINES = 1000
AFTER_END_US = 2 * US_PER_SECOND  # platform lines about the end may follow it closely


@data
async def plot(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    name = request.path_params["plot"]
    if name not in PLOTS:
        raise NotFound(f"There is no plot {name!r}; plots: {', '.join(PLOTS)}")
    params = request.query_params
    metrics = platform(request).metrics
    return respond(await sync(metrics.plot, app, name, params.get("filter"), params.get("range")))


def _runs(plat: Platform, app: Any, filter_text: str | None, limit: int) -> list[dict[str, Any]]:
    found = plat.metrics.runs(app, filter_text, limit)
    clean = redact.for_runs(plat.engine, app.id, [run.dyno_id for run in found])
    return [views.run_row(run, clean) for run in found]


@data
async def runs(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    limit = whole(request.query_params.get("limit", "50"))
    if limit is None:
        raise Invalid("limit must be a whole number from 1 to 1000")
    filter_text = request.query_params.get("filter")
    return respond(await sync(_runs, platform(request), app, filter_text, limit))


@data
async def dyno(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    plat = platform(request)
    return respond(await sync(views.dyno_detail, plat, app, request.path_params["dyno"]))


@data
async def memory(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    window = request.query_params.get("window")
    return respond(await sync(views.memory_by_dyno, platform(request), app, window))


class _DynoLogStream(_Stream):
    """The log stream of ``api_logs`` for one dyno's lines, each redacted, as JSON events.

    Lines of another dyno of the same name (before this one started or after it ended) are
    left out."""

    def __init__(self, plat: Platform, session: LogSession, dyno: Dyno, clean: Redactor) -> None:
        super().__init__(plat, session)
        self.dyno = dyno
        self.clean = clean

    def _wanted(self, batch: LogBatch) -> bool:
        ended = self.dyno.ended_at
        return batch.at >= self.dyno.created_at and (
            ended is None or batch.at <= ended + AFTER_END_US
        )

    def _send(self, batches: list[LogBatch]) -> bytes:
        parts = []
        for batch in batches:
            part = batch.since(self.last)
            if part is None:
                continue
            self.last = part.last_id
            if not self._wanted(part):
                continue
            shared = {"time": rfc5424(part.at), "source": part.source, "dyno": part.dyno}
            lines = part.to_lines()  # a long line's split records share one batch
            messages = self.clean.lines([ln.message.decode("utf-8", "replace") for ln in lines])
            for line, message in zip(lines, messages, strict=True):
                event = {"id": line.id, **shared, "message": message}
                parts.append(f"id: {line.id}\ndata: {json.dumps(event)}\n\n")
        return "".join(parts).encode()


async def _with_end(events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    async for chunk in events:
        yield chunk
    yield b"event: end\ndata: {}\n\n"  # the page closes its EventSource instead of reconnecting


@data
async def logs(request: Request) -> Response:
    """The dyno's last lines, then (while it runs) its new lines as they come."""
    _, app = await app_for(request, Need.READ)
    plat = platform(request)
    found = await sync(plat.dyno_store.find, app.id, request.path_params["dyno"])
    clean = await sync(views.redactor, plat, app, [found.release_id])
    now = plat.clock.now_us()
    session = LogSession(
        id="dashboard",
        app_id=app.id,
        filter=StreamFilter(dynos=(found.name,)),
        lines=BACKLOG_LINES,
        tail=found.ended_at is None,
        json=True,
        created_at=now,
        expires_at=now,
    )
    events = _DynoLogStream(plat, session, found, clean).events(
        resume_id(request.headers.get("last-event-id"))
    )
    return StreamingResponse(
        _with_end(events),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
