"""Characters as the prompt describes them: features drawn on the sprite, its colours, and a pose for the shot.

Features (a scarf, a hat, glasses, ...) are extra primitives in the sprite's unit box, placed from the sprite's
anatomy in ``data/vocabulary.yaml``; a pose (standing, sitting, walking, looking up) and the facing are
transforms of every primitive, features included. A character's look depends only on its traits (the words that
describe it), so the same description gives the same character in every scene; its pose comes from the scene.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from storyvid_assets.imaging.plan import Subject, Trait
from storyvid_assets.imaging.shapes import Prim
from storyvid_assets.imaging.vocabulary import Anatomy

POSES = ("standing", "sitting", "walking", "looking_up")
TRAIT_TONE = "trait:"  # face-layer tone of a feature: "trait:scarf" is painted in the scarf's colour
Pt = tuple[float, float]


def trait_tone(feature: str) -> str:
    return TRAIT_TONE + feature


def head_size(a: Anatomy, aspect: float) -> float:
    """The head's size in sprite-height units: features are sized from it."""
    u0, v0, u1, v1 = a.head
    return max(v1 - v0, (u1 - u0) * aspect)


def ring(cu: float, cv: float, r: float, aspect: float, n: int = 10) -> list[Pt]:
    return [
        (cu + r * math.cos(2 * math.pi * k / n) / aspect, cv + r * math.sin(2 * math.pi * k / n)) for k in range(n + 1)
    ]


PartFn = Callable[[Trait, Anatomy, str, float, float, float, tuple[float, ...], Pt, float], list[Prim]]


def _scarf(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    nu, nv = neck
    return [
        Prim("ellipse", (nu - 0.42 * du, nv - 0.17 * s, nu + 0.42 * du, nv + 0.17 * s), "face", tone),
        Prim(
            "poly",
            (nu - 0.05 * du, nv, nu + 0.22 * du, nv, nu + 0.3 * du, nv + 0.62 * s, nu + 0.04 * du, nv + 0.62 * s),
            "face",
            tone,
        ),
    ]


def _hat(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    hv0 = head[1]
    return [
        Prim("rect", (cu - 0.5 * du, hv0 + 0.04 * s, cu + 0.5 * du, hv0 + 0.14 * s), "face", tone),
        Prim("rect", (cu - 0.3 * du, hv0 - 0.36 * s, cu + 0.3 * du, hv0 + 0.1 * s), "face", tone),
    ]


def _cap(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    hv0 = head[1]
    return [
        Prim("ellipse", (cu - 0.36 * du, hv0 - 0.16 * s, cu + 0.36 * du, hv0 + 0.2 * s), "face", tone),
        Prim("rect", (cu, hv0 + 0.06 * s, cu + 0.62 * du, hv0 + 0.14 * s), "face", tone),
    ]


def _glasses(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    eu, ev = a.eyes
    r, w = 0.13 * s, 0.05 * s
    if a.eye_gap > 0:
        g = a.eye_gap / 2
        rings = [ring(eu - g, ev, r, aspect), ring(eu + g, ev, r, aspect)]
        bridge = [(eu - g + r / aspect, ev), (eu + g - r / aspect, ev)]
    else:
        rings = [ring(eu, ev, r, aspect)]
        bridge = [(eu - r / aspect, ev), (eu - 0.55 * du, ev - 0.04 * s)]
    return [Prim("line", tuple(c for p in pts for c in p), "face", tone, width=w) for pts in [*rings, bridge]]


def _ear(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    eu, ev = a.ear
    return [Prim("ellipse", (eu - 0.16 * du, ev - 0.05 * s, eu + 0.16 * du, ev + 0.62 * s), "face", tone)]


def garment(a: Anatomy, tone: str, long: float) -> list[Prim]:
    """A top (or with ``long`` > 0 a coat reaching further down) over a person's torso, a jacket on an animal."""
    u0, v0, u1, v1 = a.torso
    if a.upright:
        bottom = min(0.97, v1 + long)
        return [
            Prim(
                "poly", (u0 + 0.02, v0 + 0.01, u1 - 0.02, v0 + 0.01, u1 + 0.02, bottom, u0 - 0.02, bottom), "face", tone
            )
        ]
    iu, iv = (u1 - u0) * 0.12, (v1 - v0) * 0.1
    return [Prim("ellipse", (u0 + iu, v0 + iv, u1 - iu, v1 - iv * 2), "face", tone)]


def _torso(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    return garment(a, tone, 0.0)


def _coat(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    return garment(a, tone, 0.22)


def _dress(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    u0, v0, u1, _ = a.torso
    return [
        Prim(
            "poly",
            (u0 + 0.04, v0 + 0.01, u1 - 0.04, v0 + 0.01, min(1.0, u1 + 0.12), 0.84, max(0.0, u0 - 0.12), 0.84),
            "face",
            tone,
        )
    ]


def _collar(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    nu, nv = neck
    return [Prim("ellipse", (nu - 0.36 * du, nv - 0.08 * s, nu + 0.36 * du, nv + 0.08 * s), "face", tone)]


def _bell(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    nu, nv = neck
    return [
        Prim("ellipse", (nu - 0.36 * du, nv - 0.06 * s, nu + 0.36 * du, nv + 0.06 * s), "face", tone),
        Prim("circle", (nu, nv + 0.16 * s, 0.14 * s), "face", tone),
    ]


def _tail(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    tu, tv = a.tail
    return [Prim("circle", (tu, tv, 0.2 * s), "face", tone)]


def _feet(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    half = max(0.045, 0.22 * du)
    return [Prim("ellipse", (u - half, 0.9, u + half, 1.01), "face", tone) for u in a.feet]


def _chest(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    pu, pv = a.chest
    return [Prim("ellipse", (pu - 0.3 * du, pv - 0.3 * s, pu + 0.3 * du, pv + 0.3 * s), "face", tone)]


def _back(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    bu, bv = a.back
    return [Prim("rect", (bu - 0.3 * du, bv - 0.1 * s, bu + 0.3 * du, bv + 0.55 * s), "face", tone)]


def _eyes(
    t: Trait, a: Anatomy, tone: str, s: float, du: float, cu: float, head: tuple[float, ...], neck: Pt, aspect: float
) -> list[Prim]:
    eu, ev = a.eyes
    us = [eu - a.eye_gap / 2, eu + a.eye_gap / 2] if a.eye_gap > 0 else [eu]
    return [Prim("circle", (u, ev, 0.1 * s), "light", tone, glow=0.05) for u in us]


PARTS: dict[str, PartFn] = {  # the vocabulary's `part` of a feature -> how it is drawn
    "neck": _scarf,
    "head": _hat,
    "cap": _cap,
    "eyes": _glasses,
    "ear": _ear,
    "torso": _torso,
    "coat": _coat,
    "dress": _dress,
    "collar": _collar,
    "bell": _bell,
    "tail": _tail,
    "feet": _feet,
    "chest": _chest,
    "back": _back,
    "eyes_colour": _eyes,
}


def dressed(prims: list[Prim], subject: Subject, a: Anatomy, aspect: float, parts: dict[str, str]) -> list[Prim]:
    """The sprite's primitives with the subject's features on top, in the order the prompt names them.

    ``parts`` maps each feature key to its part (from the vocabulary), so a feature added in the data file with a
    known part is drawn without a code change. Garments go under accessories: torso first, then the rest.
    """
    features = sorted(subject.features, key=lambda t: parts.get(t.feature) not in ("torso", "coat", "dress"))
    s = head_size(a, aspect)
    hu0, _, hu1, _ = a.head
    cu = (hu0 + hu1) / 2 if a.upright else hu0 + (hu1 - hu0) * 0.42  # a side view's hat sits behind the snout
    out = list(prims)
    for trait in features:
        part = PARTS.get(parts.get(trait.feature, ""))
        if part is not None:
            out += part(trait, a, trait_tone(trait.feature), s, s / aspect, cu, a.head, a.neck, aspect)
    return out


# --------------------------------------------------------------------------- poses


def posed(prims: list[Prim], pose: str, a: Anatomy, mirror: bool) -> list[Prim]:
    """Every primitive moved into ``pose`` (and mirrored to face left when ``mirror``)."""
    hu0, _, _, hv1 = a.head
    nu, nv = a.neck
    angle = math.radians(-14 if not a.upright else -6)

    def move(u: float, v: float) -> Pt:
        if pose == "sitting":
            knee = 0.58
            if v > knee:
                v = knee + (v - knee) * 0.35
            v += (1.0 - knee) * 0.65
        elif pose == "walking" and v > 0.62:
            u += (v - 0.62) * 0.3 * (1 if int(u * 20) % 2 else -1)
        elif pose == "looking_up" and hu0 - 0.02 <= u and v <= hv1 + 0.02 and (a.upright or u >= nu - 0.02):
            du, dv = u - nu, v - nv
            u, v = nu + du * math.cos(angle) - dv * math.sin(angle), nv + du * math.sin(angle) + dv * math.cos(angle)
        return (1.0 - u if mirror else u, v)

    return [moved(pr, move) for pr in prims]


def moved(pr: Prim, move: Callable[[float, float], Pt]) -> Prim:
    g = pr.geom
    if pr.kind == "circle":
        u, v = move(g[0], g[1])
        return Prim("circle", (u, v, g[2]), pr.layer, pr.tone, pr.width, pr.glow)
    if pr.kind == "ellipse":
        cu, cv = move((g[0] + g[2]) / 2, (g[1] + g[3]) / 2)
        hu, hv = abs(g[2] - g[0]) / 2, abs(g[3] - g[1]) / 2
        return Prim("ellipse", (cu - hu, cv - hv, cu + hu, cv + hv), pr.layer, pr.tone, pr.width, pr.glow)
    if pr.kind == "rect":
        u0, v0, u1, v1 = g
        pts = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
        flat = tuple(c for p in (move(u, v) for u, v in pts) for c in p)
        return Prim("poly", flat, pr.layer, pr.tone, pr.width, pr.glow)
    flat = tuple(c for i in range(0, len(g), 2) for c in move(g[i], g[i + 1]))
    return Prim(pr.kind, flat, pr.layer, pr.tone, pr.width, pr.glow)
