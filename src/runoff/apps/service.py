"""Apps, their owner and collaborators, and who may act on which app."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import Engine, and_, delete, or_, select

from runoff.apps.model import APP_NAME, App
from runoff.auth.model import Principal, User
from runoff.auth.scopes import Need, allows
from runoff.clock import Clock
from runoff.errors import Conflict, Forbidden, Invalid, NotFound
from runoff.store.rows import new_id
from runoff.store.schema import apps, collaborators, users
from runoff.teams.access import team_member_of_app, team_owned

_ADJECTIVES = ("sharp", "quiet", "bold", "calm", "brave", "swift", "lucky", "misty", "sunny")
_NOUNS = ("mountain", "river", "forest", "meadow", "harbor", "canyon", "island", "valley")


def _app(row: Any) -> App:
    return App(
        id=row.id,
        name=row.name,
        owner_id=row.owner_id,
        owner_email=row.owner_email,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _app_query() -> Any:
    return select(apps, users.c.email.label("owner_email")).join(
        users, users.c.id == apps.c.owner_id
    )


def generated_name() -> str:
    return (
        f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(9000) + 1000}"
    )


def app_not_found(name: str) -> NotFound:
    return NotFound(f"Couldn't find that app: {name}")


class AppService:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock

    def create(self, owner: User, name: str | None = None) -> App:
        if name is not None and not APP_NAME.match(name):
            raise Invalid(
                f"Name {name!r} is invalid: it must start with a letter, may contain only "
                "lowercase letters, digits and dashes, and must be 3 to 30 characters long."
            )
        now = self._clock.now_us()
        with self._engine.begin() as conn:
            for _ in range(20):
                candidate = name or generated_name()
                taken = conn.execute(select(apps.c.id).where(apps.c.name == candidate)).first()
                if not taken:
                    break
                if name:
                    raise Conflict(f"Name {name} is already taken")
            app_id = new_id()
            conn.execute(
                apps.insert().values(
                    id=app_id, name=candidate, owner_id=owner.id, created_at=now, updated_at=now
                )
            )
        return App(app_id, candidate, owner.id, owner.email, now, now)

    def get(self, name_or_id: str) -> App:
        """The app by name or id, with no access check (internal use)."""
        query = _app_query().where(or_(apps.c.name == name_or_id, apps.c.id == name_or_id))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            raise app_not_found(name_or_id)
        return _app(row)

    def for_principal(self, principal: Principal, name_or_id: str, need: Need) -> App:
        """The app, if ``principal`` may act on it as ``need`` says.

        Apps the caller cannot see answer 404 whether or not they exist; a visible app with a
        token lacking the scope answers 403.
        """
        collaborator = (
            select(collaborators.c.id)
            .where(
                collaborators.c.app_id == apps.c.id, collaborators.c.user_id == principal.user.id
            )
            .exists()
        )
        query = _app_query().add_columns(
            collaborator.label("is_collaborator"),
            team_member_of_app(principal.user.id).label("is_team_member"),
            team_owned().label("is_team_app"),
        )
        query = query.where(or_(apps.c.name == name_or_id, apps.c.id == name_or_id))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        owns = row is not None and row.owner_id == principal.user.id and not row.is_team_app
        if row is None or not (owns or row.is_collaborator or row.is_team_member):
            raise app_not_found(name_or_id)
        if principal.app_id is not None and principal.app_id != row.id:
            raise app_not_found(name_or_id)
        if not allows(list(principal.scopes), need):
            raise Forbidden(
                f"This token's scope ({', '.join(principal.scopes)}) does not allow this "
                f"action on {row.name} (it needs {need.value})."
            )
        return _app(row)

    def list_for(self, user: User) -> list[App]:
        collaborated = select(collaborators.c.app_id).where(collaborators.c.user_id == user.id)
        query = (
            _app_query()
            .where(
                or_(
                    and_(apps.c.owner_id == user.id, ~team_owned()),
                    apps.c.id.in_(collaborated),
                    team_member_of_app(user.id),
                )
            )
            .order_by(apps.c.name)
        )
        with self._engine.connect() as conn:
            return [_app(row) for row in conn.execute(query)]

    def delete(self, app: App) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(apps).where(apps.c.id == app.id))

    # collaborators ---------------------------------------------------------------------------
    def collaborators(self, app: App) -> list[tuple[User, str]]:
        """Everyone with access: the owner (role ``owner``) then collaborators."""
        query = (
            select(users)
            .join(collaborators, collaborators.c.user_id == users.c.id)
            .where(collaborators.c.app_id == app.id)
            .order_by(users.c.email)
        )
        with self._engine.connect() as conn:
            owner = conn.execute(select(users).where(users.c.id == app.owner_id)).one()
            rows = list(conn.execute(query))

        def user(row: Any) -> User:
            return User(row.id, row.email, bool(row.is_admin), row.created_at)

        return [(user(owner), "owner")] + [(user(row), "collaborator") for row in rows]

    def add_collaborator(self, app: App, user: User) -> None:
        if user.id == app.owner_id:
            raise Conflict(f"{user.email} owns {app.name} already")
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(collaborators.c.id).where(
                    collaborators.c.app_id == app.id, collaborators.c.user_id == user.id
                )
            ).first()
            if exists:
                raise Conflict(f"{user.email} is already a collaborator on {app.name}")
            conn.execute(
                collaborators.insert().values(
                    id=new_id(), app_id=app.id, user_id=user.id, created_at=self._clock.now_us()
                )
            )

    def remove_collaborator(self, app: App, user: User) -> None:
        with self._engine.begin() as conn:
            result = conn.execute(
                delete(collaborators).where(
                    collaborators.c.app_id == app.id, collaborators.c.user_id == user.id
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"{user.email} is not a collaborator on {app.name}")
