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
import contextlib
import logging
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from runoff.clock import Clock
from runoff.dynos import sizes
from runoff.dynos.local import usage
from runoff.dynos.local.cgroups import Cgroups, Limits
from runoff.dynos.local.process import signal_all
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.runtime_metrics import LoadAverage, MetricsStore, Sample, log_lines, sample_of
from runoff.dynos.supervisor import Supervisor
from runoff.logs.router import LogRouter
from runoff.settings import Settings

log = logging.getLogger(__name__)
R14 = "Error R14 (Memory quota exceeded)"
R15 = "Error R15 (Memory quota vastly exceeded)"


def enforcement(setting: str, cgroups: Cgroups) -> str:
    """``cgroup``, ``watchdog`` or ``off``: what ``RUNOFF_MEMORY_LIMITS`` comes to here."""
    if setting in ("auto", "cgroup"):
        if cgroups.limited:
            return "cgroup"
        if setting == "cgroup":
            log.warning("RUNOFF_MEMORY_LIMITS=cgroup but no memory cgroups here: using watchdog")
        return "watchdog"
    return setting


@dataclass
class _Watch:
    load: LoadAverage = field(default_factory=LoadAverage)
    first_seen: float = field(default_factory=time.monotonic)
    last_sample: float | None = None
    last_r14: float | None = None
    oom_kills: int = 0
    killed: bool = False


class RuntimeMonitor:
    def __init__(
        self,
        *,
        supervisor: Supervisor,
        cgroups: Cgroups,
        router: LogRouter,
        store: MetricsStore,
        clock: Clock,
        settings: Settings,
    ) -> None:
        self._supervisor = supervisor
        self._cgroups = cgroups
        self._router = router
        self.store = store
        self._clock = clock
        self._interval = settings.metrics_interval_seconds
        self._check = settings.memory_check_seconds
        self._scale = settings.memory_quota_scale
        self.mode = enforcement(settings.memory_limits, cgroups)
        self._watches: dict[str, _Watch] = {}
        supervisor.limits_for = self.limits_for
        supervisor.exit_hooks.append(self._on_exit)

    # sizes -----------------------------------------------------------------------------------
    def quota(self, dyno: Dyno) -> int:
        return int(sizes.lookup(dyno.size).memory_bytes * self._scale)

    def kill_point(self, dyno: Dyno) -> int:
        return int(self.quota(dyno) * sizes.lookup(dyno.size).kill_factor)

    def limits_for(self, dyno: Dyno) -> Limits:
        """The dyno's cgroup limits: its CPU share, and in ``cgroup`` mode a memory limit at
        the R15 point (-1, unlimited, otherwise)."""
        limited = self.mode == "cgroup"
        return Limits(
            memory_bytes=self.kill_point(dyno) if limited else -1,
            soft_memory_bytes=self.quota(dyno) if limited else -1,
            cpu_shares=sizes.lookup(dyno.size).cpu_share,
        )

    def describe(self, dyno: Dyno) -> dict[str, Any]:
        """What the API shows of a dyno's size limits and how they are enforced."""
        size = sizes.lookup(dyno.size)
        return {
            "memory_quota": self.quota(dyno),
            "memory_kill_point": self.kill_point(dyno),
            "cpu_share": size.cpu_share,
            "memory_limits": self.mode,
        }

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
        dynos = self._supervisor.running_dynos()
        for gone in set(self._watches) - {dyno.id for dyno in dynos}:
            del self._watches[gone]
        readings = await asyncio.to_thread(lambda: [(d, self._usage(d)) for d in dynos])
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

    def _usage(self, dyno: Dyno) -> usage.Usage | None:
        """(In a worker thread.) What the dyno uses."""
        pids = self._supervisor.pids_of(dyno.id)
        if self.mode == "cgroup":
            found = usage.from_cgroup(self._cgroups, dyno.id)
            if found is not None:
                return found
        return usage.from_proc(pids) if pids else None

    # quotas ----------------------------------------------------------------------------------
    async def _enforce(self, dyno: Dyno, watch: _Watch, used: usage.Usage, now: float) -> None:
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
        await self._supervisor.stop(dyno.id, StopReason.MEMORY)
        pids = await asyncio.to_thread(self._supervisor.pids_of, dyno.id)
        if pids:
            self._router.platform(dyno.app_id, dyno.name, "Stopping all processes with SIGKILL")
            signal_all(pids, signal.SIGKILL)

    async def _on_exit(self, dyno_id: str) -> None:
        """The kernel may have killed the dyno's main process for its memory limit: that is
        an R15 too, and must be recorded as such before the end is."""
        if self.mode != "cgroup":
            return
        watch = self._watches.setdefault(dyno_id, _Watch())
        found = await asyncio.to_thread(usage.from_cgroup, self._cgroups, dyno_id)
        if found is None or watch.killed or found.oom_kills <= watch.oom_kills:
            return
        dyno = next((d for d in self._supervisor.running_dynos() if d.id == dyno_id), None)
        if dyno is not None:
            with contextlib.suppress(ProcessLookupError):
                await self._kill(dyno, watch)
