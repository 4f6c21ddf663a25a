"""Procedural illustrations: deterministic, varied, structured pictures that show what the prompt names."""

from __future__ import annotations

import io
import itertools
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from storyvid_assets.errors import ProviderError
from storyvid_assets.imaging import illustrate
from storyvid_assets.imaging.illustrate import render_plan, sprite_mask
from storyvid_assets.imaging.plan import plan_scene
from storyvid_assets.imaging.shapes import SPRITES
from storyvid_assets.models import ImageStyle
from storyvid_assets.resources.images import ProceduralImages

SIZE = 192
VARIED_PROMPTS = [
    ("a shy owl learning to sing", "calm", "bedtime"),
    ("a castle on a hill at sunset", "epic", "adventure"),
    ("a radio that plays tomorrow's news", "tense", "horror"),
    ("a boat in a storm with lightning", "tense", "adventure"),
    ("a girl with a kite in a sunny meadow", "playful", "comedy"),
    ("footprints in the snow that lead upward", "tense", "mystery"),
    ("a city skyline at night with a cat on the roof", "melancholy", "mystery"),
    ("a ghost in a foggy forest", "dark", "horror"),
]


def picture(
    prompt: str, mood: str = "calm", genre: str = "bedtime", seed: int = 0, w: int = SIZE, h: int = SIZE
) -> Image.Image:
    return Image.open(io.BytesIO(illustrate(prompt, mood, genre, seed, w, h).png)).convert("RGB")


def pixels(img: Image.Image) -> np.ndarray:
    return np.asarray(img, np.float32)


def luminance(img: Image.Image) -> np.ndarray:
    return np.asarray(img.convert("L"), np.float32)


def edge_energy(img: Image.Image) -> float:
    """Mean absolute neighbour difference of a 64x64 box-downscaled copy, in 0..1 units."""
    a = luminance(img.resize((64, 64), Image.Resampling.BOX)) / 255.0
    return float(np.abs(np.diff(a, axis=0)).mean() + np.abs(np.diff(a, axis=1)).mean())


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(pixels(a) - pixels(b)).mean())


def test_same_prompt_and_seed_give_identical_png() -> None:
    a = illustrate("a lighthouse that forgot how to glow", "dreamy", "bedtime", 3, SIZE, SIZE)
    b = illustrate("a lighthouse that forgot how to glow", "dreamy", "bedtime", 3, SIZE, SIZE)
    assert a.png == b.png
    assert a.focal_point == b.focal_point


def test_another_seed_gives_another_picture() -> None:
    assert mean_abs_diff(picture("a fox in the woods", seed=1), picture("a fox in the woods", seed=2)) > 3.0


@pytest.mark.parametrize(("w", "h"), [(160, 90), (90, 160), (128, 128), (17, 301)])
def test_requested_size_is_honoured(w: int, h: int) -> None:
    img = Image.open(io.BytesIO(illustrate("a house by the sea", "calm", "bedtime", 0, w, h).png))
    assert img.format == "PNG"
    assert img.size == (w, h)
    assert img.mode == "RGB"


def test_full_size_square_through_the_provider() -> None:
    result = ProceduralImages().generate("a small fox who collects lost buttons", ImageStyle(seed=5), 2048, 2048)
    img = Image.open(io.BytesIO(result.png))
    assert (result.width, result.height, img.size) == (2048, 2048, (2048, 2048))
    assert result.provider == "procedural"
    assert result.focal_point is not None
    fx, fy = result.focal_point
    assert 0.2 < fx < 0.8 and 0.2 < fy < 0.9  # kept well inside, so every crop can hold it


def test_different_prompts_look_clearly_different() -> None:
    images = [picture(p, m, g) for p, m, g in VARIED_PROMPTS]
    diffs = [mean_abs_diff(a, b) for a, b in itertools.combinations(images, 2)]
    assert min(diffs) > 12.0, f"two different scenes are too alike: {sorted(diffs)[:3]}"


@pytest.mark.parametrize(
    ("prompt", "mood", "genre"), [*VARIED_PROMPTS, ("zzz", "dark", "horror"), ("hello", "calm", "bedtime")]
)
def test_a_picture_is_never_noise_or_a_flat_fill(prompt: str, mood: str, genre: str) -> None:
    img = picture(prompt, mood, genre)
    assert 10.0 < luminance(img).std() < 90.0
    assert 0.008 < edge_energy(img) < 0.08


def test_structure_metrics_reject_noise_and_flat_fills() -> None:
    noise = Image.fromarray(np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8))
    flat = Image.new("RGB", (SIZE, SIZE), (60, 70, 120))
    assert edge_energy(noise) > 0.08
    assert edge_energy(flat) < 0.008 and luminance(flat).std() < 10.0


def bright_blob(img: Image.Image) -> dict[str, float]:
    """The connected region around the brightest point (stars smoothed away): centre height, fill of its box, aspect."""
    lum = luminance(img.resize((128, 128), Image.Resampling.BOX))
    seed_y, seed_x = np.unravel_index(np.argmax(lum), lum.shape)
    mask = lum > lum.max() * 0.8
    region = np.zeros_like(mask)
    region[seed_y, seed_x] = True
    while True:
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= mask
        if (grown == region).all():
            break
        region = grown
    ys, xs = np.nonzero(region)
    h, w = np.ptp(ys) + 1, np.ptp(xs) + 1
    return {
        "cy": float(ys.mean()) / 128,
        "fill": float(region.sum()) / (h * w),
        "aspect": h / w,
        "area": float(region.mean()),
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_full_moon_is_a_bright_round_disc_in_the_upper_half(seed: int) -> None:
    blob = bright_blob(picture("the full moon over a quiet sea", seed=seed, w=256, h=256))
    assert blob["cy"] < 0.5
    assert 0.68 < blob["fill"] < 0.86  # a disc fills pi/4 of its box
    assert 0.85 < blob["aspect"] < 1.18
    assert blob["area"] > 0.02


def test_crescent_moon_is_not_a_disc() -> None:
    blob = bright_blob(picture("a crescent moon over the sea", w=256, h=256))
    assert blob["cy"] < 0.5
    assert blob["fill"] < 0.55


def subject_region(prompt: str, seed: int = 0) -> tuple[tuple[int, int, int, int], tuple[float, float]]:
    """Box (x0, y0, w, h) of what the prompt's subject adds to the same scene without it, and the focal point."""
    plan = plan_scene(prompt, "calm", "adventure", seed)
    with_subject, focal = render_plan(plan, 256, 256)
    without, _ = render_plan(replace(plan, subjects=()), 256, 256)
    changed = np.abs(pixels(with_subject) - pixels(without)).sum(axis=2) > 60
    ys, xs = np.nonzero(changed)
    assert ys.size > 256 * 256 * 0.01, "the subject left almost no trace"
    return (int(xs.min()), int(ys.min()), int(np.ptp(xs) + 1), int(np.ptp(ys) + 1)), focal


@pytest.mark.parametrize(
    ("prompt", "shape"),
    [
        ("a tower on the hills at night", "tall"),
        ("a grandfather clock in the hall", "tall"),
        ("a train crossing the hills at night", "wide"),
        ("a house on the hills at night", "wide"),
    ],
)
def test_named_objects_are_drawn_where_the_focal_point_says(prompt: str, shape: str) -> None:
    (x0, y0, w, h), (fx, fy) = subject_region(prompt)
    assert (h / w > 1.8) if shape == "tall" else (h / w < 1.0)
    assert x0 <= fx * 256 <= x0 + w and y0 <= fy * 256 <= y0 + h


def warm_light_pixels(img: Image.Image) -> int:
    p = pixels(img)
    r, g, b = p[..., 0], p[..., 1], p[..., 2]
    return int(((r > 200) & (g > 140) & (b < g - 30)).sum())


def test_a_house_at_night_has_lit_windows() -> None:
    plan = plan_scene("a house on the hills at night", "calm", "bedtime", 0)
    lit, _ = render_plan(plan, 256, 256)
    empty, _ = render_plan(replace(plan, subjects=()), 256, 256)
    assert warm_light_pixels(lit) > warm_light_pixels(empty) + 40


def test_daylight_is_brighter_than_midnight() -> None:
    day = luminance(picture("a meadow on a sunny afternoon", "calm", "adventure")).mean()
    night = luminance(picture("a meadow at midnight", "calm", "adventure")).mean()
    assert day > night + 40


def test_snow_whitens_the_ground() -> None:
    snowy = luminance(picture("a snowy field at night", seed=1))[-SIZE // 6 :].mean()
    grassy = luminance(picture("a grassy field at night", seed=1))[-SIZE // 6 :].mean()
    assert snowy > grassy + 30


def saturation(img: Image.Image) -> float:
    return float(np.asarray(img.convert("HSV"), np.float32)[..., 1].mean())


def test_mood_and_genre_grade_the_colours() -> None:
    cosy = picture("a cottage by the lake at dusk", "playful", "bedtime")
    grim = picture("a cottage by the lake at dusk", "dark", "horror")
    assert saturation(grim) < saturation(cosy) * 0.8
    assert luminance(grim).mean() < luminance(cosy).mean()


def test_vocabulary_has_distinct_drawable_silhouettes() -> None:
    assert len(SPRITES) >= 25
    canvas_w = 64 * 4
    masks: dict[str, np.ndarray] = {}
    for name in SPRITES:
        mask = sprite_mask(name, 64)
        coverage = np.asarray(mask, np.float32).mean() / 255
        assert 0.005 < coverage < 0.6, f"{name} draws {coverage:.3f} of its box"
        frame = Image.new("L", (canvas_w, mask.height))
        frame.paste(mask, ((canvas_w - mask.width) // 2, 0))
        masks[name] = np.asarray(frame) > 127
    for (a, ma), (b, mb) in itertools.combinations(masks.items(), 2):
        iou = (ma & mb).sum() / max(1, (ma | mb).sum())
        assert iou < 0.95, f"{a} and {b} look the same (IoU {iou:.2f})"


def test_bad_sizes_and_empty_prompts_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="width"):
        illustrate("a fox", "calm", "bedtime", 0, 0, 100)
    with pytest.raises(ValueError, match="empty"):
        illustrate("   ", "calm", "bedtime", 0, 100, 100)
    with pytest.raises(ProviderError, match="height"):
        ProceduralImages().generate("a fox", ImageStyle(), 100, 100_000)
