"""Thumbnails: the most striking scene, cropped to the subject, with the title set large inside safe margins.

"Striking" is measured: colourfulness (Hasler & Süsstrunk) plus luminance contrast. The title goes on the side of
the picture the subject is not on, over a dark gradient. Variants for an A/B test: (a) the whole scene, white title
with the last line in the accent colour; (b) a closer crop with the whole title in the accent colour.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from math import gcd
from typing import Literal

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

MAX_YOUTUBE_BYTES = 2 * 1024 * 1024
Variant = Literal["a", "b"]


@dataclass(frozen=True)
class ThumbnailSpec:
    name: str  # "youtube" | "cover_9x16" | "cover_1x1"
    width: int
    height: int
    margins: tuple[float, float, float, float]  # left, top, right, bottom (fractions) the text stays inside

    @property
    def aspect(self) -> str:
        return aspect_of(self.width, self.height)


THUMBNAIL_SPECS = (
    # YouTube overlays the duration at the bottom right
    ThumbnailSpec("youtube", 1280, 720, (0.06, 0.08, 0.06, 0.16)),
    # Shorts/Reels/TikTok covers: UI over the bottom fifth and the right edge
    ThumbnailSpec("cover_9x16", 1080, 1920, (0.07, 0.10, 0.14, 0.22)),
)
# the cover of a format no spec above has the shape of (square feed posts: likes and caption below the picture)
COVER_SPECS = (ThumbnailSpec("cover_1x1", 1080, 1080, (0.07, 0.08, 0.07, 0.14)),)


def aspect_of(width: int, height: int) -> str:
    """``"16:9"``-style aspect ratio of a size."""
    g = gcd(width, height)
    return f"{width // g}:{height // g}"


def thumbnail_specs(formats: Iterable[str]) -> tuple[ThumbnailSpec, ...]:
    """The thumbnails an episode in ``formats`` needs: the platform ones, plus a cover for each format none of
    them has the shape of (so a 1:1 video gets a 1:1 cover)."""
    wanted = set(formats) - {spec.aspect for spec in THUMBNAIL_SPECS}
    extra = tuple(spec for spec in COVER_SPECS if spec.aspect in wanted)
    missing = wanted - {spec.aspect for spec in extra}
    if missing:
        raise ValueError(f"no cover size for formats {sorted(missing)}; add one to COVER_SPECS")
    return THUMBNAIL_SPECS + extra


def striking_score(image: Image.Image) -> float:
    """Colourfulness + luminance contrast of the image (higher = more eye-catching)."""
    small = np.asarray(image.convert("RGB").resize((192, 192)), dtype=np.float64)
    r, g, b = small[..., 0], small[..., 1], small[..., 2]
    rg, yb = r - g, 0.5 * (r + g) - b
    colourfulness = np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean())
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return float(colourfulness + luma.std())


def crop_box(
    size: tuple[int, int], width: int, height: int, focus: tuple[float, float], zoom: float = 1.0
) -> tuple[float, float, float, float]:
    """The largest ``width:height`` box of an image of ``size`` (divided by ``zoom``) centred on ``focus``."""
    iw, ih = size
    scale = max(width / iw, height / ih) * zoom
    cw, ch = width / scale, height / scale
    cx = min(max(focus[0] * iw, cw / 2), iw - cw / 2)
    cy = min(max(focus[1] * ih, ch / 2), ih - ch / 2)
    return cx - cw / 2, cy - ch / 2, cx + cw / 2, cy + ch / 2


def subject_height(size: tuple[int, int], box: tuple[float, float, float, float], focus: tuple[float, float]) -> float:
    """Where the subject sits vertically in the cropped picture (0 = top, 1 = bottom)."""
    return (focus[1] * size[1] - box[1]) / (box[3] - box[1])


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    import font_roboto

    return ImageFont.truetype(font_roboto.font_files["RobotoBlack"], size)


def fit_title(
    title: str, max_width: float, max_height: float, start_size: int, max_lines: int = 4
) -> tuple[list[str], ImageFont.FreeTypeFont]:
    """Wrap ``title`` (upper case) into at most ``max_lines`` lines at the largest size that fits the box."""
    words = title.upper().split()
    size = start_size
    while size > 12:
        font = _font(size)
        lines: list[str] = []
        for word in words:
            if lines and font.getlength(f"{lines[-1]} {word}") <= max_width:
                lines[-1] = f"{lines[-1]} {word}"
            else:
                lines.append(word)
        height = len(lines) * size * 1.1
        if len(lines) <= max_lines and height <= max_height and all(font.getlength(x) <= max_width for x in lines):
            return lines, font
        size = int(size * 0.92)
    return [title.upper()], _font(size)


def _gradient(width: int, height: int, top: bool, strength: float) -> Image.Image:
    """A black alpha gradient, opaque at the text edge (top or bottom), clear at 55% of the frame."""
    ramp = (
        np.clip(1 - np.linspace(0, 1, height) / 0.55, 0, 1)
        if top
        else np.clip((np.linspace(0, 1, height) - 0.45) / 0.55, 0, 1)
    )
    alpha = (255 * strength * ramp**1.3).astype(np.uint8)
    return Image.fromarray(np.repeat(alpha[:, None], width, axis=1), mode="L")


def make_thumbnail(
    image: Image.Image,
    title: str,
    spec: ThumbnailSpec,
    variant: Variant,
    focus: tuple[float, float] | None,
    accent: str = "#FFD23F",
) -> Image.Image:
    """One thumbnail of ``image`` at ``spec``'s size with the title inside its safe margins."""
    focus = focus or (0.5, 0.45)
    zoom = 1.18 if variant == "b" else 1.0
    box = crop_box(image.size, spec.width, spec.height, focus, zoom)
    top = subject_height(image.size, box, focus) > 0.5  # the title goes where the subject is not
    picture = image.convert("RGB").resize((spec.width, spec.height), Image.Resampling.LANCZOS, box=box)
    picture = ImageEnhance.Contrast(ImageEnhance.Color(picture).enhance(1.2)).enhance(1.08)
    black = Image.new("RGB", picture.size, (0, 0, 0))
    picture = Image.composite(black, picture, _gradient(spec.width, spec.height, top, 0.85))
    left, upper, right, lower = spec.margins
    box_w = spec.width * (1 - left - right)
    box_h = spec.height * (1 - upper - lower) * (0.5 if spec.height > spec.width else 0.62)
    start_size = round(min(spec.width, spec.height) * 0.16)
    pad = max(2, start_size // 14) + 2  # the outline (and shadow) stay inside the margins too
    lines, font = fit_title(title, box_w - 2 * pad, box_h - 2 * pad, start_size=start_size)
    size = font.size
    stroke = max(2, size // 14)
    line_h = size * 1.1
    block_h = line_h * len(lines)
    y = spec.height * upper + pad if top else spec.height * (1 - lower) - block_h - pad
    x = spec.width * left + pad
    draw = ImageDraw.Draw(picture)
    for i, line in enumerate(lines):
        colour = accent if variant == "b" else ("#FFFFFF" if i < len(lines) - 1 or len(lines) == 1 else accent)
        draw.text((x + size * 0.04, y + i * line_h + size * 0.05), line, font=font, fill="#00000099")
        draw.text((x, y + i * line_h), line, font=font, fill=colour, stroke_width=stroke, stroke_fill="#000000")
    return picture


def fit_to_aspect(image: Image.Image, width: int, height: int) -> Image.Image:
    """``image`` reshaped to ``width:height`` at its own scale without stretching it: the whole picture in the
    middle, the margins filled with a blurred, darkened crop of the same picture."""
    ratio = width / height
    iw, ih = image.size
    size = (iw, max(1, round(iw / ratio))) if iw / ih > ratio else (max(1, round(ih * ratio)), ih)
    rgb = image.convert("RGB")
    fill = rgb.resize(size, Image.Resampling.LANCZOS, box=crop_box(rgb.size, *size, (0.5, 0.5)))
    fill = ImageEnhance.Brightness(fill.filter(ImageFilter.GaussianBlur(max(size) / 40))).enhance(0.6)
    fill.paste(rgb, ((size[0] - iw) // 2, (size[1] - ih) // 2))
    return fill


def encode_jpeg(image: Image.Image, max_bytes: int = MAX_YOUTUBE_BYTES) -> bytes:
    """JPEG at the best quality that stays under ``max_bytes``."""
    for quality in (92, 88, 82, 75, 65, 55):
        buf = io.BytesIO()
        image.save(buf, format="JPEG", quality=quality, optimize=True, progressive=True)
        if buf.tell() <= max_bytes:
            return buf.getvalue()
    raise ValueError(f"thumbnail does not fit in {max_bytes} bytes even at JPEG quality 55")
