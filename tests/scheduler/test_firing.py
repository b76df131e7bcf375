"""Slots firing on a fake clock: on time, exactly once, catch-up, overlap, restart jobs."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from runoff.clock import FakeClock
from tests.scheduler.conftest import add_job, wait_settled
from tests.support.api import Api, wait_for
from tests.support.live import ADMIN_TOKEN, LiveServer
from tests.support.slugs import deploy

MINUTE = 60


def statuses(api: Api, app: str, job: int = 1) -> list[str]:
    runs = api.get(f"/apps/{app}/scheduler/jobs/{job}/runs").ok()
    return [r["status"] for r in reversed(runs)]


def test_a_slot_starts_one_dyno_with_the_interval_as_ttl(
    start: Callable[[], LiveServer], clock: FakeClock
) -> None:
    server = start()
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("ticker")
    add_job(api, "ticker", "every 10 minutes", "echo tick")
    clock.advance(9 * MINUTE)
    wait_settled(server)
    assert statuses(api, "ticker") == []
    clock.advance(MINUTE)
    wait_settled(server)
    runs = api.get("/apps/ticker/scheduler/jobs/1/runs").ok()
    assert [(r["status"], r["slot_at"]) for r in runs] == [("started", "2026-11-23T00:10:00Z")]
    dyno = api.dyno("ticker", runs[0]["dyno"]["name"])
    assert (dyno["type"], dyno["time_to_live"], dyno["command"]) == ("scheduler", 600, "echo tick")
    clock.advance(5 * MINUTE)
    wait_settled(server)
    assert statuses(api, "ticker") == ["started"]


def test_slots_missed_while_no_server_ran_catch_up_once(
    start: Callable[[], LiveServer], clock: FakeClock
) -> None:
    first = start()
    api = Api(first.url, ADMIN_TOKEN)
    api.create_app("catch-up")
    add_job(api, "catch-up", "every 10 minutes")
    clock.advance(10 * MINUTE)
    wait_settled(first)
    first.stop()
    clock.advance(35 * MINUTE)  # slots at :20, :30 and :40 pass with no server
    second = start()
    api = Api(second.url, ADMIN_TOKEN)
    wait_settled(second)
    runs = api.get("/apps/catch-up/scheduler/jobs/1/runs").ok()
    assert [(r["slot_at"][11:16], r["status"]) for r in reversed(runs)] == [
        ("00:10", "started"),
        ("00:20", "missed"),
        ("00:30", "missed"),
        ("00:40", "started"),
    ]


def test_two_servers_fire_each_slot_once(start: Callable[[], LiveServer], clock: FakeClock) -> None:
    # Restart jobs: they fire without dyno output, which two servers sharing one database
    # cannot both log yet (each numbers log lines on its own).
    one, two = start(), start()
    fired: list[str] = []
    for server in (one, two):
        runner = server.platform.scheduler_runner

        async def count(app_id: str, name: str = server.platform.server.id) -> None:
            fired.append(name)

        runner._restart = count
    api = Api(one.url, ADMIN_TOKEN)
    api.create_app("twins")
    api.post("/apps/twins/scheduler/jobs", {"kind": "restart", "schedule": "every 10 minutes"})
    for _ in range(12):
        clock.advance(10 * MINUTE)
        wait_settled(one)
        wait_settled(two)
    runs = one.platform.scheduler_store.runs(one.platform.scheduler_store.jobs()[0])
    assert [r.status.value for r in runs] == ["restarted"] * 12
    assert len({r.slot_at for r in runs}) == 12
    assert len(fired) == 12
    assert sorted(fired) == sorted(r.server_id for r in runs)


@pytest.mark.parametrize(
    ("overlap", "expected", "running_names"),
    [
        ("allow", ["started", "started"], {"scheduler.1", "scheduler.2"}),
        ("forbid", ["started", "skipped"], {"scheduler.1"}),
        ("replace", ["started", "started"], {"scheduler.2"}),
    ],
)
def test_overlap_policies(
    sapi: Api,
    clock: FakeClock,
    start: Callable[[], LiveServer],
    overlap: str,
    expected: list[str],
    running_names: set[str],
) -> None:
    sapi.create_app("overlaps")
    add_job(sapi, "overlaps", "every hour at :00", "sleep 100000", overlap=overlap)
    clock.advance(30 * MINUTE)
    # a run by hand at 00:30 lives for an interval, so it still runs at the 01:00 slot
    sapi.post("/apps/overlaps/scheduler/jobs/1/actions/run").ok()
    clock.advance(30 * MINUTE)
    wait_for(lambda: statuses(sapi, "overlaps") == expected, 30, f"{expected}")
    wait_for(
        lambda: {d["name"] for d in sapi.get("/apps/overlaps/dynos").ok()} == running_names,
        30,
        f"{running_names} running",
    )
    if overlap == "forbid":
        runs = sapi.get("/apps/overlaps/scheduler/jobs/1/runs").ok()
        assert runs[0]["detail"] == "scheduler.1 still running"
    if overlap == "replace":
        assert sapi.dyno("overlaps", "scheduler.1")["stop_reason"] == "stopped"


def test_a_restart_job_restarts_the_formation_and_resets_cycling(
    start: Callable[[], LiveServer], clock: FakeClock
) -> None:
    server = start()
    api = Api(server.url, ADMIN_TOKEN)
    api.create_app("nightly")
    release = deploy(api, "nightly", {"Procfile": "worker: exec sleep 1000000\n"})
    assert release["status"] == "succeeded"
    api.patch("/apps/nightly/formation", {"updates": [{"type": "worker", "quantity": 1}]}).ok()
    before = wait_for(
        lambda: (d := api.get("/apps/nightly/dynos").ok()) and d[0]["state"] == "up" and d[0],
        30,
        "worker.1",
    )
    api.post("/apps/nightly/scheduler/jobs", {"kind": "restart", "schedule": "daily at 03:00"})
    clock.advance(3 * 60 * MINUTE)
    wait_settled(server)
    assert statuses(api, "nightly") == ["restarted"]
    after = wait_for(
        lambda: (
            (d := api.get("/apps/nightly/dynos").ok())
            and d[0]["id"] != before["id"]
            and d[0]["state"] == "up"
            and d[0]
        ),
        30,
        "the restarted worker.1",
    )
    cycle_at = wait_for(lambda: server.platform.cycler.due_at(after["id"]), 30, "its cycle")
    assert cycle_at >= clock.now_us() + 24 * 3600 * 1_000_000


def test_a_slot_claimed_by_a_server_that_died_is_lost(
    start: Callable[[], LiveServer], clock: FakeClock
) -> None:
    first = start()
    api = Api(first.url, ADMIN_TOKEN)
    api.create_app("orphan-run")
    add_job(api, "orphan-run", "hourly")
    store = first.platform.scheduler_store
    job = store.jobs()[0]
    claimed = store.claim(job, "slot:1", 1, first.platform.server.id)
    assert claimed is not None
    first.stop()
    start()
    runs = api.__class__(start().url, ADMIN_TOKEN).get("/apps/orphan-run/scheduler/jobs/1/runs")
    assert [(r["status"], r["detail"]) for r in runs.ok()] == [
        ("lost", "the server stopped before the dyno started")
    ]
