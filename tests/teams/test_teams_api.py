"""Teams: membership and roles, access to team apps, and who gets a team app's alerts."""

from __future__ import annotations

from collections.abc import Callable

from tests.monitors.conftest import METRICS, create_monitor, wait_mail
from tests.support.api import Api
from tests.support.smtp import Inbox


def test_team_roles_and_app_access(api: Api, user_api: Callable[[str], Api]) -> None:
    alice, bob, carol = user_api("alice"), user_api("bob"), user_api("carol")
    created = alice.post("/teams", {"name": "ops"})
    assert created.status == 201
    assert created.body["role"] == "admin"
    assert alice.post("/teams", {"name": "ops"}).status == 409
    assert alice.post("/teams", {"name": "No Spaces"}).status == 422
    alice.request("PUT", "/teams/ops/members", {"email": "bob@example.com", "role": "member"}).ok()
    members = alice.get("/teams/ops/members").ok()
    assert [(m["email"], m["role"]) for m in members] == [
        ("alice@example.com", "admin"),
        ("bob@example.com", "member"),
    ]
    # members see the team; only admins manage it
    assert bob.get("/teams/ops").ok()["role"] == "member"
    add = bob.request("PUT", "/teams/ops/members", {"email": "carol@example.com"})
    assert add.status == 403
    assert carol.get("/teams/ops").status == 404
    # apps owned by the team: every member may act on them, others may not
    app = bob.post("/teams/apps", {"team": "ops", "name": "ops-app"}).ok()
    assert app["team"] == {"name": "ops"}
    assert alice.get("/apps/ops-app").ok()["team"] == {"name": "ops"}
    alice.create_app("alices-own")
    listed = {a["name"]: a["team"] for a in alice.get("/apps").ok()}
    assert listed == {"ops-app": {"name": "ops"}, "alices-own": None}
    assert carol.get("/apps/ops-app").status == 404
    assert carol.post("/teams/apps", {"team": "ops", "name": "sneaky"}).status == 404
    assert [a["name"] for a in bob.get("/teams/ops/apps").ok()] == ["ops-app"]
    # a team keeps an admin
    demote = alice.request(
        "PUT", "/teams/ops/members", {"email": "alice@example.com", "role": "member"}
    )
    assert demote.status == 409
    assert alice.delete("/teams/ops/members/alice@example.com").status == 409
    alice.delete("/teams/ops/members/bob@example.com").ok()
    assert bob.get("/apps/ops-app").status == 404
    # a team with apps cannot be deleted
    assert alice.delete("/teams/ops").status == 409
    alice.delete("/apps/ops-app").ok()
    alice.delete("/teams/ops").ok()
    assert alice.get("/teams").ok() == []


def test_team_app_alerts_go_to_team_admins(mapi: Api, inbox: Inbox) -> None:
    for name in ("dana", "erin", "frank"):
        mapi.post("/users", {"email": f"{name}@example.com"}).ok()
    mapi.post("/teams", {"name": "data"}).ok()  # the admin user is its first admin
    for email, role in (("dana@example.com", "admin"), ("erin@example.com", "member")):
        mapi.request("PUT", "/teams/data/members", {"email": email, "role": role}).ok()
    mapi.post("/teams/apps", {"team": "data", "name": "etl"}).ok()
    mapi.post("/apps/etl/collaborators", {"user": "frank@example.com"}).ok()
    mapi.post("/apps/etl/addons", {"plan": "one-off-metrics:basic"}).ok()
    mapi.patch(f"{METRICS.format(app='etl')}/notifications", {"emails": ["pager@example.com"]}).ok()
    create_monitor(mapi, "etl", type="command-failure")
    dyno = mapi.run("etl", "exit 1")
    mapi.wait_ended("etl", dyno["name"])
    [mail] = wait_mail(inbox, 1)
    # team admins and the extra address; not members, not collaborators
    assert sorted(mail.recipients) == ["admin@localhost", "dana@example.com", "pager@example.com"]
    assert mail.message["To"] == "admin@localhost, dana@example.com, pager@example.com"
