"""The ASGI application: routes, error rendering and the platform's lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runoff.errors import RunoffError
from runoff.platform import Platform
from runoff.web import (
    api_account,
    api_apps,
    api_drains,
    api_dynos,
    api_formation,
    api_logs,
    api_metrics,
    api_monitors,
    api_runtime,
    api_scheduler,
    api_teams,
    dashboard,
    openapi,
)

log = logging.getLogger(__name__)


def error_response(exc: RunoffError) -> JSONResponse:
    return JSONResponse({"id": exc.id, "message": exc.message}, status_code=exc.status)


async def _runoff_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunoffError)
    return error_response(exc)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    ids = {404: "not_found", 405: "method_not_allowed"}
    message = "Not found." if exc.status_code == 404 else str(exc.detail)
    return JSONResponse(
        {"id": ids.get(exc.status_code, "bad_request"), "message": message},
        status_code=exc.status_code,
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"id": "internal_error", "message": "Internal server error; see the server log."},
        status_code=500,
    )


async def _health(_request: Request) -> Response:
    return JSONResponse({"status": "ok"})


def create_app(platform: Platform, *, manage_lifecycle: bool = True) -> Starlette:
    """Build the API for ``platform``; with ``manage_lifecycle`` the app starts and stops it."""

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if manage_lifecycle:
            await platform.start()
        try:
            yield
        finally:
            if manage_lifecycle:
                await platform.stop()

    api = [
        Route("/healthz", _health, methods=["GET"]),
        *api_account.routes,
        *api_apps.routes,
        *api_dynos.routes,
        *api_logs.routes,
        *api_formation.routes,
        *api_scheduler.routes,
        *api_drains.routes,
        *api_runtime.routes,
        *api_monitors.routes,  # before api_metrics: its /one-off-metrics/{plot} is a catch-all
        *api_metrics.routes,
        *api_teams.routes,
    ]
    app = Starlette(
        routes=[
            *api,
            openapi.route(api),
            *dashboard.routes,  # pages at /dashboard/... and the add-on's web_url
        ],
        exception_handlers={
            RunoffError: _runoff_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.platform = platform
    return app
