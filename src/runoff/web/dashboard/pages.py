"""Dashboard pages: logging in and out, the apps, an app's overview, a dyno, memory by dyno."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from runoff.auth.scopes import Need
from runoff.errors import Unauthorized
from runoff.web.common import platform, sync
from runoff.web.dashboard import render, views
from runoff.web.dashboard.guard import (
    action,
    app_for,
    form_of,
    page,
    require_session,
    session_of,
    sessions,
)
from runoff.web.dashboard.session import (
    COOKIE,
    SIGNIN_COOKIE,
    check_csrf,
    clear_session_cookie,
    set_session_cookie,
    set_signin_cookie,
)


def _local(target: str | None) -> str:
    """``target`` if it is a path on this site, else the apps page (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/dashboard"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/dashboard"


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    nonce = request.cookies.get(SIGNIN_COOKIE) or secrets.token_urlsafe(24)
    context = {
        "session": None,
        "title": "Log in",
        "next": _local(request.query_params.get("next")),
        "nonce": nonce,
        "error": error,
    }
    response = render.page(request, "login.html", context, status=status)
    set_signin_cookie(response, request, nonce)
    return response


async def login_page(request: Request) -> Response:
    if await session_of(request) is not None:
        return RedirectResponse(_local(request.query_params.get("next")), status_code=303)
    return _login_form(request)


@page
async def login(request: Request) -> Response:
    form = await form_of(request)
    nonce = request.cookies.get(SIGNIN_COOKIE, "")
    check_csrf(request, nonce, form.get("nonce") if nonce else None)
    token = form.get("token", "").strip()
    if not token:
        return _login_form(request, "Enter an API token.", status=422)
    try:
        _, secret = await sync(sessions(platform(request)).open, token)
    except Unauthorized:
        return _login_form(request, "That token is not valid (unknown or expired).", 401)
    response = RedirectResponse(_local(form.get("next")), status_code=303)
    set_session_cookie(response, request, secret)
    response.delete_cookie(SIGNIN_COOKIE, path="/dashboard/login")
    return response


@action
async def logout(request: Request) -> Response:
    secret = request.cookies.get(COOKIE)
    if secret:
        await sync(sessions(platform(request)).close, secret)
    response = RedirectResponse("/dashboard/login", status_code=303)
    clear_session_cookie(response, request)
    return response


@page
async def apps_page(request: Request) -> Response:
    session = await require_session(request)
    plat = platform(request)
    found = await sync(plat.apps.list_for, session.principal.user)
    if session.principal.app_id is not None:
        found = [app for app in found if app.id == session.principal.app_id]
    context = {"session": session, "title": "Apps", "apps": found}
    return render.page(request, "apps.html", context)


@page
async def overview_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    found = await sync(views.overview, platform(request), app)
    context = {"session": session, "app": app, "title": app.name, "tab": "overview", **found}
    return render.page(request, "overview.html", context)


@page
async def dyno_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    found = await sync(views.dyno_detail, platform(request), app, request.path_params["dyno"])
    name = found["dyno"]["name"]
    context = {"session": session, "app": app, "title": f"{name} · {app.name}", "tab": "dynos"}
    return render.page(request, "dyno.html", {**context, **found})


@page
async def memory_page(request: Request) -> Response:
    session, app = await app_for(request, Need.READ)
    window, _ = views.memory_window(request.query_params.get("window"))
    context = {
        "session": session,
        "app": app,
        "title": f"Memory · {app.name}",
        "tab": "memory",
        "window": window,
        "windows": list(views.MEMORY_WINDOWS),
    }
    return render.page(request, "memory.html", context)
