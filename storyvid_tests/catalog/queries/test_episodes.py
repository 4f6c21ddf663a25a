"""Episode rows: the attempt and status of a partition, its story and videos."""

from __future__ import annotations

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.episodes import current_attempt, record_video, set_episode_status, videos_at
from storyvid_assets.models import MediaRef, RenderedVideo


def test_status_keeps_the_attempt_unless_given(url: str) -> None:
    with session_scope(url) as session:
        assert current_attempt(session, "bedtime", "2026-11-01") == 1
        set_episode_status(session, "bedtime", "2026-11-01", "in_progress")
        assert current_attempt(session, "bedtime", "2026-11-01") == 1
        set_episode_status(session, "bedtime", "2026-11-01", "regenerating", 3)
        set_episode_status(session, "bedtime", "2026-11-01", "published")
        assert current_attempt(session, "bedtime", "2026-11-01") == 3
        set_episode_status(session, "bedtime", "2026-11-02", "regenerating", 2)
        assert current_attempt(session, "bedtime", "2026-11-02") == 2


def test_videos_at_one_attempt(url: str) -> None:
    def video(fmt: str, key: str) -> RenderedVideo:
        ref = MediaRef(key=key, sha256="0" * 64, bytes=1, content_type="video/mp4")
        return RenderedVideo(format=fmt, video=ref, width=1, height=1, duration=1.0, fps=30.0, preset="p", encoder="e")

    with session_scope(url) as session:
        record_video(session, "bedtime", "2026-11-01", 1, video("9:16", "a/9x16.mp4"))
        record_video(session, "bedtime", "2026-11-01", 2, video("16:9", "a/16x9.mp4"))
        assert [v.format for v in videos_at(session, "bedtime", "2026-11-01", 2)] == ["16:9"]
