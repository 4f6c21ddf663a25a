"""A full-resolution RGB canvas with antialiased mask painting and a low-resolution additive glow layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from storyvid_assets.imaging.palette import Color

SUPERSAMPLE = 2  # masks are drawn at 2x and box-reduced: clean antialiased edges at full resolution
GLOW_SCALE = 4  # the glow layer is 1/4 of the canvas size; glows are smooth, so nothing is lost

Point = tuple[float, float]


class MaskPen:
    """Draws shapes in canvas pixel coordinates into a supersampled mask covering one box of the canvas."""

    def __init__(self, box: tuple[int, int, int, int], ss: int = SUPERSAMPLE) -> None:
        x0, y0, x1, y1 = box
        self.box = (x0, y0, max(x0 + 1, x1), max(y0 + 1, y1))
        self.ss = ss
        w, h = self.box[2] - x0, self.box[3] - y0
        self._mask = Image.new("L", (w * ss, h * ss), 0)
        self._draw = ImageDraw.Draw(self._mask)

    def _pt(self, x: float, y: float) -> tuple[float, float]:
        return ((x - self.box[0]) * self.ss, (y - self.box[1]) * self.ss)

    def polygon(self, points: Sequence[Point], fill: int = 255) -> None:
        if len(points) >= 3:
            self._draw.polygon([self._pt(x, y) for x, y in points], fill=fill)

    def ellipse(self, x0: float, y0: float, x1: float, y1: float, fill: int = 255) -> None:
        a, b = self._pt(min(x0, x1), min(y0, y1))
        c, d = self._pt(max(x0, x1), max(y0, y1))
        self._draw.ellipse((a, b, c, d), fill=fill)

    def circle(self, x: float, y: float, r: float, fill: int = 255) -> None:
        self.ellipse(x - r, y - r, x + r, y + r, fill)

    def rect(self, x0: float, y0: float, x1: float, y1: float, fill: int = 255) -> None:
        a, b = self._pt(min(x0, x1), min(y0, y1))
        c, d = self._pt(max(x0, x1), max(y0, y1))
        self._draw.rectangle((a, b, c, d), fill=fill)

    def line(self, points: Sequence[Point], width: float, fill: int = 255) -> None:
        """A polyline with round joints and caps."""
        w = max(1, round(width * self.ss))
        self._draw.line([self._pt(x, y) for x, y in points], fill=fill, width=w, joint="curve")
        for x, y in (points[0], points[-1]):
            self.circle(x, y, width / 2, fill)

    def mask(self) -> Image.Image:
        """The antialiased mask at canvas resolution (box-sized)."""
        return self._mask.reduce(self.ss) if self.ss > 1 else self._mask


def vertical_gradient(size: tuple[int, int], top: Color, bottom: Color) -> Image.Image:
    """An RGB image fading from ``top`` to ``bottom``."""
    w, h = size
    t = np.linspace(0.0, 1.0, max(1, h), dtype=np.float32)[:, None]
    col = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    column = Image.fromarray(np.clip(col + 0.5, 0, 255).astype(np.uint8)[:, None, :], "RGB")
    return column.resize((max(1, w), max(1, h)), Image.Resampling.NEAREST)


def scale_mask(mask: Image.Image, alpha: float) -> Image.Image:
    """``mask`` with every value multiplied by ``alpha`` (0..1)."""
    if alpha >= 1.0:
        return mask
    return mask.point([round(v * alpha) for v in range(256)])


class Canvas:
    """The picture being painted, plus an additive glow buffer composited at the end."""

    def __init__(self, width: int, height: int, base: Image.Image | None = None) -> None:
        self.width = width
        self.height = height
        self.unit = float(min(width, height))
        self.image = base if base is not None else Image.new("RGB", (width, height))
        gw, gh = max(8, width // GLOW_SCALE), max(8, height // GLOW_SCALE)
        self._glow = np.zeros((gh, gw, 3), np.float32)
        self._gx = gw / width
        self._gy = gh / height

    def clip_box(self, x0: float, y0: float, x1: float, y1: float, pad: float = 2.0) -> tuple[int, int, int, int]:
        """An integer box around the given extent, clipped to the canvas."""
        return (
            max(0, int(np.floor(x0 - pad))),
            max(0, int(np.floor(y0 - pad))),
            min(self.width, int(np.ceil(x1 + pad))),
            min(self.height, int(np.ceil(y1 + pad))),
        )

    def pen(self, box: tuple[int, int, int, int] | None = None) -> MaskPen:
        return MaskPen(box or (0, 0, self.width, self.height))

    def fill(self, pen: MaskPen, color: Color, alpha: float = 1.0) -> None:
        """Paint ``color`` through the pen's mask."""
        self.image.paste(color, pen.box, scale_mask(pen.mask(), alpha))

    def fill_gradient(self, pen: MaskPen, top: Color, bottom: Color, alpha: float = 1.0) -> None:
        """Paint a vertical gradient through the pen's mask (top and bottom of the pen's box)."""
        x0, y0, x1, y1 = pen.box
        self.image.paste(vertical_gradient((x1 - x0, y1 - y0), top, bottom), pen.box, scale_mask(pen.mask(), alpha))

    def paste_mask(self, mask: Image.Image, box: tuple[int, int, int, int], color: Color, alpha: float = 1.0) -> None:
        self.image.paste(color, box, scale_mask(mask, alpha))

    def glow(self, x: float, y: float, radius: float, color: Color, strength: float = 1.0) -> None:
        """Add a Gaussian halo of ``radius`` (about 2 sigma) pixels centred on ``(x, y)``."""
        gx, gy = x * self._gx, y * self._gy
        sigma = max(0.6, radius * self._gx / 2.0)
        h, w = self._glow.shape[:2]
        x0, x1 = max(0, int(gx - 3 * sigma)), min(w, int(gx + 3 * sigma) + 2)
        y0, y1 = max(0, int(gy - 3 * sigma)), min(h, int(gy + 3 * sigma) + 2)
        if x0 >= x1 or y0 >= y1:
            return
        xs = (np.arange(x0, x1, dtype=np.float32) - gx) ** 2
        ys = (np.arange(y0, y1, dtype=np.float32) - gy) ** 2
        blob = np.exp(-(ys[:, None] + xs[None, :]) / (2 * sigma * sigma)) * strength
        self._glow[y0:y1, x0:x1] += blob[:, :, None] * np.asarray(color, np.float32)[None, None, :]

    def beam(self, origin: Point, target: Point, spread: float, color: Color, strength: float = 0.5) -> None:
        """A soft cone of light from ``origin`` towards ``target``, ``spread`` = half-width per unit length."""
        h, w = self._glow.shape[:2]
        ox, oy = origin[0] * self._gx, origin[1] * self._gy
        dx, dy = (target[0] - origin[0]) * self._gx, (target[1] - origin[1]) * self._gy
        length = float(np.hypot(dx, dy)) or 1.0
        ux, uy = dx / length, dy / length
        xs = np.arange(w, dtype=np.float32)[None, :] - ox
        ys = np.arange(h, dtype=np.float32)[:, None] - oy
        along = xs * ux + ys * uy
        across = np.abs(-xs * uy + ys * ux)
        width = np.maximum(along, 1.0) * spread + 1.0
        cone = np.exp(-((across / width) ** 2) * 2.0) * np.clip(along / 3.0, 0, 1) * np.exp(-along / (1.2 * length))
        self._glow += (cone * strength)[:, :, None] * np.asarray(color, np.float32)[None, None, :]

    def composite_glow(self) -> None:
        """Screen-blend the glow buffer onto the picture: bright areas brighten gently instead of clipping."""
        if not self._glow.any():
            return
        small = Image.fromarray(np.clip(self._glow, 0, 255).astype(np.uint8), "RGB")
        self.image = ImageChops.screen(self.image, small.resize((self.width, self.height), Image.Resampling.BICUBIC))
        self._glow[:] = 0
