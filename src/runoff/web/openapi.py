"""``GET /openapi.json``: the API described from its route table and ``api_schemas``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runoff import __version__
from runoff.web.api_schemas import COMPONENTS, OPERATIONS, Operation, Schema, ref

PATH = "/openapi.json"
_CONVERTED = re.compile(r"\{(\w+):\w+\}")
_ERROR = {"content": {"application/json": {"schema": ref("Error")}}}


def api_path(route: Route) -> str:
    """The route's path in OpenAPI form: ``{drain:path}`` becomes ``{drain}``."""
    return _CONVERTED.sub(r"{\1}", route.path)


def operations(routes: Sequence[BaseRoute]) -> list[tuple[str, Route]]:
    """(method, route) for each operation the routes serve (HEAD left out)."""
    found = []
    for route in routes:
        if not isinstance(route, Route):
            raise TypeError(f"only plain routes are described, got {route!r}")
        found += [(method, route) for method in sorted(route.methods or ()) if method != "HEAD"]
    return found


def document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``routes``.

    Raises ``LookupError`` when a route has no entry in ``OPERATIONS`` or an entry has no
    route: the document describes exactly what is served.
    """
    paths: dict[str, dict[str, Any]] = {}
    seen = set()
    ids = {(m, api_path(r)): _operation_id(r) for m, r in operations(routes)}
    for method, route in operations(routes):
        key = (method, api_path(route))
        if key not in OPERATIONS:
            raise LookupError(f"{method} {route.path} is not described in api_schemas")
        seen.add(key)
        paths.setdefault(key[1], {})[method.lower()] = _operation(
            OPERATIONS[key], route, sorted(route.param_convertors), ids
        )
    if missing := sorted(set(OPERATIONS) - seen):
        raise LookupError(f"described in api_schemas but not served: {missing}")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "runoff Platform API",
            "version": __version__,
            "description": "Heroku Platform API v3 shapes; see docs/api.md.",
        },
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }


def _operation_id(route: Route) -> str:
    module = route.endpoint.__module__.rpartition(".")[2].removeprefix("api_")
    return f"{module}.{route.endpoint.__name__}"


def _operation(
    op: Operation, route: Route, path_params: list[str], ids: dict[tuple[str, str], str]
) -> dict[str, Any]:
    params = [_param(name, "path", {"type": "string"}, True) for name in path_params]
    params += [_param(name, "query", schema, False) for name, schema in op.query.items()]
    params += [_param(name, "header", schema, False) for name, schema in op.headers.items()]
    answer: dict[str, Any] = {"description": op.summary}
    if op.returns is not None:
        answer["content"] = {op.media_type: {"schema": op.returns}}
    if op.links:
        answer["links"] = {
            ids[(link.method, link.path)]: {
                "operationId": ids[(link.method, link.path)],
                "parameters": link.parameters,
            }
            for link in op.links
        }
    responses: dict[str, Any] = {str(op.status): answer}
    if op.paged:
        pages = {"Content-Range": {"schema": {"type": "string"}}}
        answer["headers"] = pages
        responses["206"] = {
            **answer,
            "description": f"{op.summary}: one page, Next-Range names the next",
            "headers": {**pages, "Next-Range": {"schema": {"type": "string"}}},
        }
    described: dict[str, Any] = {
        "operationId": _operation_id(route),
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": {
            **responses,
            "503": {
                "description": "The database is unreachable; try again after Retry-After",
                "headers": {"Retry-After": {"schema": {"type": "string"}}},
                **_ERROR,
            },
            "507": {"description": "The server's disk is full", **_ERROR},
            "default": {"description": "An error: {id, message}", **_ERROR},
        },
    }
    if op.body is not None:
        described["requestBody"] = {
            "required": op.body_type != "application/json" or "required" in op.body,
            "content": {op.body_type: {"schema": op.body}},
        }
    if op.public:
        described["security"] = []
    return described


def _param(name: str, where: str, schema: Schema, required: bool) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required, "schema": schema}


def route(routes: Sequence[BaseRoute]) -> Route:
    """The ``GET /openapi.json`` route for ``routes`` (itself included), built once."""
    served: dict[str, Any] = {}

    async def openapi(_request: Request) -> Response:
        return JSONResponse(served)

    own = Route(PATH, openapi, methods=["GET"])
    served.update(document([*routes, own]))
    return own
