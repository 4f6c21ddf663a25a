"""A failed gate regenerates its asset by itself before it asks a person (``regenerate_automatically``)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries.review import audit_for, automatic_regeneration_count, rejection_count
from storyvid_assets.catalog.tables.review import ReviewDecisionRow, ReviewItemRow
from storyvid_assets.review.queue import AUTOMATIC_ACTOR, AutoRegeneration, allowed_actions, open_review_item
from storyvid_tests.review.conftest import profanity_finding

CHANNEL, DATE = "midnight", "2026-03-01"


def fail_check(url: str, attempt: int, automatic: AutoRegeneration | None, version: str = "v1") -> tuple[int, str]:
    with session_scope(url) as session:
        item, prior = open_review_item(
            session, channel=CHANNEL, date=DATE, asset="scene_images", check_name="scene_images_quality",
            attempt=attempt, findings=[profanity_finding()], evidence={"media": []},
            summary="1 blocking finding(s)", run_id=f"run-{attempt}", policy_version=version, automatic=automatic,
        )
        assert prior is None
        return item.id, item.status


def decisions(url: str) -> list[tuple[int, str, bool, str]]:
    with session_scope(url) as session:
        rows = session.scalars(select(ReviewDecisionRow).order_by(ReviewDecisionRow.id))
        return [(r.item_id, r.action, r.automatic, r.decided_by) for r in rows]


def test_regenerates_up_to_the_limit_then_a_person_decides(catalog_url: str) -> None:
    limit = AutoRegeneration(limit=2)
    first, status1 = fail_check(catalog_url, 1, limit)
    second, status2 = fail_check(catalog_url, 2, limit)
    third, status3 = fail_check(catalog_url, 3, limit)
    assert (status1, status2, status3) == ("rejected", "rejected", "open")
    assert decisions(catalog_url) == [
        (first, "reject", True, AUTOMATIC_ACTOR),
        (second, "reject", True, AUTOMATIC_ACTOR),
    ]
    with session_scope(catalog_url) as session:
        item = session.get(ReviewItemRow, third)
        assert allowed_actions(item, "operator") == ["approve", "reject"]
        assert item.policy_version == "v1"
        # people's rejections are counted on their own: automation does not bring the escalation closer
        assert rejection_count(session, item) == 0
        assert automatic_regeneration_count(session, CHANNEL, DATE, "scene_images", "scene_images_quality") == 2
        notes = [a.detail for a in audit_for(session, first) if a.action == "automatic_regeneration"]
        assert notes and notes[0].startswith("automatic regeneration 1 of 2")
        handed = [a for a in audit_for(session, third) if a.action == "handed_to_people"]
        assert handed and "2 automatic regeneration(s) did not fix it" in handed[0].detail


def test_what_automation_cannot_fix_goes_to_a_person_at_once(catalog_url: str) -> None:
    item_id, status = fail_check(catalog_url, 1, AutoRegeneration(limit=2, cannot_fix="the story is a script"))
    assert status == "open" and decisions(catalog_url) == []
    with session_scope(catalog_url) as session:
        (handed,) = [a for a in audit_for(session, item_id) if a.action == "handed_to_people"]
        assert "the story is a script" in handed.detail


def test_limit_zero_means_people_only(catalog_url: str) -> None:
    item_id, status = fail_check(catalog_url, 1, AutoRegeneration(limit=0))
    assert status == "open" and decisions(catalog_url) == []
    with session_scope(catalog_url) as session:
        assert [a.action for a in audit_for(session, item_id)] == ["opened"]


def race(url: str, workers: int = 2) -> None:
    """``workers`` runs of one partition fail the same check on the same attempt at the same moment."""
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def one() -> None:
        try:
            barrier.wait()
            with session_scope(url) as session:
                open_review_item(
                    session, channel=CHANNEL, date=DATE, asset="story", check_name="story_text_policy", attempt=1,
                    findings=[profanity_finding()], evidence={}, summary="s", run_id=None, policy_version="v1",
                    automatic=AutoRegeneration(limit=2),
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.parametrize("round_", range(5))
def test_two_runs_failing_at_once_ask_for_one_regeneration_sqlite(catalog_url: str, round_: int) -> None:
    race(catalog_url)
    assert len(decisions(catalog_url)) == 1


@pytest.mark.postgres
def test_two_runs_failing_at_once_ask_for_one_regeneration_postgres(postgres_url: str) -> None:
    migrate(postgres_url)
    for _ in range(5):
        race(postgres_url, workers=4)
        assert len(decisions(postgres_url)) == 1
