"""Per-channel controls set in the console: the daily schedule switch and daily budget overrides.

Revision ID: 0010_channel_controls
Revises: 0009_console
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_channel_controls"
down_revision = "0009_console"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_controls",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("schedule_enabled", sa.Boolean, nullable=False),
        sa.Column("budgets_usd", sa.JSON, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("updated_by", sa.String(128), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_controls")
