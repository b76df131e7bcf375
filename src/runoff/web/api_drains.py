"""Log drains: ``/apps/{app}/log-drains`` in the Platform API's shape."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.clock import iso
from runoff.errors import Invalid
from runoff.logs.drains.model import Drain
from runoff.web.common import app_for, json_body, platform, respond, sync


def render(drain: Drain, app_name: str) -> dict[str, Any]:
    return {
        "id": drain.id,
        "url": drain.url,
        "token": drain.token,
        "addon": None,
        "app": {"id": drain.app_id, "name": app_name},
        "created_at": iso(drain.created_at),
        "updated_at": iso(drain.updated_at),
    }


async def list_drains(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    drains = await sync(platform(request).drains.store.for_app, app.id)
    return respond([render(drain, app.name) for drain in drains])


async def add_drain(request: Request) -> Response:
    # a drain receives every log line as printed, config values included (log sessions hide
    # them from who may not read config vars): write-protected, stricter than Heroku
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object with a url")
    drain = await platform(request).drains.add(app.id, body.get("url"))
    return respond(render(drain, app.name), status=201)


async def get_drain(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    drain = await sync(platform(request).drains.store.find, app.id, request.path_params["drain"])
    return respond(render(drain, app.name))


async def remove_drain(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    drain = await platform(request).drains.remove(app.id, request.path_params["drain"])
    return respond(render(drain, app.name))


routes = [
    Route("/apps/{app}/log-drains", list_drains, methods=["GET"]),
    Route("/apps/{app}/log-drains", add_drain, methods=["POST"]),
    # the id, the token or the URL itself (slashes and all) names a drain
    Route("/apps/{app}/log-drains/{drain:path}", get_drain, methods=["GET"]),
    Route("/apps/{app}/log-drains/{drain:path}", remove_drain, methods=["DELETE"]),
]
