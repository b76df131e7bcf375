"""The one rule teams add to app access: members of the team owning an app may act on it."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from runoff.store.schema import apps, team_apps, team_members


def team_member_of_app(user_id: str) -> ColumnElement[bool]:
    """True for apps owned by a team ``user_id`` belongs to (admin or member)."""
    return (
        select(team_apps.c.app_id)
        .join(team_members, team_members.c.team_id == team_apps.c.team_id)
        .where(team_apps.c.app_id == apps.c.id, team_members.c.user_id == user_id)
        .exists()
    )


def team_owned() -> ColumnElement[bool]:
    """True for apps a team owns: their owner of record has no access of their own."""
    return select(team_apps.c.app_id).where(team_apps.c.app_id == apps.c.id).exists()
