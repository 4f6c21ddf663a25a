"""The loop's catalog steps: storing metrics (reruns replace, lifetime counters differenced), pinning episode
settings, and the guarded configuration path (review item, approval, auto-apply, rollback, races)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from storyvid_assets.analytics.loop import (
    apply_change,
    lifetime_to_daily,
    propose_change,
    rollback,
    settle_configuration_decision,
    store_readings,
)
from storyvid_assets.analytics.models import MetricReading, MetricValues, OptimizationSettings
from storyvid_assets.analytics.pinning import current_settings, episode_settings
from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries import configurations as config_db
from storyvid_assets.catalog.queries.analytics import metrics_frame
from storyvid_assets.catalog.queries.uploads import record_post
from storyvid_assets.catalog.tables.analytics import AnalyticsRow
from storyvid_assets.channels import ChannelConfig, get_channel
from storyvid_assets.models import PlatformPost
from storyvid_assets.review.queue import decide, list_items, unresolved_items

DAY = "2026-11-10"


@pytest.fixture
def url(sqlite_catalog_url: str) -> str:
    migrate(sqlite_catalog_url)
    return sqlite_catalog_url


@pytest.fixture
def channel() -> ChannelConfig:
    """Bedtime without exploration or experiments, so every pinned episode shows the active configuration."""
    return get_channel("bedtime").model_copy(update={"optimization": OptimizationSettings(explore=0.0),
                                                     "experiments": []})


def upload(url: str, date: str = DAY, post_id: str = "p1") -> int:
    with session_scope(url) as session:
        post = PlatformPost(platform="youtube", format="16:9", post_id=post_id, url="", status="published")
        return record_post(session, "bedtime", date, "sha", post).id


def reading(upload_id: int, day: str, kind: str = "daily", **values: Any) -> MetricReading:
    return MetricReading(upload_id=upload_id, day=day, kind=kind, source="api", values=MetricValues(**values))


def test_lifetime_counters_become_daily_figures() -> None:
    before = MetricValues(views=100, likes=10, watch_time_s=500.0, revenue_usd=1.0)
    after = MetricValues(views=160, likes=9, watch_time_s=800.0, revenue_usd=1.5, completion_rate=0.4)
    daily = lifetime_to_daily(after, before)
    assert (daily.views, daily.likes, daily.watch_time_s, daily.revenue_usd) == (60, 0, 300.0, 0.5)
    assert daily.extra["correction_likes"] == -1.0, "a counter that went down is recorded, not stored negative"
    assert daily.completion_rate == 0.4
    assert lifetime_to_daily(after, None) == after


def test_rerunning_a_day_replaces_its_rows_and_reports_revisions(url: str) -> None:
    exercise_rerun(url)


@pytest.mark.postgres
def test_rerunning_a_day_replaces_its_rows_on_postgres(postgres_url: str) -> None:
    migrate(postgres_url)
    exercise_rerun(postgres_url)


def exercise_rerun(url: str) -> None:
    uid = upload(url)
    with session_scope(url) as session:
        stored, revisions, _ = store_readings(session, "bedtime", [reading(uid, DAY, views=10)], DAY)
        assert (stored, revisions) == (1, [])
    with session_scope(url) as session:
        _, revisions, _ = store_readings(session, "bedtime", [reading(uid, DAY, views=12)], DAY)
        assert revisions and revisions[0].changes["views"] == (10, 12)
    with session_scope(url) as session:
        _, revisions, _ = store_readings(session, "bedtime", [reading(uid, DAY, views=12)], DAY)
        assert revisions == [], "the same figures again are not a revision"
        assert session.scalar(select(func.count()).select_from(AnalyticsRow)) == 1
        frame = metrics_frame(session, "bedtime")
    assert frame[["day", "views", "platform"]].values.tolist() == [[DAY, 12, "youtube"]]


def test_lifetime_snapshots_are_differenced_and_a_revised_snapshot_fixes_the_next_day(url: str) -> None:
    uid = upload(url)
    d1, d2 = "2026-11-10", "2026-11-11"
    with session_scope(url) as session:
        store_readings(session, "bedtime", [reading(uid, d1, "lifetime", views=100)], d1)
        store_readings(session, "bedtime", [reading(uid, d2, "lifetime", views=150)], d2)
        assert dict(metrics_frame(session, "bedtime")[["day", "views"]].values.tolist()) == {d1: 100, d2: 50}
        store_readings(session, "bedtime", [reading(uid, d1, "lifetime", views=110)], d2)  # revised within a day
        assert dict(metrics_frame(session, "bedtime")[["day", "views"]].values.tolist()) == {d1: 110, d2: 40}
        _, _, notes = store_readings(session, "bedtime", [reading(uid, d1, "lifetime", views=999)], "2026-11-20")
        assert notes and "cannot stand for" in notes[0]
        assert dict(metrics_frame(session, "bedtime")[["day", "views"]].values.tolist()) == {d1: 110, d2: 40}


def test_an_episode_keeps_the_settings_it_was_pinned_with(url: str, channel: ChannelConfig) -> None:
    with session_scope(url) as session:
        first = episode_settings(session, channel, "2026-11-01")
        assert first.version == 0 and first.settings.music_mood == channel.music.mood
        config_db.activate_new_version(session, channel.name, None, {"music_mood": "calm"}, name="v1",
                                       created_by="t", reason="")
    with session_scope(url) as session:
        assert episode_settings(session, channel, "2026-11-01") == first, "pinned: a rerun keeps the old settings"
        later = episode_settings(session, channel, "2026-11-02")
        assert (later.version, later.settings.music_mood) == (1, "calm")


def test_a_proposal_opens_a_review_item_that_never_holds_the_episode(url: str, channel: ChannelConfig) -> None:
    evidence = {"sentence": "music mood calm instead of dreamy: +9 % completion", "uplift": 0.09}
    with session_scope(url) as session:
        change = propose_change(session, channel, DAY, "music_mood", "calm", source="recommendations:" + DAY,
                                evidence=evidence)
        assert change is not None and change.status == "pending" and change.review_item_id
        again = propose_change(session, channel, DAY, "music_mood", "calm", source="recommendations:" + DAY,
                               evidence=evidence)
        assert again is not None and again.id == change.id, "proposing twice is one proposal"
        other = propose_change(session, channel, DAY, "narrator_rate", 140, source="recommendations:" + DAY,
                               evidence=evidence)
        assert other is None, "one change at a time waits for review"
        [item] = list_items(session, status="open", channel=channel.name)
        assert "apply this configuration change?" in item.summary and "dreamy → calm" in item.summary
        assert unresolved_items(session, channel.name, DAY) == [], "the episode of that day is not held back"
        decision = decide(session, item.id, "approve", "looks right", "alice", "operator")
        assert settle_configuration_decision(session, decision, "sensor") == "config_applied"
        assert settle_configuration_decision(session, decision, "sensor") == "config_applied", "once"
    with session_scope(url) as session:
        version, settings = current_settings(session, channel)
        assert (version, settings.music_mood) == (1, "calm")
        assert config_db.change_by_id(session, change.id).status == "applied"
        assert len(config_db.configurations(session, channel.name)) == 1


def test_a_rejected_proposal_changes_nothing(url: str, channel: ChannelConfig) -> None:
    with session_scope(url) as session:
        change = propose_change(session, channel, DAY, "music_mood", "calm", source="s", evidence={})
        decision = decide(session, change.review_item_id, "reject", "not for this channel", "bob", "operator")
        assert settle_configuration_decision(session, decision, "sensor") == "config_rejected"
        assert current_settings(session, channel)[0] == 0
        assert config_db.change_by_id(session, change.id).status == "rejected"


def test_auto_apply_makes_a_version_at_once_and_rollback_restores(url: str, channel: ChannelConfig) -> None:
    auto = channel.model_copy(update={"optimization": channel.optimization.model_copy(update={"auto_apply": True})})
    with session_scope(url) as session:
        change = propose_change(session, auto, DAY, "music_mood", "calm", source="s", evidence={})
        assert change is not None and change.status == "applied" and change.to_version == 1
        assert list_items(session, status="open") == []
    with session_scope(url) as session:
        assert rollback(session, auto, 0, actor="cli:ops", note="back to the file") == 2
        version, settings = current_settings(session, auto)
        assert (version, settings.music_mood) == (2, auto.music.mood)
        audit = config_db.changes(session, auto.name)
        assert [c.source for c in audit] == ["s", "rollback"]
        assert audit[-1].before["music_mood"] == "calm" and audit[-1].after["music_mood"] == auto.music.mood
    with session_scope(url) as session, pytest.raises(config_db.ConfigurationConflict, match="no configuration"):
        rollback(session, auto, 7, actor="cli:ops")


def test_two_sensors_settling_one_approval_apply_it_once(url: str, channel: ChannelConfig) -> None:
    with session_scope(url) as session:
        change = propose_change(session, channel, DAY, "music_mood", "calm", source="s", evidence={})
        decision_id = decide(session, change.review_item_id, "approve", "ok", "alice", "operator").id
    outcomes: list[Any] = []
    barrier = threading.Barrier(2)

    def settle() -> None:
        try:
            with session_scope(url) as session:
                from storyvid_assets.catalog.tables.review import ReviewDecisionRow

                decision = session.get_one(ReviewDecisionRow, decision_id)
                barrier.wait()
                outcomes.append(settle_configuration_decision(session, decision, "sensor"))
        except Exception as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=settle) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with session_scope(url) as session:
        assert [c.version for c in config_db.configurations(session, channel.name)] == [1], outcomes
        assert config_db.change_by_id(session, change.id).status == "applied"


def test_apply_refuses_a_change_that_is_not_pending(url: str, channel: ChannelConfig) -> None:
    with session_scope(url) as session:
        change = propose_change(session, channel, DAY, "music_mood", "calm", source="s", evidence={})
        apply_change(session, channel, change.id, actor="a")
        with pytest.raises(config_db.ConfigurationConflict, match="only a pending change"):
            apply_change(session, channel, change.id, actor="b")
