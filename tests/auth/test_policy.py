"""The authorization policy of every API route, stated in one place and checked against the
route table: a route with no declared policy fails here.

``Need`` is what an app route asks of the token; ``None`` marks a route with no app in its path
(account, teams, add-on services, log streams), whose answers by role and scope are declared in
``NON_APP`` of tests/auth/test_roles.py (the role rules of app routes too).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from starlette.routing import Route

from runoff.auth.scopes import SCOPES, Need, allows
from runoff.platform import Platform
from runoff.web.app import create_app
from tests.support.api import Api

POLICY: dict[tuple[str, str], Need | None] = {
    ("GET", "/healthz"): None,
    ("GET", "/openapi.json"): None,
    ("GET", "/account"): None,
    ("POST", "/oauth/authorizations"): None,
    ("GET", "/oauth/authorizations"): None,
    ("GET", "/oauth/authorizations/{id}"): None,
    ("DELETE", "/oauth/authorizations/{id}"): None,
    ("POST", "/users"): None,
    ("GET", "/apps"): None,
    ("POST", "/apps"): None,
    ("GET", "/apps/{app}"): Need.READ,
    ("DELETE", "/apps/{app}"): Need.WRITE,
    ("GET", "/apps/{app}/collaborators"): Need.READ,
    ("POST", "/apps/{app}/collaborators"): Need.WRITE_PROTECTED,
    ("DELETE", "/apps/{app}/collaborators/{user}"): Need.WRITE,
    ("GET", "/apps/{app}/config-vars"): Need.READ_PROTECTED,
    ("PATCH", "/apps/{app}/config-vars"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/releases/{release}/config-vars"): Need.READ_PROTECTED,
    ("POST", "/apps/{app}/slugs"): Need.WRITE,
    ("GET", "/apps/{app}/slugs/{slug}"): Need.READ,
    ("GET", "/apps/{app}/releases"): Need.READ,
    ("POST", "/apps/{app}/releases"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/releases/{release}"): Need.READ,
    ("POST", "/apps/{app}/dynos"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/dynos"): Need.READ,
    ("DELETE", "/apps/{app}/dynos"): Need.RESTART,
    ("GET", "/apps/{app}/dynos/{dyno}"): Need.READ,
    ("DELETE", "/apps/{app}/dynos/{dyno}"): Need.RESTART,
    ("POST", "/apps/{app}/dynos/{dyno}/actions/stop"): Need.WRITE,
    ("POST", "/apps/{app}/log-sessions"): Need.READ,
    ("GET", "/log-streams/{id}/{secret}"): None,
    ("GET", "/apps/{app}/formation"): Need.READ,
    ("PATCH", "/apps/{app}/formation"): Need.WRITE,
    ("GET", "/apps/{app}/formation/{type}"): Need.READ,
    ("PATCH", "/apps/{app}/formation/{type}"): Need.WRITE,
    ("DELETE", "/apps/{app}/formations/{type}"): Need.RESTART,
    ("POST", "/apps/{app}/formations/{type}/actions/stop"): Need.RESTART,
    ("GET", "/apps/{app}/scheduler/jobs"): Need.READ,
    ("POST", "/apps/{app}/scheduler/jobs"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/scheduler/jobs/{job}"): Need.READ,
    ("PATCH", "/apps/{app}/scheduler/jobs/{job}"): Need.WRITE_PROTECTED,
    ("DELETE", "/apps/{app}/scheduler/jobs/{job}"): Need.WRITE_PROTECTED,
    ("POST", "/apps/{app}/scheduler/jobs/{job}/actions/run"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/scheduler/jobs/{job}/runs"): Need.READ,
    ("GET", "/apps/{app}/log-drains"): Need.READ,
    ("POST", "/apps/{app}/log-drains"): Need.WRITE_PROTECTED,
    ("GET", "/apps/{app}/log-drains/{drain:path}"): Need.READ,
    ("DELETE", "/apps/{app}/log-drains/{drain:path}"): Need.WRITE,
    ("GET", "/apps/{app}/dynos/{dyno}/metrics"): Need.READ,
    ("GET", "/apps/{app}/one-off-metrics/monitors"): Need.READ,
    ("POST", "/apps/{app}/one-off-metrics/monitors"): Need.WRITE,
    ("GET", "/apps/{app}/one-off-metrics/monitors/{monitor}"): Need.READ,
    ("PATCH", "/apps/{app}/one-off-metrics/monitors/{monitor}"): Need.WRITE,
    ("DELETE", "/apps/{app}/one-off-metrics/monitors/{monitor}"): Need.WRITE,
    ("GET", "/apps/{app}/one-off-metrics/alerts"): Need.READ,
    ("GET", "/apps/{app}/one-off-metrics/alerts/{alert}"): Need.READ,
    ("GET", "/apps/{app}/one-off-metrics/notifications"): Need.READ,
    ("PATCH", "/apps/{app}/one-off-metrics/notifications"): Need.WRITE,
    ("GET", "/apps/{app}/one-off-metrics/deliveries"): Need.READ,
    ("POST", "/apps/{app}/one-off-metrics/webhooks"): Need.WRITE,
    ("DELETE", "/apps/{app}/one-off-metrics/webhooks/{webhook}"): Need.WRITE,
    ("GET", "/apps/{app}/one-off-metrics/dynos/{dyno}"): Need.READ,
    ("GET", "/apps/{app}/addons"): Need.READ,
    ("POST", "/apps/{app}/addons"): Need.WRITE,
    ("GET", "/apps/{app}/addons/{addon}"): Need.READ,
    ("PATCH", "/apps/{app}/addons/{addon}"): Need.WRITE,
    ("DELETE", "/apps/{app}/addons/{addon}"): Need.WRITE,
    ("GET", "/apps/{app}/addon-attachments"): Need.READ,
    ("GET", "/addon-attachments"): None,
    ("POST", "/actions/addons/resolve"): None,
    ("GET", "/addon-services/{service}"): None,
    ("GET", "/addon-services/{service}/plans"): None,
    ("GET", "/apps/{app}/one-off-metrics/dynos"): Need.READ,
    ("GET", "/apps/{app}/one-off-metrics/{plot}"): Need.READ,
    ("GET", "/teams"): None,
    ("POST", "/teams"): None,
    ("POST", "/teams/apps"): None,
    ("GET", "/teams/{team}"): None,
    ("DELETE", "/teams/{team}"): None,
    ("GET", "/teams/{team}/members"): None,
    ("PUT", "/teams/{team}/members"): None,
    ("DELETE", "/teams/{team}/members/{member}"): None,
    ("GET", "/teams/{team}/apps"): None,
}


def route_table() -> set[tuple[str, str]]:
    """Every (method, path) the application serves outside the dashboard's pages (which sign
    in with a session and authorize through the same ``AppService.for_principal``)."""
    app = create_app(cast(Platform, None), manage_lifecycle=False)
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, Route) and not route.endpoint.__module__.startswith(DASHBOARD)
        for method in (route.methods or set()) - {"HEAD"}
    }


DASHBOARD = "runoff.web.dashboard"


def test_every_route_has_a_policy() -> None:
    assert route_table() == set(POLICY)


def _fill(path: str) -> str:
    return path.replace("{app}", "matrix-app").replace("{drain:path}", "x").format_map(_Any())


class _Any(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "x"


def test_app_routes_by_scope_and_stranger(api: Api, user_api: Callable[[str], Api]) -> None:
    api.create_app("matrix-app")
    stranger = user_api("stranger")
    for scope in SCOPES:
        if scope == "dynos:restart":
            body = {"description": scope, "scope": [scope], "app": "matrix-app"}
        else:
            body = {"description": scope, "scope": [scope]}
        token = api.as_token(api.post("/oauth/authorizations", body).ok()["access_token"]["token"])
        for (method, path), need in POLICY.items():
            if need is None or (method, path) == ("DELETE", "/apps/{app}"):
                continue  # the app's deletion is checked last, by the stranger and then its owner
            reply = token.request(method, _fill(path), {})
            assert (reply.status == 403) == (not allows([scope], need)), (scope, method, path)
    for (method, path), need in POLICY.items():
        if need is not None:
            reply = stranger.request(method, _fill(path), {})
            assert reply.status == 404, (method, path, reply)
            assert reply.body["message"] == "Couldn't find that app: matrix-app"
    assert api.delete("/apps/matrix-app").status == 200


def test_app_bound_tokens_reach_no_other_app(api: Api) -> None:
    api.create_app("matrix-app")
    api.create_app("matrix-other")
    for scope in SCOPES:
        body = {"description": scope, "scope": [scope], "app": "matrix-other"}
        token = api.as_token(api.post("/oauth/authorizations", body).ok()["access_token"]["token"])
        for (method, path), need in POLICY.items():
            if need is not None:
                reply = token.request(method, _fill(path), {})
                assert reply.status == 404, (scope, method, path, reply)
        assert {a["name"] for a in token.get("/apps").ok()} <= {"matrix-other"}
