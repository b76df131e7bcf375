"""The monitor engine on a real database with a fake clock: execution-time monitors count a
run once, whether found running past the threshold or seen ending, and what they keep of it
is pruned once the run is long over."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from runoff.logs.store import LogStore
from runoff.monitors.describe_change import ChangeDescriber
from runoff.monitors.engine import MARKS_KEPT_SECONDS, MonitorEngine
from runoff.monitors.service import MonitorService
from runoff.store.schema import alert_flips, monitor_runs
from tests.support.harness import Harness, harness_on


@dataclass
class Watched:
    harness: Harness
    engine: MonitorEngine
    monitors: MonitorService

    def counted(self) -> set[str]:
        with self.harness.engine.connect() as conn:
            return set(conn.execute(select(monitor_runs.c.dyno_id)).scalars())

    def flips(self) -> list[str]:
        with self.harness.engine.connect() as conn:
            query = select(alert_flips.c.kind).order_by(alert_flips.c.id)
            return list(conn.execute(query).scalars())

    def settle(self) -> None:
        """Record what happened and evaluate it, as the threads would."""
        self.harness.sync()
        self.engine.sweep()
        self.engine.overruns()
        self.engine.prune()


@pytest.fixture
def watched(database_url: str) -> Iterator[Watched]:
    with harness_on(database_url) as harness:
        harness.metrics.addons.provision(harness.app, "pro")
        harness.clock.advance(1)
        engine = MonitorEngine(
            harness.engine,
            harness.clock,
            harness.dynos,
            LogStore(harness.engine),
            ChangeDescriber("http://runoff.test"),
            on_flip=lambda: None,
        )
        monitors = MonitorService(
            harness.engine,
            harness.clock,
            harness.metrics.addons,
            "http://runoff.test",
            on_flip=lambda: None,
            on_change=engine.refresh_watched,
        )
        monitors.create(harness.app, {"type": "command-execution-time", "threshold": 60})
        engine.refresh_watched()
        harness.clock.advance(1)
        yield Watched(harness, engine, monitors)


def test_a_run_found_running_too_long_counts_once(watched: Watched) -> None:
    harness = watched.harness
    stuck = harness.start("python stuck.py")
    harness.clock.advance(30)
    watched.settle()
    assert watched.counted() == set()  # within the threshold so far
    harness.clock.advance(31)
    watched.settle()
    assert watched.counted() == {stuck.id}
    assert watched.flips() == ["opened"]
    watched.settle()
    harness.end(stuck, 0)  # its end, long past the threshold, is not a second time
    watched.settle()
    assert watched.flips() == ["opened"]
    harness.run(5)  # a run within the threshold resolves it
    watched.settle()
    assert watched.flips() == ["opened", "resolved"]


def test_counted_runs_are_forgotten_once_long_over(watched: Watched) -> None:
    harness = watched.harness
    done, running = harness.start("python a.py"), harness.start("python b.py")
    harness.clock.advance(61)
    watched.settle()
    assert watched.counted() == {done.id, running.id}
    harness.end(done, 0)
    watched.settle()
    harness.clock.advance(MARKS_KEPT_SECONDS + 1)
    watched.settle()
    assert watched.counted() == {running.id}  # still running: its row stays
