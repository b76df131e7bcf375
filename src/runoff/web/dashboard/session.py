"""Dashboard sign-in: sessions opened with an API token, their cookie, and CSRF checks.

Signing in with a token stores a session row (``dashboard_sessions``) and sets a cookie holding
a random secret (only its SHA-256 is stored): ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over
https, scoped to the whole site because the add-on's page lives at ``/apps/{app}/one-off-metrics``.
The session acts with the token it was opened with — its user, scopes and app binding — so the
dashboard authorizes exactly as the API does; revoking the token ends the session (the row
cascades away), and so does signing out or ``SESSION_SECONDS`` passing.

CSRF: every state-changing request made with the cookie (forms and ``fetch``) must carry the
session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``), and a request whose
``Origin`` or ``Sec-Fetch-Site`` says it came from another site is refused even with the token.
The sign-in form itself is protected by a double-submit cookie (``runoff_signin``), so another
site cannot sign a browser in as someone else. The JSON API never reads the cookie: a bearer
token is the only credential there, so the cookie cannot be replayed against it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, select
from starlette.requests import Request
from starlette.responses import Response

from runoff.auth.model import Principal, User
from runoff.auth.service import AuthService
from runoff.clock import US_PER_SECOND, Clock
from runoff.errors import Forbidden
from runoff.store.rows import new_id
from runoff.store.schema import authorizations, dashboard_sessions, users

COOKIE = "runoff_session"
SIGNIN_COOKIE = "runoff_signin"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SESSION_SECONDS = 12 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(Forbidden):
    id = "csrf_failed"


@dataclass(frozen=True)
class Session:
    id: str
    principal: Principal
    csrf_token: str
    expires_at: int


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SessionStore:
    """Sessions in the database, so every server sharing it knows them."""

    def __init__(self, engine: Engine, clock: Clock, auth: AuthService) -> None:
        self._engine = engine
        self._clock = clock
        self._auth = auth

    def open(self, token: str) -> tuple[Session, str]:
        """A new session acting with ``token``; returns it and the cookie's secret.

        Raises ``Unauthorized`` for an unknown or expired token."""
        principal = self._auth.authenticate(token)
        now = self._clock.now_us()
        secret = secrets.token_urlsafe(32)
        session = Session(
            new_id(), principal, secrets.token_urlsafe(32), now + SESSION_SECONDS * US_PER_SECOND
        )
        with self._engine.begin() as conn:
            conn.execute(delete(dashboard_sessions).where(dashboard_sessions.c.expires_at <= now))
            conn.execute(
                dashboard_sessions.insert().values(
                    id=session.id,
                    secret_sha256=_hash(secret),
                    authorization_id=principal.authorization_id,
                    csrf_token=session.csrf_token,
                    created_at=now,
                    expires_at=session.expires_at,
                )
            )
        return session, secret

    def resolve(self, secret: str) -> Session | None:
        """The live session whose cookie holds ``secret``, with its token's principal; None
        if there is none, it expired, or its token expired."""
        sessions, auths = dashboard_sessions.c, authorizations.c
        query = (
            select(
                sessions.id,
                sessions.csrf_token,
                sessions.expires_at,
                auths.id.label("authorization_id"),
                auths.scope,
                auths.app_id,
                auths.expires_at.label("token_expires_at"),
                users.c.id.label("user_id"),
                users.c.email,
                users.c.is_admin,
                users.c.created_at.label("user_created_at"),
            )
            .select_from(
                dashboard_sessions.join(authorizations, auths.id == sessions.authorization_id).join(
                    users, users.c.id == auths.user_id
                )
            )
            .where(sessions.secret_sha256 == _hash(secret))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        now = self._clock.now_us()
        if row is None or row.expires_at <= now:
            return None
        if row.token_expires_at is not None and row.token_expires_at <= now:
            return None
        return Session(row.id, _principal(row), row.csrf_token, row.expires_at)

    def close(self, secret: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                delete(dashboard_sessions).where(
                    dashboard_sessions.c.secret_sha256 == _hash(secret)
                )
            )


def _principal(row: Any) -> Principal:
    user = User(row.user_id, row.email, bool(row.is_admin), row.user_created_at)
    return Principal(user, row.authorization_id, tuple(row.scope.split()), row.app_id)


# cookies ------------------------------------------------------------------------------------
def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, secret: str) -> None:
    response.set_cookie(
        COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="lax",
        secure=_secure(request),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=_secure(request))


def set_signin_cookie(response: Response, request: Request, nonce: str) -> None:
    """The double-submit cookie of the sign-in form (its hidden field holds ``nonce`` too)."""
    response.set_cookie(
        SIGNIN_COOKIE,
        nonce,
        max_age=3600,
        path="/dashboard/login",
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


# CSRF ---------------------------------------------------------------------------------------
def same_site(request: Request) -> bool:
    """False when the browser says the request comes from another origin."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    ours = urlsplit(str(request.base_url))
    theirs = urlsplit(origin)
    return (theirs.scheme, theirs.netloc) == (ours.scheme, ours.netloc)


def check_csrf(request: Request, expected: str, sent: str | None) -> None:
    """Raise ``CsrfFailed`` unless ``sent`` is ``expected`` and the request is same-site."""
    if not same_site(request):
        raise CsrfFailed("This request came from another site and was refused (CSRF check).")
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfFailed(
            "The form's security token is missing or out of date (CSRF check): "
            "reload the page and try again."
        )
