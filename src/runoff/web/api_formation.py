"""Formation: list, info, scale (batch or one type); restart or stop the dynos of a type."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.dynos.model import StopReason
from runoff.formation.model import parse_batch, parse_update
from runoff.web import render
from runoff.web.common import app_for, json_body, platform, respond, sync


async def list_formation(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).formations.list, app)
    return respond([render.formation(f, app.name) for f in found])


async def get_formation(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).formations.get, app, request.path_params["type"])
    return respond(render.formation(found, app.name))


async def batch_update(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    updates = parse_batch(await json_body(request))
    found = await sync(platform(request).formations.update, app, updates)
    return respond([render.formation(f, app.name) for f in found])


async def update_one(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    plat = platform(request)
    kind = (await sync(plat.formations.get, app, request.path_params["type"])).type
    update = parse_update(await json_body(request), kind)
    await sync(plat.formations.update, app, [update])
    return respond(render.formation(await sync(plat.formations.get, app, kind), app.name))


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
