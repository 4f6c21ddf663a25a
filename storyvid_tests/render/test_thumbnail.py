"""Thumbnails: the most colourful/contrasty scene wins; the title is large and inside the safe margins."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from storyvid_assets.render.thumbnail import (
    COVER_SPECS,
    MAX_YOUTUBE_BYTES,
    THUMBNAIL_SPECS,
    encode_jpeg,
    make_thumbnail,
    striking_score,
    thumbnail_specs,
)


def _scene(colourful: bool) -> Image.Image:
    image = Image.new("RGB", (1024, 1024), (120, 120, 120) if not colourful else (20, 30, 120))
    draw = ImageDraw.Draw(image)
    if colourful:
        for i, colour in enumerate([(250, 60, 40), (250, 220, 30), (40, 220, 90)]):
            draw.ellipse([100 + 250 * i, 300, 350 + 250 * i, 550], fill=colour)
    else:
        draw.ellipse([300, 300, 700, 700], fill=(135, 135, 135))
    return image


def test_striking_score_prefers_colour_and_contrast() -> None:
    assert striking_score(_scene(True)) > striking_score(_scene(False)) * 2


@pytest.mark.parametrize("spec", THUMBNAIL_SPECS + COVER_SPECS, ids=lambda s: s.name)
@pytest.mark.parametrize("variant", ["a", "b"])
def test_title_is_large_and_inside_safe_margins(spec, variant: str) -> None:  # type: ignore[no-untyped-def]
    plain = _scene(True)
    with_title = make_thumbnail(plain, "The Lighthouse That Forgot How To Glow", spec, variant, (0.5, 0.4))
    without = make_thumbnail(plain, "", spec, variant, (0.5, 0.4))
    assert with_title.size == (spec.width, spec.height)
    diff = np.abs(np.asarray(with_title, dtype=int) - np.asarray(without, dtype=int)).sum(axis=-1) > 40
    ys, xs = np.nonzero(diff)
    left, top, right, bottom = spec.margins
    assert xs.min() >= spec.width * left - 2 and xs.max() <= spec.width * (1 - right) + 2
    assert ys.min() >= spec.height * top - 2 and ys.max() <= spec.height * (1 - bottom) + 2
    assert (xs.max() - xs.min()) >= 0.5 * spec.width * (1 - left - right)  # large: at least half the safe width


def test_variants_differ() -> None:
    spec = THUMBNAIL_SPECS[0]
    a = np.asarray(make_thumbnail(_scene(True), "Title Here", spec, "a", None), dtype=int)
    b = np.asarray(make_thumbnail(_scene(True), "Title Here", spec, "b", None), dtype=int)
    assert np.abs(a - b).mean() > 5


def test_youtube_jpeg_stays_under_two_megabytes() -> None:
    noise = Image.fromarray(np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8))
    data = encode_jpeg(noise)
    assert len(data) <= MAX_YOUTUBE_BYTES
    assert Image.open(io.BytesIO(data)).format == "JPEG"


def test_every_format_gets_a_cover_of_its_shape() -> None:
    assert thumbnail_specs(["16:9", "9:16"]) == THUMBNAIL_SPECS
    specs = thumbnail_specs(["16:9", "9:16", "1:1"])
    assert {spec.aspect for spec in specs} == {"16:9", "9:16", "1:1"}
    with pytest.raises(ValueError, match="no cover size"):
        thumbnail_specs(["4:5"])
