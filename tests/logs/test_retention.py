"""Retention: by age and by stored size per app, whole chunks, oldest first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from runoff.clock import US_PER_SECOND, FakeClock
from runoff.logs.model import LogBatch, StreamFilter
from runoff.logs.retention import Limits, Retention
from runoff.logs.store import LogStore
from runoff.store.db import make_engine

DAY = 86400


@pytest.fixture
def store(database_url: str) -> Iterator[LogStore]:
    engine: Engine = make_engine(database_url)
    yield LogStore(engine)
    engine.dispose()


def add(store: LogStore, app: str, at: int, *lines: bytes) -> None:
    first = store.max_id() + 1
    store.append([LogBatch(app, "run.1", "app", at, first, len(lines), b"\n".join(lines))])


def messages(store: LogStore, app: str) -> list[bytes]:
    return [line.message for line in store.tail(app, StreamFilter(), 1000)]


def test_age_limit_drops_chunks_whose_newest_line_is_too_old(store: LogStore) -> None:
    clock = FakeClock()
    now = clock.now_us()
    add(store, "a1", now - 3 * DAY * US_PER_SECOND, b"three days")
    add(store, "a2", now - 2 * DAY * US_PER_SECOND, b"two days")
    add(store, "a1", now - 60 * US_PER_SECOND, b"a minute")
    retention = Retention(store, clock, Limits(max_age_seconds=2.5 * DAY, max_bytes_per_app=0))
    assert retention.prune() == 1
    assert messages(store, "a1") == [b"a minute"]
    clock.advance(DAY)
    assert retention.prune() == 1
    assert messages(store, "a2") == []
    assert messages(store, "a1") == [b"a minute"]


def test_size_limit_per_app_drops_oldest_chunks_until_it_fits(store: LogStore) -> None:
    clock = FakeClock()
    now = clock.now_us()
    for i in range(5):
        add(store, "big", now + i, b"%d" % i * 100)  # 100 stored bytes per chunk (raw)
    add(store, "small", now, b"s" * 100)
    retention = Retention(store, clock, Limits(max_age_seconds=0, max_bytes_per_app=250))
    assert retention.prune() == 3
    assert messages(store, "big") == [b"3" * 100, b"4" * 100]
    assert messages(store, "small") == [b"s" * 100]
    assert retention.prune() == 0


def test_no_limits_keep_everything(store: LogStore) -> None:
    clock = FakeClock()
    add(store, "a1", 1, b"ancient")
    assert Retention(store, clock, Limits(0, 0)).prune() == 0
    assert messages(store, "a1") == [b"ancient"]
