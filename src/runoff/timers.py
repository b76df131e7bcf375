"""Callbacks at moments of a ``Clock``, run on the event loop.

Every platform deadline that is about the calendar (daily cycling, TTLs, scheduler slots,
crash cool-downs) goes through one ``Timers`` so that tests can drive it with a ``FakeClock``:
advancing the fake clock fires every timer that has come due, in order, so a simulated day
takes milliseconds. With the system clock a timer fires when the wall clock reaches its
moment; the loop re-checks at least every ``MAX_WAIT_SECONDS`` so a wall-clock jump is noticed.

Deadlines about processes rather than the calendar (the SIGTERM grace period, draining
output) stay on the event loop's own monotonic time.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import inspect
import itertools
import logging
import threading
from collections.abc import Callable

from runoff.clock import US_PER_SECOND, Clock, FakeClock

log = logging.getLogger(__name__)
MAX_WAIT_SECONDS = 30.0


class Timer:
    """A pending callback; ``cancel`` is idempotent and safe from any thread."""

    __slots__ = ("callback", "cancelled", "when_us")

    def __init__(self, when_us: int, callback: Callable[[], object]) -> None:
        self.when_us = when_us
        self.callback = callback
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Timers:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[tuple[int, int, Timer]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Begin firing on ``loop`` (timers added before this wait until now)."""
        self._loop = loop
        if isinstance(self.clock, FakeClock):
            self.clock.watch(self._clock_moved)
        self._wake()

    def stop(self) -> None:
        """Fire nothing more; pending timers are dropped."""
        if isinstance(self.clock, FakeClock):
            self.clock.unwatch(self._clock_moved)
        if self._handle is not None:
            self._handle.cancel()
        with self._lock:
            self._heap.clear()
        self._loop = None

    def at(self, when_us: int, callback: Callable[[], object]) -> Timer:
        """Run ``callback`` on the loop once the clock reads ``when_us`` or later.

        Callable from any thread. A callback returning a coroutine has it run as a task.
        """
        timer = Timer(when_us, callback)
        with self._lock:
            first = not self._heap or when_us < self._heap[0][0]
            heapq.heappush(self._heap, (when_us, next(self._seq), timer))
        if first:
            self._wake()
        return timer

    def after(self, seconds: float, callback: Callable[[], object]) -> Timer:
        return self.at(self.clock.now_us() + int(seconds * US_PER_SECOND), callback)

    # internals -------------------------------------------------------------------------------
    def _clock_moved(self) -> None:
        self._wake()

    def _wake(self) -> None:
        loop = self._loop
        if loop is None:
            return
        with contextlib.suppress(RuntimeError):  # a closed loop: the server is gone
            loop.call_soon_threadsafe(self._fire_due)

    def _fire_due(self) -> None:
        if self._loop is None:
            return
        now = self.clock.now_us()
        due: list[Timer] = []
        with self._lock:
            while self._heap and (self._heap[0][2].cancelled or self._heap[0][0] <= now):
                timer = heapq.heappop(self._heap)[2]
                if not timer.cancelled:
                    due.append(timer)
        for timer in due:
            self._run(timer)
        self._arm()

    def _run(self, timer: Timer) -> None:
        try:
            result = timer.callback()
        except Exception:
            log.exception("timer callback %r failed", timer.callback)
            return
        if inspect.iscoroutine(result) and self._loop is not None:
            task = self._loop.create_task(result)
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("timer task failed", exc_info=task.exception())

    def _arm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
        loop = self._loop
        with self._lock:
            if not self._heap or loop is None:
                return
            when = self._heap[0][0]
        delay = max(0.0, (when - self.clock.now_us()) / US_PER_SECOND)
        self._handle = loop.call_later(min(delay, MAX_WAIT_SECONDS), self._fire_due)
