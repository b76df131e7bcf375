"""Values of the auth domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: str
    email: str
    is_admin: bool
    created_at: int


@dataclass(frozen=True)
class Principal:
    """Who is calling, with what token."""

    user: User
    authorization_id: str
    scopes: tuple[str, ...]
    app_id: str | None  # a token bound to one app may act on that app only
    expires_at: int | None = None  # microseconds; None: the token does not expire


@dataclass(frozen=True)
class Authorization:
    id: str
    user_id: str
    description: str
    scopes: tuple[str, ...]
    app_id: str | None
    expires_at: int | None
    created_at: int
    updated_at: int
    token: str | None = None  # only known right after creation
