"""Starting dynos from background work that may be cancelled.

The formation manager, the release phase and the scheduler start dynos from tasks that the
server cancels when it stops. Cancelling a task while its dyno is being spawned (in a worker
thread) would leave a process nobody watches. ``Launches.run`` lets the launch finish as a task
of its own whatever happens to the caller, and ``drain`` waits for those still in flight; the
platform drains before the supervisor's shutdown, which then stops every dyno.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from runoff.dynos.model import Dyno


class Launches:
    def __init__(self) -> None:
        self._inflight: set[asyncio.Task[Dyno]] = set()

    async def run(self, launch: Coroutine[Any, Any, Dyno]) -> Dyno:
        """Await ``launch``; if the caller is cancelled, the launch still completes."""
        task = asyncio.ensure_future(launch)
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)
        return await asyncio.shield(task)

    async def drain(self) -> None:
        """Wait until no launch is in flight (their errors were the callers' to see)."""
        if self._inflight:
            await asyncio.wait(list(self._inflight))
