"""The dyno manager keeps the formation running: crashes and back-off, restarts, releases,
stopping with SIGTERM then SIGKILL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runoff.clock import FakeClock
from tests.formation.conftest import deploy_settled, running, runs_of, wait_running
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer

SLEEPERS = "web: exec sleep 600\nworker: exec sleep 600\n"


def scale(api: Api, app: str, **quantities: int) -> None:
    updates = [{"type": kind, "quantity": count} for kind, count in quantities.items()]
    api.patch(f"/apps/{app}/formation", {"updates": updates}).ok()


def test_crash_loop_restarts_at_once_then_with_growing_cooldowns(
    fapi: Api, fake_server: LiveServer, clock: FakeClock
) -> None:
    fapi.create_app("crashy")
    deploy_settled(fapi, "crashy", {"Procfile": "worker: echo boom; exit 3\n"})
    scale(fapi, "crashy", worker=1)
    # the first crash restarts at once; the second waits for the first cool-down (20 s)
    manager = fake_server.platform.formation_manager
    wait_for(lambda: len(runs_of(fake_server, "crashy", "worker.1")) == 2, 30, "one restart")
    wait_for(lambda: manager._cooldowns, 30, "a cool-down timer")
    runs = runs_of(fake_server, "crashy", "worker.1")
    assert [(r.state.value, r.exit_status) for r in runs] == [("crashed", 3), ("crashed", 3)]
    clock.advance(19)
    assert len(runs_of(fake_server, "crashy", "worker.1")) == 2
    waiting = fapi.get("/apps/crashy/dynos").ok()  # ps shows it crashed while it cools down
    assert [(d["name"], d["state"], d["exit_status"]) for d in waiting] == [
        ("worker.1", "crashed", 3)
    ]
    clock.advance(1)
    wait_for(lambda: len(runs_of(fake_server, "crashy", "worker.1")) == 3, 30, "second restart")
    wait_for(lambda: manager._cooldowns, 30, "the next cool-down")
    clock.advance(39)  # the next cool-down doubles: 40 s
    assert len(runs_of(fake_server, "crashy", "worker.1")) == 3
    clock.advance(1)
    wait_for(lambda: len(runs_of(fake_server, "crashy", "worker.1")) == 4, 30, "third restart")
    messages = fapi.messages("crashy", dyno="worker.1")
    first_cycle = messages[
        : messages.index("heroku[worker.1]: State changed from crashed to starting") + 3
    ]
    assert first_cycle == [
        "heroku[worker.1]: Starting process with command `echo boom; exit 3`",
        "heroku[worker.1]: State changed from starting to up",
        "app[worker.1]: boom",
        "heroku[worker.1]: Process exited with status 3",
        "heroku[worker.1]: State changed from up to crashed",
        "heroku[worker.1]: State changed from crashed to starting",
        "heroku[worker.1]: Starting process with command `echo boom; exit 3`",
        "heroku[worker.1]: State changed from starting to up",
    ]


def test_scaling_down_a_process_ignoring_sigterm_logs_r12(api: Api) -> None:
    api.create_app("stubborn-worker")
    procfile = "worker: trap '' TERM; echo ready; while true; do sleep 0.1; done\n"
    deploy_settled(api, "stubborn-worker", {"Procfile": procfile})
    scale(api, "stubborn-worker", worker=1)
    wait_running(api, "stubborn-worker", {"worker.1"})
    wait_for(lambda: "app[worker.1]: ready" in api.messages("stubborn-worker"), 30, "ready")
    scale(api, "stubborn-worker", worker=0)
    wait_for(lambda: not running(api, "stubborn-worker"), 30, "worker.1 to be killed")
    heroku = api.messages("stubborn-worker", source="heroku")
    tail = heroku[heroku.index("heroku[worker.1]: State changed from up to down") :]
    assert tail == [
        "heroku[worker.1]: State changed from up to down",
        "heroku[worker.1]: Stopping all processes with SIGTERM",
        "heroku[worker.1]: Error R12 (Exit timeout) -> At least one process failed to exit "
        "within 3 seconds of SIGTERM",
        "heroku[worker.1]: Stopping all processes with SIGKILL",
        "heroku[worker.1]: Process exited with status 137",
    ]


@pytest.mark.parametrize(
    ("path", "restarted"),
    [
        ("/apps/{app}/dynos", {"web.1", "web.2", "worker.1"}),
        ("/apps/{app}/dynos/web.2", {"web.2"}),
        ("/apps/{app}/formations/web", {"web.1", "web.2"}),
    ],
    ids=["all", "one", "type"],
)
def test_restart_replaces_formation_dynos_and_never_one_offs(
    api: Api, path: str, restarted: set[str]
) -> None:
    api.create_app("restarts")
    deploy_settled(api, "restarts", {"Procfile": SLEEPERS})
    scale(api, "restarts", web=2, worker=1)
    before = wait_running(api, "restarts", {"web.1", "web.2", "worker.1"})
    one_off = api.run("restarts", "sleep 600")
    assert api.delete(path.format(app="restarts")).status == 202

    def replaced() -> bool:
        now = running(api, "restarts")
        if set(now) != {*before, one_off["name"]} or any(d["state"] != "up" for d in now.values()):
            return False
        changed = {name for name in before if now[name]["id"] != before[name]["id"]}
        return changed == restarted

    wait_for(replaced, 30, f"{sorted(restarted)} to be replaced")
    assert api.dyno("restarts", one_off["name"])["id"] == one_off["id"]
    name = sorted(restarted)[0]
    heroku = api.messages("restarts", source="heroku", dyno=name)
    tail = heroku[heroku.index(f"heroku[{name}]: Restarting") :]
    assert tail == [
        f"heroku[{name}]: Restarting",
        f"heroku[{name}]: State changed from up to starting",
        f"heroku[{name}]: Stopping all processes with SIGTERM",
        f"heroku[{name}]: Process exited with status 143",
        f"heroku[{name}]: Starting process with command `exec sleep 600`",
        f"heroku[{name}]: State changed from starting to up",
    ]


def test_stop_formation_brings_the_dynos_back(api: Api) -> None:
    api.create_app("stopped-type")
    deploy_settled(api, "stopped-type", {"Procfile": SLEEPERS})
    scale(api, "stopped-type", worker=1)
    before = wait_running(api, "stopped-type", {"worker.1"})
    api.post("/apps/stopped-type/formations/worker/actions/stop").ok()
    wait_for(
        lambda: (
            (d := running(api, "stopped-type").get("worker.1"))
            and d["id"] != before["worker.1"]["id"]
            and d["state"] == "up"
        ),
        30,
        "worker.1 back",
    )


def test_restart_of_an_unknown_type_is_404(api: Api) -> None:
    api.create_app("no-type")
    reply = api.delete("/apps/no-type/formations/clock")
    assert reply.status == 404
    assert reply.body["message"] == "Couldn't find that process type (clock)."


def test_config_change_restarts_the_formation_onto_the_new_release(api: Api) -> None:
    api.create_app("reconfig")
    deploy_settled(
        api, "reconfig", {"Procfile": 'worker: echo "greeting=$GREETING"; exec sleep 600\n'}
    )
    scale(api, "reconfig", worker=1)
    before = wait_running(api, "reconfig", {"worker.1"})
    api.patch("/apps/reconfig/config-vars", {"GREETING": "hello"}).ok()
    after = wait_for(
        lambda: (
            (d := running(api, "reconfig").get("worker.1"))
            and d["release"]["version"] == 3
            and d["state"] == "up"
            and d
        ),
        30,
        "worker.1 on v3",
    )
    assert after["id"] != before["worker.1"]["id"]
    wait_for(lambda: "app[worker.1]: greeting=hello" in api.messages("reconfig"), 30, "greeting")


def test_the_next_server_brings_the_formation_back(
    server_factory: Callable[..., LiveServer],
) -> None:
    first = server_factory()
    api = Api(first.url, ADMIN_TOKEN)
    api.create_app("survivor")
    deploy_settled(api, "survivor", {"Procfile": SLEEPERS})
    scale(api, "survivor", worker=2)
    before = wait_running(api, "survivor", {"worker.1", "worker.2"})
    first.stop()
    second = LiveServer(first.settings.with_overrides(port=0)).start()
    try:
        api = Api(second.url, ADMIN_TOKEN)
        after = wait_running(api, "survivor", {"worker.1", "worker.2"})
        assert {d["id"] for d in after.values()}.isdisjoint(d["id"] for d in before.values())
        stopped = api.messages("survivor", source="heroku", dyno="worker.1")
        assert "heroku[worker.1]: State changed from up to down" in stopped
    finally:
        second.stop()
