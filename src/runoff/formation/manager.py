"""The dyno manager's formation half: keeps each app's formation running.

For every app it compares what is asked (the formation's quantities, sizes and the current
release's Procfile) with the formation dynos that run, and acts: starts missing dynos
(``web.1``, ``worker.2``; web dynos get a free ``PORT``), restarts crashed ones after their
cool-down (``backoff``), restarts dynos of an older release or another size onto the current
one, and stops dynos beyond the quantity or of types the Procfile dropped.

An app is converged when something changes it (a scale, a release, a dyno's end) and every
``SWEEP_SECONDS`` anyway. Each server stops and restarts only the dynos it runs; a missing dyno
may be started by any server, and the database lets only one running dyno per name exist, so
two servers never run the same ``web.1``. A stop goes through ``DynoLifecycle.stop``, which
reaches a dyno whichever server runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError

from runoff.apps.model import Release
from runoff.apps.releases import ReleaseService
from runoff.dynos.lifecycle import DynoLifecycle, Launch
from runoff.dynos.model import Dyno, StopReason
from runoff.dynos.service import dyno_env
from runoff.dynos.store import DynoStore
from runoff.errors import Conflict, RunoffError
from runoff.formation.backoff import HISTORY, restart_at
from runoff.formation.service import process_types
from runoff.formation.store import FormationStore
from runoff.logs.router import LogRouter
from runoff.settings import Settings
from runoff.timers import Timer, Timers

log = logging.getLogger(__name__)
SWEEP_SECONDS = 5.0


@dataclass(frozen=True)
class Slot:
    """One dyno the formation asks for."""

    name: str
    type: str
    command: str
    size: str


@dataclass
class Plan:
    stops: list[tuple[Dyno, StopReason]] = field(default_factory=list)
    starts: list[tuple[Slot, int | None]] = field(default_factory=list)  # not before (µs)


class FormationManager:
    def __init__(
        self,
        *,
        formations: FormationStore,
        dynos: DynoStore,
        lifecycle: DynoLifecycle,
        releases: ReleaseService,
        router: LogRouter,
        timers: Timers,
        settings: Settings,
        server_id: str,
    ) -> None:
        self._formations = formations
        self._dynos = dynos
        self._lifecycle = lifecycle
        self._releases = releases
        self._router = router
        self._timers = timers
        self._settings = settings
        self._server_id = server_id
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dirty: set[str] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._cooldowns: dict[str, Timer] = {}

    # lifecycle -------------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lifecycle.on_end(self._dyno_ended)
        self._task = loop.create_task(self._run(), name="formation manager")

    async def stop(self) -> None:
        """Stop converging (the dynos themselves are stopped by the lifecycle's shutdown)."""
        # Not cancelled: a cancelled task would leave its worker-thread query running while
        # the platform closes the database. The loop ends at its next turn.
        task, self._task, self._loop = self._task, None, None
        for timer in self._cooldowns.values():
            timer.cancel()
        self._wake.set()
        if task is not None:
            await task

    def changed(self, app_id: str) -> None:
        """Ask for ``app_id`` to be converged soon; callable from any thread."""
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed: shutting down
                loop.call_soon_threadsafe(self._mark, app_id)

    def _mark(self, app_id: str) -> None:
        if self._task is not None:
            self._dirty.add(app_id)
            self._wake.set()

    def _dyno_ended(self, dyno: Dyno) -> None:
        if not dyno.one_off:
            self._mark(dyno.app_id)

    # the loop --------------------------------------------------------------------------------
    async def _run(self) -> None:
        self._dirty.update(await asyncio.to_thread(self._formations.app_ids))
        self._wake.set()  # bring the formation back at once after a server start
        while self._task is not None:
            try:
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)
            except TimeoutError:
                await self._sweep()
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            for app_id in sorted(dirty):
                if self._task is None:
                    return
                try:
                    await self.converge(app_id)
                except Exception:
                    log.exception("converging the formation of app %s failed", app_id)

    async def _sweep(self) -> None:
        """Every app with a formation, and every app with a formation dyno run here."""
        self._dirty.update(await asyncio.to_thread(self._formations.app_ids))
        mine = await asyncio.to_thread(self._dynos.running_on, [self._server_id])
        for dyno in mine:
            if not dyno.one_off:
                self._dirty.add(dyno.app_id)

    async def converge(self, app_id: str) -> None:
        """Make the formation dynos of ``app_id`` match its formation (see the module doc)."""
        plan = await asyncio.to_thread(self._plan, app_id)
        for dyno, reason in plan.stops:
            await self.stop_dyno(dyno, reason)
        now = self._timers.clock.now_us()
        for slot, not_before in plan.starts:
            if not_before is not None and not_before > now:
                self._wait_cooldown(app_id, not_before)
            else:
                await self._launch(app_id, slot, crashed=not_before is not None)

    async def restart(
        self,
        app_id: str,
        *,
        type: str | None = None,
        name: str | None = None,
        reason: StopReason = StopReason.RESTART,
        by: str | None = None,
    ) -> list[Dyno]:
        """Stop the app's formation dynos (all, of ``type``, or ``name``) so they come back on
        the current release; one-offs are never touched. Returns the dynos stopped."""
        running = await asyncio.to_thread(self._dynos.running, app_id)
        chosen = [
            dyno
            for dyno in running
            if not dyno.one_off
            and (type is None or dyno.type == type)
            and (name is None or dyno.name == name)
        ]
        for dyno in chosen:
            await self._lifecycle.stop(dyno, reason, by)
        return chosen

    def crashed(self, app_id: str, running: list[Dyno]) -> list[Dyno]:
        """The last run of each formation dyno the app asks for that is not running because it
        crashed and waits for its cool-down (``ps`` shows them as ``crashed``)."""
        if not any(scale.quantity for scale in self._formations.scales(app_id).values()):
            return []  # one query, not two, for an app of one-off dynos only (listed often)
        names = {dyno.name for dyno in running}
        found = []
        for name in self._wanted(app_id)[1]:
            if name not in names:
                last = self._formations.past_runs(app_id, name, 1)
                if last and last[0].crashed:
                    found.append(self._dynos.find(app_id, name))
        return found

    async def stop_dyno(self, dyno: Dyno, reason: StopReason) -> None:
        """Stop ``dyno`` wherever it runs (see ``DynoLifecycle.stop``)."""
        await self._lifecycle.stop(dyno, reason)

    def _wait_cooldown(self, app_id: str, not_before: int) -> None:
        current = self._cooldowns.get(app_id)
        if current is not None and not current.cancelled and current.when_us <= not_before:
            return
        if current is not None:
            current.cancel()

        def due() -> None:
            self._cooldowns.pop(app_id, None)
            self._mark(app_id)

        self._cooldowns[app_id] = self._timers.at(not_before, due)

    # deciding (in a worker thread) -------------------------------------------------------------
    def _wanted(self, app_id: str) -> tuple[Release | None, dict[str, Slot]]:
        """The current release and the dynos the formation asks for, by name."""
        release = self._releases.current(app_id)
        types = process_types(release.process_types) if release else {}
        scales = self._formations.scales(app_id)
        wanted: dict[str, Slot] = {}
        for type, command in types.items():
            scale = scales.get(type)
            for index in range(1, (scale.quantity if scale else 0) + 1):
                name = f"{type}.{index}"
                wanted[name] = Slot(name, type, command, scale.size if scale else "")
        return release, wanted

    def _plan(self, app_id: str) -> Plan:
        plan = Plan()
        release, wanted = self._wanted(app_id)
        running = [d for d in self._dynos.running(app_id) if not d.one_off]
        for dyno in running:
            slot = wanted.get(dyno.name)
            if dyno.server_id != self._server_id or dyno.stopping_at is not None:
                continue
            if slot is None:
                plan.stops.append((dyno, StopReason.SCALED_DOWN))
            elif release is None or (dyno.release_id, dyno.size, dyno.command) != (
                release.id,
                slot.size,
                slot.command,
            ):
                plan.stops.append((dyno, StopReason.RESTART))
        names = {dyno.name for dyno in running}
        for name, slot in wanted.items():
            if name not in names:
                runs = self._formations.past_runs(app_id, name, HISTORY)
                settings = self._settings
                not_before = restart_at(
                    runs, settings.crash_cooldown_seconds, settings.crash_cooldown_max_seconds
                )
                plan.starts.append((slot, not_before))
        return plan

    # starting --------------------------------------------------------------------------------
    async def _launch(self, app_id: str, slot: Slot, *, crashed: bool) -> None:
        def prepare() -> Launch:
            release = self._releases.current(app_id)
            if release is None or process_types(release.process_types).get(slot.type) is None:
                raise Conflict(f"{slot.type} is not a process type of the current release")
            dyno = self._dynos.create(
                app_id=app_id,
                release_id=release.id,
                release_version=release.version,
                type=slot.type,
                command=slot.command,
                size=slot.size,
                attach=False,
                one_off=False,
                ttl_seconds=0,
                server_id=self._server_id,
                name=slot.name,
            )
            if crashed:
                self._router.platform(app_id, slot.name, "State changed from crashed to starting")
            env = dyno_env(release, {}, slot.name)
            return Launch(dyno, slot.command, env, release.slug_id)

        try:
            await self._lifecycle.launch(prepare)
        except IntegrityError:  # another server started it first
            pass
        except RunoffError as exc:  # the Procfile changed meanwhile, or a one-off has the name
            log.info("not starting %s: %s", slot.name, exc.message)
