"""Silhouette vocabulary: each drawable noun is a list of primitives in a unit box.

Coordinates are ``(u, v)`` with ``u`` in 0..1 across the sprite's width and ``v`` in 0..1 down its height
(``v = 1`` is where it stands). Circle radii and line widths are in sprite-height units, so circles stay
round whatever the sprite's aspect. Layers are painted in order: ``body`` (the silhouette), ``cut``
(holes in it), ``face`` (lighter surfaces in a palette ``tone``), ``light`` (emissive, with a glow) and
``detail`` (body-coloured marks drawn over faces and lights).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np

Layer = Literal["body", "cut", "face", "light", "detail"]
Kind = Literal["poly", "ellipse", "rect", "circle", "line"]
Anchor = Literal["ground", "sky", "sea", "float", "table", "branch", "plane"]
LAYER_ORDER: tuple[Layer, ...] = ("body", "cut", "face", "light", "detail")


@dataclass(frozen=True)
class Prim:
    """One shape of a sprite. ``tone`` names a palette colour for face/light layers."""

    kind: Kind
    geom: tuple[float, ...]
    layer: Layer = "body"
    tone: str = "face"
    width: float = 0.0  # line width, sprite-height units
    glow: float = 0.0  # light halo radius, sprite-height units


@dataclass(frozen=True)
class Sprite:
    """A drawable noun: its proportions, where it lives in a scene, and how to build its shapes."""

    name: str
    aspect: float  # width / height
    anchor: Anchor
    size: float  # height as a fraction of the image's short side when it is the main subject
    indoor: bool  # may appear in a room (a lighthouse or a whale may not)
    build: Callable[[np.random.Generator], list[Prim]]


Pt = tuple[float, float]


def _flat(points: list[Pt] | tuple[Pt, ...]) -> tuple[float, ...]:
    return tuple(c for p in points for c in p)


def poly(points: list[Pt], layer: Layer = "body", tone: str = "face") -> Prim:
    return Prim("poly", _flat(points), layer, tone)


def ell(u0: float, v0: float, u1: float, v1: float, layer: Layer = "body", tone: str = "face") -> Prim:
    return Prim("ellipse", (u0, v0, u1, v1), layer, tone)


def rect(u0: float, v0: float, u1: float, v1: float, layer: Layer = "body", tone: str = "face") -> Prim:
    return Prim("rect", (u0, v0, u1, v1), layer, tone)


def circ(u: float, v: float, r: float, layer: Layer = "body", tone: str = "face") -> Prim:
    return Prim("circle", (u, v, r), layer, tone)


def line(points: list[Pt], width: float, layer: Layer = "body", tone: str = "face") -> Prim:
    return Prim("line", _flat(points), layer, tone, width=width)


def light(u: float, v: float, r: float, tone: str = "window", glow: float = 0.0) -> Prim:
    return Prim("circle", (u, v, r), "light", tone, glow=glow)


def light_rect(u0: float, v0: float, u1: float, v1: float, tone: str = "window", glow: float = 0.0) -> Prim:
    return Prim("rect", (u0, v0, u1, v1), "light", tone, glow=glow)


def mirrored(points: list[Pt]) -> list[Pt]:
    """The same outline reflected left-right across the sprite's centre line."""
    return [(1.0 - u, v) for u, v in points]


def star_points(cu: float, cv: float, r_out: float, r_in: float, aspect: float, n: int = 5) -> list[Pt]:
    """An ``n``-pointed star around ``(cu, cv)``; radii in height units, ``u`` corrected by ``aspect``."""
    pts: list[Pt] = []
    for k in range(2 * n):
        r = r_out if k % 2 == 0 else r_in
        a = -math.pi / 2 + k * math.pi / n
        pts.append((cu + r * math.cos(a) / aspect, cv + r * math.sin(a)))
    return pts


# --------------------------------------------------------------------------- animals


def _owl(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.1, 0.3, 0.9, 1.0),
        ell(0.12, 0.02, 0.88, 0.58),
        poly([(0.14, 0.24), (0.1, -0.04), (0.38, 0.1)]),
        poly(mirrored([(0.14, 0.24), (0.1, -0.04), (0.38, 0.1)])),
        ell(0.19, 0.15, 0.5, 0.47, "face"),
        ell(0.5, 0.15, 0.81, 0.47, "face"),
        light(0.345, 0.31, 0.07, "eye", glow=0.1),
        light(0.655, 0.31, 0.07, "eye", glow=0.1),
        circ(0.345, 0.31, 0.03, "detail"),
        circ(0.655, 0.31, 0.03, "detail"),
        poly([(0.45, 0.4), (0.55, 0.4), (0.5, 0.5)], "detail"),
        poly([(0.3, 1.0), (0.36, 0.92), (0.42, 1.0)], "face"),
        poly([(0.58, 1.0), (0.64, 0.92), (0.7, 1.0)], "face"),
    ]


def _fox(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.22, 0.4, 0.76, 0.78),
        rect(0.28, 0.62, 0.33, 1.0),
        rect(0.37, 0.64, 0.42, 1.0),
        rect(0.62, 0.64, 0.67, 1.0),
        rect(0.7, 0.6, 0.75, 1.0),
        poly(
            [
                (0.64, 0.5),
                (0.73, 0.3),
                (0.79, 0.22),
                (0.82, 0.02),
                (0.87, 0.18),
                (0.91, 0.04),
                (0.93, 0.22),
                (1.0, 0.36),
                (0.92, 0.42),
                (0.82, 0.46),
                (0.76, 0.62),
            ]
        ),
        poly([(0.26, 0.5), (0.12, 0.42), (0.02, 0.5), (0.0, 0.68), (0.06, 0.8), (0.18, 0.74), (0.28, 0.64)]),
        ell(0.0, 0.6, 0.08, 0.8, "face"),
        light(0.88, 0.27, 0.022, "eye", glow=0.05),
    ]


def _bear(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.06, 0.22, 0.8, 0.84),
        ell(0.64, 0.16, 0.98, 0.56),
        ell(0.86, 0.32, 1.0, 0.5),
        circ(0.72, 0.18, 0.07),
        rect(0.14, 0.6, 0.27, 1.0),
        rect(0.31, 0.62, 0.43, 1.0),
        rect(0.55, 0.62, 0.67, 1.0),
        rect(0.68, 0.58, 0.8, 1.0),
        light(0.85, 0.31, 0.022, "eye", glow=0.04),
    ]


def _teddy(rng: np.random.Generator) -> list[Prim]:
    return [
        circ(0.2, 0.1, 0.1),
        circ(0.8, 0.1, 0.1),
        circ(0.2, 0.1, 0.05, "face"),
        circ(0.8, 0.1, 0.05, "face"),
        ell(0.14, 0.02, 0.86, 0.5),
        ell(0.16, 0.4, 0.84, 0.94),
        ell(0.0, 0.45, 0.26, 0.72),
        ell(0.74, 0.45, 1.0, 0.72),
        ell(0.06, 0.76, 0.44, 1.0),
        ell(0.56, 0.76, 0.94, 1.0),
        ell(0.34, 0.26, 0.66, 0.46, "face"),
        ell(0.3, 0.55, 0.7, 0.86, "face"),
        circ(0.35, 0.2, 0.035, "light", tone="eye"),
        circ(0.65, 0.2, 0.035, "light", tone="eye"),
        circ(0.5, 0.31, 0.035, "detail"),
    ]


def _cat(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.1, 0.36, 0.8, 1.0),
        ell(0.22, 0.06, 0.72, 0.46),
        poly([(0.23, 0.2), (0.24, -0.04), (0.42, 0.1)]),
        poly([(0.71, 0.2), (0.7, -0.04), (0.52, 0.1)]),
        poly(
            [(0.7, 0.92), (0.94, 0.9), (1.0, 0.72), (0.95, 0.52), (0.9, 0.56), (0.93, 0.74), (0.86, 0.82), (0.7, 0.84)]
        ),
        light(0.38, 0.24, 0.04, "eye", glow=0.08),
        light(0.56, 0.24, 0.04, "eye", glow=0.08),
        ell(0.37, 0.19, 0.39, 0.29, "detail"),
        ell(0.55, 0.19, 0.57, 0.29, "detail"),
    ]


def _dog(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.14, 0.36, 0.74, 0.76),
        rect(0.2, 0.6, 0.27, 1.0),
        rect(0.31, 0.62, 0.38, 1.0),
        rect(0.58, 0.62, 0.65, 1.0),
        rect(0.66, 0.6, 0.73, 1.0),
        poly([(0.6, 0.5), (0.66, 0.2), (0.78, 0.08), (0.9, 0.12), (1.0, 0.3), (0.98, 0.4), (0.84, 0.42), (0.74, 0.6)]),
        poly([(0.74, 0.12), (0.66, 0.14), (0.64, 0.4), (0.72, 0.38)], "face"),
        line([(0.16, 0.48), (0.06, 0.3), (0.02, 0.16)], 0.06),
        light(0.86, 0.22, 0.025, "eye", glow=0.04),
    ]


def _wolf(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.16, 0.36, 0.74, 0.74),
        rect(0.22, 0.6, 0.28, 1.0),
        rect(0.32, 0.62, 0.38, 1.0),
        rect(0.6, 0.62, 0.66, 1.0),
        rect(0.68, 0.6, 0.74, 1.0),
        poly([(0.6, 0.46), (0.72, 0.04), (0.8, 0.0), (0.84, 0.18), (1.0, 0.06), (0.96, 0.2), (0.8, 0.4), (0.74, 0.6)]),
        poly([(0.72, 0.06), (0.74, -0.1), (0.8, 0.02)]),
        poly([(0.2, 0.46), (0.06, 0.62), (0.0, 0.86), (0.08, 0.8), (0.24, 0.6)]),
        light(0.8, 0.12, 0.022, "eye", glow=0.05),
    ]


def _rabbit(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.04, 0.46, 0.84, 1.0),
        ell(0.4, 0.26, 0.86, 0.62),
        ell(0.48, -0.06, 0.62, 0.36),
        ell(0.62, -0.02, 0.78, 0.38),
        ell(0.52, 0.0, 0.58, 0.3, "face"),
        circ(0.06, 0.68, 0.07, "face"),
        light(0.72, 0.4, 0.025, "eye", glow=0.04),
    ]


def _bird(rng: np.random.Generator) -> list[Prim]:
    return [
        poly(
            [
                (0.0, 0.32),
                (0.24, 0.1),
                (0.44, 0.42),
                (0.5, 0.5),
                (0.56, 0.42),
                (0.76, 0.1),
                (1.0, 0.32),
                (0.76, 0.24),
                (0.56, 0.62),
                (0.5, 0.74),
                (0.44, 0.62),
                (0.24, 0.24),
            ]
        )
    ]


def _deer(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.12, 0.42, 0.72, 0.7),
        rect(0.18, 0.6, 0.22, 1.0),
        rect(0.26, 0.62, 0.3, 1.0),
        rect(0.58, 0.62, 0.62, 1.0),
        rect(0.66, 0.6, 0.7, 1.0),
        poly([(0.6, 0.5), (0.7, 0.24), (0.76, 0.22), (0.92, 0.32), (0.9, 0.38), (0.78, 0.36), (0.7, 0.58)]),
        line([(0.72, 0.24), (0.66, 0.08), (0.6, 0.0)], 0.02),
        line([(0.67, 0.12), (0.72, 0.02)], 0.018),
        line([(0.76, 0.22), (0.8, 0.06), (0.86, 0.0)], 0.02),
        line([(0.8, 0.1), (0.76, 0.02)], 0.018),
        poly([(0.12, 0.5), (0.06, 0.46), (0.12, 0.42)]),
        light(0.8, 0.28, 0.015, "eye", glow=0.03),
    ]


def _whale(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.12, 1.0), (0.2, 0.62), (0.38, 0.46), (0.58, 0.48), (0.72, 0.66), (0.8, 1.0)]),
        poly([(0.84, 1.0), (0.9, 0.7), (0.86, 0.52), (0.96, 0.62), (1.0, 0.5), (0.96, 0.76), (0.92, 1.0)]),
        line([(0.32, 0.46), (0.3, 0.24)], 0.02, "face"),
        circ(0.26, 0.18, 0.07, "face"),
        circ(0.34, 0.14, 0.07, "face"),
        light(0.3, 0.72, 0.02, "eye"),
    ]


# --------------------------------------------------------------------------- people & spirits


def _person_base(hair: list[Prim], clothes: list[Prim]) -> list[Prim]:
    return [
        *hair,
        ell(0.3, 0.0, 0.7, 0.2),
        rect(0.44, 0.18, 0.56, 0.26),
        *clothes,
        line([(0.22, 0.3), (0.1, 0.58)], 0.045),
        line([(0.78, 0.3), (0.9, 0.58)], 0.045),
    ]


def _person(rng: np.random.Generator) -> list[Prim]:
    return _person_base(
        [],
        [
            poly([(0.2, 0.24), (0.8, 0.24), (0.86, 0.62), (0.14, 0.62)]),
            rect(0.28, 0.6, 0.46, 1.0),
            rect(0.54, 0.6, 0.72, 1.0),
        ],
    )


def _girl(rng: np.random.Generator) -> list[Prim]:
    return _person_base(
        [ell(0.24, -0.02, 0.76, 0.34), ell(0.66, 0.04, 0.98, 0.16)],
        [
            poly([(0.26, 0.24), (0.74, 0.24), (1.0, 0.74), (0.0, 0.74)]),
            rect(0.32, 0.72, 0.44, 1.0),
            rect(0.56, 0.72, 0.68, 1.0),
        ],
    )


def _boy(rng: np.random.Generator) -> list[Prim]:
    return _person_base(
        [ell(0.27, -0.03, 0.73, 0.12)],
        [
            poly([(0.22, 0.24), (0.78, 0.24), (0.84, 0.58), (0.16, 0.58)]),
            rect(0.22, 0.56, 0.78, 0.7),
            rect(0.3, 0.68, 0.46, 1.0),
            rect(0.54, 0.68, 0.7, 1.0),
        ],
    )


def _keeper(rng: np.random.Generator) -> list[Prim]:
    return [
        *_person(rng),
        rect(0.22, -0.02, 0.78, 0.05),
        ell(0.3, -0.08, 0.7, 0.04),
        line([(0.9, 0.58), (0.92, 0.66)], 0.02),
        light(0.92, 0.72, 0.06, "window", glow=0.25),
    ]


def _witch(rng: np.random.Generator) -> list[Prim]:
    return [
        *_person_base([], [poly([(0.26, 0.24), (0.74, 0.24), (1.0, 1.0), (0.0, 1.0)])]),
        poly([(0.08, 0.06), (0.92, 0.06), (0.64, 0.0), (0.56, -0.3), (0.4, 0.0)]),
    ]


def _royal(rng: np.random.Generator) -> list[Prim]:
    crown = [(0.32, 0.02), (0.32, -0.1), (0.4, -0.04), (0.5, -0.13), (0.6, -0.04), (0.68, -0.1), (0.68, 0.02)]
    return [
        *_person_base([], [poly([(0.24, 0.24), (0.76, 0.24), (0.96, 1.0), (0.04, 1.0)])]),
        poly(crown, "face", tone="gold"),
    ]


def _ghost(rng: np.random.Generator) -> list[Prim]:
    hem = [(1.0 - k / 8.0, 0.92 + (0.08 if k % 2 else -0.02)) for k in range(9)]
    outline = [(0.0, 0.4), (0.04, 0.2), (0.18, 0.04), (0.5, 0.0), (0.82, 0.04), (0.96, 0.2), (1.0, 0.4), *hem]
    return [
        poly(outline, "face", tone="ghost"),
        light(0.5, 0.45, 0.05, "ghost", glow=0.7),
        ell(0.3, 0.24, 0.42, 0.4, "detail"),
        ell(0.58, 0.24, 0.7, 0.4, "detail"),
        ell(0.44, 0.48, 0.56, 0.64, "detail"),
    ]


# --------------------------------------------------------------------------- sky things


def _star(rng: np.random.Generator) -> list[Prim]:
    pts = star_points(0.5, 0.54, 0.5, 0.21, 1.0)
    inner = star_points(0.5, 0.54, 0.3, 0.13, 1.0)
    return [
        poly(pts, "face", tone="starface"),
        poly(inner, "light", tone="light"),
        light(0.5, 0.54, 0.06, "light", glow=0.8),
    ]


def _cloud(rng: np.random.Generator) -> list[Prim]:
    lumps = [circ(0.2, 0.7, 0.3, "face", tone="cloud"), circ(0.8, 0.72, 0.28, "face", tone="cloud")]
    for k in range(3):
        u = 0.32 + 0.18 * k + float(rng.uniform(-0.04, 0.04))
        lumps.append(
            circ(u, 0.52 + float(rng.uniform(-0.08, 0.05)), 0.4 + float(rng.uniform(-0.06, 0.06)), "face", "cloud")
        )
    lumps.append(rect(0.2, 0.7, 0.8, 1.0, "face", tone="cloud"))
    return lumps


def _balloon(rng: np.random.Generator) -> list[Prim]:
    return [
        line([(0.5, 0.7), (0.46, 0.84), (0.54, 0.92), (0.5, 1.0)], 0.012),
        ell(0.0, 0.0, 1.0, 0.72, "face", tone="accent"),
        poly([(0.44, 0.76), (0.56, 0.76), (0.5, 0.7)], "face", tone="accent"),
        ell(0.2, 0.1, 0.36, 0.3, "face", tone="face"),
    ]


def _kite(rng: np.random.Generator) -> list[Prim]:
    return [
        line([(0.5, 0.6), (0.4, 0.74), (0.56, 0.86), (0.44, 1.0)], 0.012),
        poly([(0.5, 0.0), (0.92, 0.24), (0.5, 0.62), (0.08, 0.24)], "face", tone="accent"),
        line([(0.5, 0.0), (0.5, 0.62)], 0.012, "detail"),
        line([(0.08, 0.24), (0.92, 0.24)], 0.012, "detail"),
    ]


# --------------------------------------------------------------------------- buildings & structures


def _stripes(u_top: tuple[float, float], u_bottom: tuple[float, float], v0: float, v1: float, n: int) -> list[Prim]:
    """Face-coloured bands across a trapezoid whose edges run from ``u_top`` (at v0) to ``u_bottom`` (at v1)."""
    bands: list[Prim] = []
    for k in range(n):
        a = v0 + (v1 - v0) * (2 * k + 1) / (2 * n + 1)
        b = v0 + (v1 - v0) * (2 * k + 2) / (2 * n + 1)

        def edge(v: float, side: int) -> float:
            t = (v - v0) / (v1 - v0)
            return u_top[side] + (u_bottom[side] - u_top[side]) * t

        bands.append(poly([(edge(a, 0), a), (edge(a, 1), a), (edge(b, 1), b), (edge(b, 0), b)], "face"))
    return bands


def _lighthouse(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.0, 1.0), (0.1, 0.9), (0.3, 0.88), (0.74, 0.9), (0.94, 0.92), (1.0, 1.0)]),
        poly([(0.24, 0.92), (0.76, 0.92), (0.64, 0.25), (0.36, 0.25)]),
        *_stripes((0.36, 0.64), (0.24, 0.76), 0.25, 0.92, 3),
        rect(0.26, 0.21, 0.74, 0.26),
        rect(0.37, 0.1, 0.63, 0.21),
        poly([(0.33, 0.11), (0.67, 0.11), (0.5, 0.0)]),
        light_rect(0.4, 0.12, 0.6, 0.2, "window", glow=0.5),
        line([(0.5, 0.12), (0.5, 0.2)], 0.012, "detail"),
        light(0.5, 0.55, 0.025, "window", glow=0.04),
    ]


def _house(rng: np.random.Generator) -> list[Prim]:
    return [
        rect(0.72, 0.06, 0.82, 0.32),
        rect(0.1, 0.42, 0.9, 1.0),
        poly([(0.0, 0.46), (0.5, 0.0), (1.0, 0.46)]),
        light_rect(0.2, 0.55, 0.36, 0.72, "window", glow=0.22),
        light_rect(0.64, 0.55, 0.8, 0.72, "window", glow=0.22),
        line([(0.28, 0.55), (0.28, 0.72)], 0.015, "detail"),
        line([(0.2, 0.635), (0.36, 0.635)], 0.015, "detail"),
        line([(0.72, 0.55), (0.72, 0.72)], 0.015, "detail"),
        line([(0.64, 0.635), (0.8, 0.635)], 0.015, "detail"),
        rect(0.44, 0.68, 0.56, 1.0, "face", tone="door"),
        light(0.5, 0.26, 0.05, "window", glow=0.1),
    ]


def _castle(rng: np.random.Generator) -> list[Prim]:
    prims = [
        rect(0.14, 0.46, 0.86, 1.0),
        rect(0.36, 0.14, 0.64, 1.0),
        rect(0.0, 0.26, 0.2, 1.0),
        rect(0.8, 0.26, 1.0, 1.0),
        poly([(-0.02, 0.27), (0.1, 0.02), (0.22, 0.27)]),
        poly([(0.78, 0.27), (0.9, 0.02), (1.02, 0.27)]),
        line([(0.5, 0.14), (0.5, 0.0)], 0.012),
        poly([(0.5, 0.0), (0.6, 0.03), (0.5, 0.06)], "face", tone="accent"),
        ell(0.42, 0.72, 0.58, 0.88, "cut"),
        rect(0.42, 0.8, 0.58, 1.0, "cut"),
    ]
    for k in range(5):
        u = 0.16 + k * 0.15
        prims.append(rect(u, 0.42, u + 0.07, 0.47))
    for k in range(4):
        u = 0.36 + k * 0.075
        prims.append(rect(u, 0.1, u + 0.04, 0.15))
    for u, v in ((0.07, 0.42), (0.87, 0.42), (0.46, 0.3), (0.26, 0.6), (0.68, 0.6)):
        if rng.random() < 0.8:
            prims.append(light_rect(u, v, u + 0.05, v + 0.08, "window", glow=0.12))
    return prims


def _tower(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.12, 1.0), (0.88, 1.0), (0.78, 0.3), (0.22, 0.3)]),
        poly([(0.04, 0.32), (0.96, 0.32), (0.5, 0.0)]),
        light_rect(0.42, 0.42, 0.58, 0.54, "window", glow=0.25),
        rect(0.4, 0.8, 0.6, 1.0, "face", tone="door"),
    ]


def _tree(rng: np.random.Generator) -> list[Prim]:
    prims = [poly([(0.42, 1.0), (0.46, 0.5), (0.54, 0.5), (0.58, 1.0)])]
    for _ in range(6):
        u = float(rng.uniform(0.25, 0.75))
        v = float(rng.uniform(0.2, 0.45))
        prims.append(circ(u, v, float(rng.uniform(0.14, 0.22))))
    prims.append(circ(0.5, 0.3, 0.24))
    return prims


def _pine(rng: np.random.Generator) -> list[Prim]:
    prims = [rect(0.44, 0.82, 0.56, 1.0)]
    for k in range(4):
        top = 0.62 * k / 4
        half = 0.22 + 0.09 * k
        prims.append(poly([(0.5, top), (0.5 + half, top + 0.3), (0.5 - half, top + 0.3)]))
    return prims


def _train(rng: np.random.Generator) -> list[Prim]:
    prims = [
        rect(0.0, 0.94, 1.0, 0.96),
        rect(0.7, 0.36, 0.95, 0.82),
        rect(0.62, 0.16, 0.76, 0.82),
        rect(0.6, 0.12, 0.78, 0.18),
        rect(0.87, 0.16, 0.92, 0.36),
        poly([(0.95, 0.62), (1.0, 0.92), (0.95, 0.92)]),
        light_rect(0.645, 0.24, 0.735, 0.4, "window", glow=0.2),
        light(0.97, 0.5, 0.04, "light", glow=0.8),
        circ(0.84, 0.1, 0.08, "face", tone="smoke"),
        circ(0.76, 0.0, 0.1, "face", tone="smoke"),
        circ(0.64, -0.06, 0.12, "face", tone="smoke"),
    ]
    for car in range(2):
        u0 = 0.02 + car * 0.3
        prims.append(rect(u0, 0.28, u0 + 0.27, 0.84))
        for w in range(3):
            wu = u0 + 0.03 + w * 0.08
            prims.append(light_rect(wu, 0.38, wu + 0.05, 0.56, "window", glow=0.15))
        prims.append(rect(u0 + 0.27, 0.7, u0 + 0.3, 0.76))
    for u in (0.06, 0.21, 0.36, 0.51, 0.72, 0.88):
        prims.append(circ(u, 0.87, 0.08))
        prims.append(circ(u, 0.87, 0.03, "face", tone="metal"))
    return prims


def _boat(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.0, 0.7), (1.0, 0.7), (0.84, 1.0), (0.16, 1.0)]),
        rect(0.48, 0.0, 0.52, 0.72),
        poly([(0.54, 0.04), (0.54, 0.66), (0.92, 0.66)], "face", tone="sail"),
        poly([(0.46, 0.12), (0.46, 0.66), (0.16, 0.66)], "face", tone="sail"),
        light(0.9, 0.64, 0.03, "window", glow=0.2),
    ]


def _bridge(rng: np.random.Generator) -> list[Prim]:
    prims = [rect(0.0, 0.3, 1.0, 1.0), ell(0.2, 0.5, 0.8, 1.5, "cut")]
    for k in range(9):
        u = 0.02 + k * 0.12
        prims.append(rect(u, 0.12, u + 0.025, 0.3))
    prims.append(rect(0.0, 0.12, 1.0, 0.15))
    for u in (0.06, 0.94):
        prims.append(light(u, 0.08, 0.04, "window", glow=0.3))
    return prims


def _tent(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.0, 1.0), (0.5, 0.0), (1.0, 1.0)]),
        poly([(0.36, 1.0), (0.5, 0.5), (0.64, 1.0)], "light", tone="window"),
        line([(0.5, 0.0), (0.44, -0.12)], 0.02),
        line([(0.5, 0.0), (0.58, -0.1)], 0.02),
    ]


def _lamp(rng: np.random.Generator) -> list[Prim]:
    return [
        rect(0.44, 0.16, 0.56, 1.0),
        rect(0.3, 0.92, 0.7, 1.0),
        poly([(0.2, 0.06), (0.8, 0.06), (0.5, -0.02)]),
        light_rect(0.28, 0.06, 0.72, 0.16, "window", glow=1.2),
    ]


def _window(rng: np.random.Generator) -> list[Prim]:
    return [
        rect(0.0, 0.0, 1.0, 1.0),
        light_rect(0.08, 0.06, 0.92, 0.94, "window", glow=0.35),
        line([(0.5, 0.06), (0.5, 0.94)], 0.04, "detail"),
        line([(0.08, 0.5), (0.92, 0.5)], 0.04, "detail"),
    ]


def _snowman(rng: np.random.Generator) -> list[Prim]:
    return [
        circ(0.5, 0.76, 0.24, "face", tone="snow"),
        circ(0.5, 0.42, 0.17, "face", tone="snow"),
        circ(0.5, 0.16, 0.12, "face", tone="snow"),
        rect(0.3, 0.02, 0.7, 0.06),
        rect(0.38, -0.12, 0.62, 0.04),
        line([(0.28, 0.42), (0.0, 0.28)], 0.02),
        line([(0.72, 0.42), (1.0, 0.28)], 0.02),
        circ(0.45, 0.14, 0.015, "detail"),
        circ(0.55, 0.14, 0.015, "detail"),
        poly([(0.5, 0.17), (0.64, 0.19), (0.5, 0.2)], "face", tone="accent"),
    ]


def _mushroom(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.38, 1.0), (0.42, 0.44), (0.58, 0.44), (0.62, 1.0)], "face", tone="cream"),
        poly(
            [(0.0, 0.5), (0.08, 0.2), (0.3, 0.04), (0.5, 0.0), (0.7, 0.04), (0.92, 0.2), (1.0, 0.5)], "face", "accent"
        ),
        circ(0.3, 0.22, 0.06, "face"),
        circ(0.6, 0.14, 0.05, "face"),
        circ(0.78, 0.34, 0.05, "face"),
    ]


def _flower(rng: np.random.Generator) -> list[Prim]:
    petals = [
        circ(0.5 + 0.28 * math.cos(a), 0.26 + 0.14 * math.sin(a), 0.1, "face", "accent") for a in np.linspace(0, 6.0, 6)
    ]
    return [
        line([(0.5, 0.3), (0.52, 0.7), (0.5, 1.0)], 0.03),
        ell(0.5, 0.56, 0.9, 0.68),
        *petals,
        circ(0.5, 0.26, 0.07, "face", tone="gold"),
    ]


def _footprints(rng: np.random.Generator) -> list[Prim]:
    prints: list[Prim] = []
    for k in range(8):
        t = k / 7.0
        u = 0.5 + (0.14 if k % 2 else -0.14) * (1.0 - 0.7 * t)
        v = 1.0 - 0.08 - t * 0.86
        w = 0.1 * (1.0 - 0.7 * t)
        prints.append(ell(u - w, v - w * 0.7, u + w * 0.9, v + w * 0.7))
        prints.append(ell(u - w * 0.4, v - w * 1.4, u + w * 0.5, v - w * 0.6))
    return prints


# --------------------------------------------------------------------------- objects


def _radio(rng: np.random.Generator) -> list[Prim]:
    prims = [
        line([(0.78, 0.1), (0.96, -0.3)], 0.015),
        ell(0.0, 0.0, 1.0, 0.5),
        rect(0.0, 0.2, 1.0, 1.0),
        ell(0.08, 0.3, 0.56, 0.9, "face", tone="grille"),
        light_rect(0.62, 0.34, 0.92, 0.56, "window", glow=0.35),
        line([(0.77, 0.56), (0.72, 0.4)], 0.012, "detail"),
        circ(0.69, 0.74, 0.06, "face", tone="metal"),
        circ(0.85, 0.74, 0.06, "face", tone="metal"),
    ]
    for k in range(5):
        u = 0.16 + k * 0.08
        prims.append(line([(u, 0.38), (u, 0.82)], 0.014, "detail"))
    return prims


def _mirror(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.3, 0.84), (0.7, 0.84), (0.82, 1.0), (0.18, 1.0)]),
        ell(0.0, 0.0, 1.0, 0.88),
        ell(0.08, 0.05, 0.92, 0.83, "face", tone="glass"),
        poly([(0.22, 0.3), (0.34, 0.16), (0.4, 0.2), (0.28, 0.36)], "light", tone="glass_light"),
        ell(0.54, 0.36, 0.66, 0.46, "detail"),
        poly([(0.5, 0.83), (0.52, 0.5), (0.6, 0.46), (0.68, 0.5), (0.7, 0.83)], "detail"),
    ]


def _clock(rng: np.random.Generator) -> list[Prim]:
    return [
        rect(0.14, 0.28, 0.86, 0.96),
        rect(0.06, 0.94, 0.94, 1.0),
        poly([(0.04, 0.3), (0.04, 0.08), (0.5, -0.02), (0.96, 0.08), (0.96, 0.3)]),
        circ(0.5, 0.15, 0.13, "face", tone="clockface"),
        line([(0.5, 0.15), (0.5, 0.06)], 0.014, "detail"),
        line([(0.5, 0.15), (0.57, 0.19)], 0.014, "detail"),
        rect(0.32, 0.38, 0.68, 0.86, "face", tone="glass"),
        line([(0.5, 0.38), (0.46, 0.74)], 0.012, "detail"),
        circ(0.46, 0.76, 0.045, "face", tone="gold"),
    ]


def _door(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.0, 1.0), (0.0, 0.3), (0.14, 0.08), (0.5, 0.0), (0.86, 0.08), (1.0, 0.3), (1.0, 1.0)]),
        poly([(0.1, 1.0), (0.1, 0.32), (0.2, 0.16), (0.5, 0.09), (0.8, 0.16), (0.9, 0.32), (0.9, 1.0)], "face", "door"),
        poly([(0.86, 1.0), (0.86, 0.3), (0.9, 0.32), (0.9, 1.0)], "light", tone="window"),
        line([(0.5, 0.12), (0.5, 1.0)], 0.012, "detail"),
        rect(0.18, 0.36, 0.42, 0.62, "detail"),
        rect(0.58, 0.36, 0.82, 0.62, "detail"),
        rect(0.18, 0.7, 0.42, 0.94, "detail"),
        rect(0.58, 0.7, 0.82, 0.94, "detail"),
        light(0.8, 0.66, 0.02, "gold", glow=0.05),
    ]


def _candle(rng: np.random.Generator) -> list[Prim]:
    return [
        ell(0.0, 0.9, 1.0, 1.0),
        rect(0.28, 0.36, 0.72, 0.95, "face", tone="cream"),
        ell(0.28, 0.32, 0.72, 0.4, "face", tone="cream"),
        ell(0.62, 0.38, 0.74, 0.56, "face", tone="cream"),
        line([(0.5, 0.36), (0.5, 0.3)], 0.012),
        poly([(0.5, 0.02), (0.58, 0.2), (0.55, 0.3), (0.45, 0.3), (0.42, 0.2)], "light", tone="flame"),
        light(0.5, 0.22, 0.04, "flame", glow=0.9),
    ]


def _key(rng: np.random.Generator) -> list[Prim]:
    return [
        circ(0.16, 0.5, 0.4, "face", tone="gold"),
        circ(0.16, 0.5, 0.2, "cut"),
        rect(0.3, 0.42, 1.0, 0.58, "face", tone="gold"),
        rect(0.8, 0.58, 0.86, 0.86, "face", tone="gold"),
        rect(0.9, 0.58, 0.96, 0.78, "face", tone="gold"),
        light(0.08, 0.34, 0.05, "gold_light", glow=0.5),
    ]


def _lantern(rng: np.random.Generator) -> list[Prim]:
    return [
        line([(0.3, 0.1), (0.5, -0.06), (0.7, 0.1)], 0.03),
        poly([(0.14, 0.24), (0.5, 0.06), (0.86, 0.24)]),
        rect(0.1, 0.88, 0.9, 1.0),
        light_rect(0.2, 0.24, 0.8, 0.88, "window", glow=1.0),
        line([(0.2, 0.24), (0.2, 0.88)], 0.03, "detail"),
        line([(0.8, 0.24), (0.8, 0.88)], 0.03, "detail"),
        line([(0.5, 0.24), (0.5, 0.88)], 0.02, "detail"),
        light(0.5, 0.56, 0.1, "flame", glow=0.3),
    ]


def _book(rng: np.random.Generator) -> list[Prim]:
    return [
        poly([(0.0, 0.3), (0.5, 0.42), (1.0, 0.3), (1.0, 0.92), (0.5, 1.0), (0.0, 0.92)]),
        poly([(0.04, 0.26), (0.49, 0.36), (0.49, 0.9), (0.04, 0.82)], "face", tone="cream"),
        poly([(0.51, 0.36), (0.96, 0.26), (0.96, 0.82), (0.51, 0.9)], "face", tone="cream"),
        *[line([(0.1, 0.4 + 0.1 * k), (0.42, 0.47 + 0.1 * k)], 0.012, "detail") for k in range(4)],
        *[line([(0.58, 0.47 + 0.1 * k), (0.9, 0.4 + 0.1 * k)], 0.012, "detail") for k in range(4)],
    ]


def _button(rng: np.random.Generator) -> list[Prim]:
    return [
        circ(0.5, 0.5, 0.5, "face", tone="accent"),
        circ(0.5, 0.5, 0.38, "detail"),
        circ(0.5, 0.5, 0.34, "face", tone="accent"),
        *[circ(0.5 + dx, 0.5 + dy, 0.07, "cut") for dx in (-0.12, 0.12) for dy in (-0.12, 0.12)],
        light(0.3, 0.24, 0.05, "face", glow=0.2),
    ]


def _picture(rng: np.random.Generator) -> list[Prim]:
    return [
        rect(0.0, 0.0, 1.0, 1.0),
        rect(0.1, 0.08, 0.9, 0.92, "face", tone="glass"),
        circ(0.5, 0.38, 0.12, "detail"),
        poly([(0.26, 0.92), (0.34, 0.58), (0.66, 0.58), (0.74, 0.92)], "detail"),
        light(0.5, 0.34, 0.02, "eye"),
    ]


def _umbrella(rng: np.random.Generator) -> list[Prim]:
    return [
        line([(0.5, 0.3), (0.5, 0.92), (0.42, 1.0), (0.34, 0.94)], 0.03),
        poly(
            [(0.0, 0.4), (0.06, 0.2), (0.26, 0.04), (0.5, 0.0), (0.74, 0.04), (0.94, 0.2), (1.0, 0.4)],
            "face",
            tone="accent",
        ),
    ]


def _crown(rng: np.random.Generator) -> list[Prim]:
    outline = [
        (0.0, 1.0),
        (0.0, 0.2),
        (0.2, 0.6),
        (0.35, 0.1),
        (0.5, 0.5),
        (0.65, 0.1),
        (0.8, 0.6),
        (1.0, 0.2),
        (1.0, 1.0),
    ]
    return [
        poly(outline, "face", tone="gold"),
        *[light(u, 0.82, 0.07, "accent", glow=0.3) for u in (0.25, 0.5, 0.75)],
    ]


SPRITES: dict[str, Sprite] = {
    s.name: s
    for s in (
        Sprite("owl", 0.8, "branch", 0.26, True, _owl),
        Sprite("fox", 1.7, "ground", 0.2, True, _fox),
        Sprite("bear", 1.35, "ground", 0.26, True, _bear),
        Sprite("teddy", 0.85, "ground", 0.28, True, _teddy),
        Sprite("cat", 0.75, "ground", 0.22, True, _cat),
        Sprite("dog", 1.35, "ground", 0.22, True, _dog),
        Sprite("wolf", 1.4, "ground", 0.24, True, _wolf),
        Sprite("rabbit", 0.75, "ground", 0.18, True, _rabbit),
        Sprite("bird", 1.6, "sky", 0.08, False, _bird),
        Sprite("deer", 1.0, "ground", 0.32, False, _deer),
        Sprite("whale", 2.4, "sea", 0.14, False, _whale),
        Sprite("person", 0.4, "ground", 0.36, True, _person),
        Sprite("girl", 0.45, "ground", 0.32, True, _girl),
        Sprite("boy", 0.42, "ground", 0.32, True, _boy),
        Sprite("keeper", 0.42, "ground", 0.36, True, _keeper),
        Sprite("witch", 0.5, "ground", 0.36, True, _witch),
        Sprite("royal", 0.45, "ground", 0.36, True, _royal),
        Sprite("ghost", 0.7, "float", 0.34, True, _ghost),
        Sprite("star", 1.0, "sky", 0.2, False, _star),
        Sprite("cloud", 1.9, "sky", 0.14, False, _cloud),
        Sprite("balloon", 0.55, "sky", 0.2, False, _balloon),
        Sprite("kite", 0.6, "sky", 0.2, False, _kite),
        Sprite("lighthouse", 0.4, "ground", 0.56, False, _lighthouse),
        Sprite("house", 1.2, "ground", 0.3, False, _house),
        Sprite("castle", 1.5, "ground", 0.36, False, _castle),
        Sprite("tower", 0.32, "ground", 0.5, False, _tower),
        Sprite("tree", 0.85, "ground", 0.5, False, _tree),
        Sprite("pine", 0.55, "ground", 0.5, False, _pine),
        Sprite("train", 3.2, "ground", 0.17, False, _train),
        Sprite("boat", 1.3, "sea", 0.2, False, _boat),
        Sprite("bridge", 3.4, "ground", 0.2, False, _bridge),
        Sprite("tent", 1.4, "ground", 0.2, False, _tent),
        Sprite("lamp", 0.25, "ground", 0.44, False, _lamp),
        Sprite("window", 0.7, "float", 0.3, True, _window),
        Sprite("snowman", 0.6, "ground", 0.28, False, _snowman),
        Sprite("mushroom", 1.0, "ground", 0.16, False, _mushroom),
        Sprite("flower", 0.5, "ground", 0.16, False, _flower),
        Sprite("footprints", 0.5, "plane", 0.3, False, _footprints),
        Sprite("radio", 1.35, "table", 0.24, True, _radio),
        Sprite("mirror", 0.62, "ground", 0.5, True, _mirror),
        Sprite("clock", 0.42, "ground", 0.54, True, _clock),
        Sprite("door", 0.56, "ground", 0.5, True, _door),
        Sprite("candle", 0.3, "table", 0.22, True, _candle),
        Sprite("key", 2.4, "table", 0.1, True, _key),
        Sprite("lantern", 0.55, "table", 0.22, True, _lantern),
        Sprite("book", 1.5, "table", 0.14, True, _book),
        Sprite("button", 1.0, "table", 0.14, True, _button),
        Sprite("picture", 0.8, "table", 0.24, True, _picture),
        Sprite("umbrella", 0.9, "ground", 0.3, False, _umbrella),
        Sprite("crown", 1.4, "table", 0.12, True, _crown),
    )
}
