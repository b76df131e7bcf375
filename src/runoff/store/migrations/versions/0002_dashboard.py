"""dashboard sign-in sessions

Revision ID: 0002_dashboard
Revises: 0002_monitors (main's head when the branch started; re-chained at merge)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_dashboard"
down_revision = "0002_monitors"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("secret_sha256", sa.String(length=64), nullable=False),
        sa.Column("authorization_id", sa.String(length=36), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["authorization_id"],
            ["authorizations.id"],
            name=op.f("fk_dashboard_sessions_authorization_id_authorizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
        sa.UniqueConstraint("secret_sha256", name=op.f("uq_dashboard_sessions_secret_sha256")),
    )
    op.create_index(
        "ix_dashboard_sessions_expires", "dashboard_sessions", ["expires_at"], unique=False
    )
    op.create_index(
        "ix_dashboard_sessions_authorization",
        "dashboard_sessions",
        ["authorization_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_dashboard_sessions_authorization", table_name="dashboard_sessions")
    op.drop_index("ix_dashboard_sessions_expires", table_name="dashboard_sessions")
    op.drop_table("dashboard_sessions")
