"""Automatic regeneration and policy versions on the real graph.

A failed gate first regenerates its asset by itself (the flagged scenes only, for pictures) and asks a person
only after the channel's ``moderation.auto_regenerations`` attempts; every check result and review item names
the policy version; a kids channel that requires image moderation fails closed without a classifier. The
image classifier is the OpenAI moderation endpoint's loopback fake (real wire format).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select

from storyvid_assets.assets.moderation import SCENE_IMAGES_CHECK, STORY_TEXT_CHECK
from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.review import audit_for
from storyvid_assets.catalog.tables.review import ModerationJudgementRow, ReviewItemRow
from storyvid_assets.channels import get_channel
from storyvid_assets.cli import main as storyvid
from storyvid_assets.definitions import build_definitions
from storyvid_assets.episode import ATTEMPT_TAG, REGENERATE_SCENES_TAG, REUSE_ATTEMPT_TAG, TRIGGER_TAG, media_key
from storyvid_assets.moderation.policy import TextPolicy, scan_fields
from storyvid_assets.moderation.version import channel_policy_version
from storyvid_assets.resources.moderation import ModerationProvider, OpenAIModeration
from storyvid_assets.resources.storage.media_store import LocalMediaStore
from storyvid_assets.review.views import item_view
from storyvid_assets.runner import run_episode
from storyvid_assets.sensors.review import review_decisions_sensor
from storyvid_tests.assets.gates import (
    BLOCKED,
    CHANNEL,
    ShortStories,
    failed_checks,
    items,
    materialized,
    only_request,
    resources,
    run_request,
)
from storyvid_tests.fakes.moderation_fake import FakeModerationServer
from storyvid_tests.samples import channels_with_moderation

IMAGES_ONLY = [dg.AssetKey("story"), dg.AssetKey("scene_images")]
THREE_SCENES = ShortStories(scenes=3)  # picture tests: fewer 2048 px drawings per attempt


class WordListsOnly(ModerationProvider):
    """A text-only provider: nothing can look at the pictures."""

    def moderate(self, texts: list, policy: TextPolicy) -> list:
        return scan_fields(texts, policy)


def evaluation(result: dg.ExecuteInProcessResult, check: str) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == check)


def sensor_tick(res: dict, instance: dg.DagsterInstance, cursor: str | None) -> tuple[list[dg.RunRequest], str]:
    context = dg.build_sensor_context(instance=instance, definitions=build_definitions(res),
                                      resources={"catalog": res["catalog"]}, cursor=cursor)
    result = review_decisions_sensor(context)
    assert isinstance(result, dg.SensorResult) and result.cursor
    return list(result.run_requests or []), result.cursor


def scene_bytes(home: Path, date: str, attempt: int, scenes: int) -> list[bytes]:
    store = LocalMediaStore(root=str(home / "media"))
    return [store.read_bytes(media_key(CHANNEL, date, "scene_images", attempt, f"scene-{i:02d}.png"))
            for i in range(scenes)]


@pytest.mark.slow  # one short render
def test_a_sweary_story_is_rewritten_by_itself_and_published(storyvid_home: Path) -> None:
    date = "2026-04-02"
    res = resources(story_writer=ShortStories(swear_first=True))
    url = res["catalog"].url
    version = channel_policy_version(get_channel(CHANNEL)).version
    with dg.instance_for_test() as instance:
        first = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False)
        assert failed_checks(first) == [STORY_TEXT_CHECK]
        failed = evaluation(first, STORY_TEXT_CHECK)
        assert failed.metadata["automatic_regenerations"].value == "1 of 2"
        assert failed.metadata["policy_version"].value == version
        assert failed.description.startswith("regenerating automatically (1 of 2)")
        assert items(url, date) == [("story", STORY_TEXT_CHECK, 1, "rejected")]  # nobody was asked

        request = only_request(build_definitions(res), instance)
        assert request.tags[ATTEMPT_TAG] == "2" and request.tags[TRIGGER_TAG] == "automatic-regeneration"
        second = run_request(request, date, res, instance)
        assert second.success, failed_checks(second)
        assert evaluation(second, STORY_TEXT_CHECK).metadata["policy_version"].value == version
        for asset in BLOCKED:
            assert materialized(instance, asset, date), asset
    assert items(url, date) == [("story", STORY_TEXT_CHECK, 1, "resolved")]
    with session_scope(url) as session:
        item = session.scalars(select(ReviewItemRow)).one()
        assert item.policy_version == version
        view = item_view(session, LocalMediaStore(root=str(storyvid_home / "media")), item)
        assert view.automatic_regenerations == 1
        actions = [(e.actor, e.action) for e in view.episode_history]
        assert ("system:automatic-regeneration", "automatic_regeneration") in actions
        assert ("sensor:review_decisions_sensor", "regeneration") in actions
        judged = session.scalars(select(ModerationJudgementRow).filter_by(date=date, check_name=STORY_TEXT_CHECK))
        assert sorted((j.attempt, j.passed, j.policy_version) for j in judged) == [(1, False, version),
                                                                                 (2, True, version)]


def test_a_flagged_picture_is_redrawn_alone(storyvid_home: Path) -> None:
    date = "2026-04-03"
    with FakeModerationServer() as fake:
        res = resources(moderation_provider=OpenAIModeration(api_key=fake.api_key, base_url=fake.url),
                        story_writer=THREE_SCENES)
        with dg.instance_for_test() as instance:
            fake.flag_images = 1  # the first picture looked at (scene 1) shows something it should not
            first = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False,
                                asset_selection=IMAGES_ONLY)
            assert failed_checks(first) == [SCENE_IMAGES_CHECK]
            failed = evaluation(first, SCENE_IMAGES_CHECK)
            flagged = [f for f in failed.metadata["findings_json"].value if f["blocking"]]
            assert {f["scene_index"] for f in flagged} == {0} and {f["field"] for f in flagged} == {"image"}
            assert failed.metadata["image_content"].value.startswith("checked by openai")
            scenes = first.output_for_node("scene_images").images

            request = only_request(build_definitions(res), instance)
            assert (request.tags[REGENERATE_SCENES_TAG], request.tags[REUSE_ATTEMPT_TAG]) == ("0", "1")
            second = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False,
                                 tags=dict(request.tags), asset_selection=[dg.AssetKey("scene_images")])
            assert second.success, failed_checks(second)
            redrawn = second.output_for_node("scene_images")
            assert redrawn.attempt == 2 and [i.scene_index for i in redrawn.images] == [s.scene_index for s in scenes]
    before, after = scene_bytes(storyvid_home, date, 1, len(scenes)), scene_bytes(storyvid_home, date, 2, len(scenes))
    assert before[0] != after[0]  # a new seed and a gentler prompt
    assert before[1:] == after[1:]  # the pictures nobody objected to are kept, not paid for twice
    assert redrawn.images[0].prompt.endswith("nothing graphic") and redrawn.images[1].prompt == scenes[1].prompt


def test_a_picture_flagged_every_time_goes_to_a_person_after_two_redraws(storyvid_home: Path) -> None:
    date = "2026-04-04"
    with FakeModerationServer() as fake:
        fake.flag_images = None  # whatever is drawn, the classifier objects
        res = resources(moderation_provider=OpenAIModeration(api_key=fake.api_key, base_url=fake.url),
                        story_writer=THREE_SCENES)
        url = res["catalog"].url
        with dg.instance_for_test() as instance:
            result = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False,
                                 asset_selection=IMAGES_ONLY)
            cursor = None
            for attempt in (2, 3):
                assert failed_checks(result) == [SCENE_IMAGES_CHECK]
                requests, cursor = sensor_tick(res, instance, cursor)
                (request,) = requests
                assert request.tags[ATTEMPT_TAG] == str(attempt)
                result = run_episode(CHANNEL, date, resources=res, instance=instance, raise_on_error=False,
                                     tags=dict(request.tags), asset_selection=[dg.AssetKey("scene_images")])
            assert failed_checks(result) == [SCENE_IMAGES_CHECK]
            assert evaluation(result, SCENE_IMAGES_CHECK).metadata["review_status"].value == "open"
            assert sensor_tick(res, instance, cursor)[0] == []  # nothing more is tried by itself
    assert items(url, date) == [("scene_images", SCENE_IMAGES_CHECK, 1, "resolved"),
                                ("scene_images", SCENE_IMAGES_CHECK, 2, "resolved"),
                                ("scene_images", SCENE_IMAGES_CHECK, 3, "open")]
    with session_scope(url) as session:
        last = session.scalars(select(ReviewItemRow).filter_by(attempt=3)).one()
        assert [a.action for a in audit_for(session, last.id)] == ["opened", "handed_to_people"]
        assert last.policy_version == channel_policy_version(get_channel(CHANNEL)).version


def test_a_kids_channel_that_requires_image_moderation_fails_closed(
    storyvid_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    date = "2026-04-05"
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(channels_with_moderation(
        storyvid_home, "bedtime", {"require_image_moderation": True})))
    res = resources(moderation_provider=WordListsOnly(), story_writer=THREE_SCENES)
    with dg.instance_for_test() as instance:
        result = run_episode("bedtime", date, resources=res, instance=instance, raise_on_error=False,
                             asset_selection=IMAGES_ONLY)
    assert failed_checks(result) == [SCENE_IMAGES_CHECK]
    failed = evaluation(result, SCENE_IMAGES_CHECK)
    (finding,) = [f for f in failed.metadata["findings_json"].value if f["blocking"]]
    assert finding["category"] == "image_content_unchecked"
    assert "moderation.require_image_moderation" in finding["why"] and "OPENAI_API_KEY" in finding["why"]
    assert "storyvid[image-moderation]" in finding["why"]
    assert failed.metadata["image_content"].value.startswith("image content not checked")
    with session_scope(res["catalog"].url) as session:  # regenerating cannot add a classifier: a person decides
        (item,) = session.scalars(select(ReviewItemRow).filter_by(channel="bedtime"))
        assert item.status == "open"


def test_without_the_requirement_unchecked_pictures_pass_and_say_so(storyvid_home: Path) -> None:
    res = resources(moderation_provider=WordListsOnly(), story_writer=THREE_SCENES)
    with dg.instance_for_test() as instance:
        result = run_episode(CHANNEL, "2026-04-06", resources=res, instance=instance, asset_selection=IMAGES_ONLY)
    passed = evaluation(result, SCENE_IMAGES_CHECK)
    assert passed.passed and passed.metadata["image_content"].value.startswith("image content not checked")


def test_a_changed_word_list_finds_the_episodes_judged_under_the_old_one(
    storyvid_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    res = resources()
    with dg.instance_for_test() as instance:
        for date in ("2026-04-07", "2026-04-08"):
            run_episode(CHANNEL, date, resources=res, instance=instance, asset_selection=[dg.AssetKey("story")])
    old = channel_policy_version(get_channel(CHANNEL)).version
    assert storyvid(["moderation", "judged", "--stale"]) == 0
    assert "no episodes match" in capsys.readouterr().out
    # the operator adds a word to the channel's own list: a new policy version
    monkeypatch.setenv("STORYVID_CHANNELS_DIR", str(channels_with_moderation(
        storyvid_home, CHANNEL, {"extra_terms": {"profanity": ["heck"]}})))
    new = channel_policy_version(get_channel(CHANNEL)).version
    assert new != old
    assert storyvid(["moderation", "judged", "--stale"]) == 0
    out = capsys.readouterr().out
    assert f"midnight|2026-04-07  {STORY_TEXT_CHECK}" in out and "midnight|2026-04-08" in out
    assert f"no (now {new})" in out and old in out
    assert "2 episode(s), 2 check result(s)" in out
    assert storyvid(["moderation", "judged", "--version", new]) == 0
    assert "no episodes match" in capsys.readouterr().out
    assert storyvid(["moderation", "policy", "--channel", CHANNEL]) == 0
    assert f"midnight: policy {new} (standard preset)" in capsys.readouterr().out
