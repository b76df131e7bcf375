from __future__ import annotations

from tests.cli.conftest import Cli
from tests.cli.fakeapi import FakeApi, Reply


def test_access_lists_collaborators(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json(
        "GET",
        "/apps/myapp/collaborators",
        [
            {"user": {"email": "bob@example.com"}, "role": "collaborator"},
            {"user": {"email": "alice@example.com"}, "role": "owner"},
        ],
    )
    assert cli("access", "-a", "myapp").out == (
        "=== myapp Access List\nalice@example.com  owner\nbob@example.com    collaborator\n"
    )


def test_access_add_and_remove(cli: Cli, fake_api: FakeApi) -> None:
    fake_api.json("POST", "/apps/myapp/collaborators", {"user": {"email": "bob@example.com"}}, 201)
    fake_api.on("DELETE", "/apps/myapp/collaborators/bob@example.com", Reply(200, [b"{}"]))
    assert cli("access:add", "bob@example.com", "-a", "myapp").out == (
        "Adding bob@example.com access to myapp... done\n"
    )
    assert cli("access:remove", "bob@example.com", "-a", "myapp").out == (
        "Removing bob@example.com access from myapp... done\n"
    )
    added, removed = fake_api.requests
    assert added.json() == {"user": "bob@example.com"}
    assert (removed.method, removed.path) == ("DELETE", "/apps/myapp/collaborators/bob@example.com")
