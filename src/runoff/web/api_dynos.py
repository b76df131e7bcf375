"""Dynos: create (one-off), list, info, stop, restart."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff import ranges, redact
from runoff.apps.model import App
from runoff.auth.model import Principal
from runoff.auth.scopes import Need, allows
from runoff.dynos.attach import AttachPoint
from runoff.dynos.model import Dyno
from runoff.dynos.service import parse_create
from runoff.platform import Platform
from runoff.redact import Redactor
from runoff.web import render
from runoff.web.common import app_for, encode, json_body, platform, respond, sync

RANGES = ("id", "name")


def _render(
    plat: Platform,
    found: Dyno,
    app_name: str,
    attach: AttachPoint | None = None,
    clean: Redactor | None = None,
) -> dict[str, Any]:
    """The dyno with its size's limits and how this server enforces them; its command
    redacted by ``clean`` when given."""
    shown = found if clean is None else dataclasses.replace(found, command=clean(found.command))
    return {**render.dyno(shown, app_name, attach), **plat.runtime.describe(found)}


def _cleaner(plat: Platform, who: Principal, app: App, found: list[Dyno]) -> Redactor | None:
    """None for a principal that may read config vars (commands shown as typed), else the
    redactor of the app's config (the same as the runs list's)."""
    if allows(list(who.scopes), Need.READ_PROTECTED):
        return None
    return redact.for_runs(plat.engine, app.id, [d.id for d in found])


async def create_dyno(request: Request) -> Response:
    # Running a command exposes the app's config to it, so it needs the protected scope.
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    plat = platform(request)
    body = await json_body(request)
    create = parse_create(body, plat.settings.default_ttl_seconds)
    if create.attach:
        dyno, attach = await plat.dynos.create_attached(app, create)
        return respond(_render(plat, dyno, app.name, attach), status=201)
    dyno = await plat.dynos.create(app, create)
    return respond(_render(plat, dyno, app.name), status=201)


async def list_dynos(request: Request) -> Response:
    """All of the app's dynos; with Heroku's ``Range`` header (by ``id`` or ``name``), one
    page of them, 206 with ``Next-Range`` when more follow."""
    who, app = await app_for(request, Need.READ)
    header = request.headers.get("range")
    page = ranges.parse(header, RANGES) if header else None
    plat = platform(request)

    def read() -> tuple[bytes, dict[str, str], bool]:
        # rendered and encoded here too: 200 dynos are ~4 ms of Python the loop must not wait on
        found, more = plat.dynos.page(app, page) if page else (plat.dynos.list(app), False)
        clean = _cleaner(plat, who, app, found)
        body = encode([_render(plat, d, app.name, clean=clean) for d in found])
        headers = {"Accept-Ranges": ", ".join(RANGES)}
        if page is not None and found:
            first, last = page.key(found[0]), page.key(found[-1])
            headers["Content-Range"] = page.content_range(first, last)
            if more:
                headers["Next-Range"] = page.next_range(last)
        return body, headers, more

    body, headers, more = await sync(read)
    return Response(body, 206 if more else 200, headers, media_type="application/json")


async def get_dyno(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    plat = platform(request)
    found = await sync(plat.dynos.get, app, request.path_params["dyno"])
    clean = await sync(_cleaner, plat, who, app, [found])
    return respond(_render(plat, found, app.name, clean=clean))


async def stop_dyno(request: Request) -> Response:
    who, app = await app_for(request, Need.WRITE)
    found = await platform(request).dynos.stop(app, request.path_params["dyno"], who.user.email)
    return respond(render.dyno(found, app.name), status=202)


async def restart_dyno(request: Request) -> Response:
    who, app = await app_for(request, Need.RESTART)
    await platform(request).dynos.restart(app, request.path_params["dyno"], who.user.email)
    return respond({}, status=202)


async def restart_all(request: Request) -> Response:
    who, app = await app_for(request, Need.RESTART)
    await platform(request).dynos.restart(app, None, who.user.email)
    return respond({}, status=202)


routes = [
    Route("/apps/{app}/dynos", create_dyno, methods=["POST"]),
    Route("/apps/{app}/dynos", list_dynos, methods=["GET"]),
    Route("/apps/{app}/dynos", restart_all, methods=["DELETE"]),
    Route("/apps/{app}/dynos/{dyno}", get_dyno, methods=["GET"]),
    Route("/apps/{app}/dynos/{dyno}", restart_dyno, methods=["DELETE"]),
    Route("/apps/{app}/dynos/{dyno}/actions/stop", stop_dyno, methods=["POST"]),
]
