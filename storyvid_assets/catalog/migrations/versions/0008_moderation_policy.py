"""Moderation policy versions and automatic regenerations.

``review_items.policy_version`` and ``moderation_judgements`` record which policy (word lists, thresholds,
preset, regions; see ``moderation/version.py``) judged each check of each episode attempt, so a change of
the lists finds the episodes judged under the old ones. ``review_decisions.automatic`` marks the decisions
the system took itself: a failed gate regenerates its asset before it asks a person.

Revision ID: 0008_moderation_policy
Revises: 0007_credentials
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_moderation_policy"
down_revision = "0007_credentials"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("review_items") as batch:
        batch.add_column(sa.Column("policy_version", sa.String(32), nullable=True))
    with op.batch_alter_table("review_decisions") as batch:
        batch.add_column(sa.Column("automatic", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "moderation_judgements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("asset", sa.String(64), nullable=False),
        sa.Column("check_name", sa.String(128), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("policy_version", sa.String(32), nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("blocking_findings", sa.Integer, nullable=False),
        sa.Column("content_checked", sa.Boolean, nullable=True),
        sa.Column("run_id", sa.String(64), nullable=True),
        sa.Column("judged_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("channel", "date", "check_name", "attempt", name="uq_moderation_judgements_check"),
    )
    op.create_index("ix_moderation_judgements_policy_version", "moderation_judgements", ["policy_version"])
    op.create_index("ix_moderation_judgements_partition", "moderation_judgements", ["channel", "date"])


def downgrade() -> None:
    op.drop_table("moderation_judgements")
    with op.batch_alter_table("review_decisions") as batch:
        batch.drop_column("automatic")
    with op.batch_alter_table("review_items") as batch:
        batch.drop_column("policy_version")
