"""Procedural illustrations: a layered, silhouette-style scene painted from the words of a prompt."""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image, ImageChops

from storyvid_assets.imaging import layers
from storyvid_assets.imaging.canvas import Canvas, MaskPen, scale_mask
from storyvid_assets.imaging.characters import POSES, TRAIT_TONE, dressed, posed
from storyvid_assets.imaging.composition import Composition, Side, opposite
from storyvid_assets.imaging.foreground import paint_foreground
from storyvid_assets.imaging.palette import (
    Color,
    Palette,
    base_palette,
    furnished,
    graded,
    mix,
    scale,
    shot_lit,
    tempered,
    warmed,
)
from storyvid_assets.imaging.plan import ScenePlan, Subject, Trait, plan_scene
from storyvid_assets.imaging.rooms import PLAIN_ROOM_PROPS, paint_props, scene_props
from storyvid_assets.imaging.shapes import LAYER_ORDER, SPRITES, Prim, Sprite
from storyvid_assets.imaging.vocabulary import Anatomy, vocabulary

MIN_SIZE = 16
TABLE_HEIGHT = 0.2  # of the short side
MAX_SIDE = 8192
LIGHT_STRENGTH = {"night": 1.0, "dawn": 0.7, "sunset": 0.7, "storm": 0.85, "fog": 0.75, "day": 0.35}
HIDDEN_LIGHT = 0.3  # strength of the sky's glow on the light side when no sun or moon shows
HEADROOM = 0.04  # of the height: a standing subject's top stays this far below the top edge
SOFTEN_SIDE = 110  # a close-up's background is blurred through this many pixels across (shallow focus)


@dataclass(frozen=True)
class Illustration:
    png: bytes
    width: int
    height: int
    focal_point: tuple[float, float]  # the main subject's centre, normalised (x, y) in 0..1
    plan: ScenePlan


@dataclass(frozen=True)
class Placement:
    """Where a sprite goes: its box in canvas pixels."""

    sprite: Sprite
    x: float  # left
    y: float  # top
    w: float
    h: float
    main: bool
    subject: Subject | None = None

    @property
    def centre(self) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + self.h / 2)


def stream(plan: ScenePlan, name: str) -> np.random.Generator:
    """An independent random stream per layer, so adding a subject never reshuffles the background."""
    return np.random.default_rng([plan.seed, zlib.crc32(name.encode())])


# --------------------------------------------------------------------------- sprites


def tone_colors(pal: Palette) -> dict[str, Color]:
    return {
        "face": pal.face,
        "ghost": mix(pal.face, pal.light, 0.6),
        "light": pal.light,
        "starface": mix(pal.gold, pal.light, 0.55),
        "cloud": mix(pal.sky_horizon, pal.face, 0.6),
        "accent": pal.accent,
        "gold": pal.gold,
        "gold_light": mix(pal.gold, (255, 255, 230), 0.6),
        "cream": mix(pal.face, pal.window, 0.3),
        "door": mix(pal.near, pal.window, 0.22),
        "glass": mix(pal.sky_mid, pal.face, 0.45),
        "glass_light": mix(pal.face, pal.light, 0.7),
        "smoke": mix(pal.sky_horizon, pal.face, 0.45),
        "metal": mix(pal.near, pal.face, 0.4),
        "grille": mix(pal.near, pal.window, 0.3),
        "sail": mix(pal.face, pal.light, 0.3),
        "snow": mix(pal.snow, (255, 255, 255), 0.4),
        "clockface": mix(pal.face, pal.window, 0.15),
        "window": pal.window,
        "eye": pal.eye,
        "flame": mix(pal.window, (255, 240, 200), 0.5),
    }


def draw_prim(pen: MaskPen, prim: Prim, p: Placement, fill: int) -> None:
    g = prim.geom

    def pt(u: float, v: float) -> tuple[float, float]:
        return (p.x + u * p.w, p.y + v * p.h)

    if prim.kind == "poly":
        pen.polygon([pt(g[i], g[i + 1]) for i in range(0, len(g), 2)], fill)
    elif prim.kind == "ellipse":
        pen.ellipse(*pt(g[0], g[1]), *pt(g[2], g[3]), fill=fill)
    elif prim.kind == "rect":
        pen.rect(*pt(g[0], g[1]), *pt(g[2], g[3]), fill=fill)
    elif prim.kind == "circle":
        pen.circle(*pt(g[0], g[1]), g[2] * p.h, fill)
    elif prim.kind == "line":
        pen.line([pt(g[i], g[i + 1]) for i in range(0, len(g), 2)], max(1.0, prim.width * p.h), fill)


def draw_silhouette(pen: MaskPen, prims: list[Prim], p: Placement) -> None:
    """Every layer of a sprite into ``pen``'s mask, then its holes cut out."""
    for pr in prims:
        if pr.layer != "cut":
            draw_prim(pen, pr, p, 255)
    for pr in prims:
        if pr.layer == "cut":
            draw_prim(pen, pr, p, 0)


def prim_centre(prim: Prim, p: Placement) -> tuple[float, float]:
    us, vs = prim.geom[0:-1:2], prim.geom[1::2]
    if prim.kind == "circle":
        us, vs = prim.geom[0:1], prim.geom[1:2]
    return (p.x + float(np.mean(us)) * p.w, p.y + float(np.mean(vs)) * p.h)


def draw_sprite(
    canvas: Canvas,
    p: Placement,
    prims: list[Prim],
    body: Color,
    tones: dict[str, Color],
    light_strength: float,
    rim: tuple[Color, float, float] | None = None,
    detail: Color | None = None,
) -> None:
    """Paint one sprite layer by layer; ``rim`` = (colour, dx, dy) lights the edge facing the light."""
    pad = max(p.w, p.h) * 0.45
    box = canvas.clip_box(p.x - pad, p.y - pad, p.x + p.w + pad, p.y + p.h + pad)
    if box[0] >= box[2] or box[1] >= box[3]:
        return
    cuts = [pr for pr in prims if pr.layer == "cut"]
    for layer in LAYER_ORDER:
        if layer == "cut":
            continue
        group = [pr for pr in prims if pr.layer == layer]
        if not group:
            continue
        if layer in ("body", "detail"):
            pen = canvas.pen(box)
            for pr in group:
                draw_prim(pen, pr, p, 255)
            if layer == "body":
                for pr in cuts:
                    draw_prim(pen, pr, p, 0)
            mask = pen.mask()
            canvas.paste_mask(mask, pen.box, body if layer == "body" or detail is None else detail)
            if layer == "body" and rim is not None:
                paint_rim(canvas, mask, pen.box, rim)
            continue
        for tone, run in _runs(group):
            pen = canvas.pen(box)
            for pr in run:
                draw_prim(pen, pr, p, 255)
            for pr in cuts:
                draw_prim(pen, pr, p, 0)
            color = tones.get(tone, tones["face"])
            if layer == "light":
                color = mix(scale(color, 0.75), color, light_strength)
            canvas.fill(pen, color)
            if layer == "light":
                for pr in run:
                    if pr.glow > 0:
                        cx, cy = prim_centre(pr, p)
                        canvas.glow(cx, cy, pr.glow * p.h, color, 0.55 * light_strength)


def _runs(group: list[Prim]) -> list[tuple[str, list[Prim]]]:
    """Consecutive primitives sharing a tone, so each run is one mask and one paste."""
    runs: list[tuple[str, list[Prim]]] = []
    for pr in group:
        if runs and runs[-1][0] == pr.tone:
            runs[-1][1].append(pr)
        else:
            runs.append((pr.tone, [pr]))
    return runs


def paint_rim(
    canvas: Canvas, mask: Image.Image, box: tuple[int, int, int, int], rim: tuple[Color, float, float]
) -> None:
    """Light the silhouette's edge on the side facing the light: the mask minus itself shifted away."""
    color, dx, dy = rim
    shifted = Image.new("L", mask.size, 0)
    shifted.paste(mask, (round(dx), round(dy)))
    edge = ImageChops.subtract(mask, shifted)
    canvas.paste_mask(scale_mask(edge, 0.75), box, color)


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Stage:
    """The geometry subjects are placed against."""

    horizon: float
    ground: layers.Ground | None
    sea: bool
    coast: str | None  # which side the land is on when there is sea
    floor_y: float | None  # indoors
    celestial: tuple[float, float, float] | None


def sprite_height(sprite: Sprite, unit: float, main: bool, rng: np.random.Generator) -> float:
    h = sprite.size * unit * float(rng.uniform(0.92, 1.08))
    return h if main else h * float(rng.uniform(0.5, 0.62))


def place(
    sprite: Sprite,
    canvas: Canvas,
    stage: Stage,
    cx: float,
    main: bool,
    rng: np.random.Generator,
    shrink: float = 1.0,
    zoom: float = 1.0,
) -> Placement:
    """Size and anchor ``sprite`` around horizontal centre ``cx``; ``zoom`` is the shot's subject scale."""
    h = sprite_height(sprite, canvas.unit, main, rng) * shrink * zoom
    w = h * sprite.aspect
    if w > canvas.width * 0.9:
        w, h = canvas.width * 0.9, canvas.width * 0.9 / sprite.aspect
    lo, hi = (0.0, float(canvas.width)) if sprite.anchor in ("sea", "sky") else dry_land(stage, canvas)
    lo, hi = max(lo, canvas.width * 0.02), min(hi, canvas.width * 0.98)
    x = float(np.clip(cx - w / 2, lo, hi - w)) if hi - lo > w else (lo + hi - w) / 2  # on land at the sea
    anchor = sprite.anchor
    if stage.floor_y is not None and anchor == "branch":
        anchor = "table"  # indoors a perching bird sits on the table
    ground = standing_line(stage, anchor, x, x + w, canvas.unit)
    room = ground - canvas.height * HEADROOM
    if anchor in ("ground", "table", "float") and h > room > 0:
        w, h = w * room / h, room  # a close-up keeps the whole subject in the picture
        x = float(np.clip(cx - w / 2, lo, hi - w)) if hi - lo > w else (lo + hi - w) / 2
        ground = standing_line(stage, anchor, x, x + w, canvas.unit)
    if anchor == "sky":
        top_band = (0.2, 0.32) if main else (0.08, 0.26)
        cy = canvas.height * float(rng.uniform(*top_band))
        y = cy - h / 2
        if stage.celestial is not None:
            x = away_from(x, w, y, h, stage.celestial, canvas.width)
    elif anchor == "sea" and stage.sea:
        y = (
            stage.horizon
            + canvas.height * float(rng.uniform(0.07, 0.13) if main else rng.uniform(0.02, 0.05))
            - h * 0.85
        )
    elif anchor == "float":
        y = ground - h - canvas.unit * 0.05
    elif anchor == "branch":
        y = ground - canvas.height * float(rng.uniform(0.2, 0.27)) - h
    elif anchor == "plane":
        y0 = ground + canvas.unit * 0.01
        h = max(canvas.height * 0.99 - y0, canvas.unit * 0.05)
        w = h * sprite.aspect * 1.4
        x = float(np.clip(cx - w / 2, 0, canvas.width - w))
        y = y0
    else:
        y = ground - h + canvas.unit * 0.006
    return Placement(sprite, x, y, w, h, main)


def with_subject(p: Placement, subject: Subject) -> Placement:
    return Placement(p.sprite, p.x, p.y, p.w, p.h, p.main, subject)


def standing_line(stage: Stage, anchor: str, x0: float, x1: float, unit: float) -> float:
    """The y a sprite with ``anchor`` stands on between ``x0`` and ``x1``: table top, floor, ground or horizon.

    Outdoors it is the lowest ground under the middle of the sprite, so it never floats over a dip, and an end
    reaching past the edge of a headland does not drag it down the cliff.
    """
    if stage.floor_y is not None:
        return stage.floor_y - unit * TABLE_HEIGHT if anchor == "table" else stage.floor_y
    if stage.ground is not None:
        inset = (x1 - x0) * 0.2
        return stage.ground.top_at(x0 + inset, x1 - inset)
    return stage.horizon


def dry_land(stage: Stage, canvas: Canvas) -> tuple[float, float]:
    """The x range of the land at the sea (the headland), or the whole width."""
    if stage.ground is None or stage.ground.land is None:
        return (0.0, float(canvas.width))
    return stage.ground.land


def away_from(x: float, w: float, y: float, h: float, body: tuple[float, float, float], width: float) -> float:
    """Shift a sky sprite's left edge sideways so it does not cover the sun or moon."""
    bx, by, br = body
    if abs(y + h / 2 - by) > h / 2 + br or abs(x + w / 2 - bx) > w / 2 + br * 1.3:
        return x
    left = bx - br * 1.5 - w
    right = bx + br * 1.5
    if right + w <= width * 0.98 and (left < width * 0.02 or abs(right - x) < abs(left - x)):
        return right
    return max(width * 0.02, left)


def main_subject_x(comp: Composition, anchor: str, coast: str | None) -> float:
    """Where the main subject's centre goes (fraction of the width): the shot's place, kept on land or at sea."""
    x = comp.subject_x
    if coast is not None and anchor in ("ground", "float", "branch", "plane"):
        return min(x, 0.45) if coast == "left" else max(x, 0.55)  # on the headland
    if coast is not None and anchor == "sea":
        return max(x, 0.6) if coast == "left" else min(x, 0.4)  # out on the water
    return x


def layout(plan: ScenePlan, canvas: Canvas, stage: Stage, rng: np.random.Generator) -> list[Placement]:
    """Main subject where the shot puts it (a third of the way in or more, so crops keep it), others beside it."""
    placements: list[Placement] = []
    if not plan.subjects:
        return placements
    comp = plan.composition
    main = plan.subjects[0]
    sprite = SPRITES[main.name]
    cx = canvas.width * main_subject_x(comp, sprite.anchor, stage.coast)
    placements += copies(sprite, main, canvas, stage, cx, True, rng, comp.subject_scale)
    main_x = placements[0].centre[0]
    sides = [-1.0, 1.0] if main_x >= canvas.width / 2 else [1.0, -1.0]
    spread = comp.companion_spread * (0.75 if plan.indoor else 1.0)
    reach = {-1.0: spread, 1.0: spread}  # the next free distance from the main subject on each side
    for k, sub in enumerate(plan.subjects[1:]):
        spr = SPRITES[sub.name]
        lo, hi = dry_land(stage, canvas) if spr.anchor != "sea" else (0.0, float(canvas.width))
        lo, hi = lo + canvas.width * 0.08, hi - canvas.width * 0.08
        jitter = float(rng.uniform(0.9, 1.1))
        side = sides[k % 2]
        if not lo <= main_x + side * reach[side] * canvas.width * jitter <= hi:
            side = -side  # no room that way: the other side, further out if one is there already
        sx = float(np.clip(main_x + side * reach[side] * canvas.width * jitter, lo, hi))
        reach[side] += spread * 0.7
        if spr.anchor == "sea" and stage.coast is not None:
            sx = canvas.width * (0.8 if stage.coast == "left" else 0.2)
        zoom = max(0.8, comp.subject_scale * 0.85) if comp.framing == "close" else comp.subject_scale
        placements += copies(spr, sub, canvas, stage, float(np.clip(sx, 0, canvas.width)), False, rng, zoom)
    return placements


def copies(
    sprite: Sprite,
    sub: Subject,
    canvas: Canvas,
    stage: Stage,
    cx: float,
    main: bool,
    rng: np.random.Generator,
    zoom: float = 1.0,
) -> list[Placement]:
    first = place(sprite, canvas, stage, cx, main, rng, zoom=zoom)
    out = [with_subject(first, sub)]
    for k in range(1, sub.count):
        dx = first.w * (0.9 + 0.4 * k) * (1 if k % 2 else -1)
        out.append(with_subject(place(sprite, canvas, stage, cx + dx, False, rng, shrink=0.8, zoom=zoom), sub))
    return out


# --------------------------------------------------------------------------- scene


def celestial_x(plan: ScenePlan, rng: np.random.Generator) -> float:
    """Across the sky on the shot's light side, clear of the subject; near the middle when it is the subject."""
    comp = plan.composition
    left = comp.light_side == "left"
    if plan.celestial_subject and not plan.subjects:
        return float(rng.uniform(0.38, 0.48) if left else rng.uniform(0.52, 0.62))
    if plan.subjects and SPRITES[plan.subjects[0].name].anchor == "sky":
        if comp.subject_side is not None:
            left = comp.subject_side == "right"  # a kite or cloud off to one side: the sun or moon on the other
        return float(rng.uniform(0.12, 0.24) if left else rng.uniform(0.76, 0.88))
    return float(rng.uniform(0.16, 0.32) if left else rng.uniform(0.68, 0.84))


def celestial_geometry(
    plan: ScenePlan, canvas: Canvas, horizon: float, rng: np.random.Generator
) -> tuple[float, float, float] | None:
    """``(x, y, r)`` of the sun or moon: on the shot's light side, as high as the shot's light height says."""
    if plan.celestial == "none":
        return None
    height = plan.composition.light_height
    x = canvas.width * celestial_x(plan, rng)
    if plan.celestial == "moon":
        r = canvas.unit * (
            float(rng.uniform(0.11, 0.14)) if plan.celestial_subject else float(rng.uniform(0.05, 0.075))
        )
        y = canvas.height * (0.12 + 0.16 * height + float(rng.uniform(-0.02, 0.02)))
        return (x, min(y, horizon - r * 1.5), r)
    r = canvas.unit * float(rng.uniform(0.05, 0.07)) * (1.4 if plan.celestial_subject else 1.0)
    if plan.time_of_day == "day":
        y = canvas.height * (0.1 + 0.14 * height + float(rng.uniform(-0.02, 0.02)))
        return (x, min(y, horizon - r * 1.5), r)
    return (x, horizon - canvas.height * (0.06 + 0.1 * (1.0 - height)), r * 1.2)


def paint_celestial(canvas: Canvas, plan: ScenePlan, pal: Palette, geom: tuple[float, float, float] | None) -> None:
    if geom is None:
        return
    x, y, r = geom
    if plan.celestial == "moon":
        layers.paint_moon(canvas, pal, x, y, r, plan.crescent, stream(plan, "moon"))
    else:
        layers.paint_sun(canvas, pal, x, y, r)


def cloud_cover(plan: ScenePlan, rng: np.random.Generator) -> float:
    base = {"day": 0.42, "dawn": 0.45, "sunset": 0.5, "night": 0.3, "storm": 0.85, "fog": 0.2}[plan.time_of_day]
    return base * float(rng.uniform(0.6, 1.2))


def coast_side(plan: ScenePlan) -> Side:
    """Which side the land is on at the sea: under a standing subject, away from one on the water."""
    comp = plan.composition
    subject_side = comp.subject_side or opposite(comp.light_side)  # a centred subject: across from the light
    at_sea = bool(plan.subjects) and SPRITES[plan.subjects[0].name].anchor == "sea"
    return opposite(subject_side) if at_sea else subject_side


def paint_outdoor(canvas: Canvas, plan: ScenePlan, pal: Palette) -> Stage:
    comp = plan.composition
    zoom = comp.landscape_zoom
    sea = "sea" in plan.terrain
    snowy = "snow" in plan.terrain
    horizon = canvas.height * comp.horizon
    geom = celestial_geometry(plan, canvas, horizon, stream(plan, "celestial"))
    layers.paint_sky(
        canvas,
        pal,
        horizon,
        stream(plan, "sky"),
        cloud_cover(plan, stream(plan, "clouds")),
        geom,
        plan.time_of_day == "storm",
    )
    if plan.time_of_day == "night":
        layers.paint_stars(canvas, pal, (0, 0, canvas.width, int(horizon)), stream(plan, "stars"))
    elif plan.time_of_day == "dawn":
        layers.paint_stars(canvas, pal, (0, 0, canvas.width, int(horizon * 0.4)), stream(plan, "stars"), density=0.2)
    paint_celestial(canvas, plan, pal, geom)
    if geom is None:  # the sun or moon is hidden, but the sky is still brighter on its side
        light_x = canvas.width * (0.2 if comp.light_side == "left" else 0.8)
        canvas.glow(light_x, horizon * 0.45, canvas.unit * 0.6, pal.glow, HIDDEN_LIGHT)
    if "lightning" in plan.weather:
        layers.paint_lightning(canvas, pal, stream(plan, "lightning"), horizon)
    canvas.composite_glow()  # halos of the sky belong behind the landscape
    # Each landscape layer has its own stream: how many draws one makes depends on the canvas size, and that
    # must not move the next layer (a small preview has the same composition as the full-size picture).
    if "mountains" in plan.terrain:
        mountains = stream(plan, "mountains")
        layers.paint_mountains(canvas, pal, horizon, mountains, snowy or mountains.random() < 0.4, zoom)
    if "hills" in plan.terrain:
        layers.paint_hills(canvas, pal, horizon, stream(plan, "hills"), snowy, (0.015 if sea else 0.035) * zoom)
    if "fog" in plan.weather:
        layers.paint_fog(canvas, pal, stream(plan, "fog-far"), horizon, 0.12, 0.75)
    if "city" in plan.terrain:
        strength = LIGHT_STRENGTH[plan.time_of_day]
        layers.paint_city(canvas, pal, horizon + canvas.height * 0.01, stream(plan, "city"), strength, zoom)
    if "forest" in plan.terrain:
        baseline = horizon + canvas.height * (0.0 if sea else 0.04)
        layers.paint_forest(canvas, pal, baseline, stream(plan, "forest"), snowy, zoom)
    coast = None
    if sea:
        reflect = (geom[0], 1.0 if plan.celestial == "moon" else 0.8) if geom is not None else None
        layers.paint_sea(canvas, pal, horizon + canvas.height * 0.005, stream(plan, "sea"), reflect)
        canvas.composite_glow()
        coast = coast_side(plan)
    terrain_rng = stream(plan, "ground")
    base = canvas.height * max(comp.ground, comp.horizon + 0.1)
    if plan.subjects and SPRITES[plan.subjects[0].name].anchor == "plane":
        base = canvas.height * (comp.horizon + (1.0 - comp.horizon) * 0.2)  # room for the tracks to recede
    main_is_sea = bool(plan.subjects) and SPRITES[plan.subjects[0].name].anchor == "sea"
    if sea and main_is_sea and not any(SPRITES[s.name].anchor in ("ground", "float") for s in plan.subjects):
        ground = None
    else:
        flat = any(s.name in ("train", "bridge") for s in plan.subjects)
        ground = layers.near_ground(canvas, terrain_rng, base, 0.004 if flat else 0.02, coast)
        layers.paint_ground(canvas, pal, ground, snowy, rocky=sea)
        if not snowy and not sea and plan.time_of_day != "storm":
            layers.paint_grass(canvas, pal, ground, stream(plan, "grass"))
        if flat:
            paint_rails(canvas, pal, ground)
    if "fog" in plan.weather:
        layers.paint_fog(canvas, pal, stream(plan, "fog-near"), canvas.height * 0.9, 0.1, 0.45)
    return Stage(horizon, ground, sea, coast, None, geom)


def paint_rails(canvas: Canvas, pal: Palette, ground: layers.Ground) -> None:
    pen = canvas.pen()
    y = float(np.median(ground.ys)) + canvas.unit * 0.012
    pen.rect(0, y, canvas.width, y + canvas.unit * 0.006)
    x = 0.0
    while x < canvas.width:
        pen.rect(x, y + canvas.unit * 0.004, x + canvas.unit * 0.012, y + canvas.unit * 0.014)
        x += canvas.unit * 0.035
    canvas.fill(pen, mix(pal.near, pal.face, 0.25))


def paint_indoor(canvas: Canvas, plan: ScenePlan, pal: Palette) -> Stage:
    comp = plan.composition
    side = comp.light_side
    room = layers.paint_room(canvas, pal, stream(plan, "room"), side, comp.floor, comp.window)
    props = vocabulary().interiors[plan.room].props if plan.room is not None else PLAIN_ROOM_PROPS
    paint_props(canvas, pal, scene_props(props, comp.slot), room.floor_y, room.window, stream(plan, "props"))
    wx0, wy0, wx1, wy1 = room.window
    box = (int(wx0), int(wy0), int(wx1), int(wy1))
    geom = None
    if plan.celestial != "none":
        geom = ((wx0 + wx1) / 2 + (wx1 - wx0) * 0.2, wy0 + (wy1 - wy0) * 0.3, (wx1 - wx0) * 0.12)
    layers.paint_sky(
        canvas,
        pal,
        wy1 + (wy1 - wy0) * 0.2,
        stream(plan, "sky"),
        cloud_cover(plan, stream(plan, "clouds")),
        geom,
        plan.time_of_day == "storm",
        box,
    )
    if plan.time_of_day == "night":
        layers.paint_stars(canvas, pal, box, stream(plan, "stars"), density=1.5)
    paint_celestial(canvas, plan, pal, geom)
    canvas.composite_glow()
    if "rain" in plan.weather:
        streaks = canvas.pen(box)
        r = stream(plan, "rain")
        for _ in range(60):
            x, y = float(r.uniform(wx0, wx1)), float(r.uniform(wy0, wy1))
            streaks.line([(x, y), (x - 3, y + canvas.unit * 0.03)], max(1.0, canvas.unit * 0.0012))
        canvas.fill(streaks, pal.face, alpha=0.35)
    layers.paint_window_frame(canvas, pal, room.window)
    light = pal.light if plan.time_of_day in ("night", "day") else pal.glow
    far_x = canvas.width * (0.75 if side == "left" else 0.25)
    canvas.beam(((wx0 + wx1) / 2, (wy0 + wy1) / 2), (far_x, room.floor_y + canvas.height * 0.1), 0.35, light, 0.12)
    return Stage(room.floor_y, None, False, None, room.floor_y, geom)


def light_direction(stage: Stage, canvas: Canvas) -> tuple[float, float]:
    if stage.celestial is not None:
        return stage.celestial[0], stage.celestial[1]
    return canvas.width * 0.2, 0.0


Region = tuple[Subject, np.ndarray]  # a subject and where it is drawn: a boolean mask of the canvas


def paint_subjects(
    canvas: Canvas,
    plan: ScenePlan,
    pal: Palette,
    stage: Stage,
    placements: list[Placement],
    regions: list[Region] | None = None,
) -> None:
    tones = tone_colors(pal)
    strength = LIGHT_STRENGTH[plan.time_of_day]
    lx, ly = light_direction(stage, canvas)
    rng = stream(plan, "sprites")
    on_table = [p for p in placements if p.sprite.anchor in ("table", "branch")]
    if stage.floor_y is not None and on_table:
        x0 = min(p.x for p in on_table) - canvas.unit * 0.08
        x1 = max(p.x + p.w for p in on_table) + canvas.unit * 0.08
        top = stage.floor_y - canvas.unit * TABLE_HEIGHT
        layers.paint_table(canvas, pal, x0, x1, top, stage.floor_y)
    # back to front by where they stand, in steps of a twentieth of the height (so a preview keeps the order);
    # characters in front of things (a house never hides the bear beside it), the main subject last
    anatomy = vocabulary().anatomy
    for p in sorted(
        placements, key=lambda q: (q.main, q.sprite.name in anatomy, round((q.y + q.h) / canvas.height * 20))
    ):
        prims = p.sprite.build(rng)
        body = scale(pal.near, 0.85) if p.main else mix(pal.near, pal.mid, 0.3)
        detail = body
        sprite_tones = tones
        if p.sprite.anchor == "branch" and stage.floor_y is None:
            paint_branch(canvas, pal, p, body)
        if p.subject is not None:
            prims, body, detail, sprite_tones = character(plan, p, prims, pal, body, tones, canvas.width)
            if regions is not None:
                regions.append((p.subject, subject_mask(p, prims, canvas)))
        if p.sprite.anchor == "plane":
            body = mix(pal.snow, pal.near, 0.65) if "snow" in plan.terrain else scale(pal.near, 0.6)
        rim = None
        if p.main:
            cx, cy = p.centre
            d = np.hypot(lx - cx, ly - cy) or 1.0
            shift = canvas.unit * 0.0045
            rim = (mix(pal.glow, pal.light, 0.4), -(lx - cx) / d * shift, -(ly - cy) / d * shift)
        draw_sprite(canvas, p, prims, body, sprite_tones, strength, rim, detail)
        if p.sprite.name == "lighthouse":
            lamp = (p.x + p.w * 0.5, p.y + p.h * 0.16)
            target = (canvas.width * (0.0 if p.centre[0] > canvas.width / 2 else 1.0), lamp[1] + canvas.height * 0.05)
            canvas.beam(lamp, target, 0.12, pal.window, 0.45 * strength)


LIT = {"day": 1.0, "dawn": 0.9, "sunset": 0.88, "fog": 0.9, "storm": 0.76, "night": 0.8}
KEY_LIGHT_MIX = 0.12  # how far a named colour leans towards the scene's light: lit, but still itself


def lit(rgb: Color, plan: ScenePlan, pal: Palette) -> Color:
    """A named colour under the scene's light: dimmer at night, a little towards the light's colour."""
    light = pal.window if plan.indoor and plan.warmth > 0 else pal.glow
    return mix(scale(rgb, LIT[plan.time_of_day]), light, KEY_LIGHT_MIX)


def pose_of(plan: ScenePlan, p: Placement) -> str:
    """The pose the prompt names, else one per shot and subject (the scenes of an episode vary it)."""
    if plan.pose is not None:
        return plan.pose
    name = p.subject.name if p.subject is not None else p.sprite.name
    return POSES[(plan.composition.slot + zlib.crc32(name.encode())) % len(POSES)]


def character(
    plan: ScenePlan, p: Placement, prims: list[Prim], pal: Palette, body: Color, tones: dict[str, Color], width: int
) -> tuple[list[Prim], Color, Color, dict[str, Color]]:
    """A character's primitives dressed and posed, its body and detail colours and its tones (features' colours)."""
    subject = p.subject
    assert subject is not None
    vocab = vocabulary()
    anatomy = vocab.anatomy.get(p.sprite.name)
    tones = dict(tones)
    for trait in subject.features:
        tones[TRAIT_TONE + trait.feature] = lit(trait.rgb, plan, pal)
    named = subject.body
    if anatomy is None:  # a thing, not a character: only a named colour changes it
        if named is not None:
            body = lit(named.rgb, plan, pal)
            if not any(pr.layer == "body" for pr in prims):
                prims = [
                    Prim(pr.kind, pr.geom, pr.layer, "trait:body", pr.width, pr.glow) if pr.layer == "face" else pr
                    for pr in prims
                ]
                tones["trait:body"] = body
        return prims, body, body, tones
    colour = lit(named.rgb if named is not None else natural_colour(subject, anatomy), plan, pal)
    if (
        anatomy.clothed
        and subject.name != "ghost"
        and not any(vocab.features[t.feature].part in CLOTHES_PARTS for t in subject.features)
    ):
        subject = replace(subject, traits=(*subject.traits, Trait("top", "", colour)))  # their clothes
        tones[TRAIT_TONE + "top"] = colour
    if anatomy.clothed and subject.name != "ghost":
        colour = lit(SKIN, plan, pal)  # a person's own colour is their clothes'; head and hands stay plain
    if not any(pr.layer == "body" for pr in prims):  # a ghost is all face: its colour is its face's
        prims = [
            Prim(pr.kind, pr.geom, pr.layer, "trait:body", pr.width, pr.glow) if pr.layer == "face" else pr
            for pr in prims
        ]
        tones["trait:body"] = colour
    parts = {key: f.part for key, f in vocab.features.items()}
    prims = dressed(prims, subject, anatomy, p.sprite.aspect, parts)
    if p.sprite.anchor == "ground":
        mirror = not anatomy.upright and p.centre[0] > width / 2  # a side view faces into the picture
        prims = posed(prims, pose_of(plan, p), anatomy, mirror)
    return prims, colour, scale(colour, 0.35), tones


SKIN: Color = (96, 80, 76)
CLOTHES_PARTS = frozenset(("torso", "coat", "dress"))
CLOTHES: tuple[Color, ...] = ((150, 60, 60), (60, 110, 150), (70, 120, 80), (150, 110, 60), (110, 80, 140))


def natural_colour(subject: Subject, anatomy: Anatomy) -> Color:
    """The body colour when the prompt names none: the animal's own, or clothes chosen by the description."""
    if not anatomy.clothed or subject.name == "ghost":
        return anatomy.natural
    return CLOTHES[zlib.crc32(repr((subject.name, subject.traits)).encode()) % len(CLOTHES)]


def subject_mask(p: Placement, prims: list[Prim], canvas: Canvas) -> np.ndarray:
    """Where a placed sprite covers the canvas (every layer, holes cut), as a boolean array."""
    pad = max(p.w, p.h) * 0.45
    box = canvas.clip_box(p.x - pad, p.y - pad, p.x + p.w + pad, p.y + p.h + pad)
    full = np.zeros((canvas.height, canvas.width), bool)
    if box[0] >= box[2] or box[1] >= box[3]:
        return full
    pen = canvas.pen(box)
    draw_silhouette(pen, prims, p)
    full[box[1] : box[3], box[0] : box[2]] = np.asarray(pen.mask()) > 127
    return full


def paint_branch(canvas: Canvas, pal: Palette, p: Placement, color: Color) -> None:
    """A bough reaching in from the nearer edge for a perching bird."""
    y = p.y + p.h * 0.97
    from_left = p.centre[0] < canvas.width / 2
    x_edge = -10.0 if from_left else canvas.width + 10.0
    x_tip = p.x + p.w * (1.3 if from_left else -0.3)
    u = canvas.unit
    t0, t1 = u * 0.05, u * 0.016
    pen = canvas.pen(
        canvas.clip_box(min(x_edge, x_tip) - u * 0.1, y - u * 0.16, max(x_edge, x_tip) + u * 0.1, y + u * 0.12)
    )
    pen.polygon(
        [
            (x_edge, y - t0 * 0.1),
            (x_tip, y),
            (x_tip + (x_tip - x_edge) * 0.08, y + t1 * 0.3),
            (x_tip, y + t1),
            (x_edge, y + t0),
        ]
    )
    direction = 1 if from_left else -1
    for k, frac in enumerate((0.18, 0.5, 1.02)):
        bx = x_edge + (x_tip - x_edge) * frac
        up = -1 if k % 2 == 0 else 1
        tip = (bx + direction * u * 0.07, y + up * u * 0.06)
        pen.line([(bx, y + t1 * 0.5), tip], u * 0.008)
        for j in range(5):
            a = j * 1.25 + k * 0.7
            ca, sa = float(np.cos(a)), float(np.sin(a))
            length, half = u * 0.045, u * 0.012
            mx, my = tip[0] + ca * length * 0.5, tip[1] + sa * length * 0.5
            pen.polygon(
                [
                    tip,
                    (mx - sa * half, my + ca * half),
                    (tip[0] + ca * length, tip[1] + sa * length),
                    (mx + sa * half, my - ca * half),
                ]
            )
    canvas.fill(pen, color)


def sprite_mask(name: str, height: int, seed: int = 0) -> Image.Image:
    """The full silhouette of one vocabulary sprite (every layer, holes cut) as an L mask, for inspection."""
    sprite = SPRITES[name]
    width = max(1, round(height * sprite.aspect))
    pad = round(height * 0.4)
    p = Placement(sprite, pad, pad, width, height, True)
    pen = MaskPen((0, 0, width + 2 * pad, height + 2 * pad))
    prims = sprite.build(np.random.default_rng(seed))
    draw_silhouette(pen, prims, p)
    return pen.mask()


def focal_point(plan: ScenePlan, canvas: Canvas, stage: Stage, placements: list[Placement]) -> tuple[float, float]:
    """The main subject's centre, else the sun/moon when it is the subject, else the scene's centre of interest."""
    if placements:
        x, y = placements[0].centre
    elif stage.celestial is not None and plan.celestial_subject:
        x, y = stage.celestial[0], stage.celestial[1]
    else:
        x, y = canvas.width / 2, stage.horizon
    return (round(min(1.0, max(0.0, x / canvas.width)), 4), round(min(1.0, max(0.0, y / canvas.height)), 4))


def soften(canvas: Canvas) -> None:
    """Blur what is painted so far, as a close-up's out-of-focus background: the same blur at every size."""
    w, h = canvas.width, canvas.height
    k = SOFTEN_SIDE / canvas.unit
    if k >= 1.0:
        return  # smaller than the blur's own resolution: nothing to soften
    small = canvas.image.resize((max(8, round(w * k)), max(8, round(h * k))), Image.Resampling.BOX)
    canvas.image = small.resize((w, h), Image.Resampling.BICUBIC)


def scene_palette(plan: ScenePlan) -> Palette:
    """The time of day's palette in the room's colours and the shot's light, graded by mood and genre, then the
    light's colour temperature and contrast."""
    pal = base_palette(plan.time_of_day, plan.dusk)
    if plan.room is not None:
        room = vocabulary().interiors[plan.room]
        pal = furnished(pal, room.wall, room.floor)
    slot = plan.composition.slot
    pal = shot_lit(warmed(pal, plan.composition.warmth), plan.time_of_day, slot, plan.indoor, plan.warmth >= 0)
    return tempered(graded(pal, plan.mood, plan.genre), plan.warmth, plan.contrast)


def render_plan(
    plan: ScenePlan, width: int, height: int, regions: list[Region] | None = None
) -> tuple[Image.Image, tuple[float, float]]:
    """Paint ``plan`` at ``width`` x ``height``; returns the picture and the focal point.

    With ``regions`` (a list to fill), each character's drawn mask is appended to it, to measure its colours.
    """
    comp = plan.composition
    pal = scene_palette(plan)
    canvas = Canvas(width, height)
    stage = paint_indoor(canvas, plan, pal) if plan.indoor else paint_outdoor(canvas, plan, pal)
    if comp.framing == "close":
        soften(canvas)
    strength = LIGHT_STRENGTH[plan.time_of_day]
    paint_foreground(canvas, pal, comp, plan.terrain, plan.indoor, strength, stream(plan, "foreground"))
    # the scene's light falls on the set; characters are lit on their own, so their colours stay true
    centre = light_centre(plan, stage, canvas)
    canvas.image = layers.light_falloff(
        canvas.image, stream(plan, "light"), LIGHT_FALLOFF, centre, LIGHT_REACH, DAPPLE, VIGNETTE
    )
    placements = layout(plan, canvas, stage, stream(plan, "placement"))
    paint_subjects(canvas, plan, pal, stage, placements, regions)
    if not plan.indoor:
        if "rain" in plan.weather:
            layers.paint_rain(canvas, pal, stream(plan, "rain"))
        if "snow" in plan.weather:
            layers.paint_snowfall(canvas, pal, stream(plan, "snowfall"))
    canvas.composite_glow()
    image = layers.grain(canvas.image, stream(plan, "grain"))
    return image, focal_point(plan, canvas, stage, placements)


VIGNETTE = 0.0  # darker corners, kept light: the scene's own light falloff does the shaping
LIGHT_FALLOFF = 0.3  # how much darker the far side of the picture is than where the light comes from
DAPPLE = 0.35
LIGHT_REACH = 2.2  # the falloff is centred this many times further out than the light (see light_falloff)


def light_centre(plan: ScenePlan, stage: Stage, canvas: Canvas) -> tuple[float, float]:
    """Where the scene's light comes from, as fractions of the size: the sun or moon, else the lit side."""
    if stage.celestial is not None:
        x, y = stage.celestial[0] / canvas.width, stage.celestial[1] / canvas.height
    else:
        x, y = (0.1 if plan.composition.light_side == "left" else 0.9), 0.25 + 0.4 * plan.composition.light_height
    return (x, y)


def validate_size(width: int, height: int) -> None:
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or not MIN_SIZE <= value <= MAX_SIDE:
            raise ValueError(f"image {name} must be an integer between {MIN_SIZE} and {MAX_SIDE} pixels, got {value!r}")


def illustrate(prompt: str, mood: str, genre: str, seed: int, width: int, height: int) -> Illustration:
    """A PNG illustration of ``prompt``; the same arguments always give the same bytes."""
    validate_size(width, height)
    if not prompt.strip():
        raise ValueError("image prompt is empty: give the scene's image_prompt some words to draw")
    plan = plan_scene(prompt, mood, genre, seed)
    image, focal = render_plan(plan, width, height)
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return Illustration(buf.getvalue(), width, height, focal, plan)
