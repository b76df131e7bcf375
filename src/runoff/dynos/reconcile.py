"""Making run records true again after a server died while dynos ran.

A dyno whose server is gone has no process reading its output or waiting for its exit. At
start-up each server finds such dynos, kills whatever is left of them, and records them as
ended with an unknown exit status (a forced exit: outcome ``timed_out``, reason ``lost``),
with a platform log line saying what happened.
"""

from __future__ import annotations

import asyncio

from runoff.dynos.executor import Executor
from runoff.dynos.model import Dyno, Outcome, State, StopReason
from runoff.dynos.store import DynoStore
from runoff.logs.router import LogRouter
from runoff.servers import ServerRecord, ServerRegistry

LOST_MESSAGE = (
    "Process lost: the runoff server running this dyno stopped unexpectedly; "
    "any remaining processes were killed and the exit status is unknown"
)


async def reconcile(
    *,
    registry: ServerRegistry,
    me: ServerRecord,
    store: DynoStore,
    router: LogRouter,
    executor: Executor,
) -> list[Dyno]:
    """End the records of dynos whose server is dead, after the executor removed what is
    left of those that ran on this host; returns the dynos reconciled."""
    dead = await asyncio.to_thread(registry.dead, me)
    found = await asyncio.to_thread(store.running_on, [server.id for server in dead])
    local = {server.id for server in dead if server.host == registry.host}
    await executor.reconcile([dyno.id for dyno in found if dyno.server_id in local])
    await asyncio.to_thread(record_lost, store, router, found)
    return found


def record_lost(store: DynoStore, router: LogRouter, found: list[Dyno]) -> None:
    """End the records of ``found`` as lost, with Heroku-style lines saying so."""
    for dyno in found:
        router.platform(dyno.app_id, dyno.name, LOST_MESSAGE)
        if dyno.state in (State.STARTING, State.UP):
            router.platform(
                dyno.app_id, dyno.name, f"State changed from {dyno.state.value} to complete"
            )
        store.record_end(
            dyno, exit_status=None, outcome=Outcome.TIMED_OUT, stop_reason=StopReason.LOST.value
        )
    router.flush()
