"""Which runs are recorded, and what is recorded of them."""

from __future__ import annotations

from sqlalchemy import func, select

from runoff.metrics import Change, MetricsService, RunChange, RunState
from runoff.query import parse
from runoff.store.schema import metrics_peaks
from tests.support.harness import Harness


def test_nothing_is_recorded_without_the_addon(harness: Harness) -> None:
    harness.run(5)
    harness.metrics.addons.provision(harness.app)
    harness.sync()
    assert harness.metrics.runs(harness.app, None) == []


def test_detached_runs_of_every_origin_are_recorded(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.clock.advance(1)
    for type in ("run", "scheduler", "release", "advanced-scheduler"):
        harness.run(3, 0, type=type, command=f"job {type}")
    harness.sync()
    runs = harness.metrics.runs(harness.app, None)
    assert [r.type for r in runs] == ["advanced-scheduler", "release", "scheduler", "run"]
    assert {r.name for r in runs} == {"run.1", "scheduler.1", "release.1", "advanced-scheduler.1"}
    assert all(r.state is RunState.SUCCEEDED and r.duration_seconds == 3 for r in runs)


def test_attached_and_formation_dynos_are_never_recorded(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(2, attach=True)
    harness.run(2, one_off=False, type="web")
    harness.run(2)
    harness.sync()
    assert [r.name for r in harness.metrics.runs(harness.app, None)] == ["run.2"]


def test_states_and_exit_status(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(1, 0, command="ok")
    harness.run(1, 3, command="bad")
    harness.run(1, None, command="lost")
    forced = harness.start(command="killed")
    harness.clock.advance(1)
    harness.end(forced, 143, forced=True)
    running = harness.start(command="still")
    harness.sync()
    found = {r.command: r for r in harness.metrics.runs(harness.app, None)}
    assert found["ok"].state is RunState.SUCCEEDED
    assert found["ok"].exit_status == 0
    assert found["bad"].state is RunState.FAILED
    assert found["bad"].exit_status == 3
    assert found["lost"].state is RunState.TIMED_OUT
    assert found["lost"].exit_status is None
    assert found["killed"].state is RunState.TIMED_OUT
    assert found["killed"].exit_status is None
    assert found["still"].state is RunState.RUNNING
    assert found["still"].ended_at is None
    assert running.name == found["still"].name


def test_replaying_events_changes_nothing(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(4, 1)
    harness.sync()
    before = harness.metrics.plot(harness.app, "throughput", None, "3h")
    # A crash after applying but before the cursor moved: the events are read again.
    with harness.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE metrics_cursor SET position = 0")
    harness.metrics.recorder._seen.clear()
    harness.sync()
    assert harness.metrics.plot(harness.app, "throughput", None, "3h") == before
    assert sum(b["failed"] for b in before["buckets"]) == 1


def test_subscribers_hear_starts_and_ends(harness: Harness) -> None:
    heard: list[RunChange] = []
    harness.metrics.recorder.subscribe(heard.append)
    harness.metrics.addons.provision(harness.app)
    harness.run(2, 0)
    harness.sync()
    assert [c.change for c in heard] == [Change.STARTED, Change.ENDED]
    assert heard[1].run.state is RunState.SUCCEEDED
    assert heard[1].run.duration_seconds == 2


def test_a_new_recorder_catches_up_after_a_crash(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(2, 0, command="before")
    harness.sync()
    # The server dies: these runs' events are committed, but no recorder applied them.
    harness.run(3, 1, command="during")
    harness.start(command="still running")
    restarted = MetricsService(harness.engine, harness.clock)
    while restarted.recorder.sync():
        pass
    found = {r.command: r.state for r in restarted.runs(harness.app, None)}
    assert found == {
        "before": RunState.SUCCEEDED,
        "during": RunState.FAILED,
        "still running": RunState.RUNNING,
    }
    totals = restarted.plot(harness.app, "throughput", None, "3h")["buckets"]
    assert sum(b["succeeded"] + b["failed"] for b in totals) == 2


def test_destroy_deletes_everything_and_recording_stops(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(2, 0)
    harness.sync()
    harness.metrics.plot(harness.app, "concurrency", "", "3h")
    harness.metrics.addons.destroy(harness.app, "one-off-metrics")
    harness.run(2, 0)
    harness.sync()
    with harness.engine.connect() as conn:
        for table in ("metrics_runs", "metrics_events", "metrics_rollups", "metrics_series",
                      "metrics_peaks", "addons"):  # fmt: skip
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0, table
    harness.metrics.addons.provision(harness.app, "pro")
    harness.sync()
    assert harness.metrics.runs(harness.app, None) == []


def test_running_runs_for_a_monitor(harness: Harness) -> None:
    addon = harness.metrics.addons.provision(harness.app)
    harness.start(command="python scrape.py", type="scheduler")
    harness.start(command="python scrape.py", type="run")
    harness.run(1, 0, command="python scrape.py", type="scheduler")
    harness.sync()
    running = harness.metrics.running(addon, parse('type:"scheduler"'))
    assert [r.name for r in running] == ["scheduler.1"]
    assert len(harness.metrics.running(addon, parse("scrape"))) == 2


def test_housekeeping_keeps_the_settled_unfiltered_peaks(harness: Harness) -> None:
    """What the dashboard's first view reads is ready: peaks of every range, no filter."""
    harness.metrics.addons.provision(harness.app)
    harness.clock.advance(60)
    first = harness.start("python a.py")
    harness.clock.advance(30)
    harness.run(20)  # overlaps the first: 2 at once
    harness.clock.advance(30)
    harness.end(first, 0)
    harness.clock.advance(2 * 3600)  # every bucket holding them is settled, within 3 h
    harness.sync()
    harness.metrics.housekeeping()
    with harness.engine.connect() as conn:
        kept = conn.execute(
            select(metrics_peaks.c.resolution, func.max(metrics_peaks.c.peak)).group_by(
                metrics_peaks.c.resolution
            )
        ).all()
    assert dict(kept) == {60: 2, 600: 2, 1800: 2, 3600: 2}
