"""The illustrator follows the prompt: named colours and accessories on the right character, warm rooms, distinct
scenes.

Stories come from the local writer for the shipped channels, pictures are drawn small (the measures are size-free)
as the scene_images asset draws them (seed = episode seed + scene index).
"""

from __future__ import annotations

import colorsys
import itertools
import statistics
from functools import cache

import numpy as np
import pytest

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.episode import Episode
from storyvid_assets.imaging.distinctness import distinctness
from storyvid_assets.imaging.illustrate import Region, render_plan
from storyvid_assets.imaging.plan import Subject, find_subjects, named_lights, plan_scene, tokens_of, words_of
from storyvid_assets.imaging.vocabulary import vocabulary
from storyvid_assets.models import ImageStyle, Story
from storyvid_assets.resources.images import ProceduralImages
from storyvid_assets.story.writer import generate_story
from storyvid_tests.story.helpers import dates, request_for, shipped_channels

W, H = 256, 144
STORIES = 100
WARM_STORIES = 40  # per channel: enough episodes with both a warm room and a night outside
MIN_SHARE = 0.02  # of a character's region: a scarf or a hat is a few percent of the character
MIN_PIXELS = 3
ACHROMATIC_SATURATION = 0.3  # named colours below this saturation are told apart by lightness only


@cache
def episode(channel_name: str, day: str) -> tuple[Story, int]:
    """The local writer's story for a shipped channel on ``day`` and the episode seed its pictures are drawn with."""
    channel = next(c for c in shipped_channels() if c.name == channel_name)
    return generate_story(request_for(channel, day)), Episode(channel=channel, date=day, attempt=1).seed


def described(description: str) -> Subject | None:
    """The character a description names, with its traits, as the illustrator reads it alone."""
    subjects = find_subjects(tokens_of(description))
    return subjects[0] if subjects else None


def hsv(rgb: np.ndarray) -> np.ndarray:
    """HSV in 0..1 of an (n, 3) uint8 array."""
    f = rgb.astype(np.float32) / 255.0
    mx, mn = f.max(axis=1), f.min(axis=1)
    d = mx - mn
    r, g, b = f[:, 0], f[:, 1], f[:, 2]
    safe = np.where(d > 0, d, 1.0)
    h = np.where(mx == r, ((g - b) / safe) % 6, np.where(mx == g, (b - r) / safe + 2, (r - g) / safe + 4)) / 6.0
    s = np.where(mx > 0, d / np.where(mx > 0, mx, 1.0), 0.0)
    return np.stack([np.where(d > 0, h, 0.0), s, mx], axis=1)


def shows_colour(pixels: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """Which pixels read as the named colour: same hue family for a chromatic colour, else neutral and as light."""
    h0, s0, v0 = colorsys.rgb_to_hsv(*(c / 255.0 for c in rgb))
    px = hsv(pixels)
    if s0 >= ACHROMATIC_SATURATION:
        dh = np.abs(px[:, 0] - h0)
        dh = np.minimum(dh, 1.0 - dh)
        return (dh <= 25 / 360) & (px[:, 1] >= s0 * 0.45) & (px[:, 2] >= 0.12)
    neutral = px[:, 1] <= s0 + 0.25
    if v0 >= 0.85:  # white, cream
        return neutral & (px[:, 2] >= 0.5)
    if v0 <= 0.3:  # black, dark
        return neutral & (px[:, 2] <= 0.32)
    return neutral & (px[:, 2] >= 0.2) & (px[:, 2] <= 0.9)  # grey, silver


def character_cases(channel: ChannelConfig, day: str) -> list[tuple[str, str, bool]]:
    """(description, trait, found) for every trait of every described character of one story."""
    story, seed = episode(channel.name, day)
    cases = []
    for character in story.characters:
        expected = described(character.description)
        if expected is None or not expected.traits:
            continue
        region = first_region(story, seed, character.description, expected)
        for trait in expected.traits:
            found = region is not None and trait_shown(region, trait.rgb)
            cases.append((character.description, f"{trait.feature}={trait.colour}", found))
    return cases


def first_region(story: Story, seed: int, description: str, expected: Subject) -> tuple[np.ndarray, np.ndarray] | None:
    """Pixels and mask of the character in the first scene that draws it, or None if no scene does."""
    for scene in story.scenes:
        if description.lower() not in scene.image_prompt.lower():
            continue
        plan = plan_scene(scene.image_prompt, scene.mood, story.genre, seed + scene.index)
        if not any(s == expected for s in plan.subjects):
            continue
        regions: list[Region] = []
        image, _ = render_plan(plan, W, H, regions)
        masks = [mask for subject, mask in regions if subject == expected]
        mask = np.logical_or.reduce(masks)
        return np.asarray(image.convert("RGB")), mask
    return None


def trait_shown(region: tuple[np.ndarray, np.ndarray], rgb: tuple[int, int, int]) -> bool:
    image, mask = region
    pixels = image[mask]
    hits = int(shows_colour(pixels, rgb).sum())
    return hits >= MIN_PIXELS and hits >= MIN_SHARE * len(pixels)


@pytest.mark.parametrize("channel", shipped_channels(), ids=lambda c: c.name)
def test_named_colours_and_accessories_show_on_their_character(channel: ChannelConfig) -> None:
    """Over 100 stories: each character's named colour or accessory colour is in its drawn region, >= 95 %."""
    cases = [case for day in dates("2026-03-01", STORIES) for case in character_cases(channel, day)]
    assert len(cases) >= STORIES  # most stories describe a character with a colour or an accessory
    missed = [c for c in cases if not c[2]]
    rate = 1 - len(missed) / len(cases)
    assert rate >= 0.95, f"{rate:.1%} of {len(cases)} shown; missed e.g. {missed[:8]}"


def test_same_description_same_look_in_every_scene() -> None:
    """The fox keeps its scarf: a description reads to the same traits wherever it appears in a prompt."""
    fox = "a little fox with a white-tipped tail and a green scarf"
    alone = described(fox)
    assert alone is not None and {t.feature for t in alone.traits} == {"tail", "scarf"}
    for prompt in (
        f"{fox} in a forest clearing, on a misty evening, soft fog, moon",
        f"{fox} and a big gentle bear in a knitted hat beside a hollow tree, late at night",
        f"a tiny glowing star and {fox} in the warm kitchen",
    ):
        assert alone in plan_scene(prompt, "calm", "bedtime", 1).subjects


def test_two_people_in_different_coats_are_two_characters() -> None:
    subjects = find_subjects(tokens_of("a person in a long grey coat and a person in a yellow oilskin coat"))
    assert [(s.name, [(t.feature, t.colour) for t in s.traits]) for s in subjects] == [
        ("person", [("coat", "grey")]),
        ("person", [("coat", "yellow")]),
    ]


def test_colour_words_colour_the_body_or_the_next_feature() -> None:
    rabbit = described("a cheerful brown rabbit with one floppy ear")
    dog = described("a sleepy old sheepdog with a shaggy grey coat")
    boy = described("a boy in a dark blue coat with a torch")
    assert rabbit is not None and dog is not None and boy is not None
    assert rabbit.body is not None and rabbit.body.colour == "brown"
    assert "floppy_ear" in {t.feature for t in rabbit.features}
    assert dog.name == "dog" and dog.body is not None and dog.body.colour == "grey"  # an animal's coat is its fur
    coat = boy.features[0]
    assert (coat.feature, coat.colour) == ("coat", "blue") and coat.rgb != vocabulary().colours["blue"]  # darker


def temperature(image: np.ndarray) -> float:
    """Mean red minus mean blue, 0..255 units: positive reads warm, negative cold."""
    return float(image[..., 0].mean() - image[..., 2].mean())


def warm_and_night(channel: ChannelConfig, day: str) -> list[tuple[float, float]]:
    """(warm interior, night exterior) temperatures for every such pair of scenes of one episode."""
    story, seed = episode(channel.name, day)
    plans = [plan_scene(s.image_prompt, s.mood, story.genre, seed + s.index) for s in story.scenes]
    warm = [
        p
        for p, s in zip(plans, story.scenes, strict=True)
        if p.indoor and "lamplight" in named_lights(words_of(s.image_prompt), True)
    ]
    night = [p for p in plans if not p.indoor and p.time_of_day == "night"]
    if not warm or not night:
        return []
    temps = {id(p): temperature(np.asarray(render_plan(p, 96, 54)[0], np.float32)) for p in (*warm, *night)}
    return [(temps[id(a)], temps[id(b)]) for a, b in itertools.product(warm, night)]


def test_warm_interiors_are_warmer_than_night_exteriors_of_the_same_episode() -> None:
    pairs = [
        pair
        for channel in shipped_channels()
        for day in dates("2026-03-01", WARM_STORIES)
        for pair in warm_and_night(channel, day)
    ]
    colder = [(round(a, 1), round(b, 1)) for a, b in pairs if a <= b]
    assert pairs and not colder, f"{len(colder)} of {len(pairs)} warm rooms not warmer: {colder[:5]}"


def test_a_warm_kitchen_is_warmer_than_a_misty_meadow() -> None:
    kitchen = plan_scene("a cheerful brown rabbit in the warm kitchen, a candle", "calm", "bedtime", 4)
    meadow = plan_scene("a cheerful brown rabbit in a misty meadow at night", "calm", "bedtime", 5)
    temps = [temperature(np.asarray(render_plan(p, 96, 96)[0], np.float32)) for p in (kitchen, meadow)]
    assert kitchen.indoor and kitchen.room == "kitchen"
    assert temps[0] > temps[1] + 20


@pytest.mark.parametrize("channel", shipped_channels(), ids=lambda c: c.name)
def test_the_scenes_of_an_episode_are_distinct(channel: ChannelConfig) -> None:
    """Median pairwise dHash distance over the scene pairs of 12 episodes: >= 30 bits (unrelated pictures: 32)."""
    provider = ProceduralImages()
    per_episode = []
    for day in dates("2026-06-01", 12):
        story = generate_story(request_for(channel, day))
        seed = Episode(channel=channel, date=day, attempt=1).seed
        pngs = [
            provider.generate(
                s.image_prompt, ImageStyle(mood=s.mood, genre=story.genre, seed=seed + s.index), 128, 128
            ).png
            for s in story.scenes
        ]
        per_episode.append(distinctness(pngs).median_dhash_bits)
    assert statistics.median(per_episode) >= 30, per_episode
