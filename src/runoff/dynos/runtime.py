"""The runtime monitor: samples every dyno of this server and enforces memory quotas.

Every ``RUNOFF_MEMORY_CHECK_SECONDS`` each running dyno's usage is read; every
``RUNOFF_METRICS_INTERVAL_SECONDS`` a sample goes to its log and to its series. Over its
size's quota a dyno gets ``Error R14 (Memory quota exceeded)`` (again with each sample while
it stays over); over ``kill_factor`` times it (2x for the standard sizes) it gets
``Error R15 (Memory quota vastly exceeded)`` and is killed, a forced exit with reason
``memory``.

Enforcement (``RUNOFF_MEMORY_LIMITS``): ``cgroup`` gives each dyno a memory cgroup limited to
the R15 point, so the kernel stops it growing further, and reads the kernel's accounting;
``watchdog`` sums the RSS of the dyno's processes from /proc and kills at the R15 point;
``auto`` is ``cgroup`` where the host allows, else ``watchdog``; ``off`` samples only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from runoff.clock import Clock
from runoff.dynos import sizes
from runoff.dynos.executor import Limits, Usage
from runoff.dynos.lifecycle import DynoLifecycle
from runoff.dynos.messages import R14, R15
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.runtime_metrics import LoadAverage, MetricsStore, Sample, log_lines, sample_of
from runoff.logs.router import LogRouter
from runoff.settings import Settings

log = logging.getLogger(__name__)


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
    load: LoadAverage = field(default_factory=LoadAverage)
    first_seen: float = field(default_factory=time.monotonic)
    last_sample: float | None = None
    last_r14: float | None = None
    oom_kills: int = 0
    killed: bool = False


class RuntimeMonitor:
    """Samples the dynos run here (log lines, series) and keeps them within their quotas."""

    def __init__(
        self,
        *,
        lifecycle: DynoLifecycle,
        quotas: Quotas,
        router: LogRouter,
        store: MetricsStore,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._lifecycle = lifecycle
        self.quotas = quotas
        self._router = router
        self.store = store
        self._clock = clock
        self._interval = settings.metrics_interval_seconds
        self._check = settings.memory_check_seconds
        self.mode = quotas.mode
        self._watches: dict[str, _Watch] = {}

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
        dynos = self._lifecycle.running_dynos()
        for gone in set(self._watches) - {dyno.id for dyno in dynos}:
            del self._watches[gone]
        readings = [(d, await self._lifecycle.usage_of(d.id)) for d in dynos]
        samples: list[Sample] = []
        now = time.monotonic()
        for dyno, used in readings:
            watch = self._watches.setdefault(dyno.id, _Watch())
            if used is None or watch.killed:
                continue
            load = watch.load.update(now, used.cpu_seconds)
            if (now - (watch.last_sample or watch.first_seen)) >= self._interval:
                watch.last_sample = now
                sample = sample_of(dyno, self._clock.now_us(), load, used, self.quota(dyno))
                samples.append(sample)
                self._router.platform(dyno.app_id, dyno.name, *log_lines(dyno, sample))
            await self._enforce(dyno, watch, used, now)
        if samples:
            await asyncio.to_thread(self.store.add, samples)

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
