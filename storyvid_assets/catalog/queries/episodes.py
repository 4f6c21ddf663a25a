"""Catalog reads and writes. Writes are upserts on each table's natural key, so reruns never duplicate."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.tables.core import (
    Base,
    EpisodeRow,
    MediaAssetRow,
    PlatformUploadRow,
    StoryRow,
    VideoRow,
)
from storyvid_assets.models import MediaRef, PlatformPost, RenderedVideo, Story

RowT = TypeVar("RowT", bound=Base)


def upsert(session: Session, model: type[RowT], keys: dict[str, Any], values: dict[str, Any]) -> RowT:
    """Update the row matching ``keys`` with ``values``, or insert it."""
    row = session.scalars(select(model).filter_by(**keys).with_for_update()).one_or_none()
    if row is None:
        row = model(**keys, **values)
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row


def current_attempt(session: Session, channel: str, date: str) -> int:
    """The partition's current attempt (1 when it was never made)."""
    row = session.scalars(select(EpisodeRow).filter_by(channel=channel, date=date)).one_or_none()
    return row.attempt if row else 1


def set_episode_status(session: Session, channel: str, date: str, status: str, attempt: int | None = None) -> None:
    values: dict[str, Any] = {"status": status}
    if attempt is not None:
        values["attempt"] = attempt
    elif current := session.scalars(select(EpisodeRow).filter_by(channel=channel, date=date)).one_or_none():
        values["attempt"] = current.attempt
    else:
        values["attempt"] = 1
    upsert(session, EpisodeRow, {"channel": channel, "date": date}, values)


def record_story(session: Session, channel: str, date: str, story: Story) -> StoryRow:
    return upsert(session, StoryRow, {"channel": channel, "date": date}, {
        "attempt": story.attempt, "title": story.title, "logline": story.logline, "genre": story.genre,
        "source": story.source, "provider": story.provider, "word_count": story.word_count,
        "scene_count": len(story.scenes), "text": story.text, "story_json": story.model_dump(mode="json"),
    })


def record_media(session: Session, channel: str, date: str, asset: str, attempt: int, ref: MediaRef,
                 details: dict[str, Any] | None = None) -> MediaAssetRow:
    return upsert(session, MediaAssetRow, {"key": ref.key}, {
        "channel": channel, "date": date, "asset": asset, "attempt": attempt, "sha256": ref.sha256,
        "bytes": ref.bytes, "content_type": ref.content_type, "details": details or {},
    })


def record_video(session: Session, channel: str, date: str, attempt: int, video: RenderedVideo) -> VideoRow:
    return upsert(session, VideoRow, {"channel": channel, "date": date, "format": video.format}, {
        "attempt": attempt, "key": video.video.key, "sha256": video.video.sha256, "width": video.width,
        "height": video.height, "duration": video.duration, "fps": video.fps, "encoder": video.encoder,
        "preset": video.preset,
    })


def record_post(session: Session, channel: str, date: str, content_sha256: str, post: PlatformPost,
                account: str = "default") -> PlatformUploadRow:
    return upsert(session, PlatformUploadRow, {
        "channel": channel, "date": date, "format": post.format, "platform": post.platform, "account": account,
    }, {
        "content_sha256": content_sha256, "status": post.status, "platform_video_id": post.post_id,
        "url": post.url, "attempts": post.attempts, "handle": {},
    })
