"""Runtime metrics of a dyno: ``GET /apps/{app}/dynos/{dyno}/metrics``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.scopes import Need
from runoff.clock import parse_iso
from runoff.errors import Invalid
from runoff.web.common import app_for, platform, respond, sync


async def dyno_metrics(request: Request) -> Response:
    """The dyno's samples, oldest first (``?since=ISO-TIME`` for the newer ones only)."""
    _, app = await app_for(request, Need.READ)
    plat = platform(request)
    dyno = await sync(plat.dynos.get, app, request.path_params["dyno"])
    since = None
    if raw := request.query_params.get("since"):
        try:
            since = parse_iso(raw)
        except ValueError:
            raise Invalid(f"since must be an ISO 8601 time, got {raw!r}") from None
    samples = await sync(plat.runtime.store.series, dyno.id, since)
    return respond(
        {
            "dyno": {"id": dyno.id, "name": dyno.name, "size": dyno.size, "type": dyno.type},
            **plat.runtime.describe(dyno),
            "samples": [sample.as_json() for sample in samples],
        }
    )


routes = [Route("/apps/{app}/dynos/{dyno}/metrics", dyno_metrics, methods=["GET"])]
