"""The log router: assigns ids, fans lines out to live subscribers and persists them.

``publish`` is cheap and thread-safe: it numbers the lines, hands the batch to the writer
thread and to every subscriber. The writer persists batches in order, grouping what queued
up into one transaction. ``flush`` waits until everything published so far is durable.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable

from runoff.clock import Clock
from runoff.logs.model import HEROKU, LogBatch, StreamFilter, split_long
from runoff.logs.store import LogStore

log = logging.getLogger(__name__)
_STOP = object()


class Subscription:
    """A live feed of one app's batches that pass ``flt``, consumed on the event loop."""

    def __init__(self, app_id: str, flt: StreamFilter) -> None:
        self.app_id = app_id
        self.filter = flt
        self.queue: asyncio.Queue[LogBatch] = asyncio.Queue()


class LogRouter:
    def __init__(self, store: LogStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._lock = threading.Lock()
        self._next_id = store.max_id() + 1
        self._written = self._next_id - 1
        self._written_cond = threading.Condition()
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._subscribers: list[Subscription] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer = threading.Thread(target=self._write_loop, name="log-writer", daemon=True)
        self._writer.start()
        self.listeners: list[Callable[[LogBatch], None]] = []

    def attach_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    # publishing ------------------------------------------------------------------------------
    def publish(
        self, app_id: str, dyno: str, source: str, lines: list[bytes], at: int | None = None
    ) -> LogBatch | None:
        if not lines:
            return None
        if any(len(line) > 10_000 for line in lines):
            lines = [part for line in lines for part in split_long(line)]
        with self._lock:
            first_id = self._next_id
            self._next_id += len(lines)
            batch = LogBatch(app_id, dyno, source, at or self._clock.now_us(), first_id, lines)
            # enqueue under the lock so the writer sees batches in id order
            self._queue.put(batch)
        self._fan_out(batch)
        return batch

    def platform(self, app_id: str, dyno: str, *messages: str) -> None:
        """Publish platform (``heroku``) lines about ``dyno``."""
        self.publish(app_id, dyno, HEROKU, [m.encode() for m in messages])

    def _fan_out(self, batch: LogBatch) -> None:
        for listener in self.listeners:
            listener(batch)
        subscribers = [
            s
            for s in self._subscribers
            if s.app_id == batch.app_id and s.filter.wants(batch.dyno, batch.source)
        ]
        if not subscribers or self._loop is None:
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for sub in subscribers:
            if running is self._loop:
                sub.queue.put_nowait(batch)
            else:
                self._loop.call_soon_threadsafe(sub.queue.put_nowait, batch)

    # subscribing -----------------------------------------------------------------------------
    def subscribe(self, app_id: str, flt: StreamFilter) -> Subscription:
        sub = Subscription(app_id, flt)
        self._subscribers = [*self._subscribers, sub]
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subscribers = [s for s in self._subscribers if s is not sub]

    # durability ------------------------------------------------------------------------------
    def flush(self, timeout: float = 30.0) -> bool:
        """Block until every line published before the call is stored; False on timeout."""
        with self._lock:
            target = self._next_id - 1
        with self._written_cond:
            return self._written_cond.wait_for(lambda: self._written >= target, timeout)

    async def aflush(self) -> bool:
        return await asyncio.to_thread(self.flush)

    def close(self) -> None:
        self._queue.put(_STOP)
        self._writer.join(timeout=30)

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()
            stop = item is _STOP
            batches = [] if stop else [item]
            while not stop and len(batches) < 2000:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is _STOP:
                    stop = True
                else:
                    batches.append(more)
            if batches:
                self._write(batches)  # type: ignore[arg-type]
            if stop:
                return

    def _write(self, batches: list[LogBatch]) -> None:
        for attempt in range(1, 1_000_000):
            try:
                self._store.append(batches)
                break
            except Exception:
                log.exception("storing %d log batches failed (attempt %d)", len(batches), attempt)
                threading.Event().wait(min(0.05 * attempt, 2.0))
        last = batches[-1]
        with self._written_cond:
            self._written = last.first_id + len(last.lines) - 1
            self._written_cond.notify_all()
