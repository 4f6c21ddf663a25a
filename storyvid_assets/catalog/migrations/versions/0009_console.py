"""The console's audit trail of admin and operator actions (configuration, runs, uploads, users, logins), and
``review_users.must_change_password`` (set by an admin's password reset).

Revision ID: 0009_console
Revises: 0008_moderation_policy
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_console"
down_revision = "0008_moderation_policy"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("target", sa.String(256), nullable=False),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("client", sa.String(64), nullable=True),
    )
    op.create_index("ix_console_audit_log_at", "console_audit_log", ["at"])
    with op.batch_alter_table("review_users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("review_users") as batch:
        batch.drop_column("must_change_password")
    op.drop_table("console_audit_log")
