"""Upload rows: one per target, deferred ones found when due, one open alert each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.uploads import (
    due_deferred,
    lock_upload_state,
    open_alert,
    resolve_alerts,
    upload_state,
    upload_target,
)
from storyvid_assets.catalog.tables.distribution import DistributionAlertRow

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def target(session, date: str, fmt: str = "9:16"):  # type: ignore[no-untyped-def]
    return upload_target(session, "bedtime", date, fmt, "youtube", "default", "ab" * 32)


def test_upload_target_is_created_pending_once(url: str) -> None:
    with session_scope(url) as session:
        first = target(session, "2026-11-01")
        first.status = "published"
    with session_scope(url) as session:
        again = target(session, "2026-11-01")
        assert (again.id, again.status, again.attempts) == (first.id, "published", 0)


def test_due_deferred_takes_the_latest_resume_time_per_episode(url: str) -> None:
    with session_scope(url) as session:
        for date, fmt, until in (
            ("2026-11-01", "9:16", NOW - timedelta(hours=2)),
            ("2026-11-01", "16:9", NOW - timedelta(hours=1)),
            ("2026-11-02", "9:16", NOW + timedelta(hours=1)),  # not yet
            ("2026-11-03", "9:16", None),  # deferred without a time: due now
        ):
            row = target(session, date, fmt)
            row.status, row.deferred_until = "deferred", until
        target(session, "2026-11-04").status = "failed"
    with session_scope(url) as session:
        assert due_deferred(session, NOW) == {
            ("bedtime", "2026-11-01"): NOW - timedelta(hours=1),
            ("bedtime", "2026-11-03"): NOW,
        }


def test_upload_state_is_created_once_for_its_identity(url: str) -> None:
    with session_scope(url) as session:
        row = target(session, "2026-11-01")
        assert upload_state(session, "ab" * 32, "youtube", "default") is None
        state = lock_upload_state(session, "ab" * 32, "youtube", "default", row.id)
        state.lease_owner = "run-1"
    with session_scope(url) as session:
        again = lock_upload_state(session, "ab" * 32, "youtube", "default", row.id)
        assert (again.id, again.step, again.lease_owner) == (state.id, "new", "run-1")


def test_one_open_alert_per_upload_and_per_episode(url: str) -> None:
    with session_scope(url) as session:
        upload = target(session, "2026-11-01")
        first = open_alert(session, "bedtime", "2026-11-01", "refused", upload_id=upload.id, platform="youtube")
        again = open_alert(session, "bedtime", "2026-11-01", "refused again", upload_id=upload.id, platform="youtube")
        episode = open_alert(session, "bedtime", "2026-11-01", "licence gate")
        episode_again = open_alert(session, "bedtime", "2026-11-01", "licence gate, again")
        assert first.id == again.id and again.reason == "refused again"
        assert episode.id == episode_again.id != first.id and episode.upload_id is None
        resolve_alerts(session, upload.id)
        assert open_alert(session, "bedtime", "2026-11-01", "new", upload_id=upload.id).id != first.id
    with session_scope(url) as session:
        assert session.scalar(select(func.count()).select_from(DistributionAlertRow)) == 3
