"""Distribution: upload_states, upload_events, quota_ledger, distribution_alerts.

Revision ID: 0003_distribution
Revises: 0001_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_distribution"
down_revision = "0001_initial"
branch_labels = ("distribution",)
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _upload_fk(nullable: bool = False) -> sa.Column:
    return sa.Column(
        "upload_id", sa.Integer, sa.ForeignKey("platform_uploads.id", ondelete="CASCADE"), nullable=nullable, index=True
    )


def upgrade() -> None:
    op.create_table(
        "upload_states",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("account", sa.String(128), nullable=False),
        _upload_fk(),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("lease_owner", sa.String(128)),
        sa.Column("lease_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.UniqueConstraint("content_sha256", "platform", "account", name="uq_upload_states_identity"),
    )
    op.create_table(
        "upload_events",
        sa.Column("id", sa.Integer, primary_key=True),
        _upload_fk(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "quota_ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("window", sa.String(32), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("used", sa.Integer, nullable=False),
        sa.Column("limit", sa.Integer, nullable=False),
        sa.Column("resets_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("exhausted_until", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.UniqueConstraint("platform", "account", "window", name="uq_quota_ledger_window"),
    )
    op.create_table(
        "distribution_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        _upload_fk(nullable=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        *_timestamps(),
    )


def downgrade() -> None:
    for table in ("distribution_alerts", "quota_ledger", "upload_events", "upload_states"):
        op.drop_table(table)
