"""Reading prompts into scene plans: time of day, weather, landscape, subjects, indoors."""

from __future__ import annotations

import pytest

from storyvid_assets.imaging.plan import NOUNS, find_subjects, plan_scene, words_of
from storyvid_assets.imaging.shapes import SPRITES


def plan(prompt: str, mood: str = "calm", genre: str = "adventure", seed: int = 0):
    return plan_scene(prompt, mood, genre, seed)


def test_every_noun_names_a_drawable_sprite() -> None:
    assert set(NOUNS.values()) <= set(SPRITES)
    assert len(SPRITES) >= 25


@pytest.mark.parametrize(
    ("prompt", "time"),
    [
        ("an owl under the moon", "night"),
        ("stars over a quiet field at midnight", "night"),
        ("a fox at dawn", "dawn"),
        ("a castle at sunset", "sunset"),
        ("a boat in a thunderstorm", "storm"),
        ("a house in the fog", "fog"),
        ("a kite on a sunny afternoon", "day"),
        ("a dark and stormy sea", "storm"),  # an explicit weather word beats the mood word "dark"
    ],
)
def test_time_of_day_follows_light_words(prompt: str, time: str) -> None:
    assert plan(prompt).time_of_day == time


def test_storms_rain_and_fog_mists() -> None:
    assert "rain" in plan("a storm over the hills").weather
    assert "fog" in plan("a misty morning").weather
    assert "snow" in plan("snow falling on a cabin", seed=3).terrain


@pytest.mark.parametrize(
    ("prompt", "terrain"),
    [
        ("a whale far out at sea", "sea"),
        ("a lighthouse on the rocks", "sea"),  # a lighthouse brings its own sea
        ("a cabin below the mountains", "mountains"),
        ("a deer in the forest", "forest"),
        ("a cat on a rooftop in the city", "city"),
        ("a snowman in winter", "snow"),
    ],
)
def test_landscape_follows_place_words(prompt: str, terrain: str) -> None:
    assert terrain in plan(prompt).terrain


def test_subjects_in_prompt_order_with_synonyms_and_plurals() -> None:
    subjects = find_subjects(words_of("Two owls and a kitten watch the old lighthouse keeper's cottage"))
    assert [s.name for s in subjects] == ["owl", "cat", "lighthouse", "keeper"]
    assert subjects[0].count == 2
    assert find_subjects(words_of("three wolves"))[0].name == "wolf"


def test_teddy_bear_is_one_teddy_and_window_light_is_not_a_window() -> None:
    assert [s.name for s in find_subjects(words_of("a teddy bear by warm window light"))] == ["teddy"]


def test_indoor_objects_go_indoors_unless_a_landscape_is_named() -> None:
    assert plan("a radio that plays tomorrow's news").indoor
    assert plan("a bear and a candle in the kitchen").indoor
    assert not plan("a radio left in the forest").indoor
    assert not plan("a lighthouse in the attic").indoor  # a lighthouse cannot stand in a room


def test_moon_is_the_subject_only_when_named_first() -> None:
    assert plan("the full moon rising over an owl").celestial_subject
    assert not plan("an owl under the moon").celestial_subject
    assert plan("the moon alone").celestial == "moon"


def test_plan_is_deterministic_and_seeded() -> None:
    assert plan("a quiet meadow", seed=4) == plan("a quiet meadow", seed=4)
    seeds = {plan("a quiet place", seed=s).seed for s in range(5)}
    assert len(seeds) == 5
