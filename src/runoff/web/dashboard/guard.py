"""Who is asking, for which app: the dashboard's request handling in one place.

Handlers are wrapped by one of three decorators:

- ``page``: an HTML page. Without a session it redirects to the sign-in form (for any path, so
  the redirect tells nothing about which apps exist); a ``RunoffError`` becomes an HTML error
  page with the error's status (an app the user may not see is a 404 like an unknown one).
- ``data``: JSON (or an event stream) for the pages' scripts. Without a session: 401 JSON.
  Filter errors carry their ``column`` and ``reason`` so the page can point at them.
- ``action``: a state-changing request (form post or ``fetch``): a session and its CSRF token
  are required (see ``session``) before the handler runs.

``app_for`` authorizes exactly as the API's ``common.app_for`` does (``AppService.for_principal``
with the session's token), so the dashboard shows nothing the token could not read.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, quote

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from runoff.apps.model import App
from runoff.auth.scopes import Need
from runoff.errors import Invalid, RunoffError
from runoff.platform import Platform
from runoff.query import FilterError
from runoff.web.common import platform, sync
from runoff.web.dashboard import render
from runoff.web.dashboard.session import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    Session,
    SessionStore,
    check_csrf,
)

Handler = Callable[[Request], Awaitable[Response]]


class SignInRequired(Exception):
    """No live session: pages redirect to the sign-in form, data answers 401."""


def sessions(plat: Platform) -> SessionStore:
    return SessionStore(plat.engine, plat.clock, plat.auth)


async def session_of(request: Request) -> Session | None:
    """The request's live session (looked up once per request), or None."""
    if "session" in request.scope.get("state", {}):
        found: Session | None = request.state.session
        return found
    secret = request.cookies.get(COOKIE)
    found = await sync(sessions(platform(request)).resolve, secret) if secret else None
    request.state.session = found
    return found


async def require_session(request: Request) -> Session:
    found = await session_of(request)
    if found is None:
        raise SignInRequired
    return found


async def app_for(request: Request, need: Need = Need.READ) -> tuple[Session, App]:
    """The session and the app named in the path, if the session's token may ``need`` it."""
    session = await require_session(request)
    plat = platform(request)
    name = request.path_params["app"]
    renders_page = getattr(request.state, "renders_page", False)

    def lookup() -> tuple[App, str | None]:
        app = plat.apps.for_principal(session.principal, name, need)
        return app, plat.teams.team_of(app.id) if renders_page else None

    app, request.state.team = await sync(lookup)  # the team: for a page's breadcrumbs
    return session, app


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/dashboard/login?next={quote(target, safe='')}", status_code=303)


def error_page(request: Request, exc: RunoffError) -> Response:
    session: Session | None = getattr(request.state, "session", None)
    context = {"session": session, "error": exc, "title": _title(exc)}
    return render.page(request, "error.html", context, status=exc.status)


def _title(exc: RunoffError) -> str:
    titles = {401: "Please log in", 403: "Not allowed", 404: "Not found", 422: "Not accepted"}
    return titles.get(exc.status, "Something went wrong")


def page(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        request.state.renders_page = True
        try:
            return await handler(request)
        except SignInRequired:
            return login_redirect(request)
        except RunoffError as exc:
            return error_page(request, exc)

    return wrapped


def data(handler: Handler) -> Handler:
    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            response = await handler(request)
        except SignInRequired:
            return JSONResponse(
                {"id": "unauthorized", "message": "Your session has ended: log in again."},
                status_code=401,
            )
        except FilterError as exc:
            body = {"id": exc.id, "message": exc.message, "column": exc.column}
            return JSONResponse({**body, "reason": exc.reason}, status_code=exc.status)
        response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return wrapped


MAX_FORM_BYTES = 64 * 1024


async def form_of(request: Request) -> dict[str, str]:
    """The fields of a posted form (``application/x-www-form-urlencoded``, the browser's
    default for the dashboard's forms); the last value of a repeated field wins."""
    cached: dict[str, str] | None = getattr(request.state, "form", None)
    if cached is not None:
        return cached
    fields: dict[str, str] = {}
    kind = request.headers.get("content-type", "").split(";")[0].strip()
    if kind == "application/x-www-form-urlencoded":
        body = await request.body()
        if len(body) > MAX_FORM_BYTES:
            raise Invalid("The form is too large.")
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    request.state.form = fields
    return fields


async def csrf_checked(request: Request) -> Session:
    """The session, once the request proves it comes from one of its pages."""
    session = await require_session(request)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        sent = (await form_of(request)).get(CSRF_FIELD)
    check_csrf(request, session.csrf_token, sent)
    return session


def action(handler: Handler) -> Handler:
    """A state-changing request: session + CSRF first; errors as HTML pages (forms) or JSON
    (scripts, which send the token as a header)."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        scripted = CSRF_HEADER in request.headers
        request.state.renders_page = not scripted  # a form may answer with its page again
        try:
            await csrf_checked(request)
            return await handler(request)
        except SignInRequired:
            if scripted:
                return JSONResponse({"id": "unauthorized", "message": "Log in again."}, 401)
            return RedirectResponse("/dashboard/login", status_code=303)
        except RunoffError as exc:
            if scripted:
                body = {"id": exc.id, "message": exc.message}
                return JSONResponse(body, status_code=exc.status)
            return error_page(request, exc)

    return wrapped
