"""Review rows: items by check, partition and status; decisions in order; reviewers and logins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries import review as rows

ITEM = {"channel": "midnight", "date": "2026-03-01", "asset": "story", "check_name": "story_text_policy"}


def item(session, attempt: int, status: str = "open"):  # type: ignore[no-untyped-def]
    defaults = {"status": status, "summary": "s", "findings": [], "evidence": {}, "run_id": None}
    return rows.item_for_check(session, {**ITEM, "attempt": attempt}, defaults)


def decision(session, item_id: int, action: str):  # type: ignore[no-untyped-def]
    return rows.add_decision(
        session, item_id=item_id, action=action, note="n", decided_by="otto", decided_at=datetime.now(UTC),
        status_before="open", status_after=action + "d",
    )


def test_items_by_check_status_and_partition(url: str) -> None:
    with session_scope(url) as session:
        first, created = item(session, 1)
        again, created_again = item(session, 1, status="approved")
        assert created and not created_again and again.id == first.id and again.status == "open"
        second, _ = item(session, 2, status="resolved")
        assert [i.id for i in rows.items(session)] == [second.id, first.id]
        assert [i.id for i in rows.items(session, status="open")] == [first.id]
        assert [i.id for i in rows.partition_items(session, "midnight", "2026-03-01", ["open", "resolved"])] == [
            first.id, second.id,
        ]
        assert rows.item_by_id(session, first.id, lock=True) is first
        assert rows.item_by_id(session, 999) is None


def test_decisions_rejections_and_cursor(url: str) -> None:
    with session_scope(url) as session:
        first, _ = item(session, 1)
        second, _ = item(session, 2)
        d1 = decision(session, first.id, "reject")
        d2 = decision(session, second.id, "reject")
        d3 = decision(session, second.id, "approve")
        assert rows.latest_decision(session, second.id) is d3
        assert [d.id for d in rows.decisions_for(session, second.id)] == [d2.id, d3.id]
        assert rows.rejection_count(session, second) == 2  # across attempts
        assert rows.rejection_count(session, second, up_to_decision=d1.id) == 1
        assert [d.id for d in rows.pending_decisions(session, d1.id)] == [d2.id, d3.id]


def test_reviewers_and_logins(url: str) -> None:
    now = datetime.now(UTC)
    with session_scope(url) as session:
        ada = rows.add_reviewer(session, "ada", "hash", "admin")
        rows.add_reviewer(session, "bob", "hash", "viewer").active = False
        assert rows.reviewer_by_name(session, "bob") is not None
        assert rows.reviewer_by_name(session, "bob", active_only=True) is None
        assert [r.username for r in rows.reviewers(session)] == ["ada", "bob"]
        rows.add_login(session, "old", ada.id, "c", now - timedelta(days=2), now - timedelta(days=1))
        rows.add_login(session, "new", ada.id, "c", now, now + timedelta(hours=1))
        rows.delete_logins_expired_before(session, now)
        assert rows.login_by_token(session, "old") is None
        assert rows.reviewer_by_id(session, rows.login_by_token(session, "new").user_id) is ada  # type: ignore[union-attr]
        rows.delete_login(session, "new")
        assert rows.login_by_token(session, "new") is None
