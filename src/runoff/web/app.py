"""The ASGI application: routes, error rendering and the platform's lifespan."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy import exc as sa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from runoff.errors import InsufficientStorage, RunoffError, ServiceUnavailable
from runoff.platform import Platform
from runoff.store.faults import CONDITIONS, DATABASE, FILES, classify
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
    load,
    openapi,
)

log = logging.getLogger(__name__)


def error_response(exc: RunoffError) -> JSONResponse:
    headers = None
    if isinstance(exc, ServiceUnavailable):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(
        {"id": exc.id, "message": exc.message}, status_code=exc.status, headers=headers
    )


async def _runoff_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RunoffError)
    return error_response(exc)


async def _storage_fault(_request: Request, exc: Exception) -> Response:
    """The database unreachable (503) or a disk full (507), logged once per condition; any
    other database or OS error is a bug, answered 500 with its traceback logged."""
    fault = classify(exc)
    if fault is None:
        raise exc
    CONDITIONS.failed(fault, exc)
    return error_response(fault)


class _ClearsConditions:
    """A success proves storage conditions gone: any 2xx of a route that reads the database
    proves it reachable; a successful write, its disk no longer full (but for a dyno's stop and
    a log session, which succeed even when they could not be stored); a slug stored or a dyno
    started, the data dir's disk no longer full."""

    WITHOUT_STORAGE = ("/healthz", "/openapi.json", "/static/")
    WRITE_FILES = ("/slugs", "/dynos")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(self.WITHOUT_STORAGE):
            return await self.app(scope, receive, send)
        if not CONDITIONS.active():
            return await self.app(scope, receive, send)

        # these succeed even when the store could not take them: a dyno's stop (lifecycle.stop)
        # and a log session (kept in memory meanwhile)
        stops = path.endswith("/log-sessions") or (
            "/dynos" in path and (scope["method"] == "DELETE" or path.endswith("/stop"))
        )

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and 200 <= message["status"] < 400:
                CONDITIONS.cleared(ServiceUnavailable.id, DATABASE)
                if scope["method"] not in ("GET", "HEAD") and not stops:
                    CONDITIONS.cleared(InsufficientStorage.id, DATABASE)
                    if path.endswith(self.WRITE_FILES):
                        CONDITIONS.cleared(InsufficientStorage.id, FILES)
            await send(message)

        await self.app(scope, receive, watch)


class _RefusesNul:
    """400 for a NUL in the path or the query string, before any route reads it: PostgreSQL
    cannot store or compare text holding one (a lookup by such a name would fail with 500)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            where = None
            if "\x00" in scope["path"]:
                where = "path"
            elif b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
                where = "query string"
            if where is not None:
                message = f"The {where} must not contain NUL characters (%00)"
                answer = JSONResponse({"id": "bad_request", "message": message}, status_code=400)
                return await answer(scope, receive, send)
        await self.app(scope, receive, send)


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


async def _health(request: Request) -> Response:
    """Up, and how dynos run here: the executor and its ``isolation`` (``sandbox``/``none``)."""
    executor = request.app.state.platform.executor
    return JSONResponse(
        {"status": "ok", "executor": executor.name, "isolation": executor.isolation}
    )


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
        middleware=[
            Middleware(load.limits, platform=platform),
            Middleware(_RefusesNul),
            Middleware(_ClearsConditions),
        ],
        exception_handlers={
            RunoffError: _runoff_error,
            HTTPException: _http_error,
            sa.DBAPIError: _storage_fault,
            sa.TimeoutError: _storage_fault,
            OSError: _storage_fault,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
    app.state.platform = platform
    return app
