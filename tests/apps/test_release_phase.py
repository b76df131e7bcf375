"""The release phase: a Procfile ``release`` command gates each release."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.slugs import deploy, make_slug


def settled(api: Api, app: str, version: int) -> dict[str, Any]:
    path = f"/apps/{app}/releases/{version}"
    found: dict[str, Any] = wait_for(
        lambda: (r := api.get(path).ok())["status"] != "pending" and r, 60, f"v{version} settled"
    )
    return found


def current_version(api: Api, app: str) -> int:
    releases = api.get(f"/apps/{app}/releases").ok()
    version: int = next(r["version"] for r in releases if r["current"])
    return version


def test_success_makes_the_release_current(api: Api) -> None:
    api.create_app("phased")
    release = deploy(api, "phased", {"Procfile": "release: echo migrating; echo done\n"})
    assert release["status"] == "pending"
    assert release["current"] is False
    assert current_version(api, "phased") in (1, 2)
    assert settled(api, "phased", 2)["status"] == "succeeded"
    assert current_version(api, "phased") == 2
    phase = api.dyno("phased", "release.1")
    assert (phase["type"], phase["one_off"], phase["outcome"]) == ("release", True, "succeeded")
    assert phase["release"]["version"] == 2
    messages = api.messages("phased")
    assert "app[release.1]: migrating" in messages
    assert "app[api]: Release v2 succeeded; it is now current" in messages


def test_failure_keeps_the_previous_release_current(api: Api) -> None:
    api.create_app("failing")
    api.patch("/apps/failing/config-vars", {"A": "1"}).ok()
    deploy(api, "failing", {"Procfile": "release: echo cannot migrate >&2; exit 4\n"})
    assert settled(api, "failing", 3)["status"] == "failed"
    assert current_version(api, "failing") == 2
    assert api.get("/apps/failing/config-vars").ok() == {"A": "1"}
    messages = api.messages("failing")
    assert "app[release.1]: cannot migrate" in messages
    assert (
        "app[api]: Release v3 command failed: release.1 exited with status 4; "
        "v2 remains the current release" in messages
    )
    # a one-off runs the current release (v2), not the failed one
    assert api.run("failing", "true")["release"]["version"] == 2


def test_config_changes_run_the_release_phase_too(api: Api) -> None:
    api.create_app("reconfigured")
    deploy(api, "reconfigured", {"Procfile": 'release: test "$READY" != no\n'})
    assert settled(api, "reconfigured", 2)["status"] == "succeeded"
    api.patch("/apps/reconfigured/config-vars", {"READY": "no"}).ok()
    assert settled(api, "reconfigured", 3)["status"] == "failed"
    assert api.get("/apps/reconfigured/config-vars").ok() == {}
    api.patch("/apps/reconfigured/config-vars", {"OTHER": "1"}).ok()
    assert settled(api, "reconfigured", 4)["status"] == "succeeded"
    assert current_version(api, "reconfigured") == 4
    assert api.dyno("reconfigured", "release.2")["command"] == 'test "$READY" != no'
    assert api.dyno("reconfigured", "release.2")["exit_status"] == 1


def test_timeout_fails_the_release(server_factory: Callable[..., LiveServer]) -> None:
    api = Api(server_factory(release_phase_timeout_seconds=1).url, ADMIN_TOKEN)
    api.create_app("slow-release")
    deploy(api, "slow-release", {"Procfile": "release: sleep 60\n"})
    assert settled(api, "slow-release", 2)["status"] == "failed"
    assert current_version(api, "slow-release") == 1
    phase = api.dyno("slow-release", "release.1")
    assert (phase["outcome"], phase["stop_reason"]) == ("timed_out", "ttl")
    assert (
        "app[api]: Release v2 command failed: release.1 did not finish within 1 seconds; "
        "v1 remains the current release" in api.messages("slow-release")
    )


def test_a_release_left_pending_by_a_dead_server_is_settled_at_start(
    server_factory: Callable[..., LiveServer],
) -> None:
    first = server_factory()
    api = Api(first.url, ADMIN_TOKEN)
    api.create_app("orphaned")
    # record a pending release whose phase never started, as a crash right after creation does
    platform = first.platform
    app = platform.apps.get("orphaned")
    platform.releases.listeners.clear()
    slug = api.request(
        "POST",
        "/apps/orphaned/slugs",
        raw=make_slug({"Procfile": "release: true\n"}),
        headers={"Content-Type": "application/gzip"},
    ).ok()
    pending = platform.releases.create(app, None, "Deploy", slug_id=slug["id"])
    assert pending.status.value == "pending"
    first.stop()
    second = Api(server_factory().url, ADMIN_TOKEN)
    assert settled(second, "orphaned", 2)["status"] == "failed"
    assert any("the server stopped before it started" in m for m in second.messages("orphaned"))
