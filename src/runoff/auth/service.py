"""Users and tokens: creation, lookup and authentication.

Tokens are random and shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from typing import Any

from sqlalchemy import Engine, delete, select

from runoff.auth import scopes as scope_rules
from runoff.auth.model import Authorization, Principal, User
from runoff.clock import US_PER_SECOND, Clock
from runoff.errors import Conflict, Invalid, NotFound, Unauthorized
from runoff.store.rows import new_id
from runoff.store.schema import authorizations, users

ADMIN_EMAIL = "admin@localhost"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
MAX_EXPIRES_IN = 10 * 365 * 86400


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> str:
    return secrets.token_hex(24)


def _user(row: Any) -> User:
    return User(id=row.id, email=row.email, is_admin=bool(row.is_admin), created_at=row.created_at)


def _authorization(row: Any, token: str | None = None) -> Authorization:
    return Authorization(
        id=row.id,
        user_id=row.user_id,
        description=row.description,
        scopes=tuple(row.scope.split()),
        app_id=row.app_id,
        expires_at=row.expires_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        token=token,
    )


CACHE_SECONDS = 2.0


class AuthService:
    """Users and tokens.

    ``authenticate`` keeps what it found for ``CACHE_SECONDS`` (monotonic) per token: it runs on
    every request. Expiry is still checked on each call, and revoking through this service drops
    the entry at once; another server sharing the store notices a revocation within that time.
    """

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._cache: dict[str, tuple[float, Principal, int | None]] = {}

    # users -----------------------------------------------------------------------------------
    def create_user(self, email: str, *, is_admin: bool = False) -> User:
        email = email.strip().lower()
        if not _EMAIL.match(email):
            raise Invalid(f"{email!r} is not an e-mail address")
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.email == email)).first():
                raise Conflict(f"a user with e-mail {email} already exists")
            user_id = new_id()
            conn.execute(
                users.insert().values(id=user_id, email=email, is_admin=is_admin, created_at=now)
            )
        return User(id=user_id, email=email, is_admin=is_admin, created_at=now)

    def user_by_email(self, email: str) -> User:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.email == email.lower())).first()
        if row is None:
            raise NotFound(f"Couldn't find that user: {email}")
        return _user(row)

    def user_by_id(self, user_id: str) -> User:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        if row is None:
            raise NotFound("Couldn't find that user.")
        return _user(row)

    def has_users(self) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(users.c.id).limit(1)).first() is not None

    # tokens ----------------------------------------------------------------------------------
    def create_authorization(
        self,
        user: User,
        *,
        description: str = "",
        scopes: list[str] | None = None,
        expires_in: int | None = None,
        app_id: str | None = None,
        token: str | None = None,
        expires_by: int | None = None,
    ) -> Authorization:
        """Create a token for ``user``; the returned value carries the token, never stored.

        ``expires_by`` (microseconds): the new token expires then at the latest, whatever
        ``expires_in`` asks; a token created by an expiring token passes its own expiry, so
        it never outlives its maker.
        """
        checked = scope_rules.validate(scopes if scopes is not None else ["global"])
        if "dynos:restart" in checked and app_id is None:
            raise Invalid("the dynos:restart scope needs an app: the token is bound to one app")
        if expires_in is not None and not 0 < expires_in <= MAX_EXPIRES_IN:
            raise Invalid(f"expires_in must be between 1 and {MAX_EXPIRES_IN} seconds")
        now = self._clock.now_us()
        expires_at = now + expires_in * US_PER_SECOND if expires_in else None
        if expires_by is not None:
            expires_at = expires_by if expires_at is None else min(expires_at, expires_by)
        token = token or generate_token()
        auth_id = new_id()
        values = {
            "id": auth_id,
            "user_id": user.id,
            "description": description,
            "token_sha256": hash_token(token),
            "scope": " ".join(checked),
            "app_id": app_id,
            "expires_at": expires_at,
            "created_at": now,
            "updated_at": now,
        }
        with self._engine.begin() as conn:
            conn.execute(authorizations.insert().values(**values))
            row = conn.execute(select(authorizations).where(authorizations.c.id == auth_id)).one()
        return _authorization(row, token)

    def authenticate(self, token: str) -> Principal:
        """The principal behind ``token``; raises ``Unauthorized`` if unknown or expired."""
        digest = hash_token(token)
        cached = self._cache.get(digest)
        if cached is not None and time.monotonic() - cached[0] < CACHE_SECONDS:
            _, principal, expires_at = cached
        else:
            principal, expires_at = self._lookup(digest)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic(), principal, expires_at)
        if expires_at is not None and expires_at <= self._clock.now_us():
            raise Unauthorized("Invalid credentials provided: the token has expired.")
        return principal

    def _lookup(self, digest: str) -> tuple[Principal, int | None]:
        query = (
            select(authorizations, users.c.email, users.c.is_admin, users.c.created_at.label("uc"))
            .join(users, users.c.id == authorizations.c.user_id)
            .where(authorizations.c.token_sha256 == digest)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise Unauthorized("Invalid credentials provided.")
        user = User(id=row.user_id, email=row.email, is_admin=bool(row.is_admin), created_at=row.uc)
        principal = Principal(
            user=user,
            authorization_id=row.id,
            scopes=tuple(row.scope.split()),
            app_id=row.app_id,
            expires_at=row.expires_at,
        )
        return principal, row.expires_at

    def list_authorizations(self, user: User) -> list[Authorization]:
        query = (
            select(authorizations)
            .where(authorizations.c.user_id == user.id)
            .order_by(authorizations.c.created_at)
        )
        with self._engine.connect() as conn:
            return [_authorization(row) for row in conn.execute(query)]

    def get_authorization(self, user: User, auth_id: str) -> Authorization:
        query = select(authorizations).where(
            authorizations.c.id == auth_id, authorizations.c.user_id == user.id
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise NotFound("Couldn't find that authorization.")
        return _authorization(row)

    def delete_authorization(self, user: User, auth_id: str) -> Authorization:
        found = self.get_authorization(user, auth_id)
        with self._engine.begin() as conn:
            conn.execute(delete(authorizations).where(authorizations.c.id == auth_id))
        self._cache = {k: v for k, v in self._cache.items() if v[1].authorization_id != auth_id}
        return found

    # bootstrap -------------------------------------------------------------------------------
    def bootstrap_owner(self, admin_token: str | None) -> str | None:
        """On an empty store, create ``admin@localhost`` with a global token.

        Uses ``admin_token`` when given; otherwise generates one and returns it (the caller
        writes it to the data dir and prints it once). Returns None when users already exist.
        """
        if self.has_users():
            return None
        admin = self.create_user(ADMIN_EMAIL, is_admin=True)
        auth = self.create_authorization(
            admin, description="runoff admin token", scopes=["global"], token=admin_token
        )
        return None if admin_token else auth.token
