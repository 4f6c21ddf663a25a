from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from storyvid_assets.analytics.models import OptimizationSettings, PolicyLimits, TunableSettings
from storyvid_assets.analytics.tunables import (
    apply_settings,
    base_settings,
    explore,
    neighbours,
    policy_violations,
    resolve,
)
from storyvid_assets.channels import ChannelConfig, load_channels
from storyvid_assets.errors import ConfigError

DATES = [(date(2026, 1, 1) + timedelta(days=n)).isoformat() for n in range(1000)]


def channel(**fields: Any) -> ChannelConfig:
    return ChannelConfig.model_validate(
        {"name": "tales", "display_name": "Tales", "genres": ["fable", "mystery"], "theme_pool": ["a fox"], **fields})


def test_base_settings_read_every_tunable_from_the_file() -> None:
    bedtime = load_channels()["bedtime"]
    assert base_settings(bedtime) == TunableSettings(
        narrator_voice="en-us", narrator_rate=150, music_mood="dreamy", genre="bedtime", posting_hour=18,
        thumbnail_variant="a", provider_tier="premium", target_words=None)
    tales = channel(target_words=600, thumbnail_variant="b", providers={"tier": "budget"})
    assert base_settings(tales).model_dump(include={"target_words", "thumbnail_variant", "provider_tier"}) == {
        "target_words": 600, "thumbnail_variant": "b", "provider_tier": "budget"}


@pytest.mark.parametrize("ch", [*load_channels().values(), channel(target_words=600, thumbnail_variant="b")])
def test_applying_the_base_changes_nothing(ch: ChannelConfig) -> None:
    assert apply_settings(ch, base_settings(ch)) == ch
    assert apply_settings(ch, TunableSettings()) == ch  # None everywhere: the file's values


def test_apply_settings_sets_every_tunable() -> None:
    tales = channel()
    changed = apply_settings(tales, TunableSettings(
        narrator_voice="en-gb", narrator_rate=180, music_mood="tense", genre="mystery", posting_hour=9,
        thumbnail_variant="b", provider_tier="standard", target_words=700))
    assert (changed.narrator.voice, changed.narrator.rate, changed.narrator.pitch) == ("en-gb", 180, 50)
    assert changed.music.mood == "tense" and changed.music.volume_db == tales.music.volume_db
    assert changed.genres == ["mystery", "fable"]
    assert (changed.schedule.hour, changed.schedule.timezone) == (9, "UTC")
    assert (changed.thumbnail_variant, changed.providers.tier, changed.target_words) == ("b", "standard", 700)
    assert base_settings(changed).narrator_rate == 180
    assert tales.narrator.rate == 165 and tales.genres == ["fable", "mystery"]  # the original is untouched


@pytest.mark.parametrize(
    ("settings", "field"),
    [({"genre": "adventure"}, "genre"), ({"music_mood": "dark"}, "music_mood"),
     ({"narrator_rate": 190}, "narrator_rate")],
)
def test_apply_settings_refuses_what_the_channel_cannot_use(settings: dict[str, Any], field: str) -> None:
    bedtime = load_channels()["bedtime"]  # kids: no dark music, no fast narration; genres [bedtime]
    with pytest.raises(ConfigError) as err:
        apply_settings(bedtime, TunableSettings(**settings))
    assert err.value.field == field
    assert "bedtime.yaml" in err.value.source


def test_resolve_stacks_layers_later_ones_winning() -> None:
    base = base_settings(channel())
    resolved = resolve(base, {"music_mood": "dreamy", "narrator_rate": 150}, {"narrator_rate": 140},
                       {"music_mood": None})
    assert (resolved.music_mood, resolved.narrator_rate, resolved.genre) == ("dreamy", 140, "fable")
    assert resolve(base) == base


@pytest.mark.parametrize(("layer", "field"), [({"colour": "red"}, "colour"), ({"posting_hour": 30}, "posting_hour"),
                                              ({"music_mood": "jolly"}, "music_mood")])
def test_resolve_names_the_bad_setting(layer: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve(base_settings(channel()), layer)
    assert err.value.field == field


def test_kids_policy_refuses_horror_fast_narration_and_dark_music() -> None:
    kids = channel(audience="kids", genres=["bedtime", "horror"])
    assert policy_violations(kids, {"genre": "horror"}) == ["genre 'horror' is never told on a kids channel"]
    assert "too fast for a kids channel" in policy_violations(kids, {"narrator_rate": 175})[0]
    assert policy_violations(kids, {"music_mood": "dark"}) and policy_violations(kids, {"music_mood": "tense"})
    assert policy_violations(kids, {"genre": "mystery", "narrator_rate": 170, "music_mood": "calm"}) == []
    grown_up = channel(genres=["horror"])
    assert policy_violations(grown_up, {"genre": "horror", "narrator_rate": 200, "music_mood": "dark"}) == []


def test_channel_policy_limits_are_refused_too() -> None:
    limited = channel(optimization={"policy": {"forbidden_moods": ["epic"], "forbidden_genres": ["mystery"],
                                               "min_rate": 140, "max_rate": 180, "allowed_hours": [7, 8]}})
    assert len(policy_violations(limited, {"music_mood": "epic", "genre": "mystery", "narrator_rate": 190,
                                           "posting_hour": 9})) == 4
    assert policy_violations(limited, {"narrator_rate": 140, "posting_hour": 8, "music_mood": "calm"}) == []


def test_default_neighbourhood_stays_within_bounds() -> None:
    plain = OptimizationSettings()
    assert neighbours("narrator_rate", 150, plain) == [140, 160]
    assert neighbours("narrator_rate", 445, plain) == [435]
    assert neighbours("posting_hour", 23, plain) == [21]
    assert neighbours("target_words", None, plain) == [300, 500]
    assert neighbours("thumbnail_variant", "b", plain) == ["a"]
    assert neighbours("music_mood", "calm", plain) == []  # categorical: only from choices
    assert neighbours("music_mood", "calm", OptimizationSettings(choices={"music_mood": ["calm", "dreamy"]})) == [
        "dreamy"]


def test_exploration_is_deterministic_and_explores_its_share() -> None:
    bedtime = load_channels()["bedtime"]
    settings, opt = base_settings(bedtime), bedtime.optimization
    layers = [explore("bedtime", day, settings, opt, audience="kids") for day in DATES]
    assert layers == [explore("bedtime", day, settings, opt, audience="kids") for day in DATES]
    share = sum(bool(layer) for layer in layers) / len(layers)
    assert abs(share - opt.explore) < 0.05
    assert {next(iter(layer)) for layer in layers if layer} == set(opt.tunables)
    for layer in filter(None, layers):
        ((setting, value),) = layer.items()
        assert value != getattr(settings, setting)
        assert policy_violations(bedtime, layer) == []


def test_exploration_never_breaks_the_policy() -> None:
    # rate 165: 175 is too fast for kids; hour 18: 20 is not an allowed hour, 16 is
    opt = OptimizationSettings(explore=0.5, tunables=["narrator_rate", "posting_hour"],
                               policy=PolicyLimits(allowed_hours=[16, 18]))
    settings = TunableSettings(narrator_rate=165, posting_hour=18)
    tried = [explore("tales", day, settings, opt) for day in DATES[:300]]  # audience unknown: kids rules too
    assert {next(iter(layer.items())) for layer in tried if layer} == {("narrator_rate", 155), ("posting_hour", 16)}
    general = [explore("tales", day, settings, opt, audience="general") for day in DATES[:300]]
    assert ("narrator_rate", 175) in {next(iter(layer.items())) for layer in general if layer}


def test_no_exploration_when_switched_off() -> None:
    settings = base_settings(channel())
    assert all(explore("tales", d, settings, OptimizationSettings(explore=0.0)) == {} for d in DATES[:200])
    off = OptimizationSettings(enabled=False, explore=0.5)
    assert all(explore("tales", d, settings, off) == {} for d in DATES[:200])
