"""Evaluating monitors as runs start and end, once per change across all servers.

The metrics recorder publishes every recorded start and end of a run (``RunChange``); the
engine queues them and evaluates them in its own thread. Each change is evaluated in one
transaction that first inserts a ``monitor_marks`` row keyed by (dyno, change): a change
already marked (by this server or another) is skipped, so it counts once even with several
servers or a replay, and a crash before commit leaves it unmarked. A sweep every
``SWEEP_SECONDS`` evaluates recorded changes of the last ``SWEEP_WINDOW_SECONDS`` that no
server marked (published by another server that died, or missed while this one was down).

An execution-time monitor counts each matching run once, as soon as its outcome is known:
when the sweep finds it still running past the threshold (the condition holds, and a stuck
run alerts while it is stuck), or when it ends (it holds if it ran too long and was not found
running so). A ``monitor_runs`` row per (monitor, run), inserted by whichever comes first,
makes the count exactly once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, and_, delete, func, select

from runoff.clock import US_PER_SECOND, Clock
from runoff.dynos.model import Dyno
from runoff.dynos.store import DynoStore
from runoff.logs.model import LogLine
from runoff.logs.store import LogStore
from runoff.metrics.model import RunChange
from runoff.monitors import store
from runoff.monitors.describe import log_excerpt
from runoff.monitors.describe_change import Change, ChangeDescriber
from runoff.monitors.evaluate import (
    counts_change,
    is_monitored,
    observe_concurrency,
    observe_run,
    observe_running,
    step,
)
from runoff.monitors.model import Monitor, MonitorType
from runoff.monitors.store import StaleMonitor
from runoff.store.rows import insert_new
from runoff.store.schema import (
    addons,
    dynos,
    metrics_runs,
    monitor_marks,
    monitor_runs,
    monitors,
)

log = logging.getLogger(__name__)
SWEEP_SECONDS = 2.0
SWEEP_WINDOW_SECONDS = 3600
MARKS_KEPT_SECONDS = 2 * SWEEP_WINDOW_SECONDS
PRUNE_SECONDS = 300.0  # how often marks and counted runs past keeping are deleted
RETRIES = 10


def _count_run(conn: Connection, monitor_id: str, addon_id: str, dyno_id: str, at: int) -> bool:
    """Record that execution-time monitor ``monitor_id`` counted the run; False if it had."""
    row = {"monitor_id": monitor_id, "dyno_id": dyno_id, "addon_id": addon_id, "at": at}
    return insert_new(conn, monitor_runs, [row]) == 1


@dataclass(frozen=True)
class Seen:
    """A change to evaluate, with what was read for it before the write transaction."""

    dyno: Dyno
    change: Change
    addon_id: str
    running: list[Dyno]  # monitored runs running then (recorded by the add-on)
    log_lines: list[LogLine]  # the run's last lines, if it ended


class MonitorEngine:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        dynos: DynoStore,
        logs: LogStore,
        describer: ChangeDescriber,
        on_flip: Callable[[], None],
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._dynos = dynos
        self._logs = logs
        self._describer = describer
        self._on_flip = on_flip
        self._queue: queue.Queue[tuple[str, str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._last_sweep = 0.0
        self._last_prune = time.monotonic()
        self._watched: frozenset[str] = frozenset()  # add-ons with enabled monitors

    # input -----------------------------------------------------------------------------------
    def on_run_change(self, change: RunChange) -> None:
        """A metrics recorder subscriber: queue the change (quick; runs in its thread) if an
        enabled monitor watches its add-on."""
        if change.run.addon_id in self._watched:
            self._queue.put((change.run.dyno_id, change.change.value))

    def refresh_watched(self) -> None:
        """Read which add-ons have enabled monitors: called when a monitor changes here, and
        at every sweep (for changes made by other servers; the sweep evaluates what was
        skipped meanwhile)."""
        query = select(monitors.c.addon_id).where(monitors.c.state != "disabled").distinct()
        with self._engine.connect() as conn:
            self._watched = frozenset(conn.execute(query).scalars())

    # the thread ------------------------------------------------------------------------------
    def start(self) -> None:
        self.refresh_watched()
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
                    self.refresh_watched()
                    self.sweep()
                    self.overruns()
                if time.monotonic() - self._last_prune >= PRUNE_SECONDS:
                    self._last_prune = time.monotonic()
                    self.prune()
            except Exception:
                log.exception("monitor evaluation failed; the sweep will retry it")

    # evaluation ------------------------------------------------------------------------------
    def evaluate(self, dyno_id: str, change: str) -> int:
        """Evaluate one recorded change (``started``/``ended``) of a run once; returns the
        number of notified flips it made (0 if another server or pass did it)."""
        seen = self._prefetch(self._dynos.get(dyno_id), Change(change))
        if seen is None:
            return 0
        for _ in range(RETRIES):
            try:
                with self._engine.begin() as conn:
                    made = self._evaluate(conn, seen)
                break
            except StaleMonitor:
                continue
        else:
            raise StaleMonitor(f"gave up evaluating {dyno_id} after {RETRIES} conflicts")
        if made:
            self._on_flip()
        return made

    def _prefetch(self, dyno: Dyno, change: Change) -> Seen | None:
        """What evaluating may need, read before the write transaction (on SQLite a second
        connection inside it would wait for the lock it holds); None if nothing watches."""
        if not is_monitored(dyno):
            return None
        with self._engine.connect() as conn:
            addon = conn.execute(
                select(addons.c.id, addons.c.created_at)
                .join(metrics_runs, metrics_runs.c.addon_id == addons.c.id)
                .where(metrics_runs.c.dyno_id == dyno.id)
            ).first()
            if addon is None:
                return None
            marked = conn.execute(
                select(monitor_marks.c.dyno_id).where(
                    monitor_marks.c.dyno_id == dyno.id, monitor_marks.c.change == change.value
                )
            ).first()
            watching = [] if marked else store.enabled(conn, addon.id)
        if not watching:
            return None  # evaluated already, or nothing watches
        # Read only what a watching monitor will look at: the runs running for concurrency
        # monitors, the run's last log lines for monitors that count this run's end.
        running: list[Dyno] = []
        if any(counts_change(m, dyno) for m in watching):
            running = [
                d
                for d in self._dynos.running(dyno.app_id)
                if is_monitored(d) and d.created_at >= addon.created_at
            ]
        ended = change is Change.ENDED
        read_logs = ended and any(observe_run(m, dyno) is not None for m in watching)
        lines = log_excerpt(self._logs, dyno) if read_logs else []
        return Seen(dyno, change, addon.id, running, lines)

    def _evaluate(self, conn: Connection, seen: Seen) -> int:
        dyno, change = seen.dyno, seen.change
        at = dyno.ended_at if change is Change.ENDED else dyno.created_at
        assert at is not None
        mark = {"dyno_id": dyno.id, "change": change.value, "addon_id": seen.addon_id, "at": at}
        if not insert_new(conn, monitor_marks, [mark]):
            return 0
        made = 0
        for monitor in store.active(conn, seen.addon_id):
            if at < monitor.counting_since:
                continue  # before the monitor existed, was enabled, or was last changed
            subjects = [dyno]
            count = None
            if change is Change.ENDED and monitor.type.counts_runs:
                holds = observe_run(monitor, dyno)
                timed = monitor.type is MonitorType.COMMAND_EXECUTION_TIME
                if (
                    timed
                    and holds is not None
                    and not _count_run(conn, monitor.id, seen.addon_id, dyno.id, at)
                ):
                    continue  # counted while it ran past the threshold
            elif not monitor.type.counts_runs and counts_change(monitor, dyno):
                subjects = [d for d in seen.running if counts_change(monitor, d)]
                count = len(subjects)
                holds = observe_concurrency(monitor, count)
            else:
                continue
            if holds is not None:
                made += self._apply(conn, monitor, seen, holds, subjects, count)
        return made

    def _apply(
        self,
        conn: Connection,
        monitor: Monitor,
        seen: Seen,
        holds: bool,
        subjects: list[Dyno],
        count: int | None,
    ) -> int:
        now = self._clock.now_us()
        result = step(monitor.rules, monitor.progress, holds, now)
        detail = None
        if result.flip is not None:
            lines = seen.log_lines if count is None else []
            detail = self._describer.describe(
                conn, monitor, result, seen.dyno, subjects, count, lines, now
            )
        store.apply_step(conn, monitor, seen.addon_id, result, now, detail)
        return 1 if result.flip is not None and result.flip.notified else 0

    # runs past an execution-time threshold -------------------------------------------------
    def overruns(self) -> int:
        """Count, once per monitor, each running run that is past the threshold of an
        execution-time monitor; returns how many it found not counted yet."""
        now = self._clock.now_us()
        query = (
            select(
                monitors, addons.c.app_id.label("addon_app_id"), addons.c.created_at.label("since")
            )
            .join(addons, addons.c.id == monitors.c.addon_id)
            .where(
                monitors.c.type == MonitorType.COMMAND_EXECUTION_TIME.value,
                monitors.c.state != "disabled",
            )
        )
        with self._engine.connect() as conn:
            watching = [
                (store.from_row(row), row.addon_id, row.addon_app_id, row.since)
                for row in conn.execute(query)
            ]
            if not watching:
                return 0
            counted = {
                (row.monitor_id, row.dyno_id)
                for row in conn.execute(
                    select(monitor_runs.c.monitor_id, monitor_runs.c.dyno_id)
                    .join(dynos, dynos.c.id == monitor_runs.c.dyno_id)
                    .where(dynos.c.ended_at.is_(None))
                )
            }
        running: dict[str, list[Dyno]] = {}
        for dyno in self._dynos.running():  # one query for every app
            running.setdefault(dyno.app_id, []).append(dyno)
        made = found = 0
        for monitor, addon_id, app_id, since in watching:
            for dyno in running.get(app_id, []):
                if (
                    (monitor.id, dyno.id) in counted
                    or dyno.created_at < since  # before the add-on: not recorded
                    or not observe_running(monitor, dyno, now)
                ):
                    continue
                found += 1
                made += self._overran(monitor.id, addon_id, dyno)
        if made:
            self._on_flip()
        return found

    def _overran(self, monitor_id: str, addon_id: str, dyno: Dyno) -> int:
        """Count ``dyno``, still running past the threshold, for the monitor (once); the
        monitor is read again in the transaction, as it may have changed since."""
        seen = Seen(dyno, Change.STARTED, addon_id, [], log_excerpt(self._logs, dyno))
        for _ in range(RETRIES):
            try:
                with self._engine.begin() as conn:
                    monitor = next(
                        (m for m in store.active(conn, addon_id) if m.id == monitor_id), None
                    )
                    now = self._clock.now_us()
                    if (
                        monitor is None
                        or not observe_running(monitor, dyno, now)
                        or not _count_run(conn, monitor.id, addon_id, dyno.id, now)
                    ):
                        return 0
                    return self._apply(conn, monitor, seen, True, [dyno], None)
            except StaleMonitor:
                continue
        raise StaleMonitor(f"gave up counting {dyno.id} for {monitor_id} after {RETRIES} conflicts")

    # catching up -----------------------------------------------------------------------------
    def sweep(self) -> int:
        """Evaluate recent recorded changes no server has marked; returns how many."""
        now = self._clock.now_us()
        since = now - SWEEP_WINDOW_SECONDS * US_PER_SECOND
        watched = select(monitors.c.addon_id).where(monitors.c.state != "disabled")
        # Changes older than every enabled monitor of their add-on count for none of them.
        counting = (
            select(func.min(monitors.c.counting_since))
            .where(monitors.c.addon_id == metrics_runs.c.addon_id, monitors.c.state != "disabled")
            .scalar_subquery()
        )
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
                        column >= counting,
                    )
                    .order_by(column)
                    .limit(500)
                )
                found += [(row.dyno_id, change.value) for row in conn.execute(query)]
        found.sort(key=lambda item: item[1] == Change.ENDED.value)
        for dyno_id, change_name in found:
            self.evaluate(dyno_id, change_name)
        return len(found)

    def prune(self) -> None:
        """Forget marks no sweep looks at any more, and the counted runs that ended as long
        ago (a run still running keeps its row, or its end would count it again)."""
        cutoff = self._clock.now_us() - MARKS_KEPT_SECONDS * US_PER_SECOND
        ended_long_ago = (
            select(dynos.c.id)
            .where(dynos.c.id == monitor_runs.c.dyno_id, dynos.c.ended_at < cutoff)
            .exists()
        )
        with self._engine.begin() as conn:
            conn.execute(delete(monitor_marks).where(monitor_marks.c.at < cutoff))
            conn.execute(delete(monitor_runs).where(monitor_runs.c.at < cutoff, ended_long_ago))
