"""LogRouter: ids and order across threads, durability, bounded subscribers, backpressure."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import Engine

from runoff.clock import FakeClock
from runoff.logs import router as router_module
from runoff.logs.model import LogBatch, StreamFilter
from runoff.logs.router import LogRouter
from runoff.logs.store import LogStore
from runoff.store.db import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


class HeldStore(LogStore):
    """A real store whose writes wait until ``release`` is set (a writer that is behind)."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self.release = threading.Event()

    def append(self, batches: Sequence[LogBatch]) -> None:
        self.release.wait(30)
        super().append(batches)


def test_lines_from_many_threads_are_stored_and_delivered_in_id_order(engine: Engine) -> None:
    store = LogStore(engine)
    router = LogRouter(store, FakeClock())

    async def main() -> list[LogBatch]:
        router.attach_loop(asyncio.get_running_loop())
        sub = router.subscribe("a1", StreamFilter())
        seen: list[LogBatch] = []

        def publish(dyno: str) -> None:
            for i in range(200):
                router.publish("a1", dyno, "app", [b"%s %d" % (dyno.encode(), i)])

        threads = [threading.Thread(target=publish, args=(f"run.{n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        publish("web.1")  # and from the loop's own thread
        for thread in threads:
            thread.join()
        while sum(b.count for b in seen) < 1000:
            batches = await sub.take(5)
            assert batches
            seen += batches
        return seen

    seen = asyncio.run(main())
    assert [b.first_id for b in seen] == list(range(1, 1001))
    assert router.flush()
    stored = store.after("a1", StreamFilter(), 0, 2000)
    assert [line.id for line in stored] == list(range(1, 1001))
    for dyno in ("run.0", "web.1"):
        mine = [line.message for line in stored if line.dyno == dyno]
        assert mine == [b"%s %d" % (dyno.encode(), i) for i in range(200)]
    router.close()


def test_a_subscriber_that_falls_behind_is_told_and_then_fed_again(engine: Engine) -> None:
    router = LogRouter(LogStore(engine), FakeClock(), subscriber_lines=100)

    async def main() -> None:
        router.attach_loop(asyncio.get_running_loop())
        sub = router.subscribe("a1", StreamFilter(dynos=("run",)))
        router.publish("a1", "web.1", "app", [b"not for this filter"] * 500)
        router.publish("a1", "run.1", "app", [b"x"] * 60)
        await asyncio.sleep(0)
        assert [b.count for b in await sub.take(1)] == [60]
        for _ in range(3):
            router.publish("a1", "run.1", "app", [b"y"] * 60)
        await asyncio.sleep(0)
        assert await sub.take(1) is None  # lines were dropped: read them from the store
        router.publish("a1", "run.1", "app", [b"z"])
        await asyncio.sleep(0)
        assert [b.data for b in await sub.take(1)] == [b"z"]
        assert await sub.take(0.01) == []
        router.unsubscribe(sub)

    asyncio.run(main())
    router.close()


def test_busy_dynos_are_paused_while_the_writer_is_behind(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(router_module, "HIGH_WATER_BYTES", 4000)
    monkeypatch.setattr(router_module, "LOW_WATER_BYTES", 1000)
    monkeypatch.setattr(router_module, "BUSY_DYNO_BYTES", 500)
    store = HeldStore(engine)
    router = LogRouter(store, FakeClock())
    for _ in range(50):
        router.publish("a1", "run.1", "app", [b"x" * 99])
    router.publish("a1", "web.1", "app", [b"quiet"])
    assert router.congested("a1", "run.1")
    assert not router.congested("a1", "web.1")
    resumed = threading.Event()
    router.when_drained(resumed.set)
    assert not resumed.is_set()
    store.release.set()
    assert router.flush()
    assert resumed.is_set()
    assert not router.congested("a1", "run.1")
    router.close()
