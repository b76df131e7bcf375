"""Per-app counters under concurrency: the first uses of a counter at once each get their own
number (on PostgreSQL an UPDATE-then-INSERT made all but one fail on the row's key)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from runoff.dynos.model import State
from runoff.store.rows import next_counter
from runoff.store.schema import counters
from tests.support.harness import harness_on


def test_concurrent_first_uses_of_a_counter_get_distinct_numbers(database_url: str) -> None:
    with harness_on(database_url) as harness:
        start = threading.Barrier(8)

        def take(_: int) -> int:
            start.wait()
            with harness.engine.begin() as conn:
                return next_counter(conn, counters, harness.app.id, "race")

        with ThreadPoolExecutor(8) as pool:
            numbers = sorted(pool.map(take, range(8)))
        assert numbers == list(range(1, 9))


def test_concurrent_first_dynos_of_an_app_are_all_created(database_url: str) -> None:
    with harness_on(database_url) as harness:
        start = threading.Barrier(8)

        def create(_: int) -> str:
            start.wait()
            dyno = harness.dynos.create(
                app_id=harness.app.id,
                release_id=None,
                release_version=None,
                type="run",
                command="true",
                size="Standard-1X",
                attach=False,
                one_off=True,
                ttl_seconds=60,
                server_id=None,
            )
            assert dyno.state is State.STARTING
            return dyno.name

        with ThreadPoolExecutor(8) as pool:
            names = sorted(pool.map(create, range(8)), key=lambda n: int(n.split(".")[1]))
        assert names == [f"run.{n}" for n in range(1, 9)]
