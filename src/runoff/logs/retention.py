"""Log retention: what is pruned is pruned whole (chunks) and oldest first.

Two limits, checked every ``RUNOFF_LOG_PRUNE_SECONDS``: an age (chunks whose newest line is
older than ``RUNOFF_LOG_RETENTION_DAYS`` go) and a size per app (an app whose chunks take more
than ``RUNOFF_LOG_RETENTION_MB`` as stored, i.e. compressed, loses its oldest chunks until it
fits). Zero turns a limit off.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from runoff.clock import US_PER_SECOND, Clock
from runoff.logs.store import LogStore
from runoff.settings import Settings

log = logging.getLogger(__name__)
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_age_seconds: float  # 0: no age limit
    max_bytes_per_app: int  # 0: no size limit


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_age_seconds=settings.log_retention_days * 86400,
        max_bytes_per_app=settings.log_retention_mb * MB,
    )


class Retention:
    def __init__(self, store: LogStore, clock: Clock, limits: Limits) -> None:
        self._store = store
        self._clock = clock
        self.limits = limits

    def prune(self) -> int:
        """Apply both limits once; returns how many chunks were deleted."""
        deleted = 0
        if self.limits.max_age_seconds > 0:
            cutoff = self._clock.now_us() - int(self.limits.max_age_seconds * US_PER_SECOND)
            deleted += self._store.delete_older_than(cutoff)
        if self.limits.max_bytes_per_app > 0:
            for app_id, size in self._store.stored_bytes().items():
                excess = size - self.limits.max_bytes_per_app
                if excess > 0:
                    deleted += self._store.delete_oldest(app_id, excess)
        return deleted

    async def run(self, interval_seconds: float) -> None:
        """Prune every ``interval_seconds`` until cancelled; failures are logged, not fatal."""
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                deleted = await asyncio.to_thread(self.prune)
            except Exception:
                log.exception("pruning logs failed")
            else:
                if deleted:
                    log.info("log retention: pruned %d chunk(s)", deleted)
