"""The log router: assigns ids, fans lines out to live subscribers and persists them.

``publish`` is cheap and thread-safe: it numbers the lines, queues the batch for the writer
thread and schedules its delivery on the event loop. Both happen under one lock, so the writer
and every subscriber see batches in id order. The writer persists what queued up in few
transactions; ``flush`` waits until everything published so far is durable.

The stored stream never drops a line. When the writer falls behind, ``congested`` tells the
readers of the busiest dynos to pause (the dyno then blocks on its full pipe) until
``when_drained`` calls them back. A live subscriber holds a bounded number of lines; one that
falls behind is told so and catches up from the store.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import deque
from collections.abc import Callable

from runoff.clock import Clock
from runoff.logs.model import HEROKU, LogBatch, StreamFilter, pack
from runoff.logs.store import LogStore

log = logging.getLogger(__name__)
_STOP = object()
HIGH_WATER_BYTES = 32 << 20  # queued for the writer: above this, busy dynos' readers pause
LOW_WATER_BYTES = 8 << 20  # ... and resume below this
BUSY_DYNO_BYTES = 1 << 20  # a dyno with this much queued counts as busy
WRITE_BYTES = 8 << 20  # at most this much per transaction
SUBSCRIBER_LINES = 20_000  # lines a live subscriber may hold before it must catch up


class Subscription:
    """A live feed of one app's batches that pass ``filter``, consumed on the event loop."""

    def __init__(self, app_id: str, flt: StreamFilter, limit_lines: int) -> None:
        self.app_id = app_id
        self.filter = flt
        self._limit = limit_lines
        self._batches: deque[LogBatch] = deque()
        self._lines = 0
        self._lagging = False
        self._ready = asyncio.Event()

    def put(self, batch: LogBatch) -> None:
        if self._lagging:
            return
        if self._lines + batch.count > self._limit:
            # the consumer fell behind: drop what is queued, it will read it from the store
            self._batches.clear()
            self._lines = 0
            self._lagging = True
        else:
            self._batches.append(batch)
            self._lines += batch.count
        self._ready.set()

    async def take(self, timeout: float) -> list[LogBatch] | None:
        """Everything queued, waiting up to ``timeout`` seconds for something (``[]`` if
        nothing came). None means lines were dropped since the last take: the caller must read
        them from the store (after a flush); queuing has resumed."""
        if not self._batches and not self._lagging:
            try:
                async with asyncio.timeout(timeout):  # no task per wait, unlike wait_for
                    await self._ready.wait()
            except TimeoutError:
                return []
        self._ready.clear()
        if self._lagging:
            self._lagging = False
            return None
        batches = list(self._batches)
        self._batches.clear()
        self._lines = 0
        return batches


ID_BLOCK = 1_000_000  # line ids reserved from the store at a time


class LogRouter:
    def __init__(
        self, store: LogStore, clock: Clock, subscriber_lines: int = SUBSCRIBER_LINES
    ) -> None:
        """``subscriber_lines``: how far a live subscriber may fall behind before it has to
        catch up from the store."""
        self._store = store
        self._subscriber_lines = subscriber_lines
        self._clock = clock
        self._lock = threading.Lock()
        self._next_id = store.reserve_ids(ID_BLOCK)
        self._block_end = self._next_id + ID_BLOCK  # first id past the reserved block
        self._written = self._next_id - 1
        self._written_cond = threading.Condition()
        self._failing = False  # the store refuses writes now; the writer retries
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._queued_bytes = 0
        self._queued_by_dyno: dict[tuple[str, str], int] = {}
        self._drained: list[Callable[[], None]] = []
        self._subscribers: dict[str, tuple[Subscription, ...]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._writer = threading.Thread(target=self._write_loop, name="log-writer", daemon=True)
        self._writer.start()
        self.listeners: list[Callable[[LogBatch], None]] = []
        """Called with every batch in id order, on the event loop; must be quick."""

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Deliver to subscribers and listeners on ``loop`` (call from its thread)."""
        self._loop = loop
        self._loop_thread = threading.get_ident()

    # publishing ------------------------------------------------------------------------------
    def publish(
        self, app_id: str, dyno: str, source: str, lines: list[bytes], at: int | None = None
    ) -> LogBatch | None:
        """Publish lines (long ones are split, embedded newlines end lines)."""
        if not lines:
            return None
        data, count = pack(lines)
        return self.publish_block(app_id, dyno, source, data, count, at)

    def publish_block(
        self, app_id: str, dyno: str, source: str, data: bytes, count: int, at: int | None = None
    ) -> LogBatch:
        """Publish ``count`` lines already joined by ``\\n`` (none longer than the maximum)."""
        key = (app_id, dyno)
        with self._lock:
            if self._next_id + count > self._block_end:
                # rare (once per ID_BLOCK lines): a short database write under the lock
                size = max(ID_BLOCK, count)
                self._next_id = self._store.reserve_ids(size)
                self._block_end = self._next_id + size
            batch = LogBatch(
                app_id, dyno, source, at or self._clock.now_us(), self._next_id, count, data
            )
            self._next_id += count
            self._queued_bytes += len(data)
            self._queued_by_dyno[key] = self._queued_by_dyno.get(key, 0) + len(data)
            # queue and schedule under the lock, so both see batches in id order
            self._queue.put(batch)
            self._schedule(batch)
        return batch

    def platform(self, app_id: str, dyno: str, *messages: str) -> None:
        """Publish platform (``heroku``) lines about ``dyno``."""
        self.publish(app_id, dyno, HEROKU, [m.encode() for m in messages])

    def _schedule(self, batch: LogBatch) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            self._deliver(batch)
        elif threading.get_ident() == self._loop_thread:
            loop.call_soon(self._deliver, batch)
        else:
            loop.call_soon_threadsafe(self._deliver, batch)

    def _deliver(self, batch: LogBatch) -> None:
        for listener in self.listeners:
            try:
                listener(batch)
            except Exception:
                log.exception("log listener %r failed", listener)
        for sub in self._subscribers.get(batch.app_id, ()):
            if sub.filter.wants(batch.dyno, batch.source):
                sub.put(batch)

    # subscribing -----------------------------------------------------------------------------
    def subscribe(self, app_id: str, flt: StreamFilter) -> Subscription:
        """A feed of every batch published from now on (call on the event loop)."""
        sub = Subscription(app_id, flt, self._subscriber_lines)
        self._subscribers[app_id] = (*self._subscribers.get(app_id, ()), sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        remaining = tuple(s for s in self._subscribers.get(sub.app_id, ()) if s is not sub)
        if remaining:
            self._subscribers[sub.app_id] = remaining
        else:
            self._subscribers.pop(sub.app_id, None)

    # backpressure ----------------------------------------------------------------------------
    def congested(self, app_id: str, dyno: str) -> bool:
        """True when the writer is behind and this dyno is one of those it is behind on."""
        return (
            self._queued_bytes > HIGH_WATER_BYTES
            and self._queued_by_dyno.get((app_id, dyno), 0) >= BUSY_DYNO_BYTES
        )

    def when_drained(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` on the event loop once the writer has caught up enough."""
        with self._lock:
            if self._queued_bytes > LOW_WATER_BYTES:
                self._drained.append(callback)
                return
        callback()

    def _written_batches(self, batches: list[LogBatch]) -> None:
        with self._lock:
            for batch in batches:
                key = (batch.app_id, batch.dyno)
                left = self._queued_by_dyno[key] - len(batch.data)
                if left:
                    self._queued_by_dyno[key] = left
                else:
                    del self._queued_by_dyno[key]
                self._queued_bytes -= len(batch.data)
            drained = []
            if self._drained and self._queued_bytes <= LOW_WATER_BYTES:
                drained, self._drained = self._drained, []
        loop = self._loop
        for callback in drained:
            if loop is None:
                callback()
            elif not loop.is_closed():
                loop.call_soon_threadsafe(callback)

    # durability ------------------------------------------------------------------------------
    def flush(self, timeout: float = 60.0) -> bool:
        """Block until every line published before the call is stored; False on timeout, or
        at once while the store refuses writes (a full disk, the database gone): readers then
        answer with what is stored instead of hanging, and the writer keeps retrying."""
        with self._lock:
            target = self._next_id - 1
        with self._written_cond:
            self._written_cond.wait_for(lambda: self._written >= target or self._failing, timeout)
            return self._written >= target

    async def aflush(self) -> bool:
        return await asyncio.to_thread(self.flush)

    @property
    def last_id(self) -> int:
        """The id of the last line published."""
        return self._next_id - 1

    def close(self) -> None:
        self._queue.put(_STOP)
        self._writer.join(timeout=60)

    def _write_loop(self) -> None:
        stop = False
        while not stop:
            item = self._queue.get()
            if item is _STOP:
                return
            batches = [item]
            size = len(item.data)  # type: ignore[attr-defined]
            while size < WRITE_BYTES:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                    break
                batches.append(more)
                size += len(more.data)  # type: ignore[attr-defined]
            self._write(batches)  # type: ignore[arg-type]

    def _write(self, batches: list[LogBatch]) -> None:
        for attempt in range(1, 1_000_000):
            try:
                self._store.append(batches)
                break
            except Exception:
                log.exception("storing %d log batches failed (attempt %d)", len(batches), attempt)
                with self._written_cond:
                    self._failing = True  # flushes stop waiting (see ``flush``)
                    self._written_cond.notify_all()
                threading.Event().wait(min(0.05 * attempt, 2.0))
        self._written_batches(batches)
        with self._written_cond:
            self._failing = False
            self._written = batches[-1].last_id
            self._written_cond.notify_all()
