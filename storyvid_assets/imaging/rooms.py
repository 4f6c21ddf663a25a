"""Room props: the furniture that tells a kitchen from a bedroom, drawn against the back wall and on the floor.

Which props a room has is data (``interiors`` in ``data/vocabulary.yaml``); each prop name here is a small
painter. A scene shows two of its room's props, chosen by the shot, so the scenes of one room differ.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from storyvid_assets.imaging.canvas import Canvas
from storyvid_assets.imaging.palette import Color, Palette, mix, scale

PLAIN_ROOM_PROPS = ("rug", "picture", "shelf")
PROPS_PER_SCENE = 2
Span = tuple[float, float]  # the x range a prop may use, in pixels


def wood(pal: Palette) -> Color:
    return mix(pal.floor, pal.near, 0.45)


def _shelf(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0, x1 = span[0], min(span[1], span[0] + u * 0.3)
    y = floor_y - u * float(rng.uniform(0.32, 0.42))
    plank = canvas.pen(canvas.clip_box(x0, y - u * 0.12, x1, y + u * 0.02))
    plank.rect(x0, y, x1, y + u * 0.015)
    canvas.fill(plank, wood(pal))
    books = canvas.pen(plank.box)
    x = x0 + u * 0.01
    while x < x1 - u * 0.03:
        bw, bh = u * float(rng.uniform(0.012, 0.022)), u * float(rng.uniform(0.05, 0.09))
        books.rect(x, y - bh, x + bw, y)
        x += bw + u * 0.004
    canvas.fill(books, mix(pal.accent, pal.wall, 0.35))


def _bookcase(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0, x1 = span[0], min(span[1], span[0] + u * 0.28)
    top = floor_y - u * 0.6
    case = canvas.pen(canvas.clip_box(x0, top, x1, floor_y))
    case.rect(x0, top, x1, floor_y)
    canvas.fill(case, wood(pal))
    books = canvas.pen(case.box)
    for row in range(4):
        y = top + u * (0.04 + 0.14 * row)
        x = x0 + u * 0.015
        while x < x1 - u * 0.03:
            bw = u * float(rng.uniform(0.012, 0.024))
            books.rect(x, y + u * float(rng.uniform(0.0, 0.03)), x + bw, y + u * 0.12)
            x += bw + u * 0.003
    canvas.fill(books, mix(pal.accent, pal.gold, float(rng.uniform(0.0, 0.6))))


def _stove(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0 = span[0]
    body = canvas.pen(canvas.clip_box(x0, 0, x0 + u * 0.22, floor_y))
    body.rect(x0, floor_y - u * 0.26, x0 + u * 0.22, floor_y)
    body.rect(x0 + u * 0.08, 0, x0 + u * 0.12, floor_y - u * 0.25)  # the pipe
    canvas.fill(body, scale(pal.near, 0.9))
    door = (x0 + u * 0.05, floor_y - u * 0.18, x0 + u * 0.17, floor_y - u * 0.08)
    fire = canvas.pen(canvas.clip_box(*door))
    fire.rect(*door)
    canvas.fill(fire, pal.window)
    canvas.glow((door[0] + door[2]) / 2, (door[1] + door[3]) / 2, u * 0.25, pal.window, 0.5)


def _fireplace(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0 = span[0]
    w = u * 0.34
    frame = canvas.pen(canvas.clip_box(x0 - u * 0.02, floor_y - u * 0.34, x0 + w + u * 0.02, floor_y))
    frame.rect(x0 - u * 0.02, floor_y - u * 0.34, x0 + w + u * 0.02, floor_y - u * 0.31)  # mantel
    frame.rect(x0, floor_y - u * 0.31, x0 + w, floor_y)
    frame.rect(x0 + u * 0.06, floor_y - u * 0.22, x0 + w - u * 0.06, floor_y, fill=0)
    canvas.fill(frame, mix(pal.wall, pal.near, 0.5))
    flames = canvas.pen(frame.box)
    cx = x0 + w / 2
    for k in (-1, 0, 1):
        fx = cx + k * u * 0.05
        flames.polygon(
            [(fx - u * 0.035, floor_y), (fx, floor_y - u * (0.14 - 0.03 * abs(k))), (fx + u * 0.035, floor_y)]
        )
    canvas.fill(flames, mix(pal.window, (255, 120, 40), 0.4))
    canvas.glow(cx, floor_y - u * 0.06, u * 0.4, pal.window, 0.6)


def _bed(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0, x1 = span[0], min(span[1], span[0] + u * 0.5)
    frame = canvas.pen(canvas.clip_box(x0, floor_y - u * 0.25, x1, floor_y))
    frame.rect(x0, floor_y - u * 0.25, x0 + u * 0.03, floor_y)
    frame.rect(x0, floor_y - u * 0.1, x1, floor_y - u * 0.03)
    frame.rect(x1 - u * 0.03, floor_y - u * 0.16, x1, floor_y)
    canvas.fill(frame, wood(pal))
    cover = canvas.pen(frame.box)
    cover.rect(x0 + u * 0.1, floor_y - u * 0.15, x1 - u * 0.02, floor_y - u * 0.09)
    canvas.fill(cover, mix(pal.accent, pal.face, 0.3))
    pillow = canvas.pen(frame.box)
    pillow.ellipse(x0 + u * 0.03, floor_y - u * 0.17, x0 + u * 0.13, floor_y - u * 0.1)
    canvas.fill(pillow, mix(pal.face, pal.wall, 0.2))


def _rug(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    cx = (span[0] + span[1]) / 2
    pen = canvas.pen(canvas.clip_box(cx - u * 0.4, floor_y, cx + u * 0.4, floor_y + u * 0.2))
    pen.ellipse(cx - u * 0.36, floor_y + u * 0.04, cx + u * 0.36, floor_y + u * 0.16)
    canvas.fill(pen, mix(pal.accent, pal.floor, 0.35), alpha=0.85)


def _picture(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0 = span[0] + u * 0.04
    y0 = floor_y - u * float(rng.uniform(0.5, 0.6))
    pen = canvas.pen(canvas.clip_box(x0, y0, x0 + u * 0.14, y0 + u * 0.18))
    pen.rect(x0, y0, x0 + u * 0.14, y0 + u * 0.18)
    canvas.fill(pen, mix(pal.gold, pal.near, 0.4))
    inner = canvas.pen(pen.box)
    inner.rect(x0 + u * 0.015, y0 + u * 0.015, x0 + u * 0.125, y0 + u * 0.165)
    canvas.fill(inner, mix(pal.sky_mid, pal.wall, 0.4))


def _beams(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    pen = canvas.pen()
    pen.polygon([(0, 0), (canvas.width * 0.45, 0), (0, floor_y * 0.45)])
    pen.rect(0, u * 0.05, canvas.width, u * 0.09)
    for k in range(4):
        x = canvas.width * (0.15 + 0.25 * k)
        pen.rect(x, 0, x + u * 0.03, u * 0.09)
    canvas.fill(pen, mix(pal.near, pal.floor, 0.3))


def _trunk(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0 = span[0]
    pen = canvas.pen(canvas.clip_box(x0, floor_y - u * 0.2, x0 + u * 0.26, floor_y))
    pen.rect(x0, floor_y - u * 0.12, x0 + u * 0.26, floor_y)
    pen.ellipse(x0, floor_y - u * 0.19, x0 + u * 0.26, floor_y - u * 0.06)
    canvas.fill(pen, wood(pal))
    bands = canvas.pen(pen.box)
    bands.rect(x0 + u * 0.05, floor_y - u * 0.18, x0 + u * 0.07, floor_y)
    bands.rect(x0 + u * 0.19, floor_y - u * 0.18, x0 + u * 0.21, floor_y)
    canvas.fill(bands, mix(pal.gold, pal.near, 0.5))


def _stairs(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    left = span[0] < canvas.width / 2
    steps = 7
    pen = canvas.pen(canvas.clip_box(span[0], floor_y - u * 0.7, span[1], floor_y))
    for k in range(steps):
        x = span[0] + (span[1] - span[0]) * (k / steps if not left else (steps - 1 - k) / steps)
        pen.rect(x, floor_y - u * 0.1 * (k + 1), x + (span[1] - span[0]) / steps + 1, floor_y)
    canvas.fill(pen, mix(pal.floor, pal.near, 0.3))


def _bench(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0, x1 = span[0], min(span[1], span[0] + u * 0.45)
    pen = canvas.pen(canvas.clip_box(x0, floor_y - u * 0.4, x1, floor_y))
    pen.rect(x0, floor_y - u * 0.2, x1, floor_y - u * 0.17)
    pen.rect(x0 + u * 0.02, floor_y - u * 0.17, x0 + u * 0.05, floor_y)
    pen.rect(x1 - u * 0.05, floor_y - u * 0.17, x1 - u * 0.02, floor_y)
    for k in range(3):  # tools hanging on the wall
        tx = x0 + u * (0.08 + 0.12 * k)
        pen.rect(tx, floor_y - u * 0.38, tx + u * 0.015, floor_y - u * 0.26)
    canvas.fill(pen, wood(pal))


def _armchair(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0 = span[0]
    pen = canvas.pen(canvas.clip_box(x0, floor_y - u * 0.3, x0 + u * 0.3, floor_y))
    pen.ellipse(x0 + u * 0.02, floor_y - u * 0.3, x0 + u * 0.28, floor_y - u * 0.1)
    pen.rect(x0, floor_y - u * 0.16, x0 + u * 0.3, floor_y - u * 0.02)
    pen.rect(x0 + u * 0.02, floor_y - u * 0.03, x0 + u * 0.05, floor_y)
    pen.rect(x0 + u * 0.25, floor_y - u * 0.03, x0 + u * 0.28, floor_y)
    canvas.fill(pen, mix(pal.accent, pal.near, 0.55))


def _barrels(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    pen = canvas.pen(canvas.clip_box(span[0], floor_y - u * 0.25, span[0] + u * 0.5, floor_y))
    for k in range(3):
        x = span[0] + u * 0.15 * k
        pen.ellipse(x, floor_y - u * 0.22, x + u * 0.14, floor_y)
    canvas.fill(pen, wood(pal))


def _table(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    u = canvas.unit
    x0, x1 = span[0], min(span[1], span[0] + u * 0.36)
    pen = canvas.pen(canvas.clip_box(x0, floor_y - u * 0.2, x1, floor_y))
    pen.rect(x0, floor_y - u * 0.17, x1, floor_y - u * 0.145)
    pen.rect(x0 + u * 0.02, floor_y - u * 0.15, x0 + u * 0.04, floor_y)
    pen.rect(x1 - u * 0.04, floor_y - u * 0.15, x1 - u * 0.02, floor_y)
    canvas.fill(pen, wood(pal))


def _desk(canvas: Canvas, pal: Palette, span: Span, floor_y: float, rng: np.random.Generator) -> None:
    _table(canvas, pal, span, floor_y, rng)
    u = canvas.unit
    lx, ly = span[0] + u * 0.06, floor_y - u * 0.17
    pen = canvas.pen(canvas.clip_box(lx - u * 0.05, ly - u * 0.14, lx + u * 0.05, ly))
    pen.rect(lx - u * 0.005, ly - u * 0.1, lx + u * 0.005, ly)
    pen.polygon(
        [
            (lx - u * 0.045, ly - u * 0.08),
            (lx + u * 0.045, ly - u * 0.08),
            (lx + u * 0.02, ly - u * 0.13),
            (lx - u * 0.02, ly - u * 0.13),
        ]
    )
    canvas.fill(pen, mix(pal.accent, pal.near, 0.4))
    canvas.glow(lx, ly - u * 0.06, u * 0.18, pal.window, 0.5)


PROPS: dict[str, Callable[[Canvas, Palette, Span, float, np.random.Generator], None]] = {
    "shelf": _shelf,
    "bookcase": _bookcase,
    "stove": _stove,
    "fireplace": _fireplace,
    "bed": _bed,
    "rug": _rug,
    "picture": _picture,
    "beams": _beams,
    "trunk": _trunk,
    "stairs": _stairs,
    "bench": _bench,
    "armchair": _armchair,
    "barrels": _barrels,
    "table": _table,
    "desk": _desk,
}


def scene_props(props: list[str] | tuple[str, ...], slot: int) -> list[str]:
    """The room's props this shot shows: two of them, starting where the shot number says."""
    known = [p for p in props if p in PROPS] or list(PLAIN_ROOM_PROPS)
    return [known[(slot + k) % len(known)] for k in range(min(PROPS_PER_SCENE, len(known)))]


def paint_props(
    canvas: Canvas,
    pal: Palette,
    props: list[str],
    floor_y: float,
    window: tuple[float, float, float, float],
    rng: np.random.Generator,
) -> None:
    """The props along the back wall: the first across from the window, the next beside it."""
    wx0, _, wx1, _ = window
    window_left = (wx0 + wx1) / 2 < canvas.width / 2
    w = canvas.width
    spans: list[Span] = (
        [(w * 0.58, w * 0.95), (w * 0.3, w * 0.55)] if window_left else [(w * 0.05, w * 0.42), (w * 0.45, w * 0.7)]
    )
    for name, span in zip(props, spans, strict=False):
        PROPS[name](canvas, pal, span, floor_y, rng)
