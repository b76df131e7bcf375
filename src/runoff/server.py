"""``runoff server``: start the platform and serve the API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterator
from typing import Any

from runoff.platform import Platform
from runoff.settings import Settings

log = logging.getLogger("runoff")


def main(host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    from runoff.web.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings.from_env()
    settings = settings.with_overrides(
        host=host or settings.host, port=settings.port if port is None else port
    )
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
        host=settings.host,
        port=settings.port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=5,
    )
    server = _server_class()(config)
    print(f"runoff: listening on http://{settings.host}:{settings.port}", flush=True)
    _print_dashboard(settings)
    _print_rendezvous(platform)
    asyncio.run(server.serve())
    return 0


def _print_dashboard(settings: Settings) -> None:
    from runoff.web.dashboard.render import missing_assets

    print(f"runoff: dashboard at {settings.base_url}/dashboard (log in with a token)", flush=True)
    if problem := missing_assets():
        print(f"runoff: warning: {problem}", file=sys.stderr, flush=True)


def _print_rendezvous(platform: Platform) -> None:
    rendezvous, port = platform.rendezvous, platform.settings.rendezvous_port
    where = f"{rendezvous.public_host}:{port}" if port else f"{rendezvous.public_host} (any port)"
    print(f"runoff: attached runs (`run`) connect with TLS to {where}", flush=True)
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
        """uvicorn's server, minus re-raising SIGTERM after a graceful shutdown (exit 0)."""

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
