"""Who may do what: tokens, scopes, owners, collaborators and strangers."""

from __future__ import annotations

from collections.abc import Callable

from tests.logs.test_tail import Stream, tail_url
from tests.support.api import Api
from tests.support.slugs import deploy


def test_no_token_and_bad_token_are_401(api: Api) -> None:
    assert api.as_token(None).get("/apps").status == 401
    reply = api.as_token("wrong").get("/apps")
    assert reply.status == 401
    assert reply.body["id"] == "unauthorized"


def test_account(api: Api) -> None:
    assert api.get("/account").ok()["email"] == "admin@localhost"


def test_strangers_see_nothing(api: Api, user_api: Callable[[str], Api]) -> None:
    alice, bob = user_api("alice"), user_api("bob")
    alice.create_app("alices-app")
    alice.patch("/apps/alices-app/config-vars", {"SECRET": "s3cr3t"}).ok()
    alice.run("alices-app", "true")
    for method, path in [
        ("GET", "/apps/alices-app"),
        ("GET", "/apps/alices-app/config-vars"),
        ("PATCH", "/apps/alices-app/config-vars"),
        ("GET", "/apps/alices-app/releases"),
        ("GET", "/apps/alices-app/dynos"),
        ("GET", "/apps/alices-app/dynos/run.1"),
        ("POST", "/apps/alices-app/dynos"),
        ("POST", "/apps/alices-app/dynos/run.1/actions/stop"),
        ("POST", "/apps/alices-app/log-sessions"),
        ("DELETE", "/apps/alices-app"),
    ]:
        reply = bob.request(method, path, {"command": "env"} if method != "GET" else None)
        assert reply.status == 404, (method, path, reply)
        assert "s3cr3t" not in str(reply.body)
    assert bob.get("/apps").ok() == []
    assert alice.get("/apps/alices-app").status == 200


def test_collaborators_get_access(api: Api, user_api: Callable[[str], Api]) -> None:
    alice, bob = user_api("alice"), user_api("bob")
    alice.create_app("shared-app")
    alice.post("/apps/shared-app/collaborators", {"user": "bob@example.com"}).ok()
    assert bob.get("/apps/shared-app").ok()["name"] == "shared-app"
    roles = {c["user"]["email"]: c["role"] for c in bob.get("/apps/shared-app/collaborators").ok()}
    assert roles == {"alice@example.com": "owner", "bob@example.com": "collaborator"}
    alice.delete("/apps/shared-app/collaborators/bob@example.com").ok()
    assert bob.get("/apps/shared-app").status == 404


def test_scopes(api: Api) -> None:
    api.create_app("scoped")
    api.patch("/apps/scoped/config-vars", {"SECRET": "v"}).ok()

    def token(*scopes: str) -> Api:
        created = api.post("/oauth/authorizations", {"description": "t", "scope": list(scopes)})
        return api.as_token(created.ok()["access_token"]["token"])

    read = token("read")
    assert read.get("/apps/scoped").status == 200
    assert read.get("/apps/scoped/config-vars").status == 403
    assert read.patch("/apps/scoped/config-vars", {"X": "1"}).status == 403
    assert read.post("/apps/scoped/dynos", {"command": "env"}).status == 403
    assert read.post("/oauth/authorizations", {"description": "escalate"}).status == 403

    write = token("write")
    assert write.get("/apps/scoped/config-vars").status == 403
    assert write.post("/apps/scoped/dynos", {"command": "env"}).status == 403

    protected = token("read-protected")
    assert protected.get("/apps/scoped/config-vars").ok() == {"SECRET": "v"}
    assert protected.patch("/apps/scoped/config-vars", {"X": "1"}).status == 403

    writer = token("write-protected")
    assert writer.patch("/apps/scoped/config-vars", {"X": "1"}).status == 200
    assert writer.run("scoped", "true")["name"] == "run.1"


def test_authorization_create_shape_and_expiry(api: Api) -> None:
    created = api.post(
        "/oauth/authorizations",
        {"description": "Platform API example token", "expires_in": "3600"},
    ).ok()
    assert created["scope"] == ["global"]
    assert created["description"] == "Platform API example token"
    assert created["access_token"]["expires_in"] == 3600
    listed = api.get("/oauth/authorizations").ok()
    assert created["id"] in [a["id"] for a in listed]
    assert all(a["access_token"] is None for a in listed)  # tokens are shown once
    new = api.as_token(created["access_token"]["token"])
    assert new.get("/account").status == 200
    api.delete(f"/oauth/authorizations/{created['id']}").ok()
    assert new.get("/account").status == 401


def test_an_expiring_token_makes_no_longer_lived_token(api: Api) -> None:
    created = api.post("/oauth/authorizations", {"description": "short", "expires_in": 600})
    short = api.as_token(created.ok()["access_token"]["token"])
    for asked in (None, 3600, 60):
        body = {"description": "child"} | ({} if asked is None else {"expires_in": asked})
        child = short.post("/oauth/authorizations", body).ok()
        assert 0 < child["access_token"]["expires_in"] <= min(600, asked or 600), asked


def test_bad_scope_and_expiry(api: Api) -> None:
    reply = api.post("/oauth/authorizations", {"scope": ["everything"]})
    assert reply.status == 422
    assert "unknown scope" in reply.body["message"]
    assert api.post("/oauth/authorizations", {"expires_in": "-5"}).status == 422


def test_only_admins_create_users(api: Api, user_api: Callable[[str], Api]) -> None:
    alice = user_api("alice")
    assert alice.post("/users", {"email": "mallory@example.com"}).status == 403
    assert api.post("/users", {"email": "alice@example.com"}).status == 409
    assert api.post("/users", {"email": "not-an-email"}).status == 422


def test_app_bound_token_stays_within_its_app(api: Api) -> None:
    first = api.create_app("bound-one")
    api.create_app("bound-two")
    other = api.post("/oauth/authorizations", {"description": "unbound"}).ok()
    created = api.post("/oauth/authorizations", {"description": "b", "app": "bound-one"}).ok()
    bound = api.as_token(created["access_token"]["token"])

    child = bound.post("/oauth/authorizations", {"description": "child"}).ok()
    assert child["app"] == {"id": first["id"]}
    assert bound.post("/oauth/authorizations", {"app": "bound-two"}).status in (403, 404)
    listed = {a["id"] for a in bound.get("/oauth/authorizations").ok()}
    assert listed == {created["id"], child["id"]}
    assert bound.get(f"/oauth/authorizations/{other['id']}").status == 404
    assert bound.delete(f"/oauth/authorizations/{other['id']}").status == 404
    assert api.get(f"/oauth/authorizations/{other['id']}").status == 200
    assert bound.post("/users", {"email": "new@example.com"}).status == 403


def test_only_owners_delete_apps(api: Api, user_api: Callable[[str], Api]) -> None:
    alice, bob, carol = user_api("alice"), user_api("bob"), user_api("carol")
    alice.create_app("owned-app")
    alice.post("/apps/owned-app/collaborators", {"user": "bob@example.com"}).ok()
    assert bob.delete("/apps/owned-app").status == 403
    alice.post("/teams", {"name": "crew"}).ok()
    alice.request("PUT", "/teams/crew/members", {"email": "carol@example.com", "role": "member"})
    carol.post("/teams/apps", {"team": "crew", "name": "crew-app"}).ok()
    assert carol.delete("/apps/crew-app").status == 403
    assert alice.delete("/apps/crew-app").status == 200
    assert alice.delete("/apps/owned-app").status == 200


def test_write_scope_cannot_release_commands(api: Api) -> None:
    api.create_app("released")
    created = api.post("/oauth/authorizations", {"description": "w", "scope": ["write"]})
    write = api.as_token(created.ok()["access_token"]["token"])
    reply = write.post("/apps/released/releases", {"slug": "any"})
    assert reply.status == 403


def test_addon_lookup_hides_other_apps(api: Api, user_api: Callable[[str], Api]) -> None:
    alice, bob = user_api("alice"), user_api("bob")
    app = alice.create_app("addon-owner")
    addon = alice.post("/apps/addon-owner/addons", {"plan": "one-off-metrics"}).ok()
    for ref in (addon["id"], addon["name"]):
        hidden = bob.post("/actions/addons/resolve", {"addon": ref})
        missing = bob.post("/actions/addons/resolve", {"addon": ref + "x"})
        assert hidden.status == missing.status == 404
        assert hidden.body["message"] == f"Couldn't find that add-on: {ref}"
        assert app["id"] not in str(hidden.body)


def test_logs_hide_config_values_from_who_may_not_read_them(api: Api) -> None:
    api.create_app("printed")
    api.patch("/apps/printed/config-vars", {"API_KEY": "k3y-of-the-app", "WEB_CONCURRENCY": "2"})

    def token(scope: str) -> Api:
        created = api.post("/oauth/authorizations", {"description": "t", "scope": [scope]})
        return api.as_token(created.ok()["access_token"]["token"])

    read, protected = token("read"), token("read-protected")
    stream = Stream(tail_url(read, "printed", source="app"))
    assert stream.response.readline() == b"retry: 1000\n"  # subscribed from here on
    live = stream.events()
    api.run("printed", 'echo "key=$API_KEY n=$WEB_CONCURRENCY"')
    assert next(live)[1].endswith(" app[run.1]: key=[REDACTED] n=2")
    # a value set while the session streams is hidden as well
    api.patch("/apps/printed/config-vars", {"DB_PASSWORD": "hunter2hunter2"}).ok()
    api.run("printed", 'echo "pw=$DB_PASSWORD"')
    assert next(live)[1].endswith(" app[run.2]: pw=[REDACTED]")
    stream.close()
    api.wait_ended("printed", "run.2")
    shown = ["app[run.1]: key=[REDACTED] n=2", "app[run.2]: pw=[REDACTED]"]
    assert read.messages("printed", source="app") == shown
    printed = ["app[run.1]: key=k3y-of-the-app n=2", "app[run.2]: pw=hunter2hunter2"]
    assert protected.messages("printed", source="app") == printed


def test_job_commands_hide_config_values_from_who_may_not_read_them(api: Api) -> None:
    api.create_app("jobbed")
    api.patch("/apps/jobbed/config-vars", {"API_KEY": "k3y-of-the-app"}).ok()
    command = "curl -H 'X-Key: k3y-of-the-app' https://example.com"
    body = {"schedule": "every 10 minutes", "command": command}
    job = api.post("/apps/jobbed/scheduler/jobs", body).ok()

    def token(scope: str) -> Api:
        created = api.post("/oauth/authorizations", {"description": "t", "scope": [scope]})
        return api.as_token(created.ok()["access_token"]["token"])

    hidden = "curl -H 'X-Key: [REDACTED]' https://example.com"
    for scope, shown in (("read", hidden), ("write", hidden), ("read-protected", command)):
        reader = token(scope)
        assert [j["command"] for j in reader.get("/apps/jobbed/scheduler/jobs").ok()] == [shown]
        assert reader.get(f"/apps/jobbed/scheduler/jobs/{job['id']}").ok()["command"] == shown


def test_formation_commands_hide_config_values_from_who_may_not_read_them(api: Api) -> None:
    api.create_app("formed")
    api.patch("/apps/formed/config-vars", {"API_KEY": "k3y-of-the-app"}).ok()
    command = "curl -H 'X-Key: k3y-of-the-app' https://example.com"
    deploy(api, "formed", {"Procfile": f"worker: {command}\n"})

    def token(scope: str) -> Api:
        created = api.post("/oauth/authorizations", {"description": "t", "scope": [scope]})
        return api.as_token(created.ok()["access_token"]["token"])

    hidden = "curl -H 'X-Key: [REDACTED]' https://example.com"
    for scope, shown in (("read", hidden), ("write", hidden), ("read-protected", command)):
        reader = token(scope)
        assert [f["command"] for f in reader.get("/apps/formed/formation").ok()] == [shown]
        assert reader.get("/apps/formed/formation/worker").ok()["command"] == shown
    zero = {"updates": [{"type": "worker", "quantity": 0}]}
    assert token("write").patch("/apps/formed/formation", zero).ok()[0]["command"] == hidden
