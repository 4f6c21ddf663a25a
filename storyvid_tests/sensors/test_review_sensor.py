"""``review_decisions_sensor``: approvals and rejections become exactly one run each, cursor-based."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.episodes import current_attempt, set_episode_status
from storyvid_assets.catalog.tables.review import ReviewAuditRow, ReviewDecisionRow
from storyvid_assets.definitions import build_definitions
from storyvid_assets.episode import ATTEMPT_TAG
from storyvid_assets.review.queue import decide, get_item
from storyvid_assets.sensors.review import review_decisions_sensor
from storyvid_tests.review.conftest import open_item

CHANNEL, DATE = "midnight", "2026-03-01"
PARTITION = f"{CHANNEL}|{DATE}"


@pytest.fixture
def defs(storyvid_home: Path) -> dg.Definitions:
    from storyvid_assets.resources.sets import local_resources

    return build_definitions(local_resources())


@pytest.fixture
def url(defs: dg.Definitions) -> str:
    from storyvid_assets.catalog.db import migrate

    catalog = defs.resources["catalog"]
    migrate(catalog.url)
    return catalog.url


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def tick(
    defs: dg.Definitions, instance: dg.DagsterInstance, cursor: str | None, logs: Collect | None = None
) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, definitions=defs, resources={"catalog": defs.resources["catalog"]}
    )
    if logs is not None:
        context.log.addHandler(logs)
    result = review_decisions_sensor(context)
    assert isinstance(result, dg.SensorResult)
    return result


def decide_as(url: str, item_id: int, action: str, note: str = "reviewed") -> int:
    with session_scope(url) as session:
        return decide(session, item_id, action, note, "otto", "operator").id


def keys(request: dg.RunRequest) -> list[str]:
    return [k.to_user_string() for k in request.asset_selection or []]


def test_approval_launches_the_blocked_downstream_assets_once(defs: dg.Definitions, url: str) -> None:
    item_id = open_item(url)
    decision_id = decide_as(url, item_id, "approve")
    with dg.instance_for_test() as instance:
        first = tick(defs, instance, None)
        assert len(first.run_requests) == 1
        request = first.run_requests[0]
        assert request.run_key == f"review-decision-{decision_id}"
        assert request.partition_key == PARTITION
        assert "story" not in keys(request) and {"narration", "scene_images", "videos", "publication"} <= set(
            keys(request)
        )
        assert request.tags[ATTEMPT_TAG] == "1" and request.tags["storyvid/review-item"] == str(item_id)
        checks = {k.to_user_string() for k in request.asset_check_keys or []}
        assert "narration:narration_audio_quality" in checks and "story:story_text_policy" not in checks
        assert first.cursor == str(decision_id)
        # the same tick again (cursor kept): nothing new
        assert tick(defs, instance, first.cursor).run_requests == []
        # a lost cursor: the same run key again (Dagster skips a run key it has launched), catalog untouched
        replay = tick(defs, instance, None)
        assert [r.run_key for r in replay.run_requests] == [request.run_key]
    with session_scope(url) as session:
        item = get_item(session, item_id)
        assert (item.status, item.resolution) == ("resolved", "approved")
        audits = session.scalars(select(ReviewAuditRow).filter_by(item_id=item_id, action="downstream_run")).all()
        assert len(audits) == 1 and audits[0].actor == "sensor:review_decisions_sensor"
        assert (audits[0].before["status"], audits[0].after["status"]) == ("approved", "resolved")


def test_rejection_regenerates_with_the_next_attempt(defs: dg.Definitions, url: str) -> None:
    with session_scope(url) as session:
        set_episode_status(session, CHANNEL, DATE, "in_progress", 1)
    item_id = open_item(url, asset="scene_images", check="scene_images_quality")
    decision_id = decide_as(url, item_id, "reject", "two scenes look the same")
    with dg.instance_for_test() as instance:
        result = tick(defs, instance, "0")
        (request,) = result.run_requests
        assert request.tags[ATTEMPT_TAG] == "2"
        assert "scene_images" in keys(request) and "story" not in keys(request) and "videos" in keys(request)
        assert "scene_images:scene_images_quality" in {k.to_user_string() for k in request.asset_check_keys}
        # replaying the decision never moves the attempt twice
        assert tick(defs, instance, "0").run_requests[0].tags[ATTEMPT_TAG] == "2"
    with session_scope(url) as session:
        assert current_attempt(session, CHANNEL, DATE) == 2
        decision = session.get(ReviewDecisionRow, decision_id)
        assert (decision.outcome, decision.new_attempt, decision.run_key) == ("regeneration", 2, request.run_key)
        assert get_item(session, item_id).resolution == "regenerated"


def test_third_rejection_escalates(defs: dg.Definitions, url: str) -> None:
    cursor = None
    with dg.instance_for_test() as instance:
        for attempt in (1, 2):
            decide_as(url, open_item(url, attempt=attempt), "reject", f"still gory (attempt {attempt})")
            result = tick(defs, instance, cursor)
            assert [r.tags[ATTEMPT_TAG] for r in result.run_requests] == [str(attempt + 1)]
            cursor = result.cursor
        third = open_item(url, attempt=3)
        decide_as(url, third, "reject", "gory again")
        logs = Collect()
        result = tick(defs, instance, cursor, logs)
        assert result.run_requests == []
        (event,) = result.asset_events
        assert isinstance(event, dg.AssetObservation) and event.partition == PARTITION
        assert event.metadata["review_status"].value == "needs_human"
        assert "rejected 3 times" in event.metadata["alert"].value
        assert any(
            line.startswith(f"ERROR ALERT review item {third}") and "escalated to needs_human" in line
            for line in logs.lines
        ), logs.lines
        assert tick(defs, instance, result.cursor).asset_events == []
    with session_scope(url) as session:
        assert get_item(session, third).status == "needs_human"
        assert current_attempt(session, CHANNEL, DATE) == 3


def test_rejections_count_in_decision_order_within_one_tick(defs: dg.Definitions, url: str) -> None:
    """Three rejections waiting for the same tick: two regenerations, then the escalation."""
    third = 0
    for attempt in (1, 2, 3):
        third = open_item(url, attempt=attempt)
        decide_as(url, third, "reject", f"no (attempt {attempt})")
    with dg.instance_for_test() as instance:
        result = tick(defs, instance, None)
    assert [r.tags[ATTEMPT_TAG] for r in result.run_requests] == ["2", "3"]
    assert [e.metadata["review_item"].value for e in result.asset_events] == [third]
