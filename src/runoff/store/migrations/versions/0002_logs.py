"""logs as chunks, log drains, dyno runtime metrics

Log lines move from one row per line (``log_lines``) to chunks of consecutive lines
(``log_chunks``); existing lines are carried over as one-line chunks.

Revision ID: 0002_logs
Revises: 0002_formation (chained after it when main was merged in)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_logs"
down_revision = "0002_formation"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "log_chunks",
        sa.Column("first_id", ID, autoincrement=False, nullable=False),
        sa.Column("last_id", sa.BigInteger(), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("dyno", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("first_at", sa.BigInteger(), nullable=False),
        sa.Column("last_at", sa.BigInteger(), nullable=False),
        sa.Column("codec", sa.SmallInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("times", sa.LargeBinary(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("first_id", name=op.f("pk_log_chunks")),
    )
    op.create_index("ix_log_chunks_app", "log_chunks", ["app_id", "last_id"])
    op.create_index("ix_log_chunks_app_dyno", "log_chunks", ["app_id", "dyno", "last_id"])
    op.create_index("ix_log_chunks_last_at", "log_chunks", ["last_at"])
    if op.get_bind().dialect.name == "postgresql":
        # chunks are compressed already: keep PostgreSQL from trying again (TOAST pglz)
        op.execute("ALTER TABLE log_chunks ALTER COLUMN data SET STORAGE EXTERNAL")
    op.execute(
        "INSERT INTO log_chunks (first_id, last_id, app_id, dyno, source, first_at, last_at,"
        " codec, size, times, data) SELECT id, id, app_id, dyno, source, at, at, 0,"
        " length(message), NULL, message FROM log_lines"
    )
    op.drop_index("ix_log_lines_app_dyno", table_name="log_lines")
    op.drop_index("ix_log_lines_app", table_name="log_lines")
    op.drop_table("log_lines")

    op.create_table(
        "log_drains",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["app_id"],
            ["apps.id"],
            name=op.f("fk_log_drains_app_id_apps"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_drains")),
        sa.UniqueConstraint("app_id", "url", name="uq_log_drains_app_url"),
        sa.UniqueConstraint("token", name=op.f("uq_log_drains_token")),
    )

    op.create_table(
        "dyno_metrics",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("dyno_id", sa.String(length=36), nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("load_avg_1m", sa.Float(), nullable=False),
        sa.Column("load_avg_5m", sa.Float(), nullable=False),
        sa.Column("load_avg_15m", sa.Float(), nullable=False),
        sa.Column("memory_total", sa.BigInteger(), nullable=False),
        sa.Column("memory_rss", sa.BigInteger(), nullable=False),
        sa.Column("memory_cache", sa.BigInteger(), nullable=False),
        sa.Column("memory_swap", sa.BigInteger(), nullable=False),
        sa.Column("memory_pgpgin", sa.BigInteger(), nullable=False),
        sa.Column("memory_pgpgout", sa.BigInteger(), nullable=False),
        sa.Column("memory_quota", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dyno_id"],
            ["dynos.id"],
            name=op.f("fk_dyno_metrics_dyno_id_dynos"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dyno_metrics")),
    )
    op.create_index("ix_dyno_metrics_dyno", "dyno_metrics", ["dyno_id", "at"])
    op.create_index("ix_dyno_metrics_app", "dyno_metrics", ["app_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_dyno_metrics_app", table_name="dyno_metrics")
    op.drop_index("ix_dyno_metrics_dyno", table_name="dyno_metrics")
    op.drop_table("dyno_metrics")
    op.drop_table("log_drains")
    op.create_table(
        "log_lines",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("app_id", sa.String(length=36), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("dyno", sa.String(length=64), nullable=False),
        sa.Column("message", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log_lines")),
    )
    op.create_index("ix_log_lines_app", "log_lines", ["app_id", "id"])
    op.create_index("ix_log_lines_app_dyno", "log_lines", ["app_id", "dyno", "id"])
    # chunks do not fit back into rows of one line without unpacking them: they are dropped
    op.drop_index("ix_log_chunks_last_at", table_name="log_chunks")
    op.drop_index("ix_log_chunks_app_dyno", table_name="log_chunks")
    op.drop_index("ix_log_chunks_app", table_name="log_chunks")
    op.drop_table("log_chunks")
