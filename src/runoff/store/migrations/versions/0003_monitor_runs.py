"""runs counted by execution-time monitors; when each monitor started counting

Revision ID: 0003_monitor_runs
Revises: 0002_dashboard
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_monitor_runs"
down_revision = "0002_dashboard"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN (with a default, so NOT NULL is allowed), never a batch rebuild: on
    # SQLite a rebuild drops the old table, and with foreign keys on that deletes the rows
    # referring to it. Existing monitors count from their creation, as before.
    op.add_column(
        "monitors",
        sa.Column("counting_since", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
    )
    op.execute("UPDATE monitors SET counting_since = created_at")

    op.create_table(
        "monitor_runs",
        sa.Column("monitor_id", sa.String(length=36), nullable=False),
        sa.Column("dyno_id", sa.String(length=36), nullable=False),
        sa.Column("addon_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["addon_id"],
            ["addons.id"],
            name=op.f("fk_monitor_runs_addon_id_addons"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dyno_id"],
            ["dynos.id"],
            name=op.f("fk_monitor_runs_dyno_id_dynos"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["monitors.id"],
            name=op.f("fk_monitor_runs_monitor_id_monitors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("monitor_id", "dyno_id", name="pk_monitor_runs"),
    )
    op.create_index("ix_monitor_runs_at", "monitor_runs", ["at"], unique=False)
    op.create_index("ix_monitor_runs_dyno", "monitor_runs", ["dyno_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_monitor_runs_dyno", table_name="monitor_runs")
    op.drop_index("ix_monitor_runs_at", table_name="monitor_runs")
    op.drop_table("monitor_runs")
    op.execute("ALTER TABLE monitors DROP COLUMN counting_since")  # not a rebuild (see above)
