"""Who is told about an app's alerts.

E-mail goes to the app's owner and collaborators, or, when a team owns the app, to the
team's admins; plus the additional addresses set on the add-on. Webhooks are set on the
add-on too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from runoff.store.schema import (
    alert_emails,
    alert_webhooks,
    apps,
    collaborators,
    team_apps,
    team_members,
    users,
)


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str
    format: str
    secret: str


def people(conn: Connection, app_id: str) -> list[str]:
    """Team admins of a team app, else the owner and collaborators (sorted, unique)."""
    team = conn.execute(select(team_apps.c.team_id).where(team_apps.c.app_id == app_id)).first()
    if team is not None:
        query = (
            select(users.c.email)
            .join(team_members, team_members.c.user_id == users.c.id)
            .where(team_members.c.team_id == team.team_id, team_members.c.role == "admin")
        )
    else:
        owner = select(users.c.email).join(apps, apps.c.owner_id == users.c.id)
        owner = owner.where(apps.c.id == app_id)
        helpers = select(users.c.email).join(collaborators, collaborators.c.user_id == users.c.id)
        query = owner.union(helpers.where(collaborators.c.app_id == app_id))  # type: ignore[assignment]
    return sorted({row[0] for row in conn.execute(query)})


def extra_emails(conn: Connection, addon_id: str) -> list[str]:
    query = select(alert_emails.c.email).where(alert_emails.c.addon_id == addon_id)
    return sorted(row[0] for row in conn.execute(query.order_by(alert_emails.c.email)))


def emails(conn: Connection, app_id: str, addon_id: str) -> list[str]:
    """Everyone an alert e-mail of the app goes to."""
    return sorted(set(people(conn, app_id)) | set(extra_emails(conn, addon_id)))


def webhooks(conn: Connection, addon_id: str) -> list[Webhook]:
    query = (
        select(alert_webhooks)
        .where(alert_webhooks.c.addon_id == addon_id)
        .order_by(alert_webhooks.c.created_at, alert_webhooks.c.id)
    )
    return [Webhook(r.id, r.url, r.format, r.secret) for r in conn.execute(query)]
