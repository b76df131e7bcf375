"""Apps, config vars, releases and slugs through the Platform API."""

from __future__ import annotations

import pytest

from tests.support.api import Api
from tests.support.slugs import deploy, make_slug


def test_create_list_info_delete(api: Api) -> None:
    created = api.create_app("my-app")
    assert created["name"] == "my-app"
    assert created["owner"]["email"] == "admin@localhost"
    assert created["generation"]["name"] == "cedar"
    assert [a["name"] for a in api.get("/apps").ok()] == ["my-app"]
    assert api.get("/apps/my-app").ok()["id"] == created["id"]
    assert api.get(f"/apps/{created['id']}").ok()["name"] == "my-app"
    api.delete("/apps/my-app").ok()
    assert api.get("/apps/my-app").status == 404
    assert api.get("/apps").ok() == []


def test_generated_name(api: Api) -> None:
    created = api.post("/apps", {}).ok()
    assert created["name"].count("-") == 2


@pytest.mark.parametrize("name", ["ab", "Upper", "1abc", "has_underscore", "x" * 31, "ends-"])
def test_invalid_names(api: Api, name: str) -> None:
    reply = api.post("/apps", {"name": name})
    assert reply.status == 422
    assert "invalid" in reply.body["message"]


def test_name_taken(api: Api) -> None:
    api.create_app("taken")
    reply = api.post("/apps", {"name": "taken"})
    assert (reply.status, reply.body["id"]) == (409, "conflict")


def test_app_starts_with_release_v1(api: Api) -> None:
    api.create_app("fresh")
    releases = api.get("/apps/fresh/releases").ok()
    assert [(r["version"], r["description"], r["current"]) for r in releases] == [
        (1, "Initial release", True)
    ]


def test_config_changes_make_releases(api: Api) -> None:
    api.create_app("configured")
    assert api.patch("/apps/configured/config-vars", {"A": "1", "B": "two"}).ok() == {
        "A": "1",
        "B": "two",
    }
    assert api.patch("/apps/configured/config-vars", {"A": None}).ok() == {"B": "two"}
    assert api.get("/apps/configured/config-vars").ok() == {"B": "two"}
    releases = api.get(
        "/apps/configured/releases", headers={"Range": "version ..; order=desc,max=2"}
    ).ok()
    assert [(r["version"], r["description"]) for r in releases] == [
        (3, "Remove A config vars"),
        (2, "Set A, B config vars"),
    ]
    assert api.get("/apps/configured/releases/2/config-vars").ok() == {"A": "1", "B": "two"}
    # no change, no release
    api.patch("/apps/configured/config-vars", {"B": "two"}).ok()
    assert len(api.get("/apps/configured/releases").ok()) == 3


@pytest.mark.parametrize(
    ("patch", "status"),
    [({"BAD-KEY": "1"}, 422), ({"A": {"nested": 1}}, 422), (["A"], 400)],
)
def test_bad_config_is_rejected_and_changes_nothing(api: Api, patch: object, status: int) -> None:
    api.create_app("strict-config")
    api.patch("/apps/strict-config/config-vars", {"KEEP": "me"}).ok()
    reply = api.patch("/apps/strict-config/config-vars", patch)
    assert reply.status == status
    assert set(reply.body) == {"id", "message"}
    assert api.get("/apps/strict-config/config-vars").ok() == {"KEEP": "me"}


def test_releases_range_header(api: Api) -> None:
    api.create_app("ranged")
    for i in range(5):
        api.patch("/apps/ranged/config-vars", {"N": str(i)}).ok()
    newest = api.get("/apps/ranged/releases", headers={"Range": "version ..; max=2, order=desc"})
    assert [r["version"] for r in newest.ok()] == [6, 5]
    ascending = api.get("/apps/ranged/releases", headers={"Range": "version 2..4"}).ok()
    assert [r["version"] for r in ascending] == [2, 3, 4]
    bad = api.get("/apps/ranged/releases", headers={"Range": "version ..; max=zero"})
    assert bad.status == 400


def test_deploy_parses_procfile_and_makes_a_release(api: Api) -> None:
    api.create_app("deployed")
    api.patch("/apps/deployed/config-vars", {"KEPT": "yes"}).ok()
    release = deploy(api, "deployed", {"Procfile": "web: python -m http.server $PORT\n"})
    assert release["version"] == 3
    assert release["current"] is True
    slug = api.get(f"/apps/deployed/slugs/{release['slug']['id']}").ok()  # type: ignore[index]
    assert slug["process_types"] == {"web": "python -m http.server $PORT"}
    assert api.get("/apps/deployed/config-vars").ok() == {"KEPT": "yes"}
    assert api.get("/apps/deployed").ok()["slug_size"] == slug["size"]


def test_bad_procfile_is_a_clear_error_and_release_stays(api: Api) -> None:
    api.create_app("badproc")
    reply = api.request(
        "POST",
        "/apps/badproc/slugs",
        raw=make_slug({"Procfile": "web: ok\nthis line is wrong\n"}),
        headers={"Content-Type": "application/gzip"},
    )
    assert reply.status == 422
    assert reply.body["id"] == "invalid_procfile"
    assert reply.body["message"] == (
        "Procfile line 2: expected `<process type>: <command>`, got 'this line is wrong'"
    )
    assert [r["version"] for r in api.get("/apps/badproc/releases").ok()] == [1]


def test_garbage_slug_is_rejected(api: Api) -> None:
    api.create_app("garbage")
    reply = api.request("POST", "/apps/garbage/slugs", raw=b"not a tarball")
    assert reply.status == 422
    assert "not a valid gzipped tar" in reply.body["message"]


def test_slug_with_escaping_paths_is_rejected(api: Api) -> None:
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    api.create_app("escaper")
    reply = api.request("POST", "/apps/escaper/slugs", raw=buffer.getvalue())
    assert reply.status == 422


def test_unknown_route_is_json_404(api: Api) -> None:
    reply = api.get("/no/such/route")
    assert (reply.status, reply.body["id"]) == (404, "not_found")
