"""Daily cycling: every dyno is stopped once a day, with per-dyno jitter.

A dyno is cycled 24 hours after it came up plus a random 0–216 minutes, drawn once per dyno so
an app's dynos do not all restart together. Formation dynos come back at once (the formation
manager starts their successor, whose own 24 hours start then); one-offs end — 24 hours is
their maximum. Because the period starts when a dyno comes up, anything that replaces dynos
(``ps:restart``, a new release, a scale) resets it. The log lines are Heroku's: ``Cycling``,
``State changed from up to starting`` (or ``complete`` for a one-off), ``Stopping all processes
with SIGTERM``, ``Process exited with status 143``.

Timers run on the platform clock (``runoff.timers``), so tests advance a fake clock by a day.
"""

from __future__ import annotations

import random
import threading

from runoff.clock import US_PER_SECOND
from runoff.dynos.lifecycle import DynoLifecycle
from runoff.dynos.model import Dyno, DynoEvent, Event, StopReason
from runoff.dynos.store import DynoStore
from runoff.timers import Timer, Timers

PERIOD_SECONDS = 24 * 3600
JITTER_SECONDS = 216 * 60


class Cycler:
    def __init__(
        self,
        *,
        store: DynoStore,
        lifecycle: DynoLifecycle,
        timers: Timers,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._lifecycle = lifecycle
        self._timers = timers
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self._due: dict[str, Timer] = {}

    def start(self) -> None:
        self._store.listeners.append(self._on_event)

    def stop(self) -> None:
        if self._on_event in self._store.listeners:
            self._store.listeners.remove(self._on_event)
        with self._lock:
            for timer in self._due.values():
                timer.cancel()
            self._due.clear()

    def due_at(self, dyno_id: str) -> int | None:
        """When the dyno will be cycled (µs), or None if no cycle is pending for it."""
        with self._lock:
            timer = self._due.get(dyno_id)
        return timer.when_us if timer is not None else None

    def _on_event(self, dyno: Dyno, event: DynoEvent) -> None:
        """Store listener (any thread): arm the cycle when a dyno comes up, drop it at its end."""
        if event.event is Event.UP:
            with self._lock:
                jitter = self._rng.uniform(0, JITTER_SECONDS)
            when = event.at + int((PERIOD_SECONDS + jitter) * US_PER_SECOND)
            dyno_id = dyno.id
            timer = self._timers.at(
                when, lambda: self._lifecycle.stop_by_id(dyno_id, StopReason.CYCLING)
            )
            with self._lock:
                self._due[dyno_id] = timer
        elif event.event is Event.EXITED:
            with self._lock:
                found = self._due.pop(dyno.id, None)
            if found is not None:
                found.cancel()
