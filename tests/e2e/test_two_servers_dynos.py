"""Two servers on one database act as one platform for dynos: a dyno started through one is
listed, stopped and restarted through the other (issue 13's one stop path). The suite runs
this on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.slugs import deploy


def test_a_one_off_started_through_one_server_is_listed_and_stopped_through_the_other(
    server_factory: Callable[..., LiveServer],
) -> None:
    one = server_factory()
    first = Api(one.url, ADMIN_TOKEN)
    second = Api(server_factory().url, ADMIN_TOKEN)
    first.create_app("two-servers")
    first.run("two-servers", "echo started; exec sleep 600")
    wait_for(lambda: "app[run.1]: started" in first.messages("two-servers"), what="started")
    listed = second.get("/apps/two-servers/dynos").ok()
    assert [(d["name"], d["state"]) for d in listed] == [("run.1", "up")]
    assert second.post("/apps/two-servers/dynos/run.1/actions/stop").status == 202
    ended = first.wait_ended("two-servers", "run.1", timeout=10)
    assert (ended["exit_status"], ended["outcome"], ended["stop_reason"]) == (
        143,
        "timed_out",
        "stopped",
    )
    assert second.get("/apps/two-servers/dynos").ok() == []
    # the stop request is durable and says who asked
    record = one.platform.dyno_store.get(ended["id"])
    assert record.stop_requested_by == "admin@localhost"
    assert record.server_id == one.platform.server.id


def test_delete_of_a_one_off_through_the_other_server_stops_it(
    server_factory: Callable[..., LiveServer],
) -> None:
    first = Api(server_factory().url, ADMIN_TOKEN)
    second = Api(server_factory().url, ADMIN_TOKEN)
    first.create_app("two-deletes")
    first.run("two-deletes", "exec sleep 600")
    wait_for(lambda: first.dyno("two-deletes", "run.1")["state"] == "up", what="up")
    assert second.delete("/apps/two-deletes/dynos/run.1").status in (200, 202)
    ended = second.wait_ended("two-deletes", "run.1", timeout=10)
    assert ended["stop_reason"] is not None
    assert ended["exit_status"] == 143


def test_formation_dynos_run_on_one_server_are_restarted_through_the_other(
    server_factory: Callable[..., LiveServer],
) -> None:
    first = Api(server_factory().url, ADMIN_TOKEN)
    first.create_app("two-restarts")
    deploy(first, "two-restarts", {"Procfile": "worker: echo booted; exec sleep 600\n"})
    first.patch(
        "/apps/two-restarts/formation", {"updates": [{"type": "worker", "quantity": 1}]}
    ).ok()
    before = wait_for(
        lambda: [d for d in first.get("/apps/two-restarts/dynos").ok() if d["state"] == "up"],
        what="worker.1 up",
    )
    second = Api(server_factory().url, ADMIN_TOKEN)
    assert [d["name"] for d in second.get("/apps/two-restarts/dynos").ok()] == ["worker.1"]
    assert second.delete("/apps/two-restarts/dynos").status in (200, 202)

    def restarted() -> list[dict[str, object]]:
        now = second.get("/apps/two-restarts/dynos").ok()
        return [d for d in now if d["state"] == "up" and d["id"] != before[0]["id"]]

    after = wait_for(restarted, 20, "worker.1 restarted")
    assert [d["name"] for d in after] == ["worker.1"]
    messages = second.messages("two-restarts", source="heroku")
    assert "heroku[worker.1]: Restarting" in messages
    assert messages.count("heroku[worker.1]: State changed from starting to up") == 2
