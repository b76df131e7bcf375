"""The plots' data: ranges and resolutions, bucketing, each plot's values, pruning."""

from __future__ import annotations

import pytest

from runoff.clock import US_PER_SECOND, parse_iso
from runoff.metrics import RANGES, range_named
from runoff.metrics.prune import prune
from tests.support.harness import Harness

EXPECTED = {
    "3h": (60, 180),
    "24h": (600, 144),
    "24h-48h": (600, 144),
    "48h-72h": (600, 144),
    "72h": (1800, 144),
    "7d": (3600, 168),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_ranges_have_the_seed_resolutions(name: str) -> None:
    found = range_named(name)
    now = 1_795_000_123 * US_PER_SECOND
    buckets = found.buckets(now)
    assert (found.resolution, len(buckets)) == EXPECTED[name]
    assert all(b % found.resolution_us == 0 for b in buckets)
    assert buckets == sorted(buckets)


def test_day_ranges_tile_without_gaps() -> None:
    now = 1_795_000_123 * US_PER_SECOND
    day, two, three = (range_named(n).buckets(now) for n in ("24h", "24h-48h", "48h-72h"))
    step = 600 * US_PER_SECOND
    assert two[-1] + step == day[0]
    assert three[-1] + step == two[0]
    assert day[-1] <= now < day[-1] + step


def test_every_range_answers_every_plot(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app, "pro")
    harness.run(30, 0)
    harness.sync()
    for found in RANGES:
        for plot in ("events", "execution-time", "throughput", "concurrency"):
            data = harness.metrics.plot(harness.app, plot, None, found.name)
            assert data["resolution_seconds"] == found.resolution
            assert len(data["buckets"]) == found.bucket_count


def _bucket(data: dict[str, object], time_us: int) -> dict[str, object]:
    res = int(data["resolution_seconds"]) * US_PER_SECOND  # type: ignore[call-overload]
    for bucket in data["buckets"]:  # type: ignore[attr-defined]
        if parse_iso(bucket["time"]) == time_us // res * res:
            return bucket  # type: ignore[no-any-return]
    raise AssertionError("no such bucket")


def test_throughput_and_execution_time(harness: Harness) -> None:
    harness.clock.set(harness.clock.now_us() // (60 * US_PER_SECOND) * 60 * US_PER_SECOND)
    harness.metrics.addons.provision(harness.app)
    for seconds, status in ((1, 0), (2, 0), (3, 1), (4, None)):
        harness.run(seconds, status)
    end = harness.clock.now_us() - 1
    harness.clock.advance(120)
    harness.sync()
    throughput = harness.metrics.plot(harness.app, "throughput", None, "3h")
    assert _bucket(throughput, end) == {
        "time": _bucket(throughput, end)["time"],
        "succeeded": 2,
        "failed": 1,
        "timed_out": 1,
    }
    execution = _bucket(harness.metrics.plot(harness.app, "execution-time", None, "3h"), end)
    assert execution["count"] == 4
    assert execution["min"] == 1
    assert execution["max"] == 4
    assert execution["mean"] == 2.5
    assert execution["p50"] == pytest.approx(2, rel=0.01)
    assert execution["p95"] == pytest.approx(4, rel=0.01)
    failed = harness.metrics.plot(harness.app, "throughput", "-state:succeeded", "3h")
    assert _bucket(failed, end)["succeeded"] == 0
    assert _bucket(failed, end)["failed"] == 1


def test_concurrency_max_and_mean(harness: Harness) -> None:
    minute = 60 * US_PER_SECOND
    harness.clock.set(harness.clock.now_us() // minute * minute)
    harness.metrics.addons.provision(harness.app)
    start = harness.clock.now_us()
    first = harness.start(command="a")
    harness.clock.advance(10)
    second = harness.start(command="b")
    harness.clock.advance(20)
    harness.end(first, 0)  # a ran 30 s, b overlaps it 20 s
    harness.clock.advance(20)
    harness.end(second, 0)  # b ran 40 s
    harness.start(command="c")  # still running from second 50
    harness.clock.advance(70)
    harness.sync()
    data = harness.metrics.plot(harness.app, "concurrency", None, "3h")
    assert _bucket(data, start)["max"] == 2
    assert _bucket(data, start)["mean"] == pytest.approx(80 / 60, abs=1e-6)
    assert _bucket(data, start + minute)["max"] == 1
    only_b = harness.metrics.plot(harness.app, "concurrency", "command:b", "3h")
    assert _bucket(only_b, start)["max"] == 1
    assert _bucket(only_b, start)["mean"] == pytest.approx(40 / 60, abs=1e-6)
    running = harness.metrics.plot(harness.app, "concurrency", "state:running", "3h")
    assert _bucket(running, start)["mean"] == pytest.approx(10 / 60, abs=1e-6)


def test_events_plot_lists_lifecycle_events(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)
    harness.run(5, 2, type="scheduler")
    harness.sync()
    data = harness.metrics.plot(harness.app, "events", 'type:"scheduler"', "3h")
    events = [e for b in data["buckets"] for e in b["events"]]
    assert [e["event"] for e in events] == ["starting", "up", "complete", "exited"]
    assert events[-1]["exit_status"] == 2
    assert {e["name"] for e in events} == {"scheduler.1"}
    assert data["truncated"] is False


def test_old_data_is_pruned_and_hidden(harness: Harness) -> None:
    harness.metrics.addons.provision(harness.app)  # free: kept one day
    harness.run(5, 0)
    harness.sync()
    harness.clock.advance(4 * 3600)
    assert (
        sum(
            b["succeeded"]
            for b in harness.metrics.plot(harness.app, "throughput", None, "3h")["buckets"]
        )
        == 0
    )
    assert (
        sum(
            b["succeeded"]
            for b in harness.metrics.plot(harness.app, "throughput", None, "24h")["buckets"]
        )
        == 1
    )
    harness.clock.advance(21 * 3600)
    assert (
        sum(
            b["succeeded"]
            for b in harness.metrics.plot(harness.app, "throughput", None, "7d")["buckets"]
        )
        == 0
    )
    assert len(harness.metrics.runs(harness.app, None)) == 0
    prune(harness.engine, harness.clock.now_us())
    with harness.engine.connect() as conn:
        for table in ("metrics_runs", "metrics_events", "metrics_rollups"):
            assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() == 0


def test_queries_need_the_addon(harness: Harness) -> None:
    from runoff.errors import NotFound

    with pytest.raises(NotFound, match="not provisioned"):
        harness.metrics.plot(harness.app, "throughput", None, "3h")
