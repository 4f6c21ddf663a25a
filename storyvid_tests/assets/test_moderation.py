"""The gates on the real graph: a failing partition stops before videos and uploads, opens a review item,
and only an approval (or a regeneration) completes it.

Small render settings (draft preset, 10 fps) on the two-format ``midnight`` channel keep this to one render
per test.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from storyvid_assets.assets.moderation import SCENE_IMAGES_CHECK, STORY_TEXT_CHECK
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.episodes import current_attempt
from storyvid_assets.catalog.tables.review import LicenceEvidenceRow, ReviewItemRow
from storyvid_assets.definitions import build_definitions
from storyvid_assets.episode import ATTEMPT_TAG
from storyvid_assets.review.queue import decide
from storyvid_assets.runner import run_episode
from storyvid_tests.assets.gates import (
    BLOCKED,
    CHANNEL,
    FlatGreyImages,
    ShortStories,
    failed_checks,
    items,
    materialized,
    only_request,
    resources,
    run_request,
)
from storyvid_tests.samples import channels_with_moderation


@pytest.fixture(autouse=True)
def people_decide(storyvid_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests follow a person's review: no automatic regeneration (``test_moderation_auto`` covers it)."""
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(channels_with_moderation(storyvid_home, CHANNEL,
                                                                             {"auto_regenerations": 0})))


@pytest.mark.slow  # one short render
def test_bad_story_blocks_everything_downstream_and_rejection_regenerates(storyvid_home: Path) -> None:
    date = "2026-03-02"
    res = resources(story_writer=ShortStories(swear_first=True))
    url = res["catalog"].url
    with dg.instance_for_test() as instance:
        first = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False)
        assert not first.success
        assert failed_checks(first) == [STORY_TEXT_CHECK]
        evaluation = next(e for e in first.get_asset_check_evaluations() if e.check_name == STORY_TEXT_CHECK)
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        assert evaluation.metadata["blocking_findings"].value == 1
        finding = evaluation.metadata["findings_json"].value[0]
        assert (finding["category"], finding["matched"], finding["field"]) == (
            "profanity",
            "fuck",
            "scenes[1].narration",
        )
        assert materialized(instance, "story", date)
        for asset in ("narration", "scene_images", "music", *BLOCKED):
            assert not materialized(instance, asset, date), asset
        assert items(url, date) == [("story", STORY_TEXT_CHECK, 1, "open")]
        first_story = first.output_for_node("story")

        with session_scope(url) as session:
            item_id = session.scalars(select(ReviewItemRow.id)).one()
            decide(session, item_id, "reject", "profanity in scene 2", "otto", "operator")
        defs = build_definitions(res)
        request = only_request(defs, instance)
        assert request.tags[ATTEMPT_TAG] == "2" and "story" in [k.path[-1] for k in request.asset_selection]
        second = run_request(request, date, res, instance)
        assert second.success, failed_checks(second)
        second_story = second.output_for_node("story")
        assert second_story.attempt == 2 and second_story.text != first_story.text
        for asset in ("narration", "scene_images", "music", *BLOCKED):
            assert materialized(instance, asset, date), asset
    assert items(url, date) == [("story", STORY_TEXT_CHECK, 1, "resolved")]
    with session_scope(url) as session:
        assert current_attempt(session, CHANNEL, date) == 2
        assert session.scalars(select(LicenceEvidenceRow).filter_by(channel=CHANNEL, date=date)).one().attempt == 2


@pytest.mark.slow  # one short render
def test_gate_holds_any_later_run_until_approval(storyvid_home: Path) -> None:
    date = "2026-03-07"
    res = resources(image_provider=FlatGreyImages())
    url = res["catalog"].url
    with dg.instance_for_test() as instance:
        first = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False)
        assert failed_checks(first) == [SCENE_IMAGES_CHECK]
        findings = next(e for e in first.get_asset_check_evaluations() if not e.passed).metadata["findings_json"].value
        assert {f["category"] for f in findings} == {"image_blank", "image_duplicate"}
        for asset in ("story", "narration", "scene_images", "music", "platform_metadata"):
            assert materialized(instance, asset, date), asset
        for asset in BLOCKED:
            assert not materialized(instance, asset, date), asset

        # a later run of just the videos (a manual launch, a schedule, a backfill) meets the gate
        later = run_episode(
            CHANNEL,
            date,
            resources=res,
            instance=instance,
            raise_on_error=False,
            asset_selection=[dg.AssetKey("videos")],
        )
        assert not later.success and not materialized(instance, "videos", date)
        failure = next(e for e in later.all_events if e.is_step_failure)
        assert "held for review" in str(failure.step_failure_data.user_failure_data.description)

        with session_scope(url) as session:
            item_id = session.scalars(select(ReviewItemRow.id)).one()
            decide(session, item_id, "approve", "flat grey is the look of this episode", "otto", "operator")
        defs = build_definitions(res)
        request = only_request(defs, instance)
        assert sorted(k.path[-1] for k in request.asset_selection) == sorted(BLOCKED)
        approved = run_request(request, date, res, instance)
        assert approved.success, [
            {k: v.value for k, v in e.metadata.items()} for e in approved.get_asset_check_evaluations() if not e.passed
        ]
        for asset in BLOCKED:
            assert materialized(instance, asset, date), asset
    assert items(url, date) == [("scene_images", SCENE_IMAGES_CHECK, 1, "resolved")]


def test_an_approved_finding_passes_when_the_story_is_made_again(storyvid_home: Path) -> None:
    """A schedule or backfill that remakes an approved attempt does not block it a second time."""
    date = "2026-03-04"
    res = resources(story_writer=ShortStories(swear_first=True))
    url = res["catalog"].url
    story_only = [dg.AssetKey("story")]
    with dg.instance_for_test() as instance:
        first = run_episode(
            CHANNEL, date, resources=res, instance=instance, asset_selection=story_only, raise_on_error=False
        )
        assert failed_checks(first) == [STORY_TEXT_CHECK]
        with session_scope(url) as session:
            item_id = session.scalars(select(ReviewItemRow.id)).one()
            decide(session, item_id, "approve", "it is a quote from a film", "otto", "operator")
        again = run_episode(CHANNEL, date, resources=res, instance=instance, asset_selection=story_only)
        (evaluation,) = again.get_asset_check_evaluations()
        assert evaluation.passed and evaluation.metadata["approved_by"].value == "otto"
        assert evaluation.metadata["review_item"].value == item_id
    assert items(url, date) == [("story", STORY_TEXT_CHECK, 1, "approved")]
