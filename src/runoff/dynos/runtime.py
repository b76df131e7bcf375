"""The runtime monitor: samples every dyno of this server and enforces memory quotas.

Every ``RUNOFF_METRICS_INTERVAL_SECONDS`` each running dyno's usage is sampled: a sample goes
to its log and to its series. Over its size's quota a dyno gets ``Error R14 (Memory quota
exceeded)`` (again with each sample while it stays over); over ``kill_factor`` times it (2x
for the standard sizes) it gets ``Error R15 (Memory quota vastly exceeded)`` and is killed, a
forced exit with reason ``memory``.

Enforcement (``RUNOFF_MEMORY_LIMITS``): ``cgroup`` gives each dyno a memory cgroup limited to
the R15 point, so the kernel stops it growing further, and reads the kernel's accounting;
``watchdog`` sums the RSS of the dyno's processes from /proc and kills at the R15 point;
``auto`` is ``cgroup`` where the host allows, else ``watchdog``; ``off`` samples only.

How often a dyno is read (``RUNOFF_MEMORY_CHECK_SECONDS``, ``check``, is the finest step):
a new dyno at the first check, then every ``check`` while it uses at least half its quota
(``NEAR``); below that, every ``RELAXED`` checks under ``watchdog`` (the watchdog is the only
enforcement, so a dyno far below its quota that suddenly jumps past the kill point is caught
within ``RELAXED`` checks), and only when its next sample is due under ``cgroup`` (the kernel
holds it at the kill point meanwhile; its R14 waits for that sample) and ``off``. Reading
every dyno every check cost 12-13 % of a core with 1,000 idle dynos.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from runoff.clock import Clock
from runoff.dynos import sizes
from runoff.dynos.executor import Limits, Usage
from runoff.dynos.messages import R14, R15
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.runtime_metrics import LoadAverage, MetricsStore, Sample, log_lines, sample_of
from runoff.settings import Settings

log = logging.getLogger(__name__)
NEAR = 0.5  # at or above this fraction of its quota a dyno is read every check
RELAXED = 10  # under the watchdog, a dyno below NEAR is read every RELAXED checks


class Watched(Protocol):
    """What the monitor needs of the dyno lifecycle (``DynoLifecycle``)."""

    def running_dynos(self) -> list[Dyno]: ...

    async def usage_of(self, dyno_id: str) -> Usage | None: ...

    async def kill(self, dyno: Dyno, reason: StopReason) -> None: ...


class PlatformLines(Protocol):
    """Where the monitor writes a dyno's ``heroku`` lines (``LogRouter``)."""

    def platform(self, app_id: str, dyno: str, *messages: str) -> None: ...


def enforcement(setting: str, executor_enforces: bool) -> str:
    """``cgroup``, ``watchdog`` or ``off``: what ``RUNOFF_MEMORY_LIMITS`` comes to here."""
    if setting == "off":
        return "off"
    return "cgroup" if executor_enforces else "watchdog"


class Quotas:
    """Each dyno's memory quota (R14), kill point (R15) and CPU share, from its size."""

    def __init__(self, scale: float, mode: str) -> None:
        self._scale = scale
        self.mode = mode

    def quota(self, dyno: Dyno) -> int:
        return int(sizes.lookup(dyno.size).memory_bytes * self._scale)

    def kill_point(self, dyno: Dyno) -> int:
        return int(self.quota(dyno) * sizes.lookup(dyno.size).kill_factor)

    def limits_for(self, dyno: Dyno) -> Limits:
        """The limits the executor applies: its CPU share, and in ``cgroup`` mode a memory
        limit at the R15 point (-1, unlimited, otherwise)."""
        limited = self.mode == "cgroup"
        return Limits(
            memory_bytes=self.kill_point(dyno) if limited else -1,
            soft_memory_bytes=self.quota(dyno) if limited else -1,
            cpu_shares=sizes.lookup(dyno.size).cpu_share,
        )

    def describe(self, dyno: Dyno) -> dict[str, Any]:
        """What the API shows of a dyno's size limits and how they are enforced."""
        return {
            "memory_quota": self.quota(dyno),
            "memory_kill_point": self.kill_point(dyno),
            "cpu_share": sizes.lookup(dyno.size).cpu_share,
            "memory_limits": self.mode,
        }


@dataclass
class _Watch:
    first_seen: float
    load: LoadAverage = field(default_factory=LoadAverage)
    last_sample: float | None = None
    last_r14: float | None = None
    oom_kills: int = 0
    killed: bool = False
    next_read: float = 0.0  # monotonic; 0: at the next check

    def sample_due(self, interval: float) -> float:
        return (self.last_sample or self.first_seen) + interval


class RuntimeMonitor:
    """Samples the dynos run here (log lines, series) and keeps them within their quotas."""

    def __init__(
        self,
        *,
        lifecycle: Watched,
        quotas: Quotas,
        router: PlatformLines,
        store: MetricsStore,
        clock: Clock,
        settings: Settings,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        """``clock`` stamps samples; ``monotonic`` paces reads, samples and R14 repeats."""
        self._lifecycle = lifecycle
        self.quotas = quotas
        self._router = router
        self.store = store
        self._clock = clock
        self._interval = settings.metrics_interval_seconds
        self._check = settings.memory_check_seconds
        self.mode = quotas.mode
        self._watches: dict[str, _Watch] = {}
        self._monotonic = monotonic

    def quota(self, dyno: Dyno) -> int:
        return self.quotas.quota(dyno)

    def kill_point(self, dyno: Dyno) -> int:
        return self.quotas.kill_point(dyno)

    def describe(self, dyno: Dyno) -> dict[str, Any]:
        return self.quotas.describe(dyno)

    # sampling --------------------------------------------------------------------------------
    async def run(self) -> None:
        """Check every running dyno until cancelled."""
        while True:
            await asyncio.sleep(self._check)
            try:
                await self.check()
            except Exception:
                log.exception("checking dynos' runtime metrics failed")

    async def check(self) -> None:
        """Read the dynos that are due (see the module doc), sample and enforce."""
        samples: list[Sample] = []
        for dyno, watch in self._due(self._monotonic()):
            used = await self._lifecycle.usage_of(dyno.id)
            now = self._monotonic()
            if used is None or watch.killed:
                watch.next_read = now + self._check
                continue
            load = watch.load.update(now, used.cpu_seconds)
            if now >= watch.sample_due(self._interval):
                watch.last_sample = now
                sample = sample_of(dyno, self._clock.now_us(), load, used, self.quota(dyno))
                samples.append(sample)
                self._router.platform(dyno.app_id, dyno.name, *log_lines(dyno, sample))
            await self._enforce(dyno, watch, used, now)
            watch.next_read = self._next_read(dyno, watch, used, now)
        if samples:
            await asyncio.to_thread(self.store.add, samples)

    def _due(self, now: float) -> list[tuple[Dyno, _Watch]]:
        """The running dynos to read now; forgets those that ended."""
        dynos = self._lifecycle.running_dynos()
        for gone in self._watches.keys() - {dyno.id for dyno in dynos}:
            del self._watches[gone]
        due = []
        for dyno in dynos:
            watch = self._watches.get(dyno.id)
            if watch is None:
                watch = self._watches[dyno.id] = _Watch(first_seen=now)
            if not watch.killed and watch.next_read <= now:
                due.append((dyno, watch))
        return due

    def _next_read(self, dyno: Dyno, watch: _Watch, used: Usage, now: float) -> float:
        """When to read the dyno again: see the module doc."""
        if self.mode != "off" and used.total >= self.quota(dyno) * NEAR:
            return now + self._check
        sample = watch.sample_due(self._interval)
        if self.mode == "watchdog":
            return min(sample, now + self._check * RELAXED)
        return sample

    # quotas ----------------------------------------------------------------------------------
    async def _enforce(self, dyno: Dyno, watch: _Watch, used: Usage, now: float) -> None:
        if self.mode == "off":
            return
        oom = used.oom_kills > watch.oom_kills
        watch.oom_kills = used.oom_kills
        if oom or used.total > self.kill_point(dyno):
            await self._kill(dyno, watch)
        elif used.total > self.quota(dyno) and (
            watch.last_r14 is None or now - watch.last_r14 >= self._interval
        ):
            watch.last_r14 = now
            self._router.platform(dyno.app_id, dyno.name, R14)

    async def _kill(self, dyno: Dyno, watch: _Watch) -> None:
        watch.killed = True
        self._router.platform(dyno.app_id, dyno.name, R15)
        await self._lifecycle.kill(dyno, StopReason.MEMORY)
