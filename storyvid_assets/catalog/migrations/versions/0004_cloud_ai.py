"""Cloud AI: the cost ledger and the daily budget state per channel and provider.

Revision ID: 0004_cloud_ai
Revises: 0001_initial
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_cloud_ai"
down_revision = "0001_initial"
branch_labels = ("cloud_ai",)
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "cost_ledger",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), nullable=False, index=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("date", sa.String(10), nullable=False, index=True),
        sa.Column("asset", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False, index=True),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("tier", sa.String(16)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("units", sa.JSON, nullable=False),
        sa.Column("cost_usd", sa.Float, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("day", sa.String(10), nullable=False, index=True),
        *_timestamps(),
    )
    op.create_table(
        "budget_state",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("budget_usd", sa.Float, nullable=False),
        sa.Column("spent_usd", sa.Float, nullable=False),
        sa.Column("tier", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.UniqueConstraint("channel", "provider", "day", name="uq_budget_state_channel_provider_day"),
    )


def downgrade() -> None:
    op.drop_table("budget_state")
    op.drop_table("cost_ledger")
