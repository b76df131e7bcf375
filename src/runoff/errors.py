"""User-facing errors.

Every error a user can cause or see is a ``RunoffError``. The web layer turns one into
``{"id": ..., "message": ...}`` with ``status``; the CLI prints ``message`` on one line and
exits non-zero. Nothing else should be caught and shown to users.
"""

from __future__ import annotations


class RunoffError(Exception):
    """Base class: ``id`` is the stable machine-readable code, ``status`` the HTTP status."""

    id = "internal_error"
    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(RunoffError):
    id = "bad_request"
    status = 400


class Unauthorized(RunoffError):
    id = "unauthorized"
    status = 401


class Forbidden(RunoffError):
    id = "forbidden"
    status = 403


class NotFound(RunoffError):
    id = "not_found"
    status = 404


class Conflict(RunoffError):
    id = "conflict"
    status = 409


class TooLarge(RunoffError):
    id = "request_too_large"
    status = 413


class Invalid(RunoffError):
    """A field has a value the platform cannot accept (HTTP 422)."""

    id = "invalid_params"
    status = 422


class RateLimited(RunoffError):
    id = "rate_limit"
    status = 429


class Unavailable(RunoffError):
    id = "unavailable"
    status = 503


class ServiceUnavailable(RunoffError):
    """The database cannot be reached (or is busy): try again after ``retry_after`` seconds."""

    id = "service_unavailable"
    status = 503
    retry_after = 5


class InsufficientStorage(RunoffError):
    """The disk under the data dir or the database is full: writes are refused (HTTP 507)."""

    id = "insufficient_storage"
    status = 507
