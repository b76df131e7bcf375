"""who asked a dyno to stop; finding a server's running dynos; a server's process identity

Revision ID: 0004_executor
Revises: 0003_monitor_runs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_executor"
down_revision = "0003_monitor_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs, never a batch rebuild (see 0003): existing rows get NULL.
    op.add_column("dynos", sa.Column("stop_requested_by", sa.String(length=255), nullable=True))
    op.add_column("servers", sa.Column("process", sa.String(length=128), nullable=True))
    # each server polls its running dynos for stop requests twice a second
    op.create_index("ix_dynos_server_ended", "dynos", ["server_id", "ended_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_dynos_server_ended", table_name="dynos")
    op.execute("ALTER TABLE servers DROP COLUMN process")
    op.execute("ALTER TABLE dynos DROP COLUMN stop_requested_by")
