"""The release phase: a Procfile's ``release`` command gates each new release.

When a release is created ``pending`` (its Procfile declares ``release``), its command runs as
a one-off dyno of type ``release`` (``release.1``, ``release.2``...) on the new release's code
and config, through the normal one-off path, so it is recorded and logged like any one-off.
Exit status 0 makes the release ``succeeded`` and so current (formation dynos then restart onto
it); anything else — a non-zero exit, a dyno that could not start, or the time limit (1 h by
default) — marks it ``failed`` and the previous release stays current. The command's output is
in the app's logs under ``app[release.N]``, and the outcome under ``app[api]``.

A server that stops while a release command runs leaves the release pending; the next start
settles it from the dyno's record (its exit, or ``failed`` if it was lost).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine

from runoff.apps.model import RELEASE_PHASE_TYPE, App, Release, ReleaseStatus
from runoff.apps.releases import ReleaseService
from runoff.apps.service import AppService
from runoff.dynos import sizes
from runoff.dynos.lifecycle import DynoLifecycle
from runoff.dynos.model import Dyno, Outcome
from runoff.dynos.service import CreateRequest, DynoService
from runoff.dynos.store import DynoStore
from runoff.errors import RunoffError
from runoff.logs.model import APP
from runoff.logs.router import LogRouter

log = logging.getLogger(__name__)
API_DYNO = "api"  # Heroku's name for the platform's own lines about releases


class ReleasePhase:
    def __init__(
        self,
        *,
        releases: ReleaseService,
        apps: AppService,
        dynos: DynoService,
        dyno_store: DynoStore,
        lifecycle: DynoLifecycle,
        router: LogRouter,
        timeout_seconds: int,
    ) -> None:
        self._releases = releases
        self._apps = apps
        self._dynos = dynos
        self._dyno_store = dyno_store
        self._lifecycle = lifecycle
        self._router = router
        self._timeout = timeout_seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[object]] = set()

    async def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Settle what a stopped server left pending, then follow new releases (called before
        the API serves requests, so no release is created meanwhile)."""
        self._loop = loop
        await self._recover()
        self._releases.listeners.append(self._created)

    async def stop(self) -> None:
        self._loop = None
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, work: Coroutine[object, object, object]) -> None:
        if self._loop is None:
            work.close()
            return
        task = self._loop.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _created(self, app: App, release: Release) -> None:
        """Release listener (any thread): run the phase of a new pending release."""
        loop = self._loop
        if loop is None or release.status is not ReleaseStatus.PENDING:
            return  # status changes are never back to pending: this is a creation
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(lambda: self._spawn(self.run(app, release)))

    async def run(self, app: App, release: Release) -> Release:
        """Run ``release``'s release command and settle its status; returns it settled."""
        command = release.process_types[RELEASE_PHASE_TYPE]
        request = CreateRequest(
            command=command,
            attach=False,
            env={},
            size=sizes.DEFAULT_SIZE,
            type=RELEASE_PHASE_TYPE,
            ttl_seconds=self._timeout,
            force_no_tty=False,
        )
        try:
            dyno = await self._dynos.create(app, request, release=release)
        except RunoffError as exc:
            return await self._settle(app, release, None, f"could not start: {exc.message}")
        self._api_line(
            app, f"Release v{release.version}: running release command `{command}` ({dyno.name})"
        )
        await self._lifecycle.wait(dyno.id)
        ended = await asyncio.to_thread(self._dyno_store.get, dyno.id)
        return await self._settle(app, release, ended, None)

    async def _settle(
        self, app: App, release: Release, dyno: Dyno | None, problem: str | None
    ) -> Release:
        # The outcome's log line is durable before the status changes: whoever sees the new
        # status also finds the line.
        if dyno is not None and dyno.outcome is Outcome.SUCCEEDED:
            self._api_line(app, f"Release v{release.version} succeeded; it is now current")
            await self._router.aflush()
            return await asyncio.to_thread(
                self._releases.set_status, app, release, ReleaseStatus.SUCCEEDED
            )
        if problem is None and dyno is not None:
            problem = _failure(dyno, self._timeout)
        current = await asyncio.to_thread(self._releases.current, app.id)
        still = f"v{current.version} remains the current release" if current else "no release"
        self._api_line(app, f"Release v{release.version} command failed: {problem}; {still}")
        await self._router.aflush()
        return await asyncio.to_thread(
            self._releases.set_status, app, release, ReleaseStatus.FAILED
        )

    def _api_line(self, app: App, message: str) -> None:
        self._router.publish(app.id, API_DYNO, APP, [message.encode()])

    async def _recover(self) -> None:
        """Settle releases left pending by a server that stopped during their phase."""
        for release in await asyncio.to_thread(self._releases.pending):
            try:
                await self._recover_one(release)
            except Exception:
                log.exception("settling pending release %s failed", release.id)

    async def _recover_one(self, release: Release) -> None:
        app = await asyncio.to_thread(self._apps.get, release.app_id)
        phase = await asyncio.to_thread(
            lambda: self._dyno_store.history(
                app.id, 1, release_id=release.id, type=RELEASE_PHASE_TYPE
            )
        )
        if not phase:
            await self._settle(app, release, None, "the server stopped before it started")
        elif not phase[0].running:  # a running one belongs to a live server, which settles it
            await self._settle(app, release, phase[0], None)


def _failure(dyno: Dyno, timeout: int) -> str:
    if dyno.outcome is Outcome.TIMED_OUT:
        if dyno.stop_reason == "ttl":
            return f"{dyno.name} did not finish within {timeout} seconds"
        return f"{dyno.name} was stopped ({dyno.stop_reason or 'lost'})"
    if dyno.exit_status is None:
        return f"{dyno.name} could not start"
    return f"{dyno.name} exited with status {dyno.exit_status}"
