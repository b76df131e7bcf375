"""Account, users and OAuth authorizations (tokens)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.model import Authorization, Principal
from runoff.auth.scopes import Need, allows
from runoff.errors import Forbidden, Invalid, NotFound
from runoff.web import render
from runoff.web.common import json_body, platform, principal, respond, sync
from runoff.wholes import whole


async def get_account(request: Request) -> Response:
    who = await principal(request)
    return respond(render.account(who.user))


def _require_account_scope(scopes: tuple[str, ...]) -> None:
    if not allows(list(scopes), Need.ACCOUNT):
        raise Forbidden("Managing tokens and users needs a token with the global scope.")


def _expires_in(raw: object) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str) and (number := whole(raw)) is not None:
        return number
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    raise Invalid("expires_in must be a whole number of seconds")


async def create_authorization(request: Request) -> Response:
    who = await principal(request)
    _require_account_scope(who.scopes)
    body = await json_body(request, required=False)
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    scope = body.get("scope")
    if isinstance(scope, str):
        scope = [s.strip() for s in scope.split(",") if s.strip()]
    if scope is not None and not (
        isinstance(scope, list) and all(isinstance(s, str) for s in scope)
    ):
        raise Invalid("scope must be a list of scope names")
    description = body.get("description") or ""
    if not isinstance(description, str):
        raise Invalid("description must be a string")
    app_id = None
    if body.get("app"):
        app_ref = body["app"]
        name = app_ref.get("name") or app_ref.get("id") if isinstance(app_ref, dict) else app_ref
        if not isinstance(name, str):
            raise Invalid("app must be an app name or id")
        app_id = (await sync(platform(request).apps.for_principal, who, name, Need.WRITE)).id
    if who.app_id is not None:
        # a token creates only tokens no wider than itself: an app-bound one, only for its app
        if app_id not in (None, who.app_id):
            raise Forbidden("A token bound to an app can only create tokens for that app.")
        app_id = who.app_id
    created = await sync(
        platform(request).auth.create_authorization,
        who.user,
        description=description,
        scopes=scope,
        expires_in=_expires_in(body.get("expires_in")),
        app_id=app_id,
        expires_by=who.expires_at,  # never outlives the token that creates it
    )
    return respond(render.authorization(created, who.user), status=201)


async def list_authorizations(request: Request) -> Response:
    who = await principal(request)
    _require_account_scope(who.scopes)
    found = await sync(platform(request).auth.list_authorizations, who.user)
    visible = [a for a in found if who.app_id is None or a.app_id == who.app_id]
    return respond([render.authorization(a, who.user) for a in visible])


def _require_visible(who: Principal, found: Authorization) -> None:
    """An app-bound token sees only the tokens of its app, as if the others did not exist."""
    if who.app_id is not None and found.app_id != who.app_id:
        raise NotFound("Couldn't find that authorization.")


async def get_authorization(request: Request) -> Response:
    who = await principal(request)
    _require_account_scope(who.scopes)
    found = await sync(
        platform(request).auth.get_authorization, who.user, request.path_params["id"]
    )
    _require_visible(who, found)
    return respond(render.authorization(found, who.user))


async def delete_authorization(request: Request) -> Response:
    who = await principal(request)
    _require_account_scope(who.scopes)
    _require_visible(
        who,
        await sync(platform(request).auth.get_authorization, who.user, request.path_params["id"]),
    )
    found = await sync(
        platform(request).auth.delete_authorization, who.user, request.path_params["id"]
    )
    return respond(render.authorization(found, who.user))


async def create_user(request: Request) -> Response:
    """runoff addition: an admin creates a user and gets its first (global) token."""
    who = await principal(request)
    _require_account_scope(who.scopes)
    if not who.user.is_admin:
        raise Forbidden("Only an admin can create users.")
    if who.app_id is not None:
        raise Forbidden("A token bound to an app cannot create users.")
    body = await json_body(request)
    email = body.get("email") if isinstance(body, dict) else None
    if not isinstance(email, str):
        raise Invalid("email is required")
    auth = platform(request).auth
    user = await sync(auth.create_user, email)
    token = await sync(auth.create_authorization, user, description="initial token")
    return respond(
        {**render.user(user), "access_token": {"token": token.token, "expires_in": None}},
        status=201,
    )


routes = [
    Route("/account", get_account, methods=["GET"]),
    Route("/oauth/authorizations", create_authorization, methods=["POST"]),
    Route("/oauth/authorizations", list_authorizations, methods=["GET"]),
    Route("/oauth/authorizations/{id}", get_authorization, methods=["GET"]),
    Route("/oauth/authorizations/{id}", delete_authorization, methods=["DELETE"]),
    Route("/users", create_user, methods=["POST"]),
]
