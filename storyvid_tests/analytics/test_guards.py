from __future__ import annotations

from typing import Any

import pytest

from storyvid_assets.analytics.guards import diff_settings, guard
from storyvid_assets.analytics.models import TunableSettings, Uplift
from storyvid_assets.analytics.tunables import base_settings
from storyvid_assets.channels import ChannelConfig


def channel(**fields: Any) -> ChannelConfig:
    return ChannelConfig.model_validate(
        {"name": "tales", "display_name": "Tales", "genres": ["fable", "horror"], "theme_pool": ["a fox"], **fields})


def uplift(setting: str, current: Any, proposed: Any, *, low: float = 0.03, high: float = 0.13,
           samples: int = 60) -> Uplift:
    return Uplift(setting=setting, current=current, proposed=proposed, uplift=(low + high) / 2, low=low, high=high,
                  confidence=0.9, samples=samples)


def test_a_clear_improvement_passes() -> None:
    ch = channel(music={"mood": "tense"})
    decision = guard(uplift("music_mood", "tense", "calm"), ch, base_settings(ch))
    assert decision.allowed
    assert (decision.setting, decision.proposed, decision.applied_value, decision.reasons) == (
        "music_mood", "calm", "calm", [])


def test_too_few_samples_are_refused() -> None:
    ch = channel()
    decision = guard(uplift("music_mood", "calm", "dreamy", samples=12), ch, base_settings(ch))
    assert not decision.allowed and decision.applied_value is None
    assert decision.reasons == ["Only 12 episodes have a mature completion rate; the channel needs at least 30 "
                                "before it changes a setting."]


def test_an_interval_including_zero_is_refused() -> None:
    ch = channel()
    decision = guard(uplift("music_mood", "calm", "dreamy", low=-0.02, high=0.09), ch, base_settings(ch))
    assert not decision.allowed
    assert decision.reasons == ["The 90% interval of the effect (-2.0% to +9.0%) includes zero, so the data cannot "
                                "tell this change from no change."]


def test_a_change_for_the_worse_is_refused() -> None:
    ch = channel()
    decision = guard(uplift("music_mood", "calm", "dreamy", low=-0.12, high=-0.04), ch, base_settings(ch))
    assert not decision.allowed
    assert decision.reasons == ["The change is expected to lower the completion rate (-8.0%), not to improve it."]


@pytest.mark.parametrize(
    ("setting", "current", "proposed", "words"),
    [("genre", "fable", "horror", "genre 'horror' is never told on a kids channel"),
     ("narrator_rate", 165, 175, "too fast for a kids channel"),
     ("narrator_rate", 165, 200, "too fast for a kids channel"),  # clipped to 180: still too fast
     ("music_mood", "calm", "dark", "music mood 'dark' is never used on a kids channel")],
)
def test_kids_policy_refuses(setting: str, current: Any, proposed: Any, words: str) -> None:
    kids = channel(audience="kids", narrator={"rate": 165})
    decision = guard(uplift(setting, current, proposed), kids, base_settings(kids))
    assert not decision.allowed
    assert any(reason.startswith("Refused by policy:") and words in reason for reason in decision.reasons)
    grown_up = channel(narrator={"rate": 165})
    assert guard(uplift(setting, current, proposed), grown_up, base_settings(grown_up)).allowed


def test_step_cap_clips_numeric_moves() -> None:
    ch = channel(narrator={"rate": 150}, schedule={"hour": 6})
    current = base_settings(ch)
    faster = guard(uplift("narrator_rate", 150, 190), ch, current)
    assert faster.allowed and faster.proposed == 190 and faster.applied_value == 165
    assert faster.reasons == ["Capped: narrator rate moves from 150 to 165, not to 190, because one step may move "
                              "it by at most 15."]
    earlier = guard(uplift("posting_hour", 6, 1), ch, current)
    assert (earlier.allowed, earlier.applied_value) == (True, 3)
    within = guard(uplift("narrator_rate", 150, 160), ch, current)
    assert (within.applied_value, within.reasons) == (160, [])
    longer = guard(uplift("target_words", None, 700), ch, current)  # unset: the writer's 300-500, centre 400
    assert longer.applied_value == 500


def test_stale_unknown_or_unchanged_proposals_are_refused() -> None:
    ch = channel()
    current = base_settings(ch).model_copy(update={"music_mood": "dreamy"})  # an active version moved it
    stale = guard(uplift("music_mood", "calm", "tense"), ch, current)
    assert not stale.allowed and "the channel now uses 'dreamy'" in stale.reasons[0]
    same = guard(uplift("music_mood", "dreamy", "dreamy"), ch, current)
    assert same.reasons == ["The channel already uses music mood 'dreamy'."]
    unknown = guard(uplift("genre", "fable", "western"), ch, current)
    assert not unknown.allowed and "not one of the channel's genres" in unknown.reasons[0]
    off = channel(optimization={"enabled": False})
    assert "switched off" in guard(uplift("music_mood", "calm", "dreamy"), off, base_settings(off)).reasons[0]


def test_diff_settings_lists_what_changed() -> None:
    before = TunableSettings(narrator_rate=150, music_mood="calm", genre="fable")
    after = before.model_copy(update={"narrator_rate": 160, "target_words": 600})
    assert diff_settings(before, after) == {"narrator_rate": (150, 160), "target_words": (None, 600)}
    assert diff_settings(after, after) == {}
