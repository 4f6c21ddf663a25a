"""Foreground framing: near, dark silhouettes in a corner of the shot (a bush, rocks, a bough, a chair, a lamp).

They sit between the camera and the scene, so they are painted last, darker than anything else, and on the side
the composition keeps free of the subject (an overhang also stays clear of the sun, moon or window).
"""

from __future__ import annotations

import numpy as np

from storyvid_assets.imaging.canvas import Canvas
from storyvid_assets.imaging.composition import Composition
from storyvid_assets.imaging.palette import Color, Palette, mix, scale

REACH = 0.3  # how far in from its edge a foreground element reaches, fraction of the width


def silhouette_color(pal: Palette, snowy: bool) -> Color:
    dark = scale(pal.near, 0.6)
    return mix(dark, pal.snow, 0.3) if snowy else dark


class Corner:
    """Coordinates measured inwards from one side edge: ``x(d)`` is ``d`` pixels in from that edge."""

    def __init__(self, canvas: Canvas, side: str) -> None:
        self.canvas = canvas
        self.left = side == "left"

    def x(self, d: float) -> float:
        return d if self.left else self.canvas.width - d

    def box(self, y0: float, y1: float, reach: float) -> tuple[int, int, int, int]:
        xs = (self.x(-4.0), self.x(reach))
        return self.canvas.clip_box(min(xs), y0, max(xs), y1)


def paint_bush(canvas: Canvas, corner: Corner, color: Color, rng: np.random.Generator) -> None:
    """A leafy clump rising from the bottom corner, with a few tall blades of grass."""
    u, h = canvas.unit, canvas.height
    reach = canvas.width * REACH
    pen = canvas.pen(corner.box(h - u * 0.45, h, reach + u * 0.05))
    for k in range(8):
        d = (k / 7 * 0.8 + float(rng.uniform(-0.05, 0.05))) * reach
        r = u * float(rng.uniform(0.07, 0.1)) * (1.25 - 0.6 * d / reach)
        pen.circle(corner.x(d), h - r * float(rng.uniform(0.3, 1.1)) * (1.6 - d / reach), r)
    for _ in range(12):
        d = float(rng.uniform(0.0, 1.0)) * reach
        tall = u * float(rng.uniform(0.12, 0.3)) * (1.2 - 0.5 * d / reach)
        lean = u * float(rng.uniform(-0.04, 0.04))
        w = u * 0.006
        pen.polygon([(corner.x(d) - w, h + 2), (corner.x(d) + lean, h - tall), (corner.x(d) + w, h + 2)])
    canvas.fill(pen, color)


def paint_rocks(canvas: Canvas, corner: Corner, color: Color, rim: Color, rng: np.random.Generator) -> None:
    """Two or three rounded boulders in the bottom corner, lit along their tops."""
    u, h = canvas.unit, canvas.height
    reach = canvas.width * REACH
    pen = canvas.pen(corner.box(h * 0.55, h, reach + u * 0.05))
    lit = canvas.pen(pen.box)
    d = -u * 0.06
    for k in range(3):
        w = u * float(rng.uniform(0.2, 0.3)) * (1.0 - 0.25 * k)
        tall = u * float(rng.uniform(0.12, 0.2)) * (1.0 - 0.25 * k)
        a = np.linspace(np.pi, 0.0, 9)
        bumps = 1.0 + rng.uniform(-0.08, 0.08, a.size)
        arc = [
            (corner.x(d + w * (0.5 + 0.5 * float(np.cos(t)))), h - tall * float(np.sin(t)) * float(b) + u * 0.01)
            for t, b in zip(a, bumps, strict=True)
        ]
        pen.polygon([(corner.x(d), h + 2), *arc, (corner.x(d + w), h + 2)])
        lit.line(arc[2:7], max(1.0, u * 0.005))
        d += w * float(rng.uniform(0.6, 0.8))
        if d > reach:
            break
    canvas.fill(lit, rim, alpha=0.45)
    canvas.fill(pen, color, alpha=1.0)


def paint_railing(canvas: Canvas, corner: Corner, color: Color, rim: Color) -> None:
    """A low stone wall topped by an iron railing, running in from the edge along the bottom of the picture."""
    u, h = canvas.unit, canvas.height
    reach = canvas.width * (REACH + 0.05)
    wall_top = h - u * 0.1
    top = wall_top - u * 0.1
    pen = canvas.pen(corner.box(top - u * 0.03, h, reach + u * 0.02))
    pen.rect(corner.x(-4.0), wall_top, corner.x(reach), h + 2)
    pen.line([(corner.x(-4.0), top), (corner.x(reach), top)], u * 0.012)
    d = u * 0.01
    while d < reach:
        pen.rect(corner.x(d) - u * 0.005, top - u * 0.01, corner.x(d) + u * 0.005, wall_top + 1)
        pen.circle(corner.x(d), top - u * 0.018, u * 0.009)
        d += u * 0.04
    canvas.fill(pen, color)
    coping = canvas.pen(pen.box)
    coping.rect(corner.x(-4.0), wall_top, corner.x(reach), wall_top + max(1.0, u * 0.006))
    canvas.fill(coping, rim, alpha=0.5)


def leaf(cx: float, cy: float, length: float, angle: float, width: float = 0.22) -> list[tuple[float, float]]:
    """A pointed leaf from ``(cx, cy)`` at ``angle`` (radians, 0 = right, pi/2 = down); ``width`` of its length."""
    ca, sa = float(np.cos(angle)), float(np.sin(angle))
    half = length * width
    mid = (cx + ca * length * 0.5, cy + sa * length * 0.5)
    return [
        (cx, cy),
        (mid[0] - sa * half, mid[1] + ca * half),
        (cx + ca * length, cy + sa * length),
        (mid[0] + sa * half, mid[1] - ca * half),
    ]


def paint_bough(canvas: Canvas, corner: Corner, color: Color, snow: Color | None, rng: np.random.Generator) -> None:
    """A branch reaching in from the top corner with twigs of hanging leaves, or of needles under snow."""
    u = canvas.unit
    reach = canvas.width * REACH * float(rng.uniform(1.15, 1.35))
    y0 = canvas.height * float(rng.uniform(0.0, 0.06))
    droop = u * float(rng.uniform(0.06, 0.12))
    pen = canvas.pen(corner.box(0, y0 + droop + u * 0.25, reach + u * 0.15))
    ts = np.linspace(0.0, 1.0, 14)
    top = [(corner.x(t * reach), y0 + droop * t * t - u * 0.03 * (1 - t)) for t in ts]
    bottom = [(corner.x(t * reach), y0 + droop * t * t + u * 0.03 * (1 - t) + u * 0.003) for t in ts[::-1]]
    pen.polygon([(corner.x(-4.0), y0 - u * 0.05), *top, *bottom, (corner.x(-4.0), y0 + u * 0.05)])
    inward = 1.0 if corner.left else -1.0
    twigs: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for k in range(6):
        t = 0.2 + 0.8 * k / 5
        bx, by = corner.x(t * reach), y0 + droop * t * t
        length = u * float(rng.uniform(0.08, 0.15))
        ex, ey = bx + inward * length * 0.45, by + length
        twigs.append(((bx, by), (ex, ey)))
        pen.line([(bx, by), (ex, ey)], max(1.0, u * 0.006))
        for j in range(7 if snow is None else 10):
            f = (j + 1) / (7 if snow is None else 10)
            px, py = bx + (ex - bx) * f, by + (ey - by) * f
            if snow is None:
                angle = np.pi / 2 + float(rng.uniform(-0.9, 0.9))
                pen.polygon(leaf(px, py, u * float(rng.uniform(0.035, 0.055)), angle))
            else:
                for spread in (-1.0, 1.0):  # needles in pairs, angled down and out
                    angle = np.pi / 2 + spread * float(rng.uniform(0.6, 1.1))
                    pen.polygon(leaf(px, py, u * 0.04 * (1.2 - f * 0.5), angle, width=0.1))
    canvas.fill(pen, color)
    if snow is not None:
        caps = canvas.pen(pen.box)
        caps.polygon([*top, *[(x, y - u * 0.012) for x, y in top[::-1]]])
        for (bx, by), (ex, ey) in twigs:
            caps.line([(bx, by - u * 0.003), (bx + (ex - bx) * 0.25, by + (ey - by) * 0.25 - u * 0.003)], u * 0.007)
        canvas.fill(caps, snow, alpha=0.9)


def paint_building_corner(canvas: Canvas, corner: Corner, color: Color, lamp: Color, strength: float) -> None:
    """The corner of a near building at the side edge, with a lit window and a wall lamp on a bracket."""
    u, h = canvas.unit, canvas.height
    wall = canvas.width * 0.13
    pen = canvas.pen(corner.box(0, h, wall + u * 0.12))
    pen.rect(corner.x(-4.0), -2.0, corner.x(wall), h + 2)
    for y in np.arange(0.0, h, u * 0.09):  # the quoins of the corner
        pen.rect(corner.x(wall - 2.0), y, corner.x(wall + u * 0.012), y + u * 0.05)
    lamp_y = h * 0.32
    pen.line([(corner.x(wall), lamp_y - u * 0.04), (corner.x(wall + u * 0.07), lamp_y - u * 0.04)], u * 0.008)
    pen.polygon(
        [
            (corner.x(wall + u * 0.045), lamp_y - u * 0.04),
            (corner.x(wall + u * 0.095), lamp_y - u * 0.04),
            (corner.x(wall + u * 0.07), lamp_y - u * 0.07),
        ]
    )
    canvas.fill(pen, color)
    lit = canvas.pen(pen.box)
    lit.rect(corner.x(wall + u * 0.05), lamp_y - u * 0.04, corner.x(wall + u * 0.09), lamp_y + u * 0.01)
    lit.rect(corner.x(wall * 0.3), h * 0.12, corner.x(wall * 0.75), h * 0.24)
    canvas.fill(lit, lamp)
    canvas.glow(corner.x(wall + u * 0.07), lamp_y - u * 0.015, u * 0.25, lamp, 0.5 * strength)


def paint_armchair(canvas: Canvas, corner: Corner, color: Color, rim: Color) -> None:
    """The wing back, seat cushion and arm of an armchair in the bottom corner of a room, lit along its top."""
    u, h = canvas.unit, canvas.height
    reach = canvas.width * REACH
    pen = canvas.pen(corner.box(h - u * 0.42, h, reach))
    back_top = h - u * 0.38
    back = [
        (corner.x(-4.0), h + 2),
        (corner.x(-4.0), back_top + u * 0.04),
        (corner.x(reach * 0.15), back_top),
        (corner.x(reach * 0.5), back_top + u * 0.01),
        (corner.x(reach * 0.62), back_top + u * 0.06),
        (corner.x(reach * 0.6), h + 2),
    ]
    pen.polygon(back)
    pen.ellipse(corner.x(reach * 0.5), h - u * 0.22, corner.x(reach), h - u * 0.12)  # the arm's roll
    pen.rect(corner.x(reach * 0.56), h - u * 0.17, corner.x(reach * 0.96), h + 2)
    canvas.fill(pen, color)
    edge = canvas.pen(pen.box)
    edge.line(back[1:5], max(1.0, u * 0.005))
    edge.line([(corner.x(reach * 0.55), h - u * 0.215), (corner.x(reach * 0.95), h - u * 0.215)], max(1.0, u * 0.005))
    canvas.fill(edge, rim, alpha=0.35)


def paint_hanging_lamp(canvas: Canvas, corner: Corner, color: Color, lamp: Color, strength: float) -> None:
    """A pendant lamp hanging from the ceiling near the camera, throwing a warm pool of light."""
    u = canvas.unit
    d = canvas.width * 0.18
    y = canvas.height * 0.16
    pen = canvas.pen(corner.box(0, y + u * 0.06, d + u * 0.1))
    pen.line([(corner.x(d), -2.0), (corner.x(d), y)], max(1.0, u * 0.004))
    pen.polygon([(corner.x(d) - u * 0.03, y), (corner.x(d) + u * 0.03, y), (corner.x(d) + u * 0.08, y + u * 0.06)])
    pen.polygon(
        [(corner.x(d) - u * 0.03, y), (corner.x(d) - u * 0.08, y + u * 0.06), (corner.x(d) + u * 0.08, y + u * 0.06)]
    )
    canvas.fill(pen, color)
    bulb = canvas.pen(pen.box)
    bulb.ellipse(corner.x(d) - u * 0.07, y + u * 0.05, corner.x(d) + u * 0.07, y + u * 0.075)
    canvas.fill(bulb, lamp)
    canvas.glow(corner.x(d), y + u * 0.08, u * 0.3, lamp, 0.6 * strength)
    canvas.beam((corner.x(d), y + u * 0.07), (corner.x(d), canvas.height), 0.5, lamp, 0.15 * strength)


def paint_shelf(canvas: Canvas, corner: Corner, color: Color, spines: Color, rng: np.random.Generator) -> None:
    """A wall shelf of books close to the camera in the top corner; every other spine catches a little colour."""
    u = canvas.unit
    reach = canvas.width * REACH
    y = canvas.height * float(rng.uniform(0.2, 0.26))
    pen = canvas.pen(corner.box(y - u * 0.14, y + u * 0.08, reach + 4))
    lit = canvas.pen(pen.box)
    pen.rect(corner.x(-4.0), y, corner.x(reach), y + u * 0.022)
    pen.polygon([(corner.x(reach * 0.78), y), (corner.x(reach * 0.84), y), (corner.x(reach * 0.78), y + u * 0.08)])
    d = -u * 0.01
    k = 0
    while d < reach * 0.85:
        w = u * float(rng.uniform(0.018, 0.032))
        tall = u * float(rng.uniform(0.075, 0.12))
        (lit if k % 2 else pen).rect(corner.x(d), y - tall, corner.x(d + w), y + 1)
        d += w + (u * 0.03 if rng.random() < 0.1 else u * 0.002)  # now and then a gap in the row
        k += 1
    canvas.fill(pen, color)
    canvas.fill(lit, spines)


def paint_foreground(
    canvas: Canvas,
    pal: Palette,
    comp: Composition,
    terrain: tuple[str, ...],
    indoor: bool,
    light_strength: float,
    rng: np.random.Generator,
) -> None:
    """The composition's foreground element, chosen to suit the place (room, sea, city, snow or countryside)."""
    if comp.foreground == "none":
        return
    corner = Corner(canvas, comp.foreground_side)
    snowy = "snow" in terrain and not indoor
    color = silhouette_color(pal, snowy)
    if indoor:
        if comp.foreground == "low":
            paint_armchair(canvas, corner, color, mix(pal.window, pal.wall, 0.5))
        elif rng.random() < 0.5:
            paint_hanging_lamp(canvas, corner, color, pal.window, light_strength)
        else:
            paint_shelf(canvas, corner, color, mix(pal.accent, pal.near, 0.6), rng)
        return
    if comp.foreground == "low":
        if "city" in terrain and "sea" not in terrain:
            paint_railing(canvas, corner, color, mix(pal.glow, pal.near, 0.5))
        elif "sea" in terrain or "mountains" in terrain:
            paint_rocks(canvas, corner, color, mix(pal.glow, pal.near, 0.5), rng)
        else:
            paint_bush(canvas, corner, color, rng)
    elif "city" in terrain:
        paint_building_corner(canvas, corner, color, pal.window, light_strength)
    else:
        snow = mix(pal.snow, (255, 255, 255), 0.3) if snowy else None
        paint_bough(canvas, corner, silhouette_color(pal, False), snow, rng)  # against the sky: dark even in snow
