"""Picture measurements for render QC: how much luminance range a look leaves, and how legible burned-in captions are.

Contrast is the spread of Rec.709 luma between its 5th and 95th percentiles. A grade may soften a picture, but not
flatten it: it keeps at least :data:`MIN_RANGE_RATIO` of the ungraded range, or an absolute range of
:data:`MIN_LUMA_RANGE` (a picture that was already very contrasty may lose more). Caption legibility is the WCAG 2
contrast ratio between the caption's text colours and its box, both measured in rendered frames: the box is
semi-transparent, so what counts is the box as composited over the picture, at its brightest (95th percentile).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import ffmpeg
import numpy as np
from PIL import Image
from pydantic import BaseModel

from storyvid_assets.render.compiler import apply, caption_filter
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.look import Filter

LUMA_WEIGHTS = np.array([0.2126, 0.7152, 0.0722])
MIN_RANGE_RATIO = 0.8  # of the ungraded p5..p95 luma range
MIN_LUMA_RANGE = 0.5  # or this much p5..p95 range (luma 0..1), whichever is smaller
WCAG_AA = 4.5  # minimum contrast ratio of normal-size text (WCAG 2.x, success criterion 1.4.3)
# Caption boxes are sized for AAA (7:1) with the nominal colours: rendered frames lose some of it (4:2:0 chroma
# blurs thin coloured strokes into their outline, compression lifts the box), measured down to AA at 640x360.
BOX_DESIGN_RATIO = 7.0
TEXT_TOLERANCE = 48.0  # RGB distance within which an opaque caption pixel counts as drawn in a text colour


def _unit(rgb: np.ndarray) -> np.ndarray:
    """RGB as floats 0..1 (8-bit input is scaled)."""
    array = np.asarray(rgb, dtype=np.float64)
    return array / 255.0 if np.asarray(rgb).dtype == np.uint8 else array


def luma(rgb: np.ndarray) -> np.ndarray:
    """Rec.709 luma (of the gamma-encoded values), 0..1."""
    return _unit(rgb)[..., :3] @ LUMA_WEIGHTS


def luma_range(rgb: np.ndarray, low: float = 5.0, high: float = 95.0) -> float:
    """The picture's contrast: luma at the ``high`` percentile minus luma at the ``low`` percentile."""
    values = luma(rgb)
    return float(np.percentile(values, high) - np.percentile(values, low))


class LumaRange(BaseModel):
    """The contrast of one picture before and after a look."""

    ungraded: float
    graded: float

    @property
    def ratio(self) -> float:
        return self.graded / self.ungraded if self.ungraded > 0 else 1.0

    @property
    def passed(self) -> bool:
        return keeps_contrast(self.ungraded, self.graded)


def keeps_contrast(ungraded: float, graded: float) -> bool:
    """A look keeps contrast when the graded range is at least the floor the ungraded one sets."""
    return graded >= min(MIN_RANGE_RATIO * ungraded, MIN_LUMA_RANGE) - 1e-9


def filtered_frame(image: Path, filters: Sequence[Filter], work_dir: Path) -> np.ndarray:
    """``image`` run through ``filters`` with the bundled ffmpeg, as 8-bit RGB."""
    work_dir.mkdir(parents=True, exist_ok=True)
    out = work_dir / f"filtered-{image.stem}-{abs(hash(tuple(map(repr, filters)))):x}.png"
    stream = apply(ffmpeg.input(str(image)).video, [*filters, Filter("format", args=("rgb24",))])
    run_ffmpeg(stream.output(str(out), **{"frames:v": 1}).get_args(overwrite_output=True))
    with Image.open(out) as picture:
        return np.asarray(picture.convert("RGB"))


def look_contrast(image: Path, filters: Sequence[Filter], work_dir: Path) -> LumaRange:
    """The p5..p95 luma range of ``image`` as it is and after the look's ``filters``."""
    with Image.open(image) as picture:
        ungraded = np.asarray(picture.convert("RGB"))
    return LumaRange(
        ungraded=round(luma_range(ungraded), 4),
        graded=round(luma_range(filtered_frame(image, filters, work_dir)), 4),
    )


# --------------------------------------------------------------------------- caption legibility (WCAG 2)


def relative_luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG 2 relative luminance of sRGB values (linearised, Rec.709 weights), 0..1."""
    unit = _unit(rgb)[..., :3]
    linear = np.where(unit <= 0.04045, unit / 12.92, ((unit + 0.055) / 1.055) ** 2.4)
    return linear @ LUMA_WEIGHTS


def contrast_ratio(a: float, b: float) -> float:
    """WCAG contrast ratio of two relative luminances (1..21)."""
    light, dark = max(a, b), min(a, b)
    return (light + 0.05) / (dark + 0.05)


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``#RRGGBB`` as three 0..255 integers."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def box_opacity_for(colours: Sequence[str], ratio: float = BOX_DESIGN_RATIO) -> float:
    """The least opacity of a black box that keeps every text colour at ``ratio`` against the box composited over
    a white picture (the worst case); 1 (opaque) when even that falls short."""
    darkest = min(float(relative_luminance(np.array(hex_rgb(c), dtype=np.uint8))) for c in colours)
    allowed = (darkest + 0.05) / ratio - 0.05  # the brightest box luminance that still gives ``ratio``
    if allowed <= 0:
        return 1.0
    # sRGB value of that luminance; the box is blended in gamma-encoded values: v = 1 - opacity over white
    value = allowed * 12.92 if allowed <= 0.0031308 else 1.055 * allowed ** (1 / 2.4) - 0.055
    return float(min(1.0, max(0.0, 1.0 - value)))


class CaptionContrast(BaseModel):
    """One caption text colour measured against its box in one frame."""

    colour: str
    text_pixels: int
    box_pixels: int
    text_luminance: float  # median of the pixels drawn in the colour
    box_luminance: float  # 95th percentile of the text's surround (the box as composited over the picture)
    ratio: float

    @property
    def passed(self) -> bool:
        return self.ratio >= WCAG_AA


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """Binary dilation by a square of side ``2 * radius + 1`` (rows, then columns: the square is separable)."""
    out = mask.copy()
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if a == axis else (0, 0) for a in (0, 1)])
        size = out.shape[axis]
        out = np.logical_or.reduce([np.take(padded, range(k, k + size), axis=axis) for k in range(2 * radius + 1)])
    return out


def caption_layer(
    ass_file: Path, width: int, height: int, fps: int, frames: int, fonts_dir: str | None
) -> tuple[np.ndarray, np.ndarray]:
    """The captions of ``ass_file`` alone, drawn by libass (the renderer's filter) over black and over white:
    two ``(frames, height, width, 3)`` arrays, frame *i* at ``i / fps`` seconds like the rendered video's."""
    layers = []
    for background in ("black", "white"):
        source = ffmpeg.input(f"color=c={background}:s={width}x{height}:r={fps}", f="lavfi").video
        drawn = apply(source, [caption_filter(ass_file.name, fonts_dir), Filter("format", args=("rgb24",))])
        out = ass_file.with_name(f"{ass_file.stem}-over-{background}.rgb")
        args = drawn.output(str(out), f="rawvideo", **{"frames:v": frames}).get_args(overwrite_output=True)
        run_ffmpeg(args, cwd=ass_file.parent)
        layers.append(np.fromfile(out, dtype=np.uint8).reshape(-1, height, width, 3))
        out.unlink()
    return layers[0], layers[1]


def caption_contrast(
    frame: np.ndarray,
    over_black: np.ndarray,
    over_white: np.ndarray,
    colours: Sequence[str],
    surround_px: int,
    edge_px: int = 2,
) -> list[CaptionContrast]:
    """WCAG contrast of each caption text colour against what surrounds the text in one rendered ``frame``.

    ``over_black`` and ``over_white`` are the caption layer of the same instant drawn alone (:func:`caption_layer`):
    where they agree the layer is opaque, so opaque pixels in a text colour are that colour's text. Both the text
    and its background are then measured in ``frame`` (8-bit RGB, as decoded): the background is every pixel within
    ``surround_px`` of text but more than ``edge_px`` from it (outline and anti-aliasing are neither) - the box as
    composited over the picture where the box reaches that far, the bare picture where it does not.
    Colours with no opaque pixel in the frame are left out.
    """
    black = np.asarray(over_black, dtype=np.float64)
    alpha = 1.0 - (np.asarray(over_white, dtype=np.float64) - black).mean(axis=-1) / 255.0
    texts = {
        colour: (alpha > 0.9) & (np.linalg.norm(black - np.array(hex_rgb(colour)), axis=-1) <= TEXT_TOLERANCE)
        for colour in colours
    }
    text = np.logical_or.reduce(list(texts.values()))
    background = _dilate(text, surround_px) & ~_dilate(text, edge_px)
    luminance = relative_luminance(np.asarray(frame, dtype=np.uint8))
    background_l = float(np.percentile(luminance[background], 95)) if background.any() else 1.0
    results = []
    for colour, mask in texts.items():
        if not mask.any():
            continue
        text_l = float(np.median(luminance[mask]))
        results.append(
            CaptionContrast(
                colour=colour,
                text_pixels=int(mask.sum()),
                box_pixels=int(background.sum()),
                text_luminance=round(text_l, 4),
                box_luminance=round(background_l, 4),
                ratio=round(contrast_ratio(text_l, background_l), 2),
            )
        )
    return results
