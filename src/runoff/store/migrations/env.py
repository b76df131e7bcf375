"""Alembic environment: runs against the connection handed over by ``runoff.store.db.migrate``."""

from __future__ import annotations

from alembic import context

from runoff.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is invoked by hand
    raise SystemExit("run migrations through `runoff migrate`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
context.run_migrations()
