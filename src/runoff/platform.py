"""The running platform: every service of one runoff server, wired once.

The web API and the CLI's ``server`` command hold a ``Platform``; domain packages never import
it. Operations that span several domains (creating an app with its first release, deleting an
app with its dynos and logs) live here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import stat
from pathlib import Path

from runoff.alerts.wiring import Monitoring, destroy_addon_rows
from runoff.apps.model import App
from runoff.apps.releases import ReleaseService
from runoff.apps.service import AppService
from runoff.apps.slugs import SlugService
from runoff.auth.model import User
from runoff.auth.service import AuthService
from runoff.clock import Clock, SystemClock
from runoff.dynos.cycling import Cycler
from runoff.dynos.executor import Executor
from runoff.dynos.lifecycle import DynoLifecycle
from runoff.dynos.local.cgroups import Cgroups
from runoff.dynos.local.executor import LocalExecutor
from runoff.dynos.local.sandbox import Sandbox
from runoff.dynos.local.workspace import WorkspaceProvider
from runoff.dynos.model import StopReason
from runoff.dynos.reconcile import reconcile
from runoff.dynos.rendezvous import RendezvousServer, advertised_host, tls_files
from runoff.dynos.runtime import Quotas, RuntimeMonitor, enforcement
from runoff.dynos.runtime_metrics import MetricsStore
from runoff.dynos.service import DynoService
from runoff.dynos.store import DynoStore
from runoff.formation.manager import FormationManager
from runoff.formation.release_phase import ReleasePhase
from runoff.formation.service import FormationService
from runoff.formation.store import FormationStore
from runoff.logs.drains.manager import DrainManager
from runoff.logs.retention import Retention, limits_from
from runoff.logs.router import LogRouter
from runoff.logs.sessions import LogSessions
from runoff.logs.store import LogStore
from runoff.metrics import MetricsService
from runoff.scheduler.runner import SchedulerRunner
from runoff.scheduler.service import SchedulerService
from runoff.scheduler.store import SchedulerStore
from runoff.servers import HEARTBEAT_SECONDS, ServerRegistry
from runoff.settings import Settings
from runoff.store.db import make_engine, migrate
from runoff.teams.service import TeamService
from runoff.timers import Timers

log = logging.getLogger(__name__)


class Platform:
    def __init__(
        self, settings: Settings, *, clock: Clock | None = None, executor: Executor | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = make_engine(settings.database_url)
        migrate(self.engine)
        self.auth = AuthService(self.engine, self.clock)
        self.apps = AppService(self.engine, self.clock)
        self.teams = TeamService(self.engine, self.clock)
        self.releases = ReleaseService(self.engine, self.clock)
        self.slugs = SlugService(self.engine, self.clock, settings.data_dir)
        # before the server registers: a sandbox that cannot work stops the start here
        self.executor = executor or self._local_executor(settings)
        self.log_store = LogStore(self.engine)
        self.router = LogRouter(self.log_store, self.clock, settings.log_tail_buffer_lines)
        self.log_sessions = LogSessions(self.engine, self.clock, settings.log_session_ttl_seconds)
        self.retention = Retention(self.log_store, self.clock, limits_from(settings))
        self.drains = DrainManager.configured(self.engine, self.router, self.clock, settings)
        self.registry = ServerRegistry(self.engine, self.clock)
        self.server = self.registry.register()
        # metrics follow dyno events; monitoring rows go with their add-on
        self.metrics = MetricsService(
            self.engine, self.clock, addon_destroy_hooks=[destroy_addon_rows]
        )
        self.dyno_store = DynoStore(
            self.engine, self.clock, listeners=[self.metrics.recorder.on_dyno_event]
        )
        self.timers = Timers(self.clock)
        quotas = Quotas(
            settings.memory_quota_scale,
            enforcement(settings.memory_limits, self.executor.enforces_memory),
        )
        self.lifecycle = DynoLifecycle(
            store=self.dyno_store,
            router=self.router,
            executor=self.executor,
            clock=self.clock,
            timers=self.timers,
            grace_seconds=settings.stop_grace_seconds,
            server_id=self.server.id,
            limits_for=quotas.limits_for,
        )
        self.runtime = RuntimeMonitor(
            lifecycle=self.lifecycle,
            quotas=quotas,
            router=self.router,
            store=MetricsStore(self.engine),
            clock=self.clock,
            settings=settings,
        )
        self.rendezvous = self._rendezvous(settings)
        self._wire_formation()
        self.dynos = DynoService(
            settings=settings,
            store=self.dyno_store,
            lifecycle=self.lifecycle,
            releases=self.releases,
            server_id=self.server.id,
            formation=self.formation_manager,
            rendezvous=self.rendezvous,
        )
        self._wire_release_phase_and_scheduler()
        self.monitoring = Monitoring(
            settings, self.engine, self.clock, self.dyno_store, self.log_store, self.metrics
        )
        self._heartbeat: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []

    def _local_executor(self, settings: Settings) -> LocalExecutor:
        """Raises ``SandboxUnavailable`` when dynos should be sandboxed and cannot be."""
        sandbox = None
        if settings.isolation == "sandbox":
            sandbox = Sandbox(settings.data_dir / "sandbox")
        else:
            log.warning(
                "RUNOFF_ISOLATION=none: dynos run as the server's user and see what it sees "
                "(its files, environment and processes); use it only for trusted apps"
            )
        return LocalExecutor(
            workspaces=WorkspaceProvider(settings.data_dir / "dynos", settings.workspace_mode),
            cgroups=Cgroups(settings.cgroups, resources=True),
            slug_tree=self.slugs.tree,
            memory_limits=settings.memory_limits,
            sandbox=sandbox,
        )

    @staticmethod
    def _rendezvous(settings: Settings) -> RendezvousServer:
        host = advertised_host(settings.host, settings.rendezvous_host)
        tls = tls_files(settings.data_dir, host, settings.rendezvous_cert, settings.rendezvous_key)
        return RendezvousServer(
            tls=tls,
            bind_host=settings.host,
            port=settings.rendezvous_port,
            public_host=host,
            handshake_seconds=settings.attach_handshake_seconds,
        )

    def _wire_formation(self) -> None:
        """The formation manager and daily cycling."""
        self.formation_store = FormationStore(self.engine, self.clock)
        self.formation_manager = FormationManager(
            formations=self.formation_store,
            dynos=self.dyno_store,
            lifecycle=self.lifecycle,
            releases=self.releases,
            router=self.router,
            timers=self.timers,
            settings=self.settings,
            server_id=self.server.id,
        )
        self.formations = FormationService(
            self.formation_store, self.releases, self.formation_manager.changed
        )
        # a subscription to release events, not wiring: the manager needs releases too
        self.releases.listeners.append(lambda app, release: self.formation_manager.changed(app.id))
        self.cycler = Cycler(store=self.dyno_store, lifecycle=self.lifecycle, timers=self.timers)

    def _wire_release_phase_and_scheduler(self) -> None:
        """What starts dynos through ``DynoService``: the release phase and the scheduler."""
        self.release_phase = ReleasePhase(
            releases=self.releases,
            apps=self.apps,
            dynos=self.dynos,
            dyno_store=self.dyno_store,
            lifecycle=self.lifecycle,
            router=self.router,
            timeout_seconds=self.settings.release_phase_timeout_seconds,
        )
        self.scheduler_store = SchedulerStore(self.engine, self.clock)
        self.scheduler_runner = SchedulerRunner(
            store=self.scheduler_store,
            apps=self.apps,
            dynos=self.dynos,
            dyno_store=self.dyno_store,
            restart=self.formation_manager.restart,
            stop_dyno=self.formation_manager.stop_dyno,
            timers=self.timers,
            server_id=self.server.id,
        )
        self.scheduler = SchedulerService(self.scheduler_store, self.scheduler_runner)

    # lifecycle -------------------------------------------------------------------------------
    def bootstrap(self) -> str | None:
        """Create the owner account on an empty store; returns a generated token to show once."""
        token = self.auth.bootstrap_owner(self.settings.admin_token)
        if token is not None:
            path = self.settings.data_dir / "admin-token"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IRUSR | stat.S_IWUSR)
            with os.fdopen(fd, "w") as handle:
                handle.write(token + "\n")
        return token

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self.router.attach_loop(loop)
        self.lifecycle.start(loop)
        await self.rendezvous.start()
        lost = await reconcile(
            registry=self.registry,
            me=self.server,
            store=self.dyno_store,
            router=self.router,
            executor=self.executor,
        )
        if lost:
            log.warning("reconciled %d dyno(s) left running by a server that died", len(lost))
        self.timers.start(loop)
        self.cycler.start()
        self.formation_manager.start(loop)
        await self.release_phase.start(loop)
        dead = await asyncio.to_thread(self.registry.dead, self.server)
        await self.scheduler_runner.start(loop, [server.id for server in dead])
        self.metrics.recorder.start()  # catches up with events recorded while it was down
        self.monitoring.start()
        self._heartbeat = loop.create_task(self._beat())
        await self.drains.start()
        self._background += [
            loop.create_task(self.retention.run(self.settings.log_prune_seconds)),
            loop.create_task(self.runtime.run()),
        ]

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                await asyncio.to_thread(self.registry.heartbeat, self.server)
            except Exception:
                log.exception("heartbeat failed")

    async def stop(self) -> None:
        """Graceful shutdown: stop every dyno (recorded as forced exits), then the router."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        try:
            await self.rendezvous.stop_accepting()
            await self.scheduler_runner.stop()
            await self.release_phase.stop()
            await self.formation_manager.stop()
            await self.lifecycle.shutdown()
            for task in self._background:
                task.cancel()
            await asyncio.gather(*self._background, return_exceptions=True)
            await self.drains.stop()
            self.cycler.stop()
            self.timers.stop()
            await self.rendezvous.close()
            await asyncio.to_thread(self.registry.stopped, self.server)
        finally:
            # After the lifecycle: the ends of the dynos it stopped get recorded too, then
            # evaluated by the monitors and their alerts sent.
            await asyncio.to_thread(self.metrics.recorder.stop)
            await asyncio.to_thread(self.monitoring.stop)
            await asyncio.to_thread(self.close)

    def close(self) -> None:
        self.router.close()
        self.engine.dispose()

    # cross-domain operations -----------------------------------------------------------------
    def create_app(self, owner: User, name: str | None) -> App:
        app = self.apps.create(owner, name)
        self.releases.create(app, owner, "Initial release", slug_id=None, config={})
        return app

    def create_team_app(self, creator: User, team: str, name: str | None) -> App:
        """An app owned by ``team`` (``creator`` must be a member; they are its owner of
        record)."""
        self.teams.get(creator, team)
        app = self.create_app(creator, name)
        self.teams.assign_app(creator, team, app.id)
        return app

    async def delete_app(self, app: App) -> None:
        await asyncio.to_thread(self.formation_store.clear, app.id)  # nothing comes back
        await self.dynos.stop_all(app, StopReason.APP_DELETED)
        slug_ids = await asyncio.to_thread(self.slugs.ids_for, app)
        await asyncio.to_thread(self.apps.delete, app)
        await asyncio.to_thread(self.log_store.delete_app, app.id)
        await self.drains.refresh()  # its drains went with it
        await asyncio.to_thread(self.slugs.forget_app, slug_ids)

    def upload_dir(self) -> Path:
        path = self.settings.data_dir / "uploads"
        path.mkdir(exist_ok=True)
        return path
