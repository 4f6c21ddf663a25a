"""Scene image checks on real encoded images: blank, dark, bright, near-duplicates, wrong size."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

from storyvid_assets.moderation.images import ImageUnderCheck, check_images, hamming, image_stats

SIZE = 2048  # what the scene_images asset makes
SMALL = 512  # enough for the pixel rules; keeps the tests fast


def png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def scene_picture(seed: int, size: int = SMALL) -> Image.Image:
    """A different drawing per seed: coloured shapes on a gradient."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 1, size)[None, :] * rng.uniform(60, 160) + rng.uniform(20, 60)
    base = np.repeat(ramp, size, axis=0)
    image = Image.fromarray(np.stack([base, base * 0.8, base * 0.6], axis=-1).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(8):
        x, y = rng.integers(0, size * 4 // 5, 2)
        w, h = rng.integers(size // 20, size // 5, 2)
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        draw.ellipse((int(x), int(y), int(x + w), int(y + h)), fill=colour)
    return image


def stripes(low: int, high: int) -> Image.Image:
    """Bands of two grey levels: texture, but a very dark (or very bright) picture."""
    band = (np.arange(SMALL) // 16 % 2).astype(np.uint8)
    grey = np.where(band[None, :], high, low).repeat(SMALL, axis=0).astype(np.uint8)
    return Image.fromarray(grey).convert("RGB")


def under(index: int, image: Image.Image, declared: tuple[int, int] | None = None) -> ImageUnderCheck:
    w, h = declared or image.size
    return ImageUnderCheck(index, f"bedtime/2026-01-01/scene_images/attempt-1/scene-{index:02d}.png", png(image), w, h)


def categories(findings: list) -> list[tuple[str, int | None]]:
    return sorted((f.category, f.scene_index) for f in findings)


def test_distinct_good_images_pass() -> None:
    findings, stats = check_images([under(i, scene_picture(i)) for i in range(5)], [])
    assert findings == []
    assert all(s.width == SMALL for s in stats.values())


def test_blank_dark_and_bright_are_found() -> None:
    images = [
        under(0, scene_picture(1)),
        under(1, Image.new("RGB", (SMALL, SMALL), (128, 120, 110))),
        under(2, stripes(0, 18)),
        under(3, stripes(237, 255)),
        under(4, Image.new("RGB", (SMALL, SMALL), (0, 0, 0))),
    ]
    findings, _ = check_images(images, [])
    assert categories(findings) == [
        ("image_blank", 1),
        ("image_blank", 4),
        ("image_too_bright", 3),
        ("image_too_dark", 2),
        ("image_too_dark", 4),
    ]
    blank = next(f for f in findings if f.category == "image_blank")
    assert blank.blocking and "scene 2 image" in blank.where and "luminance" in blank.what


def test_size_must_fit_every_format_and_match_the_manifest() -> None:
    images = [
        under(0, scene_picture(1, size=SIZE)),
        under(1, scene_picture(2, size=1000)),
        under(2, scene_picture(3, size=SIZE), declared=(1024, 1024)),
    ]
    findings, _ = check_images(images, ["16:9", "9:16", "1:1"])
    assert categories(findings) == [("image_size", 1), ("image_size", 1), ("image_size", 1), ("image_size", 2)]
    crop = next(f for f in findings if f.scene_index == 1)
    assert "1000x1000" in crop.what and "upscaling" in crop.why
    assert "manifest says 1024x1024" in next(f for f in findings if f.scene_index == 2).what


def test_a_dark_night_scene_with_a_moon_is_not_too_dark() -> None:
    night = Image.new("RGB", (SMALL, SMALL), (6, 8, 20))
    ImageDraw.Draw(night).ellipse((350, 50, 425, 125), fill=(240, 235, 200))
    findings, _ = check_images([under(0, night)], [])
    assert findings == []


def test_near_duplicates_by_perceptual_hash() -> None:
    original = scene_picture(7)
    brighter = Image.fromarray(np.clip(np.asarray(original, dtype=np.int16) + 12, 0, 255).astype(np.uint8))
    resized = original.resize((SMALL // 2, SMALL // 2)).resize((SMALL, SMALL))
    a, b, c = image_stats(png(original)), image_stats(png(brighter)), image_stats(png(scene_picture(8)))
    assert hamming(a.phash, b.phash) <= 4 < hamming(a.phash, c.phash)
    findings, _ = check_images(
        [under(0, original), under(1, scene_picture(8)), under(2, brighter), under(3, resized)], []
    )
    dupes = [f for f in findings if f.category == "image_duplicate"]
    assert sorted(f.what.split(" are ")[0] for f in dupes) == [
        "scene 1 and scene 3 images",
        "scene 1 and scene 4 images",
        "scene 3 and scene 4 images",
    ]
    assert all(f.score is not None and f.score <= 4 for f in dupes)
