"""Request helpers shared by the API modules: auth, bodies, responses, lookups."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from runoff.apps.model import App
from runoff.auth.model import Principal
from runoff.auth.scopes import Need
from runoff.errors import BadRequest, Unauthorized
from runoff.platform import Platform

T = TypeVar("T")


def platform(request: Request) -> Platform:
    found: Platform = request.app.state.platform
    return found


async def sync(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking domain code (database work) off the event loop."""
    return await run_in_threadpool(fn, *args, **kwargs)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    if scheme.lower() == "basic" and credentials:
        try:
            decoded = base64.b64decode(credentials).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Invalid credentials provided.") from None
        return decoded.partition(":")[2]
    raise Unauthorized("No credentials provided: send `Authorization: Bearer TOKEN`.")


async def principal(request: Request) -> Principal:
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    found = await sync(platform(request).auth.authenticate, bearer_token(request))
    request.state.principal = found
    return found


async def app_for(request: Request, need: Need) -> tuple[Principal, App]:
    """The caller and the app named in the path, checked for access and scope.

    One trip to a worker thread for both lookups: this is on every app route's path.
    """
    plat = platform(request)
    token = bearer_token(request)
    name = request.path_params["app"]

    def lookup() -> tuple[Principal, App]:
        who = plat.auth.authenticate(token)
        return who, plat.apps.for_principal(who, name, need)

    who, app = await sync(lookup)
    request.state.principal = who
    return who, app


async def json_body(request: Request, *, required: bool = True) -> Any:
    raw = await request.body()
    if not raw.strip():
        if required:
            raise BadRequest("The request body must be a JSON object")
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)
