"""Teams: named groups of users that own apps together; admins manage them.

Every member (``admin`` or ``member``) may act on the team's apps; only admins manage the
team (members, roles, deletion) and receive its apps' alert e-mails. A team always keeps at
least one admin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

# Heroku's rule for team names, the same as for app names (teams are below apps: no import)
TEAM_NAME = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")


class Role(Enum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class Team:
    id: str
    name: str
    created_at: int
    role: Role | None = None  # the caller's role, when listed for a user


@dataclass(frozen=True)
class Member:
    user_id: str
    email: str
    role: Role
    created_at: int
