"""Catalog tables of the episode itself: partitions, stories, media files, videos, publications and uploads.
Migrations in ``migrations/versions`` create them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime


class EpisodeRow(Timestamped, Base):
    """One partition (channel, date): its current attempt and where it stands."""

    __tablename__ = "episodes"
    __table_args__ = (UniqueConstraint("channel", "date", name="uq_episodes_partition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32), default="in_progress")
    # pinned when the episode is first made: the configuration version, the resolved tunable settings and the
    # experiment variants it was made with, and its features for learning (see analytics/)
    config_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    assignments: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    features: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)


class StoryRow(Timestamped, Base):
    __tablename__ = "stories"
    __table_args__ = (UniqueConstraint("channel", "date", name="uq_stories_partition"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    title: Mapped[str] = mapped_column(String(300))
    logline: Mapped[str] = mapped_column(Text)
    genre: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(32))
    provider: Mapped[str] = mapped_column(String(64))
    word_count: Mapped[int] = mapped_column(Integer)
    scene_count: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    story_json: Mapped[dict[str, Any]] = mapped_column(JSON)


class MediaAssetRow(Timestamped, Base):
    """Every media file in the media store, with its checksum."""

    __tablename__ = "media_assets"
    __table_args__ = (UniqueConstraint("key", name="uq_media_assets_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    bytes: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class VideoRow(Timestamped, Base):
    __tablename__ = "videos"
    __table_args__ = (UniqueConstraint("channel", "date", "format", name="uq_videos_partition_format"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    format: Mapped[str] = mapped_column(String(8))
    attempt: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(512))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    duration: Mapped[float] = mapped_column(Float)
    fps: Mapped[float] = mapped_column(Float)
    encoder: Mapped[str] = mapped_column(String(32))
    preset: Mapped[str] = mapped_column(String(32))


class PlatformUploadRow(Timestamped, Base):
    """One video on one platform account: the state of its upload and the post it became."""

    __tablename__ = "platform_uploads"
    __table_args__ = (
        UniqueConstraint("channel", "date", "format", "platform", "account", name="uq_platform_uploads_target"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    format: Mapped[str] = mapped_column(String(8))
    platform: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(128), default="default")
    content_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    platform_video_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    handle: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    deferred_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
