"""Credential store: rotating platform tokens (TikTok refresh tokens, the Graph user token), encrypted at rest.

One row per credential name; ``secret`` holds a Fernet token (never the clear value), ``version`` is bumped by
every write and a refresh only succeeds when the version it read is still current (compare-and-swap), so two
workers refreshing at once never lose the newer token. ``seed_digest`` is a keyed digest of the environment
value the row was seeded from (a changed environment value means the operator issued a new token).

Revision ID: 0007_credentials
Revises: 0006_analytics
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_credentials"
down_revision = "0006_analytics"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("secret", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True)),
        sa.Column("refreshed_at", sa.DateTime(timezone=True)),
        sa.Column("seed_digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", name="uq_credentials_name"),
    )


def downgrade() -> None:
    op.drop_table("credentials")
