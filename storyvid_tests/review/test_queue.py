"""The review queue: idempotent items, decisions with their rules, audit rows, the gate, reviewers."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.tables.review import ReviewAuditRow, ReviewDecisionRow, ReviewItemRow, ReviewUserRow
from storyvid_assets.review import auth
from storyvid_assets.review.queue import (
    BadNote,
    Conflict,
    NotAllowed,
    ReviewError,
    UnknownItem,
    decide,
    get_item,
    open_review_item,
    record_dispatch,
    unresolved_items,
)
from storyvid_tests.review.conftest import PASSWORDS, open_item, profanity_finding


def state(url: str) -> tuple[list[tuple[int, str]], int, int]:
    with session_scope(url) as session:
        items = [(i.id, i.status) for i in session.scalars(select(ReviewItemRow).order_by(ReviewItemRow.id))]
        decisions = session.scalar(select(func.count()).select_from(ReviewDecisionRow))
        item_audits = select(func.count()).select_from(ReviewAuditRow).where(ReviewAuditRow.item_id.is_not(None))
        audits = session.scalar(item_audits)
    return items, decisions, audits


def test_opening_is_idempotent_per_partition_asset_check_attempt(catalog_url: str) -> None:
    first = open_item(catalog_url)
    assert open_item(catalog_url) == first
    assert open_item(catalog_url, attempt=2) != first
    assert open_item(catalog_url, check="other_check") != first
    items, _, audits = state(catalog_url)
    assert len(items) == 3 and audits == 3  # one "opened" row each
    with session_scope(catalog_url) as session:
        opened = session.scalars(select(ReviewAuditRow).filter_by(item_id=first)).one()
        assert (opened.action, opened.before, opened.after["status"]) == ("opened", {}, "open")


def test_approve_writes_decision_and_audit_with_before_and_after(catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decision = decide(session, item_id, "approve", "  the word is a character's name  ", "otto", "operator")
        assert (decision.status_before, decision.status_after, decision.note) == (
            "open",
            "approved",
            "the word is a character's name",
        )
    with session_scope(catalog_url) as session:
        row = session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id, action="approve")).one()
        assert row.actor == "otto" and row.at is not None
        assert (row.before["status"], row.after["status"]) == ("open", "approved")
        assert row.detail == "the word is a character's name"


@pytest.mark.parametrize(
    ("item", "action", "note", "role", "error", "message"),
    [
        (999, "approve", "fine", "operator", UnknownItem, "there is no review item 999"),
        (None, "approve", "", "operator", BadNote, "a note is required"),
        (None, "reject", "   ", "admin", BadNote, "a note is required"),
        (None, "approve", "x" * 2001, "admin", BadNote, "under 2000"),
        (None, "approve", "looks fine", "viewer", NotAllowed, "viewers can look but not decide"),
        (None, "approve", "looks fine", "superuser", NotAllowed, "unknown role"),
        (None, "publish", "looks fine", "admin", ReviewError, "unknown action 'publish'"),
    ],
)
def test_bad_decisions_change_nothing(
    catalog_url: str, item: int | None, action: str, note: str, role: str, error: type[Exception], message: str
) -> None:
    item_id = open_item(catalog_url)
    before = state(catalog_url)
    with pytest.raises(error, match=message), session_scope(catalog_url) as session:
        decide(session, item if item is not None else item_id, action, note, "someone", role)
    assert state(catalog_url) == before


def test_deciding_twice_is_a_conflict(catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decide(session, item_id, "reject", "gore in scene 3", "otto", "operator")
    before = state(catalog_url)
    with pytest.raises(Conflict, match=r"already rejected by otto at .* UTC"), session_scope(catalog_url) as session:
        decide(session, item_id, "approve", "changed my mind", "ada", "admin")
    assert state(catalog_url) == before


def test_escalated_items_need_an_admin(catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decision = decide(session, item_id, "reject", "third time", "otto", "operator")
        record_dispatch(session, decision, "escalated", None, None, "sensor", "3 rejections")
        assert get_item(session, item_id).status == "needs_human"
    with pytest.raises(NotAllowed, match="only an admin"), session_scope(catalog_url) as session:
        decide(session, item_id, "approve", "ok", "otto", "operator")
    with pytest.raises(Conflict, match="escalated"), session_scope(catalog_url) as session:
        decide(session, item_id, "reject", "still bad", "ada", "admin")
    with session_scope(catalog_url) as session:
        assert decide(session, item_id, "approve", "fixed by hand", "ada", "admin").status_after == "approved"


def test_gate_lists_unresolved_items_until_dispatched(catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        assert [i.id for i in unresolved_items(session, "midnight", "2026-03-01")] == [item_id]
        assert unresolved_items(session, "midnight", "2026-03-02") == []
        decision = decide(session, item_id, "reject", "bad", "otto", "operator")
        assert [i.status for i in unresolved_items(session, "midnight", "2026-03-01")] == ["rejected"]
        record_dispatch(session, decision, "regeneration", "review-decision-1", 2, "sensor")
        record_dispatch(session, decision, "regeneration", "review-decision-1", 2, "sensor")  # idempotent
        assert unresolved_items(session, "midnight", "2026-03-01") == []
        item = get_item(session, item_id)
        assert (item.status, item.resolution) == ("resolved", "regenerated")
        rows = session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id, action="regeneration")).all()
        assert len(rows) == 1 and (rows[0].before["status"], rows[0].after["status"]) == ("rejected", "resolved")


def test_approved_findings_stand_when_the_check_sees_them_again(catalog_url: str) -> None:
    item_id = open_item(catalog_url)
    with session_scope(catalog_url) as session:
        decide(session, item_id, "approve", "name of a place", "otto", "operator")
    with session_scope(catalog_url) as session:
        _, prior = open_review_item(
            session,
            channel="midnight",
            date="2026-03-01",
            asset="story",
            check_name="story_text_policy",
            attempt=1,
            findings=[profanity_finding()],
            evidence={},
            summary="same",
            run_id="run-2",
        )
        assert prior is not None and prior.approved and prior.approved_by == "otto"
    with session_scope(catalog_url) as session:
        item, prior = open_review_item(
            session,
            channel="midnight",
            date="2026-03-01",
            asset="story",
            check_name="story_text_policy",
            attempt=1,
            findings=[profanity_finding(start=40)],
            evidence={},
            summary="new",
            run_id="r3",
        )
        assert prior is None and item.status == "open"
        assert session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id, action="reopened")).one()


def test_passwords_are_hashed_and_sessions_expire(catalog_url: str) -> None:
    with session_scope(catalog_url) as session:
        stored = session.scalars(select(ReviewUserRow).filter_by(username="otto")).one().password_hash
        assert PASSWORDS["otto"] not in stored and stored.startswith("$argon2id$")
        assert auth.authenticate(session, "otto", PASSWORDS["otto"]).role == "operator"
        assert auth.authenticate(session, "otto", "wrong-password") is None
        assert auth.authenticate(session, "nobody", "whatever-password") is None
        token, csrf = auth.start_session(session, auth.find_user(session, "vera"))
        logged_in = auth.session_user(session, token)
        assert logged_in.user.role == "viewer" and logged_in.csrf_token == csrf
        assert auth.session_user(session, token + "x") is None
        auth.end_session(session, token)
        assert auth.session_user(session, token) is None


@pytest.mark.parametrize(
    ("username", "password", "role", "message"),
    [
        ("Bad Name", "long-enough-pw", "viewer", "lowercase"),
        ("newbie", "short", "viewer", "at least 10"),
        ("newbie", "long-enough-pw", "root", "unknown"),
        ("otto", "long-enough-pw", "viewer", "exists already"),
    ],
)
def test_bad_users_are_refused(catalog_url: str, username: str, password: str, role: str, message: str) -> None:
    with pytest.raises(ReviewError, match=message), session_scope(catalog_url) as session:
        auth.create_user(session, username, password, role, "test")


@pytest.mark.postgres
def test_decision_flow_on_postgres(postgres_url: str) -> None:
    from storyvid_assets.catalog.db import migrate

    migrate(postgres_url)
    item_id = open_item(postgres_url)
    assert open_item(postgres_url) == item_id
    with session_scope(postgres_url) as session:
        decision = decide(session, item_id, "reject", "gore", "otto", "operator")
    with pytest.raises(Conflict), session_scope(postgres_url) as session:
        decide(session, item_id, "approve", "again", "otto", "operator")
    with session_scope(postgres_url) as session:
        record_dispatch(session, session.get(ReviewDecisionRow, decision.id), "regeneration", "k", 2, "sensor")
        assert get_item(session, item_id).status == "resolved"
        actions = [
            a.action
            for a in session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id).order_by(ReviewAuditRow.id))
        ]
        assert actions == ["opened", "reject", "regeneration"]
