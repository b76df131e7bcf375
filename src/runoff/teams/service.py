"""Teams and their members: create, list, show, delete; add, change and remove members;
create apps owned by a team.

Teams the caller is not a member of answer 404 whether or not they exist; a member asking
for an admin's action gets 403. Membership changes that would leave a team without an admin
are refused (409).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from runoff.auth.model import User
from runoff.clock import Clock
from runoff.errors import Conflict, Forbidden, Invalid, NotFound
from runoff.store.rows import new_id
from runoff.store.schema import apps, team_apps, team_members, teams, users
from runoff.teams.model import TEAM_NAME, Member, Role, Team


def _role(value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid("role must be admin or member") from None


def _not_found(name: str) -> NotFound:
    return NotFound(f"Couldn't find that team: {name}")


class TeamService:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def create(self, creator: User, name: Any) -> Team:
        """A new team with ``creator`` as its first admin."""
        if not isinstance(name, str) or not TEAM_NAME.match(name):
            raise Invalid(
                "name is required: lowercase letters, digits and dashes, starting with a letter, "
                "3 to 30 characters long"
            )
        now = self._clock.now_us()
        team_id = new_id()
        try:
            with self._engine.begin() as conn:
                conn.execute(teams.insert().values(id=team_id, name=name, created_at=now))
                conn.execute(
                    team_members.insert().values(
                        team_id=team_id, user_id=creator.id, role=Role.ADMIN.value, created_at=now
                    )
                )
        except IntegrityError:
            raise Conflict(f"Name {name} is already taken") from None
        return Team(team_id, name, now, Role.ADMIN)

    def list_for(self, user: User) -> list[Team]:
        query = (
            select(teams, team_members.c.role)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where(team_members.c.user_id == user.id)
            .order_by(teams.c.name)
        )
        with self._engine.connect() as conn:
            return [Team(r.id, r.name, r.created_at, Role(r.role)) for r in conn.execute(query)]

    @staticmethod
    def _find(conn: Connection, user: User, name: str) -> Team:
        row = conn.execute(
            select(teams, team_members.c.role)
            .join(team_members, team_members.c.team_id == teams.c.id)
            .where((teams.c.name == name) | (teams.c.id == name), team_members.c.user_id == user.id)
        ).first()
        if row is None:
            raise _not_found(name)
        return Team(row.id, row.name, row.created_at, Role(row.role))

    def _admin(self, conn: Connection, user: User, name: str) -> Team:
        team = self._find(conn, user, name)
        if team.role is not Role.ADMIN:
            raise Forbidden(f"Only admins of {team.name} can do this.")
        return team

    def get(self, user: User, name: str) -> Team:
        with self._engine.connect() as conn:
            return self._find(conn, user, name)

    def managed_by(self, user: User, name: str) -> Team:
        """The team, if ``user`` is one of its admins (404 for a non-member, 403 for a member):
        checked before anything else of a request is looked up, so who may not manage the
        team learns nothing else (not even which users exist)."""
        with self._engine.connect() as conn:
            return self._admin(conn, user, name)

    def delete(self, user: User, name: str) -> Team:
        """Delete a team that owns no apps (admins only)."""
        with self._engine.begin() as conn:
            team = self._admin(conn, user, name)
            owned = conn.execute(
                select(func.count()).where(team_apps.c.team_id == team.id)
            ).scalar_one()
            if owned:
                raise Conflict(f"{team.name} still owns {owned} app(s); destroy them first.")
            conn.execute(delete(team_members).where(team_members.c.team_id == team.id))
            conn.execute(delete(teams).where(teams.c.id == team.id))
        return team

    # members ---------------------------------------------------------------------------------
    def members(self, user: User, name: str) -> list[Member]:
        with self._engine.connect() as conn:
            team = self._find(conn, user, name)
            rows = conn.execute(
                select(team_members, users.c.email)
                .join(users, users.c.id == team_members.c.user_id)
                .where(team_members.c.team_id == team.id)
                .order_by(users.c.email)
            )
            return [Member(r.user_id, r.email, Role(r.role), r.created_at) for r in rows]

    def set_member(self, admin: User, name: str, member: User, role: Any) -> Member:
        """Add ``member`` with ``role``, or change their role (admins only)."""
        wanted = _role(role)
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            team = self._admin(conn, admin, name)
            changed = conn.execute(
                update(team_members)
                .where(team_members.c.team_id == team.id, team_members.c.user_id == member.id)
                .values(role=wanted.value)
            )
            if changed.rowcount == 0:
                conn.execute(
                    team_members.insert().values(
                        team_id=team.id, user_id=member.id, role=wanted.value, created_at=now
                    )
                )
            self._check_admins(conn, team)
        return Member(member.id, member.email, wanted, now)

    def remove_member(self, admin: User, name: str, member: User) -> None:
        with self._engine.begin() as conn:
            team = self._admin(conn, admin, name)
            removed = conn.execute(
                delete(team_members).where(
                    team_members.c.team_id == team.id, team_members.c.user_id == member.id
                )
            )
            if removed.rowcount == 0:
                raise NotFound(f"{member.email} is not a member of {team.name}")
            self._check_admins(conn, team)

    @staticmethod
    def _check_admins(conn: Connection, team: Team) -> None:
        admins = conn.execute(
            select(func.count()).where(
                team_members.c.team_id == team.id, team_members.c.role == Role.ADMIN.value
            )
        ).scalar_one()
        if admins == 0:
            raise Conflict(f"{team.name} must keep at least one admin.")

    # apps ------------------------------------------------------------------------------------
    def assign_app(self, user: User, name: str, app_id: str) -> Team:
        """Record that the team owns ``app_id`` (called as a member creates the app)."""
        with self._engine.begin() as conn:
            team = self._find(conn, user, name)
            conn.execute(team_apps.insert().values(app_id=app_id, team_id=team.id))
        return team

    def apps(self, user: User, name: str) -> list[str]:
        """Names of the team's apps."""
        with self._engine.connect() as conn:
            team = self._find(conn, user, name)
            rows = conn.execute(
                select(apps.c.name)
                .join(team_apps, team_apps.c.app_id == apps.c.id)
                .where(team_apps.c.team_id == team.id)
                .order_by(apps.c.name)
            )
            return [row.name for row in rows]

    def team_of(self, app_id: str) -> str | None:
        return self.teams_of([app_id]).get(app_id)

    def teams_of(self, app_ids: Iterable[str]) -> dict[str, str]:
        """The team owning each of ``app_ids`` that a team owns (app id -> team name)."""
        ids = sorted(set(app_ids))
        if not ids:
            return {}
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(team_apps.c.app_id, teams.c.name)
                .join(teams, team_apps.c.team_id == teams.c.id)
                .where(team_apps.c.app_id.in_(ids))
            )
            return {row.app_id: row.name for row in rows}
