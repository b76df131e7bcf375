"""Formation: list, info, scale (batch or one type); restart or stop the dynos of a type."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff import redact
from runoff.apps.model import App
from runoff.auth.model import Principal
from runoff.auth.scopes import Need, allows
from runoff.dynos.model import StopReason
from runoff.formation.model import Formation, parse_batch, parse_update
from runoff.platform import Platform
from runoff.web import render
from runoff.web.common import app_for, json_body, platform, respond, sync


def _shown(plat: Platform, who: Principal, app: App, found: list[Formation]) -> list[Any]:
    """The formations; their commands redacted for a principal that may not read config vars,
    as the dynos API shows the same commands (no side door to what it hides)."""
    if allows(list(who.scopes), Need.READ_PROTECTED):
        return [render.formation(f, app.name) for f in found]
    clean = redact.for_runs(plat.engine, app.id, ())  # the current release's config
    return [
        render.formation(dataclasses.replace(f, command=clean(f.command)), app.name) for f in found
    ]


async def list_formation(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    plat = platform(request)
    found = await sync(plat.formations.list, app)
    return respond(await sync(_shown, plat, who, app, found))


async def get_formation(request: Request) -> Response:
    who, app = await app_for(request, Need.READ)
    plat = platform(request)
    found = await sync(plat.formations.get, app, request.path_params["type"])
    return respond((await sync(_shown, plat, who, app, [found]))[0])


async def batch_update(request: Request) -> Response:
    who, app = await app_for(request, Need.WRITE)
    plat = platform(request)
    updates = parse_batch(await json_body(request))
    found = await sync(plat.formations.update, app, updates)
    return respond(await sync(_shown, plat, who, app, found))


async def update_one(request: Request) -> Response:
    who, app = await app_for(request, Need.WRITE)
    plat = platform(request)
    kind = (await sync(plat.formations.get, app, request.path_params["type"])).type
    update = parse_update(await json_body(request), kind)
    await sync(plat.formations.update, app, [update])
    found = await sync(plat.formations.get, app, kind)
    return respond((await sync(_shown, plat, who, app, [found]))[0])


async def restart_type(request: Request) -> Response:
    who, app = await app_for(request, Need.RESTART)
    await platform(request).dynos.restart_type(app, request.path_params["type"], by=who.user.email)
    return respond({}, status=202)


async def stop_type(request: Request) -> Response:
    who, app = await app_for(request, Need.RESTART)
    await platform(request).dynos.restart_type(
        app, request.path_params["type"], StopReason.STOPPED, by=who.user.email
    )
    return respond({}, status=202)


routes = [
    Route("/apps/{app}/formation", list_formation, methods=["GET"]),
    Route("/apps/{app}/formation", batch_update, methods=["PATCH"]),
    Route("/apps/{app}/formation/{type}", get_formation, methods=["GET"]),
    Route("/apps/{app}/formation/{type}", update_one, methods=["PATCH"]),
    Route("/apps/{app}/formations/{type}", restart_type, methods=["DELETE"]),
    Route("/apps/{app}/formations/{type}/actions/stop", stop_type, methods=["POST"]),
]
