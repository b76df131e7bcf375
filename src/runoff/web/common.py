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
from runoff.errors import BadRequest, TooLarge, Unauthorized
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


MAX_JSON_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


async def json_body(request: Request, *, required: bool = True) -> Any:
    """The decoded JSON body, checked so that everything in it can be stored and read back.

    Raises ``TooLarge`` over ``MAX_JSON_BYTES``; ``BadRequest`` for invalid JSON, nesting
    deeper than ``MAX_JSON_DEPTH``, NaN/Infinity, integers outside 64 bits, or text holding NUL
    or lone surrogates (PostgreSQL and UTF-8 cannot store them), naming the offending field.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise TooLarge(f"The request body is larger than {MAX_JSON_BYTES} bytes")
    raw = await request.body()
    if len(raw) > MAX_JSON_BYTES:
        raise TooLarge(f"The request body is larger than {MAX_JSON_BYTES} bytes")
    if not raw.strip():
        if required:
            raise BadRequest("The request body must be a JSON object")
        return {}
    try:
        value = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise BadRequest("The request body is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f"The request body is not valid JSON: {exc}") from None
    _check_value(value, "body", 0)
    return value


def resume_id(header: str | None) -> int | None:
    """The log line id a stream resumes after (``Last-Event-ID``), or None to start afresh.

    Anything but a plain ASCII number within 64 bits starts afresh: a resume point never fails
    or ends a stream.
    """
    text = (header or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 19:
        return None
    value = int(text)
    return value if value <= INT64_MAX else None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _check_value(value: Any, where: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"{where}: nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, str):
        _check_text(value, where)
    elif isinstance(value, bool):
        return
    elif isinstance(value, int) and not INT64_MIN <= value <= INT64_MAX:
        raise BadRequest(f"{where}: integer out of range")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{where} key")
            _check_value(item, f"{where}.{key}" if where != "body" else key, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_value(item, f"{where}[{index}]", depth + 1)


def _check_text(text: str, where: str) -> None:
    if "\x00" in text:
        raise BadRequest(f"{where}: text must not contain NUL characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{where}: text is not valid Unicode (lone surrogate)") from None


def encode(data: Any) -> bytes:
    """``data`` as JSON bytes, exactly as ``respond`` (Starlette's JSONResponse) encodes it:
    for handlers that encode large answers in a worker thread, off the event loop."""
    return json.dumps(
        data, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")
    ).encode("utf-8")


def respond(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=headers)
