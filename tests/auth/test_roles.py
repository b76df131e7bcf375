"""Who may do what, by role: every route x owner, collaborator, team admin, team member, a
member of another team and a user with no access x every scope, with real requests.

The rules are declared once: app routes take their scope need from ``POLICY``
(tests/auth/test_policy.py) and their role rule from ``OWNERS_ONLY``; every other route is a
``Case`` of ``NON_APP`` with the answer each role gets. A route in neither fails
``test_every_route_is_in_the_role_matrix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import pytest

from runoff.auth.scopes import SCOPES, Need, allows
from tests.auth.test_policy import POLICY, route_table
from tests.support.api import Api, Reply
from tests.support.slugs import make_slug


class Role(Enum):
    OWNER = "owner"  # of the personal app
    COLLABORATOR = "collaborator"  # on the personal app
    TEAM_ADMIN = "team admin"  # of the team that owns the team app
    TEAM_MEMBER = "team member"  # of that team
    NON_MEMBER = "non-member"  # admin of another team, with an app of its own
    NO_ACCESS = "no access"  # a user with no app and no team


OWNER, COLLABORATOR, TEAM_ADMIN, TEAM_MEMBER, NON_MEMBER, NO_ACCESS = Role
STRANGERS = (NON_MEMBER, NO_ACCESS)

SOLO, CREW, OTHERS = "solo-app", "crew-app", "others-app"
# the app each role acts on; strangers try both
APPS = {
    OWNER: (SOLO,),
    COLLABORATOR: (SOLO,),
    TEAM_ADMIN: (CREW,),
    TEAM_MEMBER: (CREW,),
    NON_MEMBER: (SOLO, CREW),
    NO_ACCESS: (SOLO, CREW),
}
# the app a role's dynos:restart token is bound to (that scope needs one)
RESTART_APP = {
    OWNER: SOLO,
    COLLABORATOR: SOLO,
    TEAM_ADMIN: CREW,
    TEAM_MEMBER: CREW,
    NON_MEMBER: OTHERS,
}

# App routes only the owner may use (a team app: a team admin); anyone else with access: 403.
OWNERS_ONLY = {("DELETE", "/apps/{app}")}
OWNS = (OWNER, TEAM_ADMIN)


def answers(everyone: int, **by_role: int) -> dict[Role, int]:
    """``everyone`` for all roles but those named (lower case), which get their own."""
    return {role: everyone for role in Role} | {Role[k.upper()]: v for k, v in by_role.items()}


@dataclass(frozen=True)
class Case:
    """A route with no app in its path, tried once per role and scope.

    ``need``: the scope the route asks for (None: any token); ``scope_first``: the route checks
    the scope before anything else (otherwise, as app routes do, what the caller cannot see
    answers 404 whatever the scope). ``answers``: the status each role gets with a token whose
    scope allows ``need``.
    """

    method: str
    path: str
    answers: dict[Role, int]
    need: Need | None = None
    body: Any = None
    scope_first: bool = True
    fill: dict[str, str] = field(default_factory=dict)

    def expected(self, role: Role, scopes: list[str]) -> int:
        wanted = self.answers[role]
        if self.need is None or allows(scopes, self.need):
            return wanted
        return 403 if self.scope_first or wanted != 404 else 404


BAD_NAME = "Not A Name"
NON_APP = [
    Case("GET", "/healthz", answers(everyone=200)),
    Case("GET", "/openapi.json", answers(everyone=200)),
    Case("GET", "/account", answers(everyone=200)),
    Case(
        "POST",
        "/oauth/authorizations",
        answers(everyone=201),
        Need.ACCOUNT,
        {"description": "matrix", "expires_in": 600},
    ),
    Case("GET", "/oauth/authorizations", answers(everyone=200), Need.ACCOUNT),
    Case("GET", "/oauth/authorizations/{id}", answers(everyone=404), Need.ACCOUNT),
    Case("DELETE", "/oauth/authorizations/{id}", answers(everyone=404), Need.ACCOUNT),
    Case("POST", "/users", answers(everyone=403), Need.ACCOUNT, {"email": "new@example.com"}),
    Case("GET", "/apps", answers(everyone=200)),
    Case("POST", "/apps", answers(everyone=422), Need.WRITE, {"name": BAD_NAME}),
    Case("GET", "/addon-attachments", answers(everyone=200)),
    Case(
        "POST",
        "/actions/addons/resolve",
        answers(everyone=404, owner=200, collaborator=200),
        Need.READ,
        {"addon": "{solo_addon}"},
        scope_first=False,
    ),
    Case("GET", "/addon-services/{service}", answers(everyone=200)),
    Case("GET", "/addon-services/{service}/plans", answers(everyone=200)),
    Case("GET", "/log-streams/{id}/{secret}", answers(everyone=404)),
    Case("GET", "/teams", answers(everyone=200), Need.READ),
    Case("POST", "/teams", answers(everyone=422), Need.WRITE, {"name": BAD_NAME}),
    Case(
        "POST",
        "/teams/apps",
        answers(everyone=404, team_admin=422, team_member=422),
        Need.WRITE,
        {"team": "crew", "name": BAD_NAME},
    ),
    Case("GET", "/teams/{team}", answers(everyone=404, team_admin=200, team_member=200), Need.READ),
    # an admin may delete a team that owns no apps: this one owns crew-app
    Case(
        "DELETE",
        "/teams/{team}",
        answers(everyone=404, team_admin=409, team_member=403),
        Need.WRITE,
    ),
    Case(
        "GET",
        "/teams/{team}/members",
        answers(everyone=404, team_admin=200, team_member=200),
        Need.READ,
    ),
    # granting access grants every power of the member's own tokens, config vars included
    Case(
        "PUT",
        "/teams/{team}/members",
        answers(everyone=404, team_admin=200, team_member=403),
        Need.WRITE_PROTECTED,
        {"email": "team-member@example.com", "role": "member"},
    ),
    Case(
        "DELETE",
        "/teams/{team}/members/{member}",
        answers(everyone=404, team_member=403),  # the admin: 404, frank is no member
        Need.WRITE,
        fill={"member": "no-access@example.com"},
    ),
    Case(
        "GET",
        "/teams/{team}/apps",
        answers(everyone=404, team_admin=200, team_member=200),
        Need.READ,
    ),
]


def test_every_route_is_in_the_role_matrix() -> None:
    app_routes = {route for route, need in POLICY.items() if need is not None}
    others = [(case.method, case.path) for case in NON_APP]
    assert len(others) == len(set(others))
    assert app_routes | set(others) == route_table()
    assert not app_routes & set(others)


@dataclass
class World:
    """The users of every role, each with one token per scope, and the apps they act on."""

    users: dict[Role, Api]
    tokens: dict[tuple[Role, str], Api]
    values: dict[str, str]  # what fills a path: {team}, {solo_addon}, ...


EMAILS = {role: f"{role.value.replace(' ', '-')}@example.com" for role in Role}


def _token(user: Api, scope: str, app: str | None) -> Api:
    body: dict[str, Any] = {"description": scope, "scope": [scope]}
    if app is not None:
        body["app"] = app
    created = user.post("/oauth/authorizations", body).ok()
    return user.as_token(created["access_token"]["token"])


def build_world(api: Api) -> World:
    users = {}
    for role in Role:
        created = api.post("/users", {"email": EMAILS[role]}).ok()
        users[role] = api.as_token(created["access_token"]["token"])
    owner, admin, stranger = users[OWNER], users[TEAM_ADMIN], users[NON_MEMBER]
    owner.create_app(SOLO)
    owner.post(f"/apps/{SOLO}/collaborators", {"user": EMAILS[COLLABORATOR]}).ok()
    admin.post("/teams", {"name": "crew"}).ok()
    member = {"email": EMAILS[TEAM_MEMBER], "role": "member"}
    admin.request("PUT", "/teams/crew/members", member).ok()
    admin.post("/teams/apps", {"team": "crew", "name": CREW}).ok()
    stranger.post("/teams", {"name": "others"}).ok()
    stranger.post("/teams/apps", {"team": "others", "name": OTHERS}).ok()
    addon = owner.post(f"/apps/{SOLO}/addons", {"plan": "one-off-metrics"}).ok()
    admin.post(f"/apps/{CREW}/addons", {"plan": "one-off-metrics"}).ok()
    tokens = {}
    for role, user in users.items():
        for scope in SCOPES:
            if scope != "dynos:restart":
                tokens[role, scope] = _token(user, scope, None)
            elif role in RESTART_APP:  # a user with no app has nothing to bind it to
                tokens[role, scope] = _token(user, scope, RESTART_APP[role])
    values = {"team": "crew", "solo_addon": addon["id"], "service": "one-off-metrics"}
    return World(users, tokens, values)


@pytest.fixture
def world(api: Api) -> World:
    return build_world(api)


class _Fill(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x"


def fill(path: str, values: dict[str, str]) -> str:
    return path.replace("{drain:path}", "x").format_map(_Fill(values))


def _app_not_found(reply: Reply, app: str) -> bool:
    return reply.status == 404 and reply.body == {
        "id": "not_found",
        "message": f"Couldn't find that app: {app}",
    }


def test_app_routes_by_role_and_scope(world: World) -> None:
    tried = 0
    for (role, scope), token in world.tokens.items():
        for app in APPS[role]:
            for (method, path), need in POLICY.items():
                if need is None:
                    continue
                allowed = role not in STRANGERS and allows([scope], need)
                if (method, path) in OWNERS_ONLY:
                    allowed = allowed and role in OWNS
                    if allowed:
                        continue  # it would delete the app: done last, below
                reply = token.request(method, fill(path, {"app": app}), {})
                tried += 1
                where = (role.value, scope, method, path, reply.status, reply.body)
                assert reply.status < 500, where
                if role in STRANGERS:
                    assert _app_not_found(reply, app), where
                elif allowed:
                    assert reply.status != 403, where
                    assert not _app_not_found(reply, app), where
                else:
                    assert reply.status == 403, where
                    assert reply.body["id"] == "forbidden", where
    assert tried > 2000
    assert world.users[OWNER].delete(f"/apps/{SOLO}").status == 200
    assert world.users[TEAM_ADMIN].delete(f"/apps/{CREW}").status == 200


def test_other_routes_by_role_and_scope(world: World) -> None:
    for (role, scope), token in world.tokens.items():
        for case in NON_APP:
            values = world.values | case.fill
            body = case.body
            if isinstance(body, dict):
                body = {k: fill(v, values) if isinstance(v, str) else v for k, v in body.items()}
            reply = token.request(case.method, fill(case.path, values), body)
            where = (role.value, scope, case.method, case.path, reply.body)
            assert reply.status == case.expected(role, [scope]), where
            if reply.status >= 400:
                assert set(reply.body) == {"id", "message"}, where


def test_lists_show_only_what_each_role_may_see(world: World) -> None:
    apps = {
        OWNER: [SOLO],
        COLLABORATOR: [SOLO],
        TEAM_ADMIN: [CREW],
        TEAM_MEMBER: [CREW],
        NON_MEMBER: [OTHERS],
        NO_ACCESS: [],
    }
    teams = {TEAM_ADMIN: ["crew"], TEAM_MEMBER: ["crew"], NON_MEMBER: ["others"]}
    for role, user in world.users.items():
        assert [a["name"] for a in user.get("/apps").ok()] == apps[role], role
        attached = {a["app"]["name"] for a in user.get("/addon-attachments").ok()}
        assert attached <= set(apps[role]), role
        assert [t["name"] for t in user.get("/teams").ok()] == teams.get(role, []), role
        bound = world.tokens.get((role, "dynos:restart"))
        if bound is not None:
            assert [a["name"] for a in bound.get("/apps").ok()] == [RESTART_APP[role]], role


def test_the_restart_token_restarts_its_app_and_does_nothing_else(world: World) -> None:
    """004_5eff799390f3d2a6: a token that may only restart one app's dynos (for a scheduled
    ``DELETE /apps/{app}/dynos``), whoever made it."""
    for role, app in RESTART_APP.items():
        token = world.tokens[role, "dynos:restart"]
        assert token.delete(f"/apps/{app}/dynos").status == 202, role
        for other in {SOLO, CREW, OTHERS} - {app}:
            assert _app_not_found(token.delete(f"/apps/{other}/dynos"), other), role
        assert token.get(f"/apps/{app}/config-vars").status == 403, role
        assert token.post(f"/apps/{app}/dynos", {"command": "env"}).status == 403, role
        assert token.post("/oauth/authorizations", {"scope": ["global"]}).status == 403, role
        assert token.get("/teams").status == 403, role


def test_access_ends_with_the_role(world: World) -> None:
    """Removing a collaborator or a team member ends every token of theirs on the app at once,
    app-bound restart tokens included."""
    owner, admin = world.users[OWNER], world.users[TEAM_ADMIN]
    owner.delete(f"/apps/{SOLO}/collaborators/{EMAILS[COLLABORATOR]}").ok()
    admin.delete(f"/teams/crew/members/{EMAILS[TEAM_MEMBER]}").ok()
    for role, app in ((COLLABORATOR, SOLO), (TEAM_MEMBER, CREW)):
        for scope in SCOPES:
            reply = world.tokens[role, scope].delete(f"/apps/{app}/dynos")
            assert _app_not_found(reply, app), (role, scope)


def _crew_objects(admin: Api) -> dict[str, str]:
    """One of each object of the team app, by the path parameter that names it."""
    slug = admin.request(
        "POST",
        f"/apps/{CREW}/slugs",
        raw=make_slug({"Procfile": "worker: true\n"}),
        headers={"Content-Type": "application/gzip"},
    ).ok()
    release = admin.post(f"/apps/{CREW}/releases", {"slug": slug["id"]}).ok()
    dyno = admin.run(CREW, "true")
    admin.wait_ended(CREW, dyno["name"])
    body = {"command": "true", "schedule": "every day at 03:00"}
    job = admin.post(f"/apps/{CREW}/scheduler/jobs", body).ok()
    base = f"/apps/{CREW}/one-off-metrics"
    monitor = admin.post(f"{base}/monitors", {"type": "command-failure"}).ok()
    hook = admin.post(f"{base}/webhooks", {"url": "http://127.0.0.1:9/hook"}).ok()
    drain = admin.post(f"/apps/{CREW}/log-drains", {"url": "syslog://127.0.0.1:9"}).ok()
    addon = admin.get(f"/apps/{CREW}/addons").ok()[0]
    return {
        "slug": slug["id"],
        "release": release["id"],
        "dyno": dyno["id"],
        "job": job["id"],
        "monitor": monitor["id"],
        "webhook": hook["id"],
        "drain:path": drain["id"],
        "addon": addon["id"],
        "user": EMAILS[TEAM_ADMIN],
    }


def test_no_app_route_reaches_another_apps_objects(world: World) -> None:
    """The owner of one app names the team app's objects by id under their own app: every
    route answers as for no such object, and no answer carries the team app's ids."""
    admin = world.users[TEAM_ADMIN]
    crew = _crew_objects(admin)
    crew_ids = {admin.get(f"/apps/{CREW}").ok()["id"], *crew.values()} - {crew["user"]}
    owner = world.users[OWNER]
    tried = 0
    for (method, path), need in POLICY.items():
        if need is None or (method, path) == ("DELETE", "/apps/{app}"):
            continue
        params = [name for name in crew if "{" + name + "}" in path]
        if not params:
            continue
        url = path.replace("{app}", SOLO)
        for name in params:
            url = url.replace("{" + name + "}", crew[name])
        reply = owner.request(method, url.format_map(_Fill()), {})
        tried += 1
        assert reply.status in (404, 422), (method, path, reply)
        told = crew_ids - {crew[name] for name in params}  # an echo of the path tells nothing
        assert not any(i in str(reply.body) for i in told), (method, path, reply)
    assert tried >= 20
    # and the team app's objects are all still there
    assert admin.get(f"/apps/{CREW}/scheduler/jobs/{crew['job']}").status == 200
    assert admin.get(f"/apps/{CREW}/log-drains/{crew['drain:path']}").status == 200
    assert admin.get(f"/apps/{CREW}/one-off-metrics/monitors/{crew['monitor']}").status == 200


def test_team_routes_tell_who_may_not_manage_the_team_nothing_of_users(world: World) -> None:
    """Adding or removing a member answers a non-admin the same whether the user exists."""
    for role, status in ((TEAM_MEMBER, 403), (NON_MEMBER, 404), (NO_ACCESS, 404)):
        user = world.users[role]
        answers = set()
        for email in (EMAILS[NO_ACCESS], "nobody@example.com"):
            put = user.request("PUT", "/teams/crew/members", {"email": email})
            removed = user.delete(f"/teams/crew/members/{email}")
            assert put.status == removed.status == status, (role, email, put, removed)
            answers |= {put.body["message"], removed.body["message"]}
        assert len(answers) == 1, (role, answers)
