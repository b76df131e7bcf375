"""Running drains: one sender per drain, fed by the router, refreshed from the store.

Each drain has a bounded buffer (``RUNOFF_DRAIN_BUFFER_LINES``) filled as lines are published
and a task that sends it in frames of up to ``FRAME_LINES`` lines. A frame that fails is
retried with exponential backoff (same ``Logplex-Frame-Id``) while the buffer keeps filling;
overflow drops the oldest buffered lines and is reported to the drain (``Error L10``). Drains
added through another server are picked up within ``REFRESH_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
from collections.abc import Callable

from sqlalchemy import Engine

from runoff.clock import Clock
from runoff.logs.drains import syslog
from runoff.logs.drains.buffer import LOGPLEX, DrainBuffer, Line
from runoff.logs.drains.model import Drain, parse_url
from runoff.logs.drains.store import DrainStore
from runoff.logs.drains.transports import (
    DeliveryError,
    Frame,
    Transport,
    ssl_context,
    transport_for,
)
from runoff.logs.model import HEROKU, LogBatch
from runoff.logs.router import LogRouter
from runoff.settings import Settings

log = logging.getLogger(__name__)
FRAME_LINES = 500
RETRY_FIRST_SECONDS = 0.1
RETRY_MAX_SECONDS = 30.0
REFRESH_SECONDS = 10.0
STOP_GRACE_SECONDS = 2.0


class DrainSender:
    """The buffer and delivery task of one drain."""

    def __init__(
        self,
        drain: Drain,
        transport: Transport,
        capacity: int,
        clock: Clock,
        tell: Callable[[Drain, str], None] = lambda drain, text: None,
    ) -> None:
        self.drain = drain
        self._tell = tell  # an overflow is told in the app's own log stream too
        self.buffer = DrainBuffer(capacity)
        self._transport = transport
        self._clock = clock
        self._hostname = "host" if parse_url(drain.url).http else drain.token
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.delivered = 0

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"drain {self.drain.id}"
        )

    def push(self, batch: LogBatch) -> None:
        self.buffer.add(batch)
        self._idle.clear()
        self._wake.set()

    def _frame(self) -> Frame | None:
        lines, report = self.buffer.take(FRAME_LINES)
        if report is not None:
            line = report.line(self._clock.now_us())
            lines.insert(0, line)
            self._tell(self.drain, line[3].decode())
        if not lines:
            return None
        return Frame(uuid.uuid4().hex.upper(), [self._message(line) for line in lines])

    def _message(self, line: Line) -> bytes:
        at, source, dyno, text = line
        return syslog.message(at, self._hostname, source, dyno, text)

    async def _run(self) -> None:
        while True:
            frame = self._frame()
            if frame is None:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
                continue
            await self._deliver(frame)

    async def _deliver(self, frame: Frame) -> None:
        delay = RETRY_FIRST_SECONDS
        while True:
            try:
                await self._transport.send(frame)
            except DeliveryError as exc:
                log.warning("drain %s: %s; retrying in %.1fs", self.drain.id, exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_SECONDS)
            else:
                self.delivered += len(frame.messages)
                return

    async def stop(self, grace: float) -> None:
        """Give the sender ``grace`` seconds to empty its buffer, then stop it."""
        if self._task is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), grace)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self._transport.close()


class DrainManager:
    def __init__(
        self,
        store: DrainStore,
        router: LogRouter,
        clock: Clock,
        *,
        buffer_lines: int,
        ssl_context: ssl.SSLContext,
    ) -> None:
        self.store = store
        self._router = router
        self._clock = clock
        self._buffer_lines = buffer_lines
        self._ssl = ssl_context
        self._senders: dict[str, DrainSender] = {}
        self._by_app: dict[str, tuple[DrainSender, ...]] = {}
        self._refresher: asyncio.Task[None] | None = None
        self._refreshing = asyncio.Lock()  # one refresh at a time: no sender started twice

    @classmethod
    def configured(
        cls, engine: Engine, router: LogRouter, clock: Clock, settings: Settings
    ) -> DrainManager:
        return cls(
            DrainStore(engine, clock, settings.log_drains_per_app),
            router,
            clock,
            buffer_lines=settings.drain_buffer_lines,
            ssl_context=ssl_context(settings.drain_ca_file),
        )

    async def start(self) -> None:
        await self.refresh()
        self._router.listeners.append(self._on_batch)
        self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())

    def _on_batch(self, batch: LogBatch) -> None:
        if batch.source == HEROKU and batch.dyno == LOGPLEX:
            return  # a drain's own overflow report: each drain was told its own already
        for sender in self._by_app.get(batch.app_id, ()):
            sender.push(batch)

    def _tell_app(self, drain: Drain, text: str) -> None:
        """Logplex's way: a drain's loss shows in the app's log stream (``logs --tail``)."""
        self._router.platform(drain.app_id, LOGPLEX, f"{text} (drain {drain.token})")

    def sender(self, drain_id: str) -> DrainSender | None:
        return self._senders.get(drain_id)

    async def refresh(self) -> None:
        """Start senders for new drains and stop those of removed ones."""
        async with self._refreshing:
            await self._refresh()

    async def _refresh(self) -> None:
        drains = {drain.id: drain for drain in await asyncio.to_thread(self.store.all)}
        for drain_id in set(self._senders) - set(drains):
            await self._senders.pop(drain_id).stop(0)
        for drain_id, drain in drains.items():
            if drain_id not in self._senders:
                transport = transport_for(parse_url(drain.url), drain.token, self._ssl)
                sender = DrainSender(
                    drain, transport, self._buffer_lines, self._clock, self._tell_app
                )
                sender.start()
                self._senders[drain_id] = sender
        by_app: dict[str, tuple[DrainSender, ...]] = {}
        for sender in self._senders.values():
            by_app[sender.drain.app_id] = (*by_app.get(sender.drain.app_id, ()), sender)
        self._by_app = by_app

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception:
                log.exception("refreshing log drains failed")

    # the API's operations --------------------------------------------------------------------
    async def add(self, app_id: str, url: object) -> Drain:
        drain = await asyncio.to_thread(self.store.add, app_id, url)
        await self.refresh()
        return drain

    async def remove(self, app_id: str, key: str) -> Drain:
        drain = await asyncio.to_thread(self.store.remove, app_id, key)
        await self.refresh()
        return drain

    async def stop(self) -> None:
        if self._refresher is not None:
            self._refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refresher
        if self._on_batch in self._router.listeners:
            self._router.listeners.remove(self._on_batch)
        senders, self._senders, self._by_app = list(self._senders.values()), {}, {}
        await asyncio.gather(*(sender.stop(STOP_GRACE_SECONDS) for sender in senders))
