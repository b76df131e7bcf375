"""Daily cycling on an injected clock: 24 h plus 0–216 minutes of jitter per dyno, reset by
restarts and releases; formation dynos come back, one-offs end."""

from __future__ import annotations

from runoff.clock import US_PER_SECOND, FakeClock
from runoff.dynos.cycling import JITTER_SECONDS, PERIOD_SECONDS
from tests.formation.conftest import deploy_settled, running, wait_running
from tests.support.api import Api, wait_for
from tests.support.live import LiveServer

DAY = PERIOD_SECONDS * US_PER_SECOND
JITTER = JITTER_SECONDS * US_PER_SECOND


def due(server: LiveServer, dyno_id: str) -> int:
    cycler = server.platform.cycler
    found: int = wait_for(lambda: cycler.due_at(dyno_id), 30, "a cycle timer")
    return found


def test_every_dyno_is_cycled_once_a_day_with_jitter(
    fapi: Api, fake_server: LiveServer, clock: FakeClock
) -> None:
    fapi.create_app("cycled")
    deploy_settled(fapi, "cycled", {"Procfile": "worker: exec sleep 100000\n"})
    fapi.patch("/apps/cycled/formation", {"updates": [{"type": "worker", "quantity": 3}]}).ok()
    one_off = fapi.run("cycled", "sleep 100000")
    dynos = wait_running(fapi, "cycled", {"worker.1", "worker.2", "worker.3", one_off["name"]})
    start = clock.now_us()
    moments = {name: due(fake_server, d["id"]) for name, d in dynos.items()}
    assert all(start + DAY <= at <= start + DAY + JITTER for at in moments.values())
    assert len(set(moments.values())) == 4  # each dyno draws its own jitter

    clock.advance(PERIOD_SECONDS - 1)
    assert {n: d["id"] for n, d in running(fapi, "cycled").items()} == {
        n: d["id"] for n, d in dynos.items()
    }
    clock.advance(JITTER_SECONDS + 2)

    def all_replaced() -> bool:
        now = running(fapi, "cycled")
        return set(now) == {"worker.1", "worker.2", "worker.3"} and all(
            now[n]["id"] != dynos[n]["id"] and now[n]["state"] == "up" for n in now
        )

    wait_for(all_replaced, 30, "every formation dyno cycled and back, the one-off gone")
    ended = fapi.wait_ended("cycled", one_off["name"])
    assert ended["outcome"] == "timed_out"
    heroku = fapi.messages("cycled", source="heroku", dyno="worker.2")
    tail = heroku[heroku.index("heroku[worker.2]: Cycling") :]
    assert tail == [
        "heroku[worker.2]: Cycling",
        "heroku[worker.2]: State changed from up to starting",
        "heroku[worker.2]: Stopping all processes with SIGTERM",
        "heroku[worker.2]: Process exited with status 143",
        "heroku[worker.2]: Starting process with command `exec sleep 100000`",
        "heroku[worker.2]: State changed from starting to up",
    ]
    name = one_off["name"]
    assert f"heroku[{name}]: Cycling" in fapi.messages("cycled", source="heroku", dyno=name)


def test_restarts_and_releases_reset_the_period(
    fapi: Api, fake_server: LiveServer, clock: FakeClock
) -> None:
    fapi.create_app("reset")
    deploy_settled(fapi, "reset", {"Procfile": "worker: exec sleep 100000\n"})
    fapi.patch("/apps/reset/formation", {"updates": [{"type": "worker", "quantity": 1}]}).ok()
    first = wait_running(fapi, "reset", {"worker.1"})["worker.1"]
    assert due(fake_server, first["id"]) < clock.now_us() + DAY + JITTER + 1

    clock.advance(12 * 3600)
    fapi.delete("/apps/reset/dynos").ok()
    second = wait_for(
        lambda: (d := running(fapi, "reset").get("worker.1")) and d["id"] != first["id"] and d,
        30,
        "the restarted worker",
    )
    assert due(fake_server, second["id"]) >= clock.now_us() + DAY

    clock.advance(12 * 3600)
    fapi.patch("/apps/reset/config-vars", {"A": "1"}).ok()
    third = wait_for(
        lambda: (d := running(fapi, "reset").get("worker.1")) and d["id"] != second["id"] and d,
        30,
        "the worker on the new release",
    )
    assert due(fake_server, third["id"]) >= clock.now_us() + DAY
