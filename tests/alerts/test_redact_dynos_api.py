"""The dynos API shows a command with its secrets redacted to a principal that may not read
config vars, and as typed to one that may."""

from __future__ import annotations

from tests.support.api import Api

SECRET = "sup3r-s3cret-value"


def test_dyno_command_redacted_without_read_protected(api: Api) -> None:
    api.create_app("redacted-ps")
    api.patch("/apps/redacted-ps/config-vars", {"API_TOKEN": SECRET, "WEB_CONCURRENCY": "2"}).ok()
    typed = f"echo {SECRET} 2; sleep 30"
    dyno = api.run("redacted-ps", typed)
    created = api.post("/oauth/authorizations", {"description": "r", "scope": ["read"]}).ok()
    reader = api.as_token(created["access_token"]["token"])

    [listed] = [d for d in reader.get("/apps/redacted-ps/dynos").ok() if d["id"] == dyno["id"]]
    assert listed["command"] == "echo [REDACTED] 2; sleep 30"
    assert reader.dyno("redacted-ps", dyno["name"])["command"] == "echo [REDACTED] 2; sleep 30"
    assert api.dyno("redacted-ps", dyno["name"])["command"] == typed
    api.delete(f"/apps/redacted-ps/dynos/{dyno['name']}")
