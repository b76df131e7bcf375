"""``runoff server``: start the platform and serve the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any

from runoff import open_files
from runoff.platform import Platform
from runoff.settings import Settings
from runoff.store.faults import QuietFaults

log = logging.getLogger("runoff")


def main(host: str | None = None, port: int | None = None) -> int:
    """Serve until SIGINT/SIGTERM; 0 after a graceful stop, 1 if the server could not start.

    Port 0 (API or attached runs) picks a free port; the ``listening on`` and ``attached runs``
    lines, printed once both listen, name the ports actually bound.
    """
    import uvicorn

    from runoff.web.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    open_files.raise_limit()  # two descriptors a dyno: the common 1,024 would stop us near 500
    for handler in logging.getLogger().handlers:  # one line per outage, not a traceback a pass
        handler.addFilter(QuietFaults())
    settings = Settings.from_env()
    settings = settings.with_overrides(
        host=host or settings.host, port=settings.port if port is None else port
    )
    try:
        sock = listen(settings.host, settings.port)
    except OSError as exc:
        print(f"runoff: {exc.strerror}", file=sys.stderr, flush=True)
        return 1
    settings = settings.with_overrides(port=sock.getsockname()[1])
    platform = Platform(settings)
    token = platform.bootstrap()
    print(f"runoff: data in {settings.data_dir}", flush=True)
    if token is not None:
        print(
            f"runoff: created the owner account admin@localhost; its token (shown once, also in "
            f"{settings.data_dir / 'admin-token'}):\n{token}",
            flush=True,
        )
    config = uvicorn.Config(
        create_app(platform),
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _server_class()(config, lambda: _print_ready(platform))
    asyncio.run(server.serve(sockets=[sock]))
    if not server.started:
        print("runoff: the server could not start (see above)", file=sys.stderr, flush=True)
        return 1
    return 0


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket listening on ``host:port`` (port 0: a free one, read it from the socket).

    Raises ``OSError`` whose ``strerror`` names the address and the setting to change.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another port with RUNOFF_PORT or --port",
        ) from None
    # accepted sockets inherit this; asyncio sets it only on sockets created with proto=TCP,
    # and without it a response written in two parts waits ~40 ms for a delayed ACK (Nagle)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.set_inheritable(True)
    return sock


def _print_ready(platform: Platform) -> None:
    settings = platform.settings
    print(f"runoff: listening on http://{settings.host}:{settings.port}", flush=True)
    _print_dashboard(settings)
    _print_rendezvous(platform)


def _print_dashboard(settings: Settings) -> None:
    from runoff.web.dashboard.render import missing_assets

    print(f"runoff: dashboard at {settings.base_url}/dashboard (log in with a token)", flush=True)
    if problem := missing_assets():
        print(f"runoff: warning: {problem}", file=sys.stderr, flush=True)


def _print_rendezvous(platform: Platform) -> None:
    rendezvous = platform.rendezvous
    print(
        f"runoff: attached runs (`run`) connect with TLS to {rendezvous.public_host}:"
        f"{rendezvous.port}",
        flush=True,
    )
    if rendezvous.tls.ca is not None:
        print(
            f"runoff: its CA certificate is {rendezvous.tls.ca}; for the heroku CLI: "
            f"export NODE_EXTRA_CA_CERTS={rendezvous.tls.ca}",
            flush=True,
        )
    else:
        print(f"runoff: its certificate is {rendezvous.tls.cert}", flush=True)


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, minus re-raising SIGTERM after a graceful shutdown (exit 0), and
        calling ``ready`` once the platform has started and the API listens."""

        def __init__(self, config: uvicorn.Config, ready: Callable[[], None]) -> None:
            super().__init__(config)
            self._ready = ready

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                self._ready()

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            handled = (signal.SIGINT, signal.SIGTERM)
            original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in original.items():
                    signal.signal(sig, handler)

    return Server


def migrate_main() -> int:
    from runoff.store.db import make_migration_engine, migrate

    settings = Settings.from_env()
    engine = make_migration_engine(settings.database_url)
    migrate(engine)
    engine.dispose()
    print(f"runoff: schema of {engine.url.render_as_string(hide_password=True)} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
