"""Coarse series equal what the raw runs give, whichever path and however recorded.

Random schedules of overlapping runs are played through DynoStore (syncing the recorder at
random moments, so rollups are merged across passes); then for every range and several
filters, the rollup path must equal the raw path (the same filter plus ``name:.``, which
every run name matches and which forces the raw path), and both must equal a brute-force
computation over the generated runs.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runoff.apps.service import AppService
from runoff.auth.service import AuthService
from runoff.clock import US_PER_SECOND, parse_iso
from runoff.metrics import RANGES
from tests.support.harness import Harness

COMMANDS = ("python scrape.py", 'echo "Hello World!"', "rake db:migrate")
TYPES = ("run", "scheduler", "advanced-scheduler")
FILTERS = ("", "scrape", '-"rake db:migrate"', "state:failed state:timed out", "type:sched")

run_spec = st.tuples(
    st.integers(0, 4 * 3600),  # start, seconds after the base
    st.integers(0, 3 * 3600),  # duration
    st.sampled_from(COMMANDS),
    st.sampled_from(TYPES),
    st.sampled_from((0, 0, 1, None)),  # exit status
    st.booleans(),  # sync the recorder after this start
)
counter = itertools.count()


def _play(harness: Harness, specs: list[tuple[int, int, str, str, int | None, bool]]) -> None:
    base = harness.clock.now_us()
    timeline = []
    for index, (start, duration, *_rest) in enumerate(specs):
        timeline.append((base + start * US_PER_SECOND, 0, index))
        timeline.append((base + (start + duration) * US_PER_SECOND, 1, index))
    started = {}
    for at, kind, index in sorted(timeline):
        _start, _duration, command, type, status, sync = specs[index]
        harness.clock.set(at)
        if kind == 0:
            started[index] = harness.start(command, type=type)
            if sync:
                harness.sync()
        else:
            harness.end(started[index], status)
    harness.clock.advance(60)
    harness.sync()


def _brute_force(
    specs: list[tuple[int, int, str, str, int | None, bool]], base: int
) -> dict[int, tuple[int, int, int, int]]:
    """1-minute bucket -> (count, sum, min, max) of execution times (µs), all runs."""
    found: dict[int, list[int]] = {}
    minute = 60 * US_PER_SECOND
    for start, duration, *_ in specs:
        end = base + (start + duration) * US_PER_SECOND
        found.setdefault(end // minute * minute, []).append(duration * US_PER_SECOND)
    return {b: (len(v), sum(v), min(v), max(v)) for b, v in found.items()}


@pytest.mark.timeout(900)  # hundreds of queries per example; PostgreSQL on a busy machine
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=st.lists(run_spec, min_size=1, max_size=25))
def test_rollups_equal_raw_runs(
    harness: Harness, specs: list[tuple[int, int, str, str, int | None, bool]]
) -> None:
    owner = AuthService(harness.engine, harness.clock).user_by_email("owner@example.com")
    harness.app = AppService(harness.engine, harness.clock).create(owner, f"prop-{next(counter)}")
    harness.clock.set(1_795_000_000 * US_PER_SECOND)
    harness.metrics.addons.provision(harness.app, "pro")
    base = harness.clock.now_us()
    _play(harness, specs)
    for range_ in RANGES:
        for text in FILTERS:
            for plot in ("execution-time", "throughput", "concurrency", "events"):
                fast = harness.metrics.plot(harness.app, plot, text, range_.name)
                raw = harness.metrics.plot(harness.app, plot, f"{text} name:.", range_.name)
                assert fast == raw, (plot, range_.name, text)
    expected = _brute_force(specs, base)
    execution = harness.metrics.plot(harness.app, "execution-time", "", "3h")
    for bucket in execution["buckets"]:
        at = parse_iso(bucket["time"])
        count, total, low, high = expected.get(at, (0, 0, 0, 0))
        assert bucket["count"] == count
        if count:
            assert bucket["min"] == low / US_PER_SECOND
            assert bucket["max"] == high / US_PER_SECOND
            assert math.isclose(bucket["mean"], total / count / US_PER_SECOND, abs_tol=1e-6)
            assert low / US_PER_SECOND <= bucket["p50"] <= bucket["p95"] <= high / US_PER_SECOND
    coarse = harness.metrics.plot(harness.app, "execution-time", "", "7d")
    assert sum(b["count"] for b in coarse["buckets"]) == len(specs)


@pytest.mark.timeout(600)
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=st.lists(run_spec, min_size=1, max_size=20))
def test_concurrency_peaks_are_exact(
    harness: Harness, specs: list[tuple[int, int, str, str, int | None, bool]]
) -> None:
    owner = AuthService(harness.engine, harness.clock).user_by_email("owner@example.com")
    harness.app = AppService(harness.engine, harness.clock).create(owner, f"peak-{next(counter)}")
    harness.clock.set(1_795_000_000 * US_PER_SECOND)
    harness.metrics.addons.provision(harness.app, "pro")
    base = harness.clock.now_us()
    _play(harness, specs)
    intervals = [
        (base + s * US_PER_SECOND, base + (s + d) * US_PER_SECOND, c) for s, d, c, *_ in specs
    ]
    for text, keep in (("", lambda c: True), ("scrape", lambda c: "scrape" in c)):
        chosen = [(a, b) for a, b, c in intervals if keep(c)]
        data = harness.metrics.plot(harness.app, "concurrency", text, "3h")
        for bucket in data["buckets"]:
            start = parse_iso(bucket["time"])
            end = start + 60 * US_PER_SECOND
            instants = [start] + [a for a, _ in chosen if start < a < end]
            expected = max(sum(a <= t < b for a, b in chosen) for t in instants)
            assert bucket["max"] == expected, (text, bucket)
