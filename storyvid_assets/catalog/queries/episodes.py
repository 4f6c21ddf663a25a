"""Episodes, their stories and their videos. Writes are upserts on each table's natural key, so reruns never
duplicate."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import get_or_create, upsert
from storyvid_assets.catalog.tables.core import EpisodeRow, StoryRow, VideoRow
from storyvid_assets.models import RenderedVideo, Story


def current_attempt(session: Session, channel: str, date: str) -> int:
    """The partition's current attempt (1 when it was never made)."""
    row = session.scalars(select(EpisodeRow).filter_by(channel=channel, date=date)).one_or_none()
    return row.attempt if row else 1


def set_episode_status(session: Session, channel: str, date: str, status: str, attempt: int | None = None) -> None:
    """Set the partition's status, and its attempt when given (a new episode starts at attempt 1)."""
    row, created = get_or_create(
        session, EpisodeRow, {"channel": channel, "date": date}, {"status": status, "attempt": attempt or 1}
    )
    if not created:
        row.status = status
        if attempt is not None:
            row.attempt = attempt
        session.flush()


def record_story(session: Session, channel: str, date: str, story: Story) -> StoryRow:
    return upsert(session, StoryRow, {"channel": channel, "date": date}, {
        "attempt": story.attempt, "title": story.title, "logline": story.logline, "genre": story.genre,
        "source": story.source, "provider": story.provider, "word_count": story.word_count,
        "scene_count": len(story.scenes), "text": story.text, "story_json": story.model_dump(mode="json"),
    })


def story_row(session: Session, channel: str, date: str) -> StoryRow | None:
    """The partition's story (of its latest attempt)."""
    return session.scalars(select(StoryRow).filter_by(channel=channel, date=date)).one_or_none()


def record_video(session: Session, channel: str, date: str, attempt: int, video: RenderedVideo) -> VideoRow:
    return upsert(session, VideoRow, {"channel": channel, "date": date, "format": video.format}, {
        "attempt": attempt, "key": video.video.key, "sha256": video.video.sha256, "width": video.width,
        "height": video.height, "duration": video.duration, "fps": video.fps, "encoder": video.encoder,
        "preset": video.preset,
    })


def videos_at(session: Session, channel: str, date: str, attempt: int) -> list[VideoRow]:
    """The partition's rendered videos made at ``attempt``, one per format."""
    return list(session.scalars(select(VideoRow).filter_by(channel=channel, date=date, attempt=attempt)))


def recent_episodes(session: Session, channel: str, limit: int) -> list[EpisodeRow]:
    """The channel's ``limit`` latest partitions (newest date first) with their status and attempt."""
    query = select(EpisodeRow).filter_by(channel=channel).order_by(EpisodeRow.date.desc()).limit(limit)
    return list(session.scalars(query))
