"""Initial catalog: episodes, stories, media_assets, videos, platform_uploads, analytics_data, model_configurations.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _partition() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(64), nullable=False, index=True),
        sa.Column("date", sa.String(10), nullable=False, index=True),
    ]


def upgrade() -> None:
    op.create_table(
        "episodes", *_partition(),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("channel", "date", name="uq_episodes_partition"),
    )
    op.create_table(
        "stories", *_partition(),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("logline", sa.Text, nullable=False),
        sa.Column("genre", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("provider", sa.String(64), nullable=False),
        sa.Column("word_count", sa.Integer, nullable=False),
        sa.Column("scene_count", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("story_json", sa.JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("channel", "date", name="uq_stories_partition"),
    )
    op.create_table(
        "media_assets", *_partition(),
        sa.Column("asset", sa.String(64), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("bytes", sa.Integer, nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("key", name="uq_media_assets_key"),
    )
    op.create_table(
        "videos", *_partition(),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("duration", sa.Float, nullable=False),
        sa.Column("fps", sa.Float, nullable=False),
        sa.Column("encoder", sa.String(32), nullable=False),
        sa.Column("preset", sa.String(32), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("channel", "date", "format", name="uq_videos_partition_format"),
    )
    op.create_table(
        "platform_uploads", *_partition(),
        sa.Column("format", sa.String(8), nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("account", sa.String(128), nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("platform_video_id", sa.String(256)),
        sa.Column("url", sa.String(1024)),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("handle", sa.JSON, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("deferred_until", sa.DateTime(timezone=True)),
        *_timestamps(),
        sa.UniqueConstraint("channel", "date", "format", "platform", "account", name="uq_platform_uploads_target"),
    )
    op.create_table(
        "analytics_data",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("platform_uploads.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("views", sa.Integer, nullable=False),
        sa.Column("likes", sa.Integer, nullable=False),
        sa.Column("comments", sa.Integer, nullable=False),
        sa.Column("shares", sa.Integer, nullable=False),
        sa.Column("watch_time_s", sa.Float, nullable=False),
        sa.Column("extra", sa.JSON, nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("upload_id", "day", name="uq_analytics_upload_day"),
    )
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


def downgrade() -> None:
    for table in ("model_configurations", "analytics_data", "platform_uploads", "videos", "media_assets",
                  "stories", "episodes"):
        op.drop_table(table)
