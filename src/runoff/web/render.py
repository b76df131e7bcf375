"""JSON shapes of the Platform API resources (Heroku Platform API v3)."""

from __future__ import annotations

from typing import Any

from runoff.apps.model import App, Release, Slug
from runoff.auth.model import Authorization, User
from runoff.clock import iso
from runoff.dynos.attach import AttachPoint
from runoff.dynos.model import Dyno
from runoff.formation.model import Formation
from runoff.scheduler.model import Job, Run

REGION = {"id": "00000000-0000-0000-0000-000000000001", "name": "local"}
STACK = {"id": "00000000-0000-0000-0000-000000000002", "name": "runoff-1"}
GENERATION = {"id": "00000000-0000-0000-0000-000000000003", "name": "cedar"}


def user(found: User) -> dict[str, Any]:
    return {"id": found.id, "email": found.email}


def account(found: User) -> dict[str, Any]:
    return {
        **user(found),
        "name": found.email.split("@")[0],
        "created_at": iso(found.created_at),
        "updated_at": iso(found.created_at),
        "verified": True,
        "two_factor_authentication": False,
        "allow_tracking": False,
        "beta": False,
        "default_organization": None,
        "default_team": None,
        "identity_provider": None,
        "sms_number": None,
        "suspended_at": None,
        "delinquent_at": None,
        "last_login": None,
        "federated": False,
        "runoff_admin": found.is_admin,
    }


def app(
    found: App,
    *,
    released_at: int | None = None,
    slug_size: int | None = None,
    team: str | None = None,
) -> dict[str, Any]:
    """An app in the Platform API's shape; ``team`` names the team that owns it, if any."""
    return {
        "id": found.id,
        "name": found.name,
        "owner": {"id": found.owner_id, "email": found.owner_email},
        "region": REGION,
        "stack": STACK,
        "build_stack": STACK,
        "generation": GENERATION,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "released_at": iso(released_at),
        "git_url": "",
        "web_url": None,
        "repo_size": None,
        "slug_size": slug_size,
        "maintenance": False,
        "acm": False,
        "archived_at": None,
        "buildpack_provided_description": None,
        "internal_routing": None,
        "organization": None if team is None else {"name": team},
        "team": None if team is None else {"name": team},
        "space": None,
    }


def release(found: Release, app_name: str) -> dict[str, Any]:
    return {
        "id": found.id,
        "version": found.version,
        "description": found.description,
        "status": found.status.value,
        "current": found.current,
        "user": {"id": None, "email": found.user_email or "runoff"},
        "app": {"id": found.app_id, "name": app_name},
        "slug": {"id": found.slug_id} if found.slug_id else None,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "addon_plan_names": [],
        "artifacts": [],
        "output_stream_url": None,
        "eligible_for_rollback": found.status.value == "succeeded",
    }


def slug(found: Slug) -> dict[str, Any]:
    return {
        "id": found.id,
        "checksum": found.checksum,
        "size": found.size,
        "process_types": found.process_types,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.created_at),
        "stack": STACK,
        "blob": None,
        "buildpack_provided_description": None,
        "commit": None,
        "commit_description": None,
    }


def dyno(found: Dyno, app_name: str, attach: AttachPoint | None = None) -> dict[str, Any]:
    """``attach`` only in the answer to the create request: its secret is single-use."""
    rendered = {
        "id": found.id,
        "name": found.name,
        "type": found.type,
        "command": found.command,
        "size": found.size,
        "state": found.state.value,
        "attach_url": attach.url if attach else None,
        "app": {"id": found.app_id, "name": app_name},
        "release": {"id": found.release_id, "version": found.release_version},
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        # runoff additions
        "one_off": found.one_off,
        "time_to_live": found.ttl_seconds,
        "up_at": iso(found.up_at),
        "ended_at": iso(found.ended_at),
        "exit_status": found.exit_status,
        "outcome": found.outcome.value if found.outcome else None,
        "stop_reason": found.stop_reason,
    }
    if attach is not None:
        rendered["attach_fingerprint"] = attach.fingerprint  # runoff's CLI pins the certificate
    return rendered


def authorization(found: Authorization, owner: User) -> dict[str, Any]:
    token = None
    if found.token is not None:
        expires_in = None
        if found.expires_at is not None:
            expires_in = max(0, (found.expires_at - found.created_at) // 1_000_000)
        token = {"id": found.id, "token": found.token, "expires_in": expires_in}
    return {
        "id": found.id,
        "description": found.description,
        "scope": list(found.scopes),
        "app": {"id": found.app_id} if found.app_id else None,
        "access_token": token,
        "client": None,
        "grant": None,
        "refresh_token": None,
        "session": None,
        "user": {"id": owner.id, "email": owner.email, "full_name": None},
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
        "expires_at": iso(found.expires_at),
    }


def formation(found: Formation, app_name: str) -> dict[str, Any]:
    return {
        "id": found.id,
        "app": {"id": found.app_id, "name": app_name},
        "type": found.type,
        "command": found.command,
        "quantity": found.quantity,
        "size": found.size,
        "dyno_size": {"id": None, "name": found.size},
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }


def scheduler_run(found: Run) -> dict[str, Any]:
    return {
        "id": found.id,
        "slot_at": iso(found.slot_at),
        "manual": found.manual,
        "status": found.status.value,
        "dyno": {"id": found.dyno_id, "name": found.dyno_name} if found.dyno_id else None,
        "detail": found.detail,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }


def scheduler_job(
    found: Job, app_name: str, next_run_at: int, last_run: Run | None
) -> dict[str, Any]:
    return {
        "id": found.id,
        "number": found.number,
        "app": {"id": found.app_id, "name": app_name},
        "kind": found.kind.value,
        "command": found.command,
        "schedule": found.schedule,
        "size": found.size,
        "overlap": found.overlap.value,
        "next_run_at": iso(next_run_at),
        "last_run": scheduler_run(last_run) if last_run else None,
        "created_at": iso(found.created_at),
        "updated_at": iso(found.updated_at),
    }
