"""Shot composition: every scene of an episode is framed differently, and the focal point follows the subject."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from storyvid_assets.channels import ChannelConfig
from storyvid_assets.episode import Episode
from storyvid_assets.imaging import illustrate
from storyvid_assets.imaging.composition import SHOTS, Shot
from storyvid_assets.imaging.illustrate import render_plan
from storyvid_assets.imaging.plan import plan_scene
from storyvid_assets.models import ImageStyle, Story
from storyvid_assets.moderation.images import DUPLICATE_MAX_DISTANCE, hamming, image_stats
from storyvid_assets.resources.images import ProceduralImages
from storyvid_assets.story.writer import generate_story
from storyvid_tests.story.helpers import dates, request_for, shipped_channels

PREVIEW = 256  # the check hashes a 256 px thumbnail of the picture, so a 256 px render hashes (nearly) the same
EPISODES_PER_CHANNEL = 20
MAX_SCENES = 10  # StoryRequest.max_scenes


def aspects_differing(a: Shot, b: Shot) -> int:
    return sum(x != y for x, y in zip(a.__dict__.values(), b.__dict__.values(), strict=True))


def test_every_two_shots_differ_in_at_least_three_aspects() -> None:
    assert len(SHOTS) >= MAX_SCENES
    assert min(aspects_differing(a, b) for a, b in itertools.combinations(SHOTS, 2)) >= 3


@pytest.mark.parametrize("episode_seed", [0, 7, 11, 2**31 + 5])
def test_the_scenes_of_an_episode_get_different_shots(episode_seed: int) -> None:
    """Scene pictures are drawn with seeds episode seed + scene index (see scene_style): each gets its own shot."""
    prompt = "a fox in the woods"
    shots = [plan_scene(prompt, "calm", "bedtime", scene_style(episode_seed, i).seed).composition for i in range(10)]
    assert len({c.slot for c in shots}) == MAX_SCENES


def scene_style(episode_seed: int, index: int, mood: str = "calm", genre: str = "bedtime") -> ImageStyle:
    """The style the scene_images asset gives scene ``index`` (storyvid_assets/assets/images.py)."""
    return ImageStyle(mood=mood, genre=genre, seed=episode_seed + index)


def scene_hashes(story: Story, episode_seed: int, size: int) -> list[int]:
    """The perceptual hash of each scene picture, drawn as the scene_images asset draws it."""
    provider = ProceduralImages()
    hashes = []
    for scene in story.scenes:
        style = scene_style(episode_seed, scene.index, scene.mood, story.genre)
        hashes.append(image_stats(provider.generate(scene.image_prompt, style, size, size).png).phash)
    return hashes


@pytest.mark.parametrize("channel", shipped_channels(), ids=lambda c: c.name)
def test_no_two_scenes_of_an_episode_are_near_duplicates(channel: ChannelConfig) -> None:
    """What scene_images_quality would flag: a pair of scene images within DUPLICATE_MAX_DISTANCE hash bits."""
    duplicates = []
    for day in dates("2026-03-01", EPISODES_PER_CHANNEL):
        episode = Episode(channel=channel, date=day, attempt=1)
        story = generate_story(request_for(channel, day))
        hashes = scene_hashes(story, episode.seed, PREVIEW)
        for (i, a), (j, b) in itertools.combinations(enumerate(hashes), 2):
            if hamming(a, b) <= DUPLICATE_MAX_DISTANCE:
                duplicates.append(f"{day} scenes {i + 1} and {j + 1}: distance {hamming(a, b)}")
    assert not duplicates, duplicates


def subject_box(prompt: str, seed: int) -> tuple[tuple[int, int, int, int], tuple[float, float], str]:
    """Box (x0, y0, x1, y1) of what the subject adds to its scene, the focal point, and the shot's framing."""
    plan = plan_scene(prompt, "calm", "adventure", seed)
    with_subject, focal = render_plan(plan, PREVIEW, PREVIEW)
    without, _ = render_plan(replace(plan, subjects=()), PREVIEW, PREVIEW)
    changed = np.abs(np.asarray(with_subject, np.float32) - np.asarray(without, np.float32)).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    assert ys.size > PREVIEW * PREVIEW * 0.005, f"shot {plan.composition.slot}: the subject left almost no trace"
    return (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())), focal, plan.composition.framing


@pytest.mark.parametrize("prompt", ["a tower on the hills at night", "a fox by the sea at dusk", "a clock in the hall"])
def test_the_focal_point_is_on_the_subject_in_every_shot(prompt: str) -> None:
    heights: dict[str, list[int]] = {"wide": [], "medium": [], "close": []}
    for seed in range(len(SHOTS)):
        (x0, y0, x1, y1), (fx, fy), framing = subject_box(prompt, seed)
        assert x0 <= fx * PREVIEW <= x1 and y0 <= fy * PREVIEW <= y1, f"shot {seed}: focal point off the subject"
        assert 0.2 < fx < 0.8 and 0.15 < fy < 0.9, f"shot {seed}: focal point {fx, fy} too near the edge to crop"
        heights[framing].append(y1 - y0)
    assert np.mean(heights["wide"]) < np.mean(heights["medium"]) < np.mean(heights["close"])


def test_subject_side_follows_the_shot() -> None:
    sides = {"left": [], "right": [], "centre": []}
    for seed in range(len(SHOTS)):
        picture = illustrate("a fox in a meadow", "calm", "bedtime", seed, PREVIEW, PREVIEW)
        sides[SHOTS[seed].position].append(picture.focal_point[0])
    assert max(sides["left"]) < min(sides["centre"]) and max(sides["centre"]) < min(sides["right"])


def test_foreground_frames_the_picture_without_covering_the_subject() -> None:
    """A foreground shot darkens a corner of the same scene; the subject's centre is untouched."""
    seed = next(i for i, shot in enumerate(SHOTS) if shot.foreground == "low")
    plan = plan_scene("a rabbit in a meadow", "calm", "bedtime", seed)
    framed, focal = render_plan(plan, PREVIEW, PREVIEW)
    bare, _ = render_plan(replace(plan, composition=replace(plan.composition, foreground="none")), PREVIEW, PREVIEW)
    framed_l = np.asarray(framed.convert("L"), np.float32)
    bare_l = np.asarray(bare.convert("L"), np.float32)
    side = plan.composition.foreground_side
    corner = (
        slice(PREVIEW * 3 // 4, None),
        slice(None, PREVIEW // 4) if side == "left" else slice(-PREVIEW // 4, None),
    )
    assert framed_l[corner].mean() < bare_l[corner].mean() - 5
    fx, fy = round(focal[0] * PREVIEW), round(focal[1] * PREVIEW)
    assert abs(framed_l[fy, fx] - bare_l[fy, fx]) < 8


def test_preview_hash_is_close_to_the_full_size_hash() -> None:
    """Why the duplicate test may render small: the check's hash of 256 px and 2048 px renders nearly agree."""
    channel = shipped_channels()[0]
    day = "2026-03-01"
    story = generate_story(request_for(channel, day))
    seed = Episode(channel=channel, date=day, attempt=1).seed
    first = story.model_copy(update={"scenes": story.scenes[:3]})
    drift = [
        hamming(a, b) for a, b in zip(scene_hashes(first, seed, 2048), scene_hashes(first, seed, PREVIEW), strict=True)
    ]
    assert np.mean(drift) <= 3.0, drift
