"""Evaluating monitors as runs start and end, once per change across all servers.

The metrics recorder publishes every recorded start and end of a run (``RunChange``); the
engine queues them and evaluates them in its own thread. Each change is evaluated in one
transaction that first inserts a ``monitor_marks`` row keyed by (dyno, change): a change
already marked (by this server or another) is skipped, so it counts once even with several
servers or a replay, and a crash before commit leaves it unmarked. A sweep every
``SWEEP_SECONDS`` evaluates recorded changes of the last ``SWEEP_WINDOW_SECONDS`` that no
server marked (published by another server that died, or missed while this one was down).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, and_, delete, select

from runoff.clock import US_PER_SECOND, Clock
from runoff.dynos.model import Dyno
from runoff.dynos.store import DynoStore
from runoff.metrics.model import RunChange
from runoff.metrics.store import insert_ignoring_duplicates
from runoff.monitors import store
from runoff.monitors.describe_change import Change, ChangeDescriber
from runoff.monitors.evaluate import (
    counts_change,
    is_monitored,
    observe_concurrency,
    observe_run,
    step,
)
from runoff.monitors.model import Monitor
from runoff.monitors.store import StaleMonitor
from runoff.store.schema import addons, metrics_runs, monitor_marks, monitors

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
SWEEP_WINDOW_SECONDS = 3600
MARKS_KEPT_SECONDS = 2 * SWEEP_WINDOW_SECONDS
RETRIES = 10


class MonitorEngine:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        dynos: DynoStore,
        describer: ChangeDescriber,
        on_flip: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._dynos = dynos
        self._describer = describer
        self._on_flip = on_flip
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_sweep = 0.0

    # input -----------------------------------------------------------------------------------
    def on_run_change(self, change: RunChange) -> None:
        """A metrics recorder subscriber: queue the change (quick; runs in its thread)."""
        self._queue.put((change.run.dyno_id, change.change.value))

    # the thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="monitors", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Evaluate what is queued, then stop."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None

    def _loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                item = ("", "")
            if item is None:
                return
            try:
                if item[0]:
                    self.evaluate(*item)
                if time.monotonic() - self._last_sweep >= SWEEP_SECONDS:
                    self._last_sweep = time.monotonic()
                    self.sweep()
            except Exception:
                log.exception("monitor evaluation failed; the sweep will retry it")

    # evaluation ------------------------------------------------------------------------------
    def evaluate(self, dyno_id: str, change: str) -> int:
        """Evaluate one recorded change (``started``/``ended``) of a run once; returns the
        number of notified flips it made (0 if another server or pass did it)."""
        dyno = self._dynos.get(dyno_id)
        for _ in range(RETRIES):
            try:
                with self._engine.begin() as conn:
                    made = self._evaluate(conn, dyno, Change(change))
                break
            except StaleMonitor:
                continue
        else:
            raise StaleMonitor(f"gave up evaluating {dyno_id} after {RETRIES} conflicts")
        if made:
            self._on_flip()
        return made

    def _evaluate(self, conn: Connection, dyno: Dyno, change: Change) -> int:
        addon = conn.execute(
            select(addons.c.id, addons.c.created_at)
            .join(metrics_runs, metrics_runs.c.addon_id == addons.c.id)
            .where(metrics_runs.c.dyno_id == dyno.id)
        ).first()
        if addon is None or not is_monitored(dyno):
            return 0
        at = dyno.ended_at if change is Change.ENDED else dyno.created_at
        assert at is not None
        mark = {"dyno_id": dyno.id, "change": change.value, "addon_id": addon.id, "at": at}
        if not insert_ignoring_duplicates(conn, monitor_marks, [mark]):
            return 0
        running: list[Dyno] | None = None
        made = 0
        for monitor in store.active(conn, addon.id):
            if at < monitor.created_at:
                continue  # the change happened before the monitor existed
            if change is Change.ENDED and monitor.type.counts_runs:
                holds = observe_run(monitor, dyno)
                count = None
            elif not monitor.type.counts_runs and counts_change(monitor, dyno):
                if running is None:
                    running = self._running(dyno.app_id, addon.created_at)
                matching = [d for d in running if counts_change(monitor, d)]
                count = len(matching)
                holds = observe_concurrency(monitor, count)
            else:
                continue
            if holds is None:
                continue
            made += self._apply(conn, monitor, addon.id, dyno, holds, count, running)
        return made

    def _running(self, app_id: str, since: int) -> list[Dyno]:
        return [d for d in self._dynos.running(app_id) if is_monitored(d) and d.created_at >= since]

    def _apply(
        self,
        conn: Connection,
        monitor: Monitor,
        addon_id: str,
        dyno: Dyno,
        holds: bool,
        count: int | None,
        running: list[Dyno] | None,
    ) -> int:
        now = self._clock.now_us()
        result = step(monitor.rules, monitor.progress, holds, now)
        detail = None
        if result.flip is not None:
            subjects = (
                [dyno] if count is None else [d for d in running or [] if counts_change(monitor, d)]
            )
            detail = self._describer.describe(conn, monitor, result, dyno, subjects, count, now)
        store.apply_step(conn, monitor, addon_id, result, now, detail)
        return 1 if result.flip is not None and result.flip.notified else 0

    # catching up -----------------------------------------------------------------------------
    def sweep(self) -> int:
        """Evaluate recent recorded changes no server has marked; returns how many."""
        now = self._clock.now_us()
        since = now - SWEEP_WINDOW_SECONDS * US_PER_SECOND
        watched = select(monitors.c.addon_id).where(monitors.c.state != "disabled")
        found: list[tuple[str, str]] = []
        with self._engine.connect() as conn:
            for change, column in (
                (Change.STARTED, metrics_runs.c.created_at),
                (Change.ENDED, metrics_runs.c.ended_at),
            ):
                marked = and_(
                    monitor_marks.c.dyno_id == metrics_runs.c.dyno_id,
                    monitor_marks.c.change == change.value,
                )
                query = (
                    select(metrics_runs.c.dyno_id)
                    .outerjoin(monitor_marks, marked)
                    .where(
                        monitor_marks.c.dyno_id.is_(None),
                        column >= since,
                        metrics_runs.c.addon_id.in_(watched),
                    )
                    .order_by(column)
                    .limit(500)
                )
                found += [(row.dyno_id, change.value) for row in conn.execute(query)]
        found.sort(key=lambda item: item[1] == Change.ENDED.value)
        for dyno_id, change_name in found:
            self.evaluate(dyno_id, change_name)
        self._prune(now)
        return len(found)

    def _prune(self, now: int) -> None:
        cutoff = now - MARKS_KEPT_SECONDS * US_PER_SECOND
        with self._engine.begin() as conn:
            conn.execute(delete(monitor_marks).where(monitor_marks.c.at < cutoff))
