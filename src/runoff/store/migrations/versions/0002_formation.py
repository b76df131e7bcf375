"""formation, release phase and scheduler

Revision ID: 0002_formation
Revises: 0001
Create Date: 2026-11-24 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_formation"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dynos", schema=None) as batch_op:
        batch_op.create_index(
            "uq_dynos_running_name",
            ["app_id", "name"],
            unique=True,
            sqlite_where=sa.text("ended_at IS NULL"),
            postgresql_where=sa.text("ended_at IS NULL"),
        )
    op.create_table(
        "formations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"], ["apps.id"], name=op.f("fk_formations_app_id_apps"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formations")),
        sa.UniqueConstraint("app_id", "type", name="uq_formations_app_type"),
    )
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("command", sa.Text(), nullable=False),
        sa.Column("schedule", sa.String(length=128), nullable=False),
        sa.Column("size", sa.String(length=32), nullable=False),
        sa.Column("overlap", sa.String(length=16), nullable=False),
        sa.Column("checked_until", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_scheduler_jobs_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_jobs")),
        sa.UniqueConstraint("app_id", "number", name="uq_scheduler_jobs_app_number"),
    )
    op.create_table(
        "scheduler_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("slot_key", sa.String(length=64), nullable=False),
        sa.Column("slot_at", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("dyno_id", sa.String(length=36), nullable=True),
        sa.Column("dyno_name", sa.String(length=64), nullable=True),
        sa.Column("server_id", sa.String(length=36), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["scheduler_jobs.id"],
            name=op.f("fk_scheduler_runs_job_id_scheduler_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_runs")),
        sa.UniqueConstraint("job_id", "slot_key", name="uq_scheduler_runs_job_slot"),
    )
    with op.batch_alter_table("scheduler_runs", schema=None) as batch_op:
        batch_op.create_index("ix_scheduler_runs_job", ["job_id", "slot_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduler_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduler_runs_job")
    op.drop_table("scheduler_runs")
    op.drop_table("scheduler_jobs")
    op.drop_table("formations")
    with op.batch_alter_table("dynos", schema=None) as batch_op:
        batch_op.drop_index("uq_dynos_running_name")
