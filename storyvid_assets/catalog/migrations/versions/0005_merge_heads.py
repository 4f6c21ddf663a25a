"""Merge the review, distribution and cloud AI branches into one line of history.

``0002_review``, ``0003_distribution`` and ``0004_cloud_ai`` each descend from ``0001_initial``; a catalog
migrated before this revision holds all three in ``alembic_version``. Upgrading it to ``head`` replaces the
three rows with this one; nothing in the schema changes.

Revision ID: 0005_merge_heads
Revises: 0002_review, 0003_distribution, 0004_cloud_ai
Create Date: 2027-01-10
"""

from __future__ import annotations

revision = "0005_merge_heads"
down_revision = ("0002_review", "0003_distribution", "0004_cloud_ai")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
