"""Picture QC: shipped looks keep the picture's contrast; burned-in captions keep WCAG 4.5:1 against their box in
the frames of a real (tiny) render, over bright and dark pictures alike."""

from __future__ import annotations

import math
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from storyvid_assets.channels import load_channels
from storyvid_assets.models import FORMAT_SIZES
from storyvid_assets.render.captions import BOX_PADDING, STYLES, build_ass, caption_layout
from storyvid_assets.render.encoders import LIBX264
from storyvid_assets.render.engine import fonts_dir, render_format
from storyvid_assets.render.look import Filter, still_filters
from storyvid_assets.render.picture import (
    MIN_RANGE_RATIO,
    WCAG_AA,
    box_opacity_for,
    caption_contrast,
    caption_layer,
    contrast_ratio,
    hex_rgb,
    keeps_contrast,
    look_contrast,
    relative_luminance,
)
from storyvid_assets.render.timeline import build_timeline
from storyvid_tests.samples import synthetic_episode, synthetic_image

SHIPPED = load_channels()
TINY_16X9 = (640, 360)  # font 24 px: small, yet glyph strokes wider than 4:2:0 chroma blocks
FPS = 10


def _picture(path: Path, kind: str, size: tuple[int, int] = (480, 270)) -> Path:
    """Sample pictures: the worst case for a caption box (snow-white), a bright sky, a dark night, a colourful scene."""
    width, height = size
    if kind == "colourful":
        synthetic_image(path, width, seed=4, focal=(0.4, 0.5))
        Image.open(path).resize(size).save(path)
        return path
    y = np.linspace(0, 1, height)[:, None, None]
    top, bottom = {
        "snow": ((236, 240, 250), (255, 255, 255)),
        "sky": ((90, 150, 230), (215, 235, 250)),
        "night": ((10, 14, 40), (40, 40, 70)),
    }[kind]
    gradient = np.array(top) * (1 - y) + np.array(bottom) * y
    image = Image.fromarray(np.broadcast_to(gradient, (height, width, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    rng = np.random.default_rng(len(kind))
    for _ in range(12):  # some shapes, so the picture has a range to keep
        x0, y0 = rng.integers(0, width), rng.integers(height // 3, height)
        shade = tuple(int(v) for v in rng.integers(0, 256, 3))
        draw.ellipse([x0, y0, x0 + width // 8, y0 + height // 8], fill=shade)
    image.filter(ImageFilter.GaussianBlur(1)).save(path)
    return path


@pytest.fixture(scope="module")
def pictures(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("pictures")
    return [_picture(folder / f"{kind}.png", kind) for kind in ("snow", "sky", "colourful", "night")]


def test_wcag_maths() -> None:
    white, black = (float(relative_luminance(np.array(c, dtype=np.uint8))) for c in ((255,) * 3, (0,) * 3))
    assert (white, black) == (1.0, 0.0) and contrast_ratio(white, black) == 21.0
    grey = float(relative_luminance(np.array([0x76] * 3, dtype=np.uint8)))
    assert round(contrast_ratio(grey, white), 2) == 4.54  # #767676 on white: the lightest grey that passes AA
    for colour in ("#FFFFFF", "#FFD23F", "#FF5A4E"):
        opacity = box_opacity_for([colour], WCAG_AA)
        over_white = np.array([round(255 * (1 - opacity))] * 3, dtype=np.uint8)  # black box blended over white
        text = float(relative_luminance(np.array(hex_rgb(colour), dtype=np.uint8)))
        assert abs(contrast_ratio(text, float(relative_luminance(over_white))) - WCAG_AA) < 0.1, colour
    assert box_opacity_for(["#FFFFFF"]) < box_opacity_for(["#FFFFFF", "#FFD23F"]) < box_opacity_for(["#FF5A4E"]) == 1


def test_contrast_floor() -> None:
    assert keeps_contrast(0.6, 0.6 * MIN_RANGE_RATIO) and not keeps_contrast(0.6, 0.6 * MIN_RANGE_RATIO - 0.01)
    assert keeps_contrast(0.9, 0.5), "a very contrasty picture may be softened to the absolute floor"


def test_a_flattening_grade_fails_the_floor(tmp_path: Path, pictures: list[Path]) -> None:
    flat = [Filter("eq", {"contrast": 0.55})]
    measured = [look_contrast(picture, flat, tmp_path) for picture in pictures]
    assert not any(m.passed for m in measured), measured


@pytest.mark.parametrize("channel", sorted(SHIPPED))
def test_shipped_looks_keep_the_luminance_range(tmp_path: Path, pictures: list[Path], channel: str) -> None:
    """p5..p95 luma of graded stills (grade, vignette, baked grain: what the renderer applies) vs ungraded."""
    look = SHIPPED[channel].look
    filters = still_filters(look.grade, look.vignette, look.grain, animated_grain=False)
    grade_only = still_filters(look.grade, 0.0, 0.0, animated_grain=False)
    for picture in pictures:
        for chain in (filters, grade_only):
            measured = look_contrast(picture, chain, tmp_path)
            assert measured.passed, f"{channel} {look.grade} flattens {picture.stem}: {measured} ({measured.ratio:.2f})"


def _frames(path: str) -> list[np.ndarray]:
    with av.open(path) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


@pytest.mark.parametrize("channel", sorted(SHIPPED))
def test_caption_text_keeps_wcag_contrast_against_its_box_in_rendered_frames(
    tmp_path: Path, pictures: list[Path], channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 6 s, 10 fps render of the channel's look at 640x360, each sample picture one scene; in every other frame,
    each caption colour (text and highlighted word) against its box as composited over the picture (the box's
    brightest 5 %), measured in the decoded H.264 frames."""
    monkeypatch.setitem(FORMAT_SIZES, "16:9", TINY_16X9)
    config = SHIPPED[channel]
    story, narration, images, wav, music = synthetic_episode(tmp_path, len(pictures), 6.0, image_size=32, seed=3)
    scenes = []
    for (image, path), picture in zip(images, pictures, strict=True):
        path.write_bytes(picture.read_bytes())
        with Image.open(picture) as opened:
            scenes.append((image.model_copy(update={"width": opened.width, "height": opened.height}), path))
    look = config.look.model_copy(update={"intro_card": False, "end_card": False})  # captions only
    timeline = build_timeline(story, narration, scenes, wav, music, look, True, config.display_name, seed=5)
    result = render_format(timeline, "16:9", None, tmp_path / "tiny.mp4", tmp_path, "draft", FPS, LIBX264)
    frames = _frames(result.path)
    ass = tmp_path / "captions.ass"
    ass.write_text(build_ass(timeline.captions, [], *TINY_16X9, result.duration))
    over_black, over_white = caption_layer(ass, *TINY_16X9, FPS, len(frames), fonts_dir())

    style = STYLES[look.caption_style]
    colours = [style.text_colour, look.caption_highlight]
    surround = math.floor(caption_layout(*TINY_16X9).font_size * BOX_PADDING) - 1  # stays inside the box
    worst: dict[str, float] = {}
    measured = 0
    for i in range(0, len(frames), 2):
        results = caption_contrast(frames[i], over_black[i], over_white[i], colours, surround)
        measured += bool(results)
        for found in results:
            assert found.passed, f"{channel} frame {i}: {found}"
            worst[found.colour] = min(worst.get(found.colour, math.inf), found.ratio)
    assert measured >= 15 and set(worst) == set(colours), (measured, worst)
    print(f"{channel} ({look.caption_style}): lowest WCAG ratio per colour over {measured} frames: {worst}")


def test_text_without_a_box_over_a_bright_picture_fails() -> None:
    """The measure can fail: white text with a thin dark outline and no box, over a near-white picture."""
    layer_black = np.zeros((60, 200, 3), dtype=np.uint8)
    layer_white = np.full((60, 200, 3), 255, dtype=np.uint8)
    layer_black[22:38, 22:180:6] = layer_white[22:38, 22:180:6] = 255  # opaque white strokes
    layer_white[20:40, 20:182:6] = 0  # their opaque black outline (left edge)
    layer_white[22:38, 22:180:6] = 255
    frame = np.full((60, 200, 3), 235, dtype=np.uint8)
    frame[20:40, 20:182:6] = 0
    frame[22:38, 22:180:6] = 255
    (found,) = caption_contrast(frame, layer_black, layer_white, ["#FFFFFF"], surround_px=4, edge_px=1)
    assert not found.passed and found.ratio < 1.5, found
