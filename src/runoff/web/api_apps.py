"""Apps, collaborators, config vars, slugs and releases."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.apps.model import App
from runoff.apps.releases import parse_range
from runoff.apps.slugs import MAX_SLUG_BYTES
from runoff.auth.model import User
from runoff.auth.scopes import Need, allows
from runoff.errors import Forbidden, Invalid, NotFound
from runoff.platform import Platform
from runoff.store.faults import DISK_FULL_ERRNOS
from runoff.teams.model import Role
from runoff.web import render
from runoff.web.common import app_for, json_body, platform, principal, respond, sync


def _render_app(plat: Platform, app: App) -> dict[str, Any]:
    current = plat.releases.current(app.id)
    slug_size = None
    if current is not None and current.slug_id is not None:
        slug_size = plat.slugs.get(app, current.slug_id).size
    return render.app(
        app,
        released_at=current.created_at if current else None,
        slug_size=slug_size,
        team=plat.teams.team_of(app.id),
    )


async def list_apps(request: Request) -> Response:
    who = await principal(request)
    plat = platform(request)
    found = await sync(plat.apps.list_for, who.user)
    if who.app_id is not None:
        found = [a for a in found if a.id == who.app_id]
    teams = await sync(plat.teams.teams_of, [a.id for a in found])
    return respond([render.app(a, team=teams.get(a.id)) for a in found])


async def create_app(request: Request) -> Response:
    who = await principal(request)
    if who.app_id is not None or not allows(list(who.scopes), Need.WRITE):
        raise Forbidden("Creating apps needs a token with the global or write scope.")
    body = await json_body(request, required=False)
    name = body.get("name") if isinstance(body, dict) else None
    if name is not None and not isinstance(name, str):
        raise Invalid("name must be a string")
    plat = platform(request)
    app = await sync(plat.create_app, who.user, name)
    return respond(await sync(_render_app, plat, app), status=201)


async def get_app(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    return respond(await sync(_render_app, platform(request), app))


def _require_owner(plat: Platform, user: User, app: App) -> None:
    """Destructive app operations belong to owners, as on Heroku: the owner of a personal app,
    an admin of the team that owns a team app; collaborators and team members get 403."""
    team = plat.teams.team_of(app.id)
    if team is None:
        if app.owner_id == user.id:
            return
    else:
        with contextlib.suppress(NotFound):
            if plat.teams.get(user, team).role is Role.ADMIN:
                return
    raise Forbidden(f"Only the owner of {app.name} can do this.")


async def delete_app(request: Request) -> Response:
    who, app = await app_for(request, Need.WRITE)
    await sync(_require_owner, platform(request), who.user, app)
    await platform(request).delete_app(app)
    return respond(render.app(app))


# collaborators ------------------------------------------------------------------------------
async def list_collaborators(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).apps.collaborators, app)
    return respond(
        [
            {
                "app": {"id": app.id, "name": app.name},
                "user": render.user(u),
                "role": role,
                "permissions": [],
                "id": u.id,
                "created_at": None,
                "updated_at": None,
            }
            for u, role in found
        ]
    )


async def add_collaborator(request: Request) -> Response:
    # a collaborator acts with their own tokens, config vars included: granting that needs a
    # token that may read and write them itself (write-protected), or a write token could
    # hand the config to another account (stricter than Heroku on purpose)
    _, app = await app_for(request, Need.WRITE_PROTECTED)
    body = await json_body(request)
    email = body.get("user") if isinstance(body, dict) else None
    if isinstance(email, dict):
        email = email.get("email")
    if not isinstance(email, str):
        raise Invalid("user is required: the e-mail address of an existing runoff user")
    plat = platform(request)
    user = await sync(plat.auth.user_by_email, email)
    await sync(plat.apps.add_collaborator, app, user)
    return respond(
        {
            "app": {"id": app.id, "name": app.name},
            "user": render.user(user),
            "role": "collaborator",
        },
        status=201,
    )


async def remove_collaborator(request: Request) -> Response:
    _, app = await app_for(request, Need.WRITE)
    plat = platform(request)
    user = await sync(plat.auth.user_by_email, request.path_params["user"])
    await sync(plat.apps.remove_collaborator, app, user)
    return respond({"app": {"id": app.id, "name": app.name}, "user": render.user(user)})


# config vars --------------------------------------------------------------------------------
async def get_config(request: Request) -> Response:
    _, app = await app_for(request, Need.READ_PROTECTED)
    return respond(await sync(platform(request).releases.config, app.id))


async def patch_config(request: Request) -> Response:
    who, app = await app_for(request, Need.WRITE_PROTECTED)
    body = await json_body(request)
    updated = await sync(platform(request).releases.update_config, app, who.user, body)
    return respond(updated)


async def release_config(request: Request) -> Response:
    _, app = await app_for(request, Need.READ_PROTECTED)
    found = await sync(platform(request).releases.get, app.id, request.path_params["release"])
    return respond(found.config)


# slugs and releases -------------------------------------------------------------------------
async def create_slug(request: Request) -> Response:
    """runoff's upload: the body is the gzipped tar itself."""
    _, app = await app_for(request, Need.WRITE)
    plat = platform(request)
    fd, name = tempfile.mkstemp(dir=plat.upload_dir(), suffix=".tgz")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            await _receive_slug(request, handle)
        slug = await sync(plat.slugs.store, app, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return respond(render.slug(slug), status=201)


async def _receive_slug(request: Request, handle: BinaryIO) -> None:
    """The body into ``handle``. On a full disk the rest is read all the same and the error
    raised after it: a client still sending would see a reset connection, not the 507."""
    size = 0
    full: OSError | None = None
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SLUG_BYTES:
            raise Invalid(f"The slug is larger than the limit of {MAX_SLUG_BYTES} bytes")
        if full is None:
            try:
                handle.write(chunk)
            except OSError as exc:
                if exc.errno not in DISK_FULL_ERRNOS:
                    raise
                full = exc
    if full is not None:
        raise full


async def get_slug(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).slugs.get, app, request.path_params["slug"])
    return respond(render.slug(found))


async def list_releases(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    window = parse_range(request.headers.get("range"))
    found = await sync(platform(request).releases.list, app.id, window)
    return respond([render.release(r, app.name) for r in found], status=200)


async def get_release(request: Request) -> Response:
    _, app = await app_for(request, Need.READ)
    found = await sync(platform(request).releases.get, app.id, request.path_params["release"])
    return respond(render.release(found, app.name))


async def create_release(request: Request) -> Response:
    # a release runs the slug's process types with the app's config: whoever may choose the
    # commands may read config vars through them, so this needs write-protected (stricter
    # than Heroku on purpose)
    who, app = await app_for(request, Need.WRITE_PROTECTED)
    body = await json_body(request)
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    slug_ref = body.get("slug")
    if isinstance(slug_ref, dict):
        slug_ref = slug_ref.get("id")
    if not isinstance(slug_ref, str):
        raise Invalid("slug is required: the id of an uploaded slug")
    description = body.get("description") or f"Deploy {slug_ref[:8]}"
    if not isinstance(description, str):
        raise Invalid("description must be a string")
    plat = platform(request)
    await sync(plat.slugs.get, app, slug_ref)
    created = await sync(plat.releases.create, app, who.user, description, slug_id=slug_ref)
    return respond(render.release(created, app.name), status=201)


routes = [
    Route("/apps", list_apps, methods=["GET"]),
    Route("/apps", create_app, methods=["POST"]),
    Route("/apps/{app}", get_app, methods=["GET"]),
    Route("/apps/{app}", delete_app, methods=["DELETE"]),
    Route("/apps/{app}/collaborators", list_collaborators, methods=["GET"]),
    Route("/apps/{app}/collaborators", add_collaborator, methods=["POST"]),
    Route("/apps/{app}/collaborators/{user}", remove_collaborator, methods=["DELETE"]),
    Route("/apps/{app}/config-vars", get_config, methods=["GET"]),
    Route("/apps/{app}/config-vars", patch_config, methods=["PATCH"]),
    Route("/apps/{app}/releases/{release}/config-vars", release_config, methods=["GET"]),
    Route("/apps/{app}/slugs", create_slug, methods=["POST"]),
    Route("/apps/{app}/slugs/{slug}", get_slug, methods=["GET"]),
    Route("/apps/{app}/releases", list_releases, methods=["GET"]),
    Route("/apps/{app}/releases", create_release, methods=["POST"]),
    Route("/apps/{app}/releases/{release}", get_release, methods=["GET"]),
]
