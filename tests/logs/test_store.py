"""LogStore: chunks in, lines out — ordering, filters, timestamps, compression, retention."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from runoff.logs.model import LogBatch, StreamFilter
from runoff.logs.store import CHUNK_BYTES, ZLIB, LogStore
from runoff.store.db import make_engine
from runoff.store.schema import log_chunks


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> LogStore:
    return LogStore(engine)


class Feed:
    """Numbers batches like the router does."""

    def __init__(self) -> None:
        self.next_id = 1

    def batch(
        self, dyno: str, lines: list[bytes], *, at: int = 1000, app: str = "a1", source: str = "app"
    ) -> LogBatch:
        batch = LogBatch(app, dyno, source, at, self.next_id, len(lines), b"\n".join(lines))
        self.next_id += len(lines)
        return batch


def texts(batches: list[LogBatch]) -> list[tuple[int, str, int, bytes]]:
    return [(line.id, line.dyno, line.at, line.message) for b in batches for line in b.to_lines()]


def test_lines_come_back_in_id_order_with_their_times(store: LogStore) -> None:
    feed = Feed()
    store.append(
        [
            feed.batch("run.1", [b"a", b"b"], at=10),
            feed.batch("run.1", [b"c"], at=20),  # joins the same chunk, with its own time
            feed.batch("web.1", [b"w"], at=30),
            feed.batch("run.1", [b"", b"d"], at=40),
        ]
    )
    every = StreamFilter()
    assert texts(store.read_after("a1", every, 0, 100)) == [
        (1, "run.1", 10, b"a"),
        (2, "run.1", 10, b"b"),
        (3, "run.1", 20, b"c"),
        (4, "web.1", 30, b"w"),
        (5, "run.1", 40, b""),
        (6, "run.1", 40, b"d"),
    ]
    assert [line.message for line in store.tail("a1", every, 3)] == [b"w", b"", b"d"]
    assert [line.id for line in store.after("a1", every, 2, 2)] == [3, 4]
    assert store.max_id() == 6


def test_reads_cut_chunks_at_the_asked_lines(store: LogStore) -> None:
    feed = Feed()
    store.append([feed.batch("run.1", [b"%d" % i for i in range(100)])])
    every = StreamFilter()
    assert [b.count for b in store.read_after("a1", every, 10, 5)] == [5]
    assert [line.message for line in store.after("a1", every, 10, 3)] == [b"10", b"11", b"12"]
    assert [line.message for line in store.tail("a1", every, 2)] == [b"98", b"99"]
    assert store.read_after("a1", every, 100, 5) == []


def test_filters_apply_before_the_line_count(store: LogStore) -> None:
    feed = Feed()
    store.append(
        [
            feed.batch("run.1", [b"r1"]),
            feed.batch("runner.1", [b"x"]),
            feed.batch("run.2", [b"r2"], source="heroku"),
            feed.batch("web.1", [b"w"]),
            feed.batch("run.1", [b"z"], app="other"),
        ]
    )

    def tail(flt: StreamFilter, n: int = 10) -> list[bytes]:
        return [line.message for line in store.tail("a1", flt, n)]

    assert tail(StreamFilter(dynos=("run",))) == [b"r1", b"r2"]
    assert tail(StreamFilter(dynos=("run",)), 1) == [b"r2"]
    assert tail(StreamFilter(dynos=("run.1", "web"))) == [b"r1", b"w"]
    assert tail(StreamFilter(sources=("app",)), 2) == [b"x", b"w"]
    assert tail(StreamFilter(dynos=("run",), sources=("heroku",))) == [b"r2"]
    assert tail(StreamFilter(dynos=("r_n",))) == []  # LIKE wildcards are escaped


def test_big_chunks_are_compressed_and_split(store: LogStore, engine: Engine) -> None:
    feed = Feed()
    lines = [b"%06d the same words again and again" % i for i in range(20_000)]
    store.append([feed.batch("run.1", lines[i : i + 500]) for i in range(0, len(lines), 500)])
    with engine.connect() as conn:
        rows = conn.execute(select(log_chunks.c.codec, log_chunks.c.size)).all()
    assert len(rows) > 1  # no chunk grows past CHUNK_BYTES
    assert all(codec == ZLIB for codec, _ in rows)
    assert sum(size for _, size in rows) < len(b"\n".join(lines)) / 3
    assert max(size for _, size in rows) < CHUNK_BYTES
    got = [line.message for line in store.after("a1", StreamFilter(), 0, 100_000)]
    assert got == lines


def test_delete_app(store: LogStore) -> None:
    feed = Feed()
    store.append([feed.batch("run.1", [b"a"]), feed.batch("run.1", [b"b"], app="other")])
    store.delete_app("a1")
    assert store.tail("a1", StreamFilter(), 10) == []
    assert len(store.tail("other", StreamFilter(), 10)) == 1


def test_retention_deletes_whole_chunks_oldest_first(store: LogStore) -> None:
    feed = Feed()
    store.append([feed.batch("run.1", [b"old"], at=100), feed.batch("web.1", [b"mid"], at=200)])
    store.append([feed.batch("run.1", [b"new"], at=300)])
    assert store.delete_older_than(150) == 1
    assert [line.message for line in store.tail("a1", StreamFilter(), 10)] == [b"mid", b"new"]
    sizes = store.stored_bytes()
    assert sizes == {"a1": 6}
    assert store.delete_oldest("a1", 1) == 1
    assert [line.message for line in store.tail("a1", StreamFilter(), 10)] == [b"new"]
    assert store.delete_oldest("a1", 0) == 0


def plain(batches: list[LogBatch]) -> list[tuple[int, str, str, int, bytes]]:
    return [(x.id, x.dyno, x.source, x.at, x.message) for b in batches for x in b.to_lines()]


batch_specs = st.lists(
    st.tuples(
        st.sampled_from(["run.1", "run.2", "web.1"]),
        st.sampled_from(["app", "heroku"]),
        st.lists(
            st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), min_size=1, max_size=8
        ),
        st.integers(0, 3),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(specs=batch_specs, limit=st.integers(1, 60), after=st.integers(0, 80))
def test_reads_match_a_plain_list(
    store: LogStore, specs: list[tuple[str, str, list[bytes], int]], limit: int, after: int
) -> None:
    store.delete_app("prop")
    feed = Feed()
    feed.next_id = store.max_id() + 1
    base = feed.next_id - 1
    batches = [
        feed.batch(dyno, lines, at=at, app="prop", source=source)
        for dyno, source, lines, at in specs
    ]
    store.append(batches)
    flt = StreamFilter(dynos=("run",), sources=("app",))
    wanted = [line for line in plain(batches) if flt.wants(line[1], line[2])]

    assert plain(store.read_tail("prop", flt, limit)) == wanted[-limit:]
    assert (
        plain(store.read_after("prop", flt, base + after, limit))
        == [line for line in wanted if line[0] > base + after][:limit]
    )
