from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from storyvid_assets.catalog.db import get_engine, head_revision, migrate, session_scope
from storyvid_assets.catalog.queries import episodes as repo
from storyvid_assets.catalog.queries import uploads
from storyvid_assets.catalog.tables.core import Base, PlatformUploadRow, StoryRow
from storyvid_assets.models import Character, PlatformPost, Scene, Story


def make_story(title: str, attempt: int = 1) -> Story:
    return Story(
        title=title, logline="A fox looks for a star.", genre="bedtime", setting="a quiet wood",
        characters=[Character(name="Pip", role="hero", description="a small red fox")],
        scenes=[Scene(index=0, beat="setup", narration="Pip the fox looked up.", image_prompt="a fox, night")],
        provider="local", attempt=attempt,
    )


def exercise_catalog(url: str) -> None:
    migrate(url)
    migrate(url)  # a second call is a no-op
    with get_engine(url).connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert set(MigrationContext.configure(conn).get_current_heads()) == {head_revision()}
    for attempt in (1, 2):
        with session_scope(url) as session:
            repo.record_story(session, "bedtime", "2026-11-01", make_story(f"Take {attempt}", attempt))
            uploads.record_post(session, "bedtime", "2026-11-01", "ab" * 32,
                             PlatformPost(platform="local", format="9:16", post_id="p1", url="file:///x",
                                          status="published"))
            repo.set_episode_status(session, "bedtime", "2026-11-01", "published", attempt)
    with session_scope(url) as session:
        assert session.scalar(select(func.count()).select_from(StoryRow)) == 1
        assert session.scalar(select(func.count()).select_from(PlatformUploadRow)) == 1
        story = session.scalars(select(StoryRow)).one()
        assert (story.title, story.attempt) == ("Take 2", 2)
        assert story.story_json["scenes"][0]["narration"] == "Pip the fox looked up."
        assert story.updated_at >= story.created_at.replace(tzinfo=story.updated_at.tzinfo)
        assert repo.current_attempt(session, "bedtime", "2026-11-01") == 2
        assert repo.current_attempt(session, "bedtime", "2026-11-02") == 1


def test_sqlite_catalog_migrates_and_upserts(sqlite_catalog_url: str) -> None:
    exercise_catalog(sqlite_catalog_url)


@pytest.mark.postgres
def test_postgres_catalog_migrates_and_upserts(postgres_url: str) -> None:
    exercise_catalog(postgres_url)


def test_failed_transaction_leaves_no_rows(sqlite_catalog_url: str) -> None:
    migrate(sqlite_catalog_url)
    with pytest.raises(RuntimeError), session_scope(sqlite_catalog_url) as session:
        repo.record_story(session, "bedtime", "2026-11-03", make_story("Doomed"))
        raise RuntimeError("render failed")
    with session_scope(sqlite_catalog_url) as session:
        assert session.scalar(select(func.count()).select_from(StoryRow)) == 0


def test_timestamps_are_timezone_aware(sqlite_catalog_url: str) -> None:
    migrate(sqlite_catalog_url)
    before = datetime.now(UTC)
    with session_scope(sqlite_catalog_url) as session:
        row = repo.record_story(session, "bedtime", "2026-11-04", make_story("Now"))
        assert row.created_at >= before


def test_timestamps_are_stored_in_utc_and_read_back_aware(sqlite_catalog_url: str) -> None:
    from datetime import timedelta, timezone

    from storyvid_assets.catalog.tables.core import EpisodeRow

    migrate(sqlite_catalog_url)
    paris = datetime(2026, 11, 4, 18, 0, tzinfo=timezone(timedelta(hours=1)))
    with session_scope(sqlite_catalog_url) as session:
        session.add(EpisodeRow(channel="bedtime", date="2026-11-04", created_at=paris))
    with session_scope(sqlite_catalog_url) as session:
        row = session.query(EpisodeRow).one()
        assert row.created_at == paris and row.created_at.tzinfo is not None
        assert row.created_at.astimezone(UTC).hour == 17
