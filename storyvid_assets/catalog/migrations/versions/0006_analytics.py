"""Analytics loop: daily metrics with revenue and source, lifetime snapshots, versioned configurations with
their audit trail, experiments, and what each episode was made with.

``model_configurations`` was created in ``0001_initial`` but never written; it is recreated in the shape of
a versioned configuration (name, settings, is_active, version, created_at).

Revision ID: 0006_analytics
Revises: 0005_merge_heads
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics"
down_revision = "0005_merge_heads"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("config_version", sa.Integer))
        batch.add_column(sa.Column("settings", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("assignments", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("features", sa.JSON, nullable=False, server_default="{}"))
        batch.add_column(sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()))
    with op.batch_alter_table("analytics_data") as batch:
        batch.add_column(sa.Column("channel", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("avg_view_pct", sa.Float))
        batch.add_column(sa.Column("completion_rate", sa.Float))
        batch.add_column(sa.Column("revenue_usd", sa.Float))
        batch.add_column(sa.Column("source", sa.String(16), nullable=False, server_default="api"))
        batch.add_column(sa.Column("simulated", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False,
                                   server_default=sa.func.now()))
        batch.create_index("ix_analytics_data_channel", ["channel"])
        batch.create_index("ix_analytics_data_day", ["day"])
    op.create_table(
        "metric_snapshots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("platform_uploads.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("day", sa.String(10), nullable=False, index=True),
        sa.Column("values", sa.JSON, nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("upload_id", "day", name="uq_metric_snapshots_upload_day"),
    )
    op.drop_table("model_configurations")
    op.create_table(
        "model_configurations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.UniqueConstraint("channel", "version", name="uq_model_configurations_channel_version"),
    )
    op.create_table(
        "configuration_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("proposal_key", sa.String(256), nullable=False),
        sa.Column("source", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("from_version", sa.Integer),
        sa.Column("to_version", sa.Integer),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("review_item_id", sa.Integer),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("channel", "proposal_key", name="uq_configuration_changes_proposal"),
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("ended_on", sa.String(10)),
        sa.Column("change_id", sa.Integer),
        *_timestamps(),
        sa.UniqueConstraint("channel", "name", name="uq_experiments_channel_name"),
    )


def downgrade() -> None:
    for table in ("experiments", "configuration_changes", "model_configurations", "metric_snapshots"):
        op.drop_table(table)
    op.create_table(
        "model_configurations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("model", sa.String(128)),
        sa.Column("settings", sa.JSON, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("active", sa.Boolean, nullable=False),
        *_timestamps(),
    )
    with op.batch_alter_table("analytics_data") as batch:
        batch.drop_index("ix_analytics_data_day")
        batch.drop_index("ix_analytics_data_channel")
        for column in ("collected_at", "simulated", "source", "revenue_usd", "completion_rate", "avg_view_pct",
                       "channel"):
            batch.drop_column(column)
    with op.batch_alter_table("episodes") as batch:
        for column in ("simulated", "features", "assignments", "settings", "config_version"):
            batch.drop_column(column)
