"""Teams, their members and their apps."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runoff.auth.model import Principal
from runoff.auth.scopes import Need, allows
from runoff.clock import iso
from runoff.errors import Forbidden, Invalid
from runoff.teams.model import Member, Team
from runoff.web import render
from runoff.web.common import json_body, platform, principal, respond, sync


def render_team(team: Team) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "role": None if team.role is None else team.role.value,
        "created_at": iso(team.created_at),
    }


def render_member(member: Member, team: str) -> dict[str, Any]:
    return {
        "team": {"name": team},
        "user": {"id": member.user_id, "email": member.email},
        "email": member.email,
        "role": member.role.value,
        "created_at": iso(member.created_at),
    }


async def _caller(request: Request, need: Need) -> Principal:
    """The caller, with a token that is not bound to one app and allows ``need``."""
    who = await principal(request)
    if who.app_id is not None or not allows(list(who.scopes), need):
        raise Forbidden(f"Teams need a token with the global or {need.value} scope.")
    return who


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise Invalid("The request body must be a JSON object")
    return body


async def list_teams(request: Request) -> Response:
    who = await _caller(request, Need.READ)
    found = await sync(platform(request).teams.list_for, who.user)
    return respond([render_team(t) for t in found])


async def create_team(request: Request) -> Response:
    who = await _caller(request, Need.WRITE)
    body = _object(await json_body(request))
    team = await sync(platform(request).teams.create, who.user, body.get("name"))
    return respond(render_team(team), status=201)


async def get_team(request: Request) -> Response:
    who = await _caller(request, Need.READ)
    team = await sync(platform(request).teams.get, who.user, request.path_params["team"])
    return respond(render_team(team))


async def delete_team(request: Request) -> Response:
    who = await _caller(request, Need.WRITE)
    team = await sync(platform(request).teams.delete, who.user, request.path_params["team"])
    return respond(render_team(team))


async def list_members(request: Request) -> Response:
    who = await _caller(request, Need.READ)
    name = request.path_params["team"]
    found = await sync(platform(request).teams.members, who.user, name)
    return respond([render_member(m, name) for m in found])


async def set_member(request: Request) -> Response:
    """Heroku's ``PUT /teams/{team}/members``: add a member or change their role.

    Needs write-protected: a member acts on the team's apps with their own tokens, config vars
    included, so a token that may not read them could otherwise hand them to another account."""
    who = await _caller(request, Need.WRITE_PROTECTED)
    body = _object(await json_body(request))
    email = body.get("email") or body.get("user")
    if not isinstance(email, str):
        raise Invalid("email is required: the e-mail address of an existing runoff user")
    plat = platform(request)
    name = request.path_params["team"]
    await sync(plat.teams.managed_by, who.user, name)  # before the user: tells no stranger
    user = await sync(plat.auth.user_by_email, email)
    member = await sync(plat.teams.set_member, who.user, name, user, body.get("role", "member"))
    return respond(render_member(member, name))


async def remove_member(request: Request) -> Response:
    who = await _caller(request, Need.WRITE)
    plat = platform(request)
    name = request.path_params["team"]
    await sync(plat.teams.managed_by, who.user, name)  # before the user: tells no stranger
    user = await sync(plat.auth.user_by_email, request.path_params["member"])
    await sync(plat.teams.remove_member, who.user, name, user)
    return respond({"team": {"name": name}, "user": render.user(user)})


async def list_team_apps(request: Request) -> Response:
    who = await _caller(request, Need.READ)
    names = await sync(platform(request).teams.apps, who.user, request.path_params["team"])
    return respond([{"name": name} for name in names])


async def create_team_app(request: Request) -> Response:
    """Heroku's ``POST /teams/apps``: ``{"team": "...", "name": "..."}``."""
    who = await _caller(request, Need.WRITE)
    body = _object(await json_body(request))
    team, name = body.get("team"), body.get("name")
    if not isinstance(team, str):
        raise Invalid("team is required: the name of a team you belong to")
    if name is not None and not isinstance(name, str):
        raise Invalid("name must be a string")
    app = await sync(platform(request).create_team_app, who.user, team, name)
    return respond(render.app(app, team=team), status=201)


routes = [
    Route("/teams", list_teams, methods=["GET"]),
    Route("/teams", create_team, methods=["POST"]),
    Route("/teams/apps", create_team_app, methods=["POST"]),
    Route("/teams/{team}", get_team, methods=["GET"]),
    Route("/teams/{team}", delete_team, methods=["DELETE"]),
    Route("/teams/{team}/members", list_members, methods=["GET"]),
    Route("/teams/{team}/members", set_member, methods=["PUT"]),
    Route("/teams/{team}/members/{member}", remove_member, methods=["DELETE"]),
    Route("/teams/{team}/apps", list_team_apps, methods=["GET"]),
]
