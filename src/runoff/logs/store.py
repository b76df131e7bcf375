"""Durable storage of log lines, packed in chunks.

A chunk is one row holding consecutive lines (consecutive ids) of one app, dyno and source:
``first_id``/``last_id``, ``first_at``/``last_at``, and the lines joined by ``\\n`` in ``data``
(zlib-compressed when that makes it smaller). When its lines were read at different instants,
``times`` lists the runs of equal timestamps. Ids are assigned by the router, so ordering
chunks by id gives each app's time-ordered stream; a filter is a condition on whole chunks.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, delete, func, or_, select, true, update

from runoff.logs.model import LogBatch, LogLine, StreamFilter
from runoff.store.db import is_sqlite
from runoff.store.schema import log_chunks, meta

ID_COUNTER = "log_next_id"

RAW, ZLIB = 0, 1
CHUNK_BYTES = 256 * 1024  # consecutive batches are packed into chunks of about this size
COMPRESS_FROM = 512  # smaller chunks are stored as they are
_RUN = struct.Struct("<qqq")  # lines, bytes, at
COLUMNS = (
    "first_id",
    "last_id",
    "app_id",
    "dyno",
    "source",
    "first_at",
    "last_at",
    "codec",
    "size",
    "times",
    "data",
)
_PG_TYPES = ["int8", "int8", "varchar", "varchar", "varchar", "int8", "int8"]
_PG_TYPES += ["int2", "int4", "bytea", "bytea"]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filter_clause(flt: StreamFilter) -> ColumnElement[bool]:
    clauses: list[ColumnElement[bool]] = []
    if flt.sources:
        clauses.append(log_chunks.c.source.in_(flt.sources))
    if flt.dynos:
        names = [d for d in flt.dynos if "." in d]
        types = [d for d in flt.dynos if "." not in d]
        alternatives: list[ColumnElement[bool]] = []
        if names:
            alternatives.append(log_chunks.c.dyno.in_(names))
        alternatives += [log_chunks.c.dyno.like(_escape_like(t) + ".%", escape="\\") for t in types]
        clauses.append(or_(*alternatives))
    if not clauses:
        return true()
    result = clauses[0]
    for clause in clauses[1:]:
        result = result & clause
    return result


# writing ---------------------------------------------------------------------------------------
def _groups(batches: Sequence[LogBatch]) -> Iterator[list[LogBatch]]:
    """Runs of batches that can share a chunk: same app, dyno, source, and adjacent ids."""
    group: list[LogBatch] = []
    size = 0
    for batch in batches:
        if group:
            last = group[-1]
            joinable = (
                last.last_id + 1 == batch.first_id
                and last.app_id == batch.app_id
                and last.dyno == batch.dyno
                and last.source == batch.source
                and size + len(batch.data) <= CHUNK_BYTES
            )
            if not joinable:
                yield group
                group, size = [], 0
        group.append(batch)
        size += len(batch.data) + 1
    if group:
        yield group


def _times(group: list[LogBatch]) -> bytes | None:
    if all(batch.at == group[0].at for batch in group):
        return None
    runs: list[list[int]] = []
    for batch in group:
        if runs and runs[-1][2] == batch.at:
            runs[-1][0] += batch.count
            runs[-1][1] += len(batch.data) + 1
        else:
            runs.append([batch.count, len(batch.data) + 1, batch.at])
    return b"".join(_RUN.pack(*run) for run in runs)


def chunk_row(group: list[LogBatch]) -> tuple[Any, ...]:
    """The row of one chunk, in ``COLUMNS`` order."""
    first, last = group[0], group[-1]
    data = first.data if len(group) == 1 else b"\n".join(batch.data for batch in group)
    codec = RAW
    if len(data) >= COMPRESS_FROM:
        packed = zlib.compress(data, 1)
        if len(packed) < len(data):
            data, codec = packed, ZLIB
    times = _times(group)
    return (
        first.first_id,
        last.last_id,
        first.app_id,
        first.dyno,
        first.source,
        first.at,
        max(batch.at for batch in group),
        codec,
        len(data),
        times,
        data,
    )


# reading ---------------------------------------------------------------------------------------
def batches_of(row: Any) -> list[LogBatch]:
    """The batches (runs of one timestamp) a stored chunk holds."""
    data = zlib.decompress(row.data) if row.codec == ZLIB else bytes(row.data)
    count = row.last_id - row.first_id + 1
    if row.times is None:
        return [LogBatch(row.app_id, row.dyno, row.source, row.first_at, row.first_id, count, data)]
    found = []
    first_id, offset = row.first_id, 0
    for lines, size, at in _RUN.iter_unpack(bytes(row.times)):
        body = data[offset : offset + size - 1]
        found.append(LogBatch(row.app_id, row.dyno, row.source, at, first_id, lines, body))
        first_id += lines
        offset += size
    return found


def _max_id(conn: Connection) -> int:
    """The highest line id stored (0 for none)."""
    return int(conn.execute(select(func.max(log_chunks.c.last_id))).scalar() or 0)


class LogStore:
    PAGE = 32  # chunks fetched per query while reading

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._copy = not is_sqlite(engine)

    def append(self, batches: Sequence[LogBatch]) -> None:
        """Store ``batches`` (in id order) in one transaction."""
        rows = [chunk_row(group) for group in _groups(batches)]
        if not rows:
            return
        with self._engine.begin() as conn:
            if self._copy:
                _copy_rows(conn, rows)
            else:
                conn.execute(
                    log_chunks.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in rows]
                )

    def max_id(self) -> int:
        with self._engine.connect() as conn:
            return _max_id(conn)

    def reserve_ids(self, count: int) -> int:
        """Reserve ``count`` consecutive line ids no other server will use; returns the first.

        Servers sharing a database each draw blocks from one counter (``runoff_meta``), so
        their lines never collide; within a server ids still grow in arrival order.
        """
        with self._engine.begin() as conn:
            query = select(meta.c.value).where(meta.c.key == ID_COUNTER)
            if not is_sqlite(self._engine):
                query = query.with_for_update()
            current = conn.execute(query).scalar()
            if current is None:
                first = _max_id(conn) + 1
                conn.execute(meta.insert().values(key=ID_COUNTER, value=str(first + count)))
                return first
            conn.execute(
                update(meta).where(meta.c.key == ID_COUNTER).values(value=str(int(current) + count))
            )
            return int(current)

    def read_after(
        self, app_id: str, flt: StreamFilter, after_id: int, limit: int
    ) -> list[LogBatch]:
        """The first ``limit`` matching lines with id above ``after_id``, as batches in order."""
        found: list[LogBatch] = []
        wanted = limit
        base = select(log_chunks).where(log_chunks.c.app_id == app_id, filter_clause(flt))
        with self._engine.connect() as conn:
            while wanted > 0:
                query = base.where(log_chunks.c.last_id > after_id)
                rows = list(conn.execute(query.order_by(log_chunks.c.last_id).limit(self.PAGE)))
                for row in rows:
                    for batch in batches_of(row):
                        part = batch.since(after_id)
                        if part is None or wanted <= 0:
                            continue
                        if part.count > wanted:
                            part = _head(part, wanted)
                        found.append(part)
                        wanted -= part.count
                if len(rows) < self.PAGE:
                    break
                after_id = rows[-1].last_id
        return found

    def read_tail(self, app_id: str, flt: StreamFilter, limit: int) -> list[LogBatch]:
        """The newest ``limit`` matching lines, as batches in order (oldest first)."""
        found: list[LogBatch] = []
        wanted = limit
        base = select(log_chunks).where(log_chunks.c.app_id == app_id, filter_clause(flt))
        before: int | None = None
        with self._engine.connect() as conn:
            while wanted > 0:
                query = base if before is None else base.where(log_chunks.c.last_id < before)
                query = query.order_by(log_chunks.c.last_id.desc()).limit(self.PAGE)
                rows = list(conn.execute(query))
                for row in rows:
                    for batch in reversed(batches_of(row)):
                        if wanted <= 0:
                            break
                        part = batch.newest(wanted)
                        found.append(part)
                        wanted -= part.count
                if len(rows) < self.PAGE:
                    break
                before = rows[-1].first_id
        found.reverse()
        return found

    def tail(self, app_id: str, flt: StreamFilter, limit: int) -> list[LogLine]:
        """The newest ``limit`` matching lines, oldest first."""
        return [line for b in self.read_tail(app_id, flt, limit) for line in b.to_lines()]

    def after(self, app_id: str, flt: StreamFilter, after_id: int, limit: int) -> list[LogLine]:
        """Matching lines with id greater than ``after_id``, oldest first."""
        return [
            line for b in self.read_after(app_id, flt, after_id, limit) for line in b.to_lines()
        ]

    def delete_app(self, app_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(log_chunks).where(log_chunks.c.app_id == app_id))

    # retention -------------------------------------------------------------------------------
    def delete_older_than(self, cutoff_at: int) -> int:
        """Delete every chunk whose newest line is older than ``cutoff_at``; returns how many."""
        with self._engine.begin() as conn:
            result = conn.execute(delete(log_chunks).where(log_chunks.c.last_at < cutoff_at))
        return int(result.rowcount or 0)

    def stored_bytes(self) -> dict[str, int]:
        """Stored (compressed) bytes of each app's logs."""
        query = select(log_chunks.c.app_id, func.sum(log_chunks.c.size)).group_by(
            log_chunks.c.app_id
        )
        with self._engine.connect() as conn:
            return {app_id: int(total) for app_id, total in conn.execute(query)}

    def delete_oldest(self, app_id: str, at_least: int) -> int:
        """Delete ``app_id``'s oldest whole chunks until at least ``at_least`` stored bytes are
        gone; returns how many chunks."""
        freed, cutoff, count = 0, -1, 0
        with self._engine.connect() as conn:
            while freed < at_least:
                page = conn.execute(
                    select(log_chunks.c.first_id, log_chunks.c.size)
                    .where(log_chunks.c.app_id == app_id, log_chunks.c.first_id > cutoff)
                    .order_by(log_chunks.c.first_id)
                    .limit(1000)
                ).all()
                for first_id, size in page:
                    if freed >= at_least:
                        break
                    freed, cutoff, count = freed + size, first_id, count + 1
                if len(page) < 1000:
                    break
        if not count:
            return 0
        with self._engine.begin() as conn:
            conn.execute(
                delete(log_chunks).where(
                    log_chunks.c.app_id == app_id, log_chunks.c.first_id <= cutoff
                )
            )
        return count


def _head(batch: LogBatch, count: int) -> LogBatch:
    """The first ``count`` lines of ``batch``."""
    body = b"\n".join(batch.lines[:count])
    return LogBatch(batch.app_id, batch.dyno, batch.source, batch.at, batch.first_id, count, body)


def _copy_rows(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the rows in binary form (several times faster than INSERTs)."""
    raw: Any = conn.connection.driver_connection
    statement = f"COPY log_chunks ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        copy.set_types(_PG_TYPES)
        for row in rows:
            copy.write_row(row)
