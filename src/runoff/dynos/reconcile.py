"""Making run records true again after a server died while dynos ran.

A dyno whose server is gone has no process reading its output or waiting for its exit. At
start-up each server finds such dynos, kills whatever is left of them, and records them as
ended with an unknown exit status (a forced exit: outcome ``timed_out``, reason ``lost``),
with a platform log line saying what happened.
"""

from __future__ import annotations

import signal

from runoff.clock import Clock
from runoff.dynos.local.cgroups import Cgroups
from runoff.dynos.local.process import dyno_pids, signal_all
from runoff.dynos.local.workspace import WorkspaceProvider
from runoff.dynos.model import Dyno, Outcome, State, StopReason
from runoff.dynos.store import DynoStore
from runoff.logs.router import LogRouter
from runoff.servers import ServerRecord, ServerRegistry

LOST_MESSAGE = (
    "Process lost: the runoff server running this dyno stopped unexpectedly; "
    "any remaining processes were killed and the exit status is unknown"
)


def reconcile(
    *,
    registry: ServerRegistry,
    me: ServerRecord,
    store: DynoStore,
    router: LogRouter,
    cgroups: Cgroups,
    workspaces: WorkspaceProvider,
    clock: Clock,
) -> list[Dyno]:
    """End the records of dynos whose server is dead; returns the dynos reconciled."""
    dead = registry.dead(me)
    local = {server.id for server in dead if server.host == registry.host}
    orphans = store.running_on(server.id for server in dead)
    for dyno in orphans:
        if dyno.server_id in local:
            _kill_leftovers(dyno, cgroups)
            workspaces.discard(dyno.id)
        router.platform(dyno.app_id, dyno.name, LOST_MESSAGE)
        if dyno.state in (State.STARTING, State.UP):
            router.platform(
                dyno.app_id, dyno.name, f"State changed from {dyno.state.value} to complete"
            )
        store.record_end(
            dyno, exit_status=None, outcome=Outcome.TIMED_OUT, stop_reason=StopReason.LOST.value
        )
    router.flush()
    return orphans


def _kill_leftovers(dyno: Dyno, cgroups: Cgroups) -> None:
    cgroup = cgroups.path(dyno.id)
    if cgroup is not None and not cgroup.exists():
        cgroup = None
    for _ in range(50):
        pids = dyno_pids(cgroups=cgroups, cgroup=cgroup, session=None, dyno_id=dyno.id)
        if not pids or not signal_all(pids, signal.SIGKILL):
            break
    if cgroup is not None:
        cgroups.remove(cgroup)
