"""``runoff server``: start the platform and serve the API."""

from __future__ import annotations

import asyncio
import logging
import sys

from runoff.platform import Platform
from runoff.settings import Settings

log = logging.getLogger("runoff")


def main(host: str | None = None, port: int | None = None) -> int:
    import uvicorn

    from runoff.web.app import create_app

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
    server = uvicorn.Server(config)
    print(f"runoff: listening on http://{settings.host}:{settings.port}", flush=True)
    asyncio.run(server.serve())
    return 0


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
