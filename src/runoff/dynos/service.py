"""Dyno operations as the API offers them: create, list, info, stop, restart."""

from __future__ import annotations

import asyncio
import builtins
import re
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError

from runoff.apps.model import (
    MAX_COMMAND_BYTES,
    MAX_ENVIRONMENT_BYTES,
    App,
    Release,
    environment_bytes,
)
from runoff.apps.procfile import resolve_command
from runoff.apps.releases import MAX_CONFIG_NAME, MAX_CONFIG_VALUE, ReleaseService
from runoff.dynos import sizes
from runoff.dynos.attach import Attachment, AttachPoint, split_exit_marker, window_from_env
from runoff.dynos.lifecycle import DynoLifecycle, Launch
from runoff.dynos.model import Dyno, State, StopReason
from runoff.dynos.rendezvous import RendezvousServer
from runoff.dynos.store import DynoStore
from runoff.errors import BadRequest, Conflict, Invalid, NotFound, Unavailable
from runoff.ranges import Page
from runoff.settings import Settings
from runoff.wholes import whole

DYNO_TYPE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
ENV_KEY = re.compile(r"^\w+$", re.ASCII)
MAX_TTL_SECONDS = 86400
BASE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class CreateRequest:
    command: str
    attach: bool
    env: dict[str, str]
    size: str
    type: str
    ttl_seconds: int
    force_no_tty: bool


def parse_create(body: Any, default_ttl: int) -> CreateRequest:
    """Validate a ``POST /apps/{app}/dynos`` body (Heroku's fields)."""
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    command = body.get("command")
    if not isinstance(command, str) or not command.strip():
        raise Invalid("command is required: the command to run, e.g. `bash` or `rake db:migrate`")
    if len(command.encode("utf-8", "surrogatepass")) > MAX_COMMAND_BYTES:
        raise Invalid(f"command is larger than {MAX_COMMAND_BYTES} bytes")
    if "\x00" in command:
        raise Invalid("command must not contain NUL characters")
    env_in = body.get("env") or {}
    if not isinstance(env_in, dict):
        raise Invalid("env must be an object of NAME: value")
    env: dict[str, str] = {}
    for key, value in env_in.items():
        if not ENV_KEY.match(str(key)) or len(key) > MAX_CONFIG_NAME:
            raise Invalid(
                f"Invalid env var name {str(key)[:40]!r}: use only letters, digits and _, "
                f"at most {MAX_CONFIG_NAME} characters"
            )
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise Invalid(f"env var {key} must be a string")
        text = str(value)
        if len(text.encode("utf-8", "surrogatepass")) > MAX_CONFIG_VALUE or "\x00" in text:
            raise Invalid(f"env var {key} must be at most {MAX_CONFIG_VALUE} bytes, without NUL")
        env[str(key)] = text
    ttl = body.get("time_to_live", default_ttl)
    if isinstance(ttl, str):
        ttl = whole(ttl)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 < ttl <= MAX_TTL_SECONDS:
        raise Invalid(f"time_to_live must be a whole number of seconds from 1 to {MAX_TTL_SECONDS}")
    dyno_type = body.get("type") or "run"
    if not isinstance(dyno_type, str) or not DYNO_TYPE.match(dyno_type):
        raise Invalid("type must be 1-30 letters, digits, '-' or '_' (it prefixes the dyno name)")
    size = body.get("size") or sizes.DEFAULT_SIZE
    if not isinstance(size, str):
        raise Invalid("size must be a string such as standard-1X")
    return CreateRequest(
        command=command,
        attach=bool(body.get("attach", False)),
        env=env,
        size=sizes.lookup(size).name,
        type=dyno_type,
        ttl_seconds=ttl,
        force_no_tty=bool(body.get("force_no_tty") or False),
    )


def dyno_env(release: Release | None, request_env: dict[str, str], name: str) -> dict[str, str]:
    """Base, then the release's config vars, then the request's env, then platform values."""
    env = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
    if release is not None:
        env.update(release.config)
    env.update(request_env)
    env["DYNO"] = name
    return env


class FormationRestarts(Protocol):
    """What ``restart`` asks of the formation manager."""

    async def restart(
        self,
        app_id: str,
        *,
        type: str | None = None,
        name: str | None = None,
        reason: StopReason = StopReason.RESTART,
        by: str | None = None,
    ) -> list[Dyno]: ...

    def crashed(self, app_id: str, running: list[Dyno]) -> list[Dyno]: ...


class DynoService:
    def __init__(
        self,
        *,
        settings: Settings,
        store: DynoStore,
        lifecycle: DynoLifecycle,
        releases: ReleaseService,
        server_id: str,
        formation: FormationRestarts,
        rendezvous: RendezvousServer | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._lifecycle = lifecycle
        self._releases = releases
        self._server_id = server_id
        self._formation = formation
        self._rendezvous = rendezvous

    async def create(
        self,
        app: App,
        request: CreateRequest,
        attachment: Attachment | None = None,
        *,
        release: Release | None = None,
    ) -> Dyno:
        """Record a one-off dyno (durably, before anything runs) and start it; with
        ``attachment``, on that terminal instead of the logs.

        It runs the current release, or ``release`` when given (the release phase runs the
        release being made before it is current).
        """
        chosen = release

        def prepare() -> Launch:
            release = chosen or self._releases.current(app.id)
            command = resolve_command(request.command, release.process_types if release else {})
            size = environment_bytes(dyno_env(release, request.env, "run.1"))
            if size > MAX_ENVIRONMENT_BYTES:
                raise Invalid(
                    f"The dyno's environment (config vars and env) would be {size} bytes; "
                    f"at most {MAX_ENVIRONMENT_BYTES} fit"
                )
            dyno = self._create_record(app, request, release, command)
            slug_id = release.slug_id if release is not None else None
            env = dyno_env(release, request.env, dyno.name)
            return Launch(dyno, command, env, slug_id, attachment)

        return await self._lifecycle.launch(prepare)

    async def create_attached(self, app: App, request: CreateRequest) -> tuple[Dyno, AttachPoint]:
        """Start a one-off dyno on a terminal (a pty unless ``force_no_tty``) and make the
        single-use rendezvous URL its client connects to."""
        if self._rendezvous is None:
            raise Unavailable("This server does not accept attached runs; use run:detached.")
        # ``heroku run -x`` adds a marker echo; the record keeps the command as the user typed it
        command, marker = split_exit_marker(request.command)
        attachment = Attachment(
            tty=not request.force_no_tty,
            window=window_from_env(request.env),
            exit_marker=marker,
            idle_seconds=self._settings.attach_idle_seconds,
        )
        dyno = await self.create(app, replace(request, command=command), attachment)
        if dyno.state is State.CRASHED:
            raise Unavailable(
                f"{dyno.name} could not start; see `runoff logs -a {app.name} -d {dyno.name}`"
            )
        secret = self._rendezvous.expect(
            attachment, dyno.name, self._settings.attach_timeout_seconds
        )
        return dyno, AttachPoint(self._rendezvous.url(secret), self._rendezvous.fingerprint)

    def _create_record(
        self, app: App, request: CreateRequest, release: Release | None, command: str
    ) -> Dyno:
        try:
            return self._store.create(
                app_id=app.id,
                release_id=release.id if release else None,
                release_version=release.version if release else None,
                type=request.type,
                command=command,
                size=request.size,
                attach=request.attach,
                one_off=True,
                ttl_seconds=request.ttl_seconds,
                server_id=self._server_id,
                one_off_limit=self._settings.oneoff_limit,
            )
        except IntegrityError:  # a formation dyno holds the name (e.g. --type web)
            raise Conflict(
                f"A {request.type} dyno with the next number is running; "
                "choose another --type for this one-off"
            ) from None

    def list(self, app: App) -> list[Dyno]:
        """Running dynos, then formation dynos that crashed and wait for their restart."""
        running = self._store.running(app.id)
        return running + self._formation.crashed(app.id, running)

    def page(self, app: App, page: Page) -> tuple[builtins.list[Dyno], bool]:
        """The dynos ``list`` shows that fall in ``page``, in its order, and whether more
        follow: running ones from one query, crashed formation dynos merged in."""
        running = self._store.running_page(app.id, page)
        crashed = [d for d in self._formation.crashed(app.id, running) if page.holds(d)]
        merged = {dyno.id: dyno for dyno in [*running, *crashed]}.values()
        ordered = sorted(merged, key=page.key, reverse=page.descending)[: page.limit + 1]
        return ordered[: page.limit], len(ordered) > page.limit

    def get(self, app: App, name: str) -> Dyno:
        return self._store.find(app.id, name)

    async def stop(self, app: App, name: str, by: str | None = None) -> Dyno:
        """Stop the dyno wherever it runs (``by``: who asked, kept with the stop)."""
        dyno = await asyncio.to_thread(self._store.find, app.id, name)
        if not dyno.running:
            raise NotFound(f"Couldn't find that dyno: {name} is not running")
        await self._lifecycle.stop(dyno, StopReason.STOPPED, by)
        return dyno

    async def restart(self, app: App, name: str | None, by: str | None = None) -> None:
        """Restart formation dynos (all of them, or ``name``); one-offs are never restarted.

        Formation dynos are stopped and the formation manager brings them back on the current
        release. ``name`` of a one-off stops it (it does not come back); without ``name``
        one-offs are left alone.
        """
        if name is None:
            await self._formation.restart(app.id, by=by)
            return
        dyno = await asyncio.to_thread(self._store.find, app.id, name)
        if not dyno.running:
            raise NotFound(f"Couldn't find that dyno: {name} is not running")
        if dyno.one_off:
            await self._lifecycle.stop(dyno, StopReason.STOPPED, by)
        else:
            await self._formation.restart(app.id, name=dyno.name, by=by)

    async def restart_type(
        self,
        app: App,
        type: str,
        reason: StopReason = StopReason.RESTART,
        by: str | None = None,
    ) -> builtins.list[Dyno]:
        """Restart (or with ``StopReason.STOPPED``, stop) the formation dynos of ``type``;
        they come back as the formation asks. A type with no formation dyno is a 404."""
        restarted = await self._formation.restart(app.id, type=type, reason=reason, by=by)
        if not restarted:
            release = await asyncio.to_thread(self._releases.current, app.id)
            if release is None or type not in release.process_types:
                raise NotFound(f"Couldn't find that process type ({type}).")
        return restarted

    async def stop_all(self, app: App, reason: StopReason) -> None:
        for dyno in await asyncio.to_thread(self._store.running, app.id):
            await self._lifecycle.stop(dyno, reason)
        for dyno in await asyncio.to_thread(self._store.running, app.id):
            await self._lifecycle.wait(dyno.id)
