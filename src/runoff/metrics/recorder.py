"""Recording runs by following the dyno lifecycle events (``dyno_events``).

The recorder reads events past a durable cursor, applies those of detached one-off dynos of
apps with the add-on, and moves the cursor in the same transaction, so a crash loses nothing
(the next start catches up) and replaying an event changes nothing. ``DynoStore`` listeners
only wake it (and it gathers events for 0.1 s before a pass), so dyno start pays
next to nothing for metrics; it also polls, for events committed by other servers.
Subscribers (``subscribe``) hear of every run that started or ended, after the recording
commits, in the recorder's thread.

On PostgreSQL, event ids can commit out of order; an id missing below ones already seen is
waited for up to GAP_GRACE_SECONDS before the cursor passes it (deleted apps leave gaps too).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from runoff.background import Loop
from runoff.clock import Clock
from runoff.dynos.model import Dyno, DynoEvent, Event, Outcome
from runoff.metrics import concurrency, rollups, store
from runoff.metrics.model import Addon, Change, Run, RunChange, RunState, state_for
from runoff.metrics.plans import SERVICE
from runoff.store.rows import insert_new
from runoff.store.schema import addons, dyno_events, dynos, metrics_cursor

log = logging.getLogger(__name__)
# Events per transaction. Each event costs next to nothing in it (the run rows of a batch are
# read, inserted and updated by one statement each), so a transaction stays a few ms long.
BATCH = 20
POLL_SECONDS = 1.0
BATCH_DELAY_SECONDS = 0.1  # one pass per burst of events; alerts wait on it (P6)
HOUSEKEEPING_SECONDS = 300.0
GAP_GRACE_SECONDS = 30.0
CURSOR = "recorder"
Subscriber = Callable[[RunChange], None]


@dataclass
class _Pending:
    """What one pass applies: the rows read, and what they changed."""

    rows: list[Any]
    changes: list[RunChange] = field(default_factory=list)
    ended: dict[str, list[rollups.EndedRun]] = field(default_factory=dict)
    touched: dict[str, int] = field(default_factory=dict)  # add-on -> earliest run start
    starts: list[tuple[Run, int]] = field(default_factory=list)  # new runs, with their series
    ups: dict[str, int] = field(default_factory=dict)  # dyno id -> when it came up
    ends: list[tuple[str, int, RunState, int | None]] = field(default_factory=list)


def _events_after(conn: Connection, position: int) -> list[Any]:
    query = (
        select(
            dyno_events,
            dynos.c.name,
            dynos.c.type,
            dynos.c.command,
            dynos.c.size,
            dynos.c.attach,
            dynos.c.one_off,
            dynos.c.created_at.label("dyno_created_at"),
            dynos.c.up_at,
        )
        .join(dynos, dynos.c.id == dyno_events.c.dyno_id)
        .where(dyno_events.c.id > position)
        .order_by(dyno_events.c.id)
        .limit(BATCH)
    )
    return list(conn.execute(query))


class Recorder:
    def __init__(
        self, engine: Engine, clock: Clock, housekeeping: Callable[[], None] | None = None
    ) -> None:
        """``housekeeping`` runs in the recorder's thread every HOUSEKEEPING_SECONDS (and
        first right after the catch-up at start): pruning, keeping peaks warm."""
        self._engine = engine
        self._clock = clock
        self._housekeeping = housekeeping
        self._subscribers: list[Subscriber] = []
        self._loop = Loop(
            "metrics-recorder",
            self._pass,
            poll_seconds=POLL_SECONDS,
            # one pass per burst rather than one per dyno event keeps the recorder's
            # transactions (and the GIL) out of dyno starts
            settle_seconds=BATCH_DELAY_SECONDS,
            final_pass=True,  # a graceful shutdown's ends get recorded
        )
        self._lock = threading.Lock()  # one pass at a time in this process
        self._seen: set[int] = set()  # ids above the cursor already applied
        self._gaps: dict[int, float] = {}  # missing id -> when first noticed (monotonic)
        # (add-on, series key) -> series id; an add-on's series live as long as it does.
        self._series: dict[tuple[str, str], int] = {}
        self._last_housekeeping = -HOUSEKEEPING_SECONDS

    # subscription ----------------------------------------------------------------------------
    def subscribe(self, subscriber: Subscriber) -> None:
        """Call ``subscriber(RunChange)`` after each recorded start and end; it runs in the
        recorder's thread and must be quick (hand work off to a queue)."""
        self._subscribers.append(subscriber)

    def on_dyno_event(self, _dyno: Dyno, _event: DynoEvent) -> None:
        """A ``DynoStore`` listener: only wakes the recorder."""
        self._loop.wake()

    # the background thread -------------------------------------------------------------------
    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        """Stop the thread after a last pass (so a graceful shutdown's ends are recorded)."""
        self._loop.stop()

    def _pass(self) -> None:
        while self.sync() >= BATCH:
            self._loop.pause(0.005)  # let waiting writers (dyno starts) in between
        due = time.monotonic() - self._last_housekeeping > HOUSEKEEPING_SECONDS
        if due and self._housekeeping is not None and not self._loop.stopping:
            self._last_housekeeping = time.monotonic()
            self._housekeeping()

    # one pass --------------------------------------------------------------------------------
    def sync(self) -> int:
        """Apply the events recorded since the cursor; returns how many were read."""
        with self._lock:
            try:
                with self._engine.begin() as conn:
                    position = self._position(conn)
                    pending = _Pending(_events_after(conn, position))
                    if pending.rows:
                        self._apply(conn, pending)
                        self._advance(conn, position, [row.id for row in pending.rows])
            except BaseException:
                # What this pass marked as seen was rolled back: forget it (replay is harmless).
                self._seen.clear()
                self._series.clear()
                raise
            for change in pending.changes:
                self._publish(change)
            return len(pending.rows)

    def _position(self, conn: Connection) -> int:
        row = conn.execute(
            select(metrics_cursor.c.position)
            .where(metrics_cursor.c.name == CURSOR)
            .with_for_update()
        ).first()
        if row is None:
            insert_new(conn, metrics_cursor, [{"name": CURSOR, "position": 0}])
            return 0
        return int(row.position)

    def _advance(self, conn: Connection, position: int, ids: list[int]) -> None:
        self._seen.update(ids)
        top = max(self._seen)
        now = time.monotonic()
        while position < top:
            following = position + 1
            if following in self._seen:
                self._seen.discard(following)
            elif now - self._gaps.setdefault(following, now) < GAP_GRACE_SECONDS:
                break
            else:
                self._gaps.pop(following, None)
            position = following
        conn.execute(
            update(metrics_cursor).where(metrics_cursor.c.name == CURSOR).values(position=position)
        )

    def _apply(self, conn: Connection, pending: _Pending) -> None:
        recording = self._addons(conn, {row.app_id for row in pending.rows})
        wanted = []
        for row in pending.rows:
            if row.id in self._seen or not row.one_off or row.attach:
                continue
            addon = recording.get(row.app_id)
            if addon is not None and row.dyno_created_at >= addon.created_at:
                wanted.append((row, addon))
        known = store.recorded(conn, {row.dyno_id for row, _ in wanted})
        copies = []
        for row, addon in wanted:
            series_id = self._apply_event(conn, addon, row, pending, known)
            forced = row.detail == Outcome.TIMED_OUT.value
            copies.append(
                {
                    "id": row.id,
                    "addon_id": addon.id,
                    "dyno_id": row.dyno_id,
                    "event": row.event,
                    "at": row.at,
                    # As on the run: a forced exit is the null class, whatever the signal.
                    "exit_status": None if forced else row.exit_status,
                    "detail": row.detail,
                    "series_id": series_id,
                    "name": row.name,
                    "state": RunState.RUNNING.value,
                }
            )
        store.start_runs(conn, pending.starts)
        store.mark_up(conn, pending.ups)
        store.end_runs(conn, pending.ends)
        final = {
            c.run.dyno_id: c.run.state.value for c in pending.changes if c.change is Change.ENDED
        }
        store.copy_events(conn, copies, final)
        now = self._clock.now_us()
        for addon_id, ended in pending.ended.items():
            rollups.apply(conn, addon_id, rollups.contributions(ended, now))
        for addon_id, since in pending.touched.items():
            concurrency.forget_from(conn, addon_id, since)

    def _apply_event(
        self,
        conn: Connection,
        addon: Addon,
        row: Any,
        pending: _Pending,
        known: dict[str, store.Recorded],
    ) -> int:
        """Apply one event to the run it belongs to (``known``: the batch's recorded runs,
        kept current), adding to what ``pending`` writes; returns the run's series id."""
        run = _run(addon, row)
        earliest = pending.touched.get(addon.id, run.created_at)
        pending.touched[addon.id] = min(earliest, run.created_at)
        key = (addon.id, store.series_key(run.command, run.type, run.size))
        series_id = self._series.get(key)
        if series_id is None:
            series_id = store.series_id(conn, addon.id, run.command, run.type, run.size)
            self._series[key] = series_id
        recorded = known.get(row.dyno_id)
        if recorded is None:
            recorded = known[row.dyno_id] = store.Recorded(series_id, run.created_at, None)
            pending.starts.append((run, series_id))
            pending.changes.append(RunChange(Change.STARTED, run))
        if row.event == Event.UP.value:
            pending.ups.setdefault(row.dyno_id, row.at)
        elif row.event == Event.EXITED.value and recorded.ended_at is None:
            recorded.ended_at = row.at
            state = state_for(row.detail, row.exit_status)
            status = None if state is RunState.TIMED_OUT else row.exit_status
            pending.ends.append((row.dyno_id, row.at, state, status))
            ended = rollups.EndedRun(
                recorded.series_id,
                state.value,
                recorded.created_at,
                max(row.at, recorded.created_at),
            )
            pending.ended.setdefault(addon.id, []).append(ended)
            final = replace(run, state=state, exit_status=status, ended_at=ended.ended_at)
            pending.changes.append(RunChange(Change.ENDED, final))
        return series_id

    @staticmethod
    def _addons(conn: Connection, app_ids: set[str]) -> dict[str, Addon]:
        rows = conn.execute(
            select(addons).where(addons.c.app_id.in_(app_ids), addons.c.service == SERVICE)
        )
        return {
            r.app_id: Addon(r.id, r.app_id, "", r.service, r.name, r.plan, r.created_at, 0)
            for r in rows
        }

    def _publish(self, change: RunChange) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(change)
            except Exception:
                log.exception("metrics subscriber failed")


def _run(addon: Addon, row: Any) -> Run:
    return Run(
        dyno_id=row.dyno_id,
        addon_id=addon.id,
        app_id=row.app_id,
        name=row.name,
        command=row.command,
        type=row.type,
        size=row.size,
        state=RunState.RUNNING,
        exit_status=None,
        created_at=row.dyno_created_at,
        up_at=row.up_at,
        ended_at=None,
    )
