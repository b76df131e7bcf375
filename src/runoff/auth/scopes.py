"""Token scopes and what each allows.

Heroku's scopes: ``global`` (everything), ``read`` / ``write`` (apps and their resources except
config vars), ``read-protected`` / ``write-protected`` (the same, config vars included).
``write`` implies ``read``; ``write-protected`` implies every other app scope.
``dynos:restart`` lets a token restart an app's dynos and nothing else (it must be bound to an app).
"""

from __future__ import annotations

from enum import Enum

from runoff.errors import Invalid


class Need(Enum):
    """What a route requires of the token."""

    READ = "read"
    WRITE = "write"
    READ_PROTECTED = "read-protected"
    WRITE_PROTECTED = "write-protected"
    RESTART = "dynos:restart"
    ACCOUNT = "account"  # account-level changes: new tokens, new users


SCOPES = ("global", "read", "write", "read-protected", "write-protected", "dynos:restart")

# scope -> the needs it satisfies (declared once; checked by ``allows``)
_GRANTS: dict[str, frozenset[Need]] = {
    "global": frozenset(Need),
    "read": frozenset({Need.READ}),
    "write": frozenset({Need.READ, Need.WRITE, Need.RESTART}),
    "read-protected": frozenset({Need.READ, Need.READ_PROTECTED}),
    "write-protected": frozenset(
        {Need.READ, Need.WRITE, Need.READ_PROTECTED, Need.WRITE_PROTECTED, Need.RESTART}
    ),
    "dynos:restart": frozenset({Need.RESTART}),
}


def validate(scopes: list[str]) -> list[str]:
    if not scopes:
        raise Invalid("scope must name at least one of: " + ", ".join(SCOPES))
    unknown = [s for s in scopes if s not in _GRANTS]
    if unknown:
        raise Invalid(f"unknown scope {unknown[0]!r}; known scopes: {', '.join(SCOPES)}")
    return sorted(set(scopes), key=SCOPES.index)


def allows(scopes: list[str], need: Need) -> bool:
    return any(need in _GRANTS.get(scope, frozenset()) for scope in scopes)
