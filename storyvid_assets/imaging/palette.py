"""Colour palettes: a base palette per time of day, graded by the scene's mood and the channel's genre."""

from __future__ import annotations

import colorsys
from dataclasses import dataclass, fields, replace
from typing import Literal

Color = tuple[int, int, int]
TimeOfDay = Literal["night", "dawn", "day", "sunset", "storm", "fog"]
TIMES_OF_DAY: tuple[TimeOfDay, ...] = ("night", "dawn", "day", "sunset", "storm", "fog")


@dataclass(frozen=True)
class Palette:
    """Every colour a scene is painted with; all of them pass through the same grade."""

    sky_top: Color
    sky_mid: Color
    sky_horizon: Color
    light: Color  # the sun or moon disc
    glow: Color  # halo around the sun or moon, and rim light on the subject
    far: Color  # distant landscape (mountains), hazed towards the horizon
    mid: Color  # middle landscape (hills, forest, skyline)
    near: Color  # foreground ground and silhouettes
    face: Color  # lighter surfaces on silhouettes (clock faces, sails, ghosts)
    water: Color
    snow: Color
    window: Color  # warm lit windows, candle flames
    eye: Color  # animal eyes catching the light
    accent: Color  # a saturated note: balloons, kites, flowers
    gold: Color
    wall: Color  # interior back wall
    floor: Color  # interior floor


def mix(a: Color, b: Color, t: float) -> Color:
    """Linear blend from ``a`` (t=0) to ``b`` (t=1)."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def scale(c: Color, k: float) -> Color:
    """Brightness multiplied by ``k``, clipped to 0..255."""
    return (min(255, round(c[0] * k)), min(255, round(c[1] * k)), min(255, round(c[2] * k)))


BASE_PALETTES: dict[TimeOfDay, Palette] = {
    "night": Palette(
        sky_top=(8, 12, 38),
        sky_mid=(24, 34, 86),
        sky_horizon=(66, 70, 132),
        light=(250, 246, 222),
        glow=(170, 190, 255),
        far=(40, 48, 98),
        mid=(24, 30, 66),
        near=(10, 12, 28),
        face=(196, 204, 232),
        water=(18, 28, 70),
        snow=(150, 166, 214),
        window=(255, 196, 110),
        eye=(255, 224, 96),
        accent=(214, 76, 96),
        gold=(232, 190, 90),
        wall=(40, 40, 74),
        floor=(22, 20, 38),
    ),
    "dawn": Palette(
        sky_top=(58, 82, 156),
        sky_mid=(198, 148, 172),
        sky_horizon=(255, 204, 156),
        light=(255, 240, 200),
        glow=(255, 200, 150),
        far=(150, 130, 168),
        mid=(92, 82, 124),
        near=(36, 30, 52),
        face=(250, 226, 214),
        water=(150, 130, 170),
        snow=(242, 226, 236),
        window=(255, 206, 130),
        eye=(255, 226, 120),
        accent=(228, 86, 92),
        gold=(240, 196, 96),
        wall=(190, 160, 160),
        floor=(96, 70, 70),
    ),
    "day": Palette(
        sky_top=(60, 128, 214),
        sky_mid=(124, 180, 234),
        sky_horizon=(206, 228, 244),
        light=(255, 252, 236),
        glow=(255, 244, 210),
        far=(128, 160, 196),
        mid=(70, 124, 92),
        near=(34, 66, 42),
        face=(250, 248, 240),
        water=(60, 120, 180),
        snow=(244, 248, 255),
        window=(255, 222, 150),
        eye=(255, 230, 120),
        accent=(224, 64, 60),
        gold=(240, 200, 80),
        wall=(226, 214, 190),
        floor=(140, 104, 72),
    ),
    "sunset": Palette(
        sky_top=(36, 38, 98),
        sky_mid=(196, 88, 112),
        sky_horizon=(255, 170, 84),
        light=(255, 226, 150),
        glow=(255, 150, 80),
        far=(142, 78, 110),
        mid=(78, 44, 76),
        near=(30, 16, 36),
        face=(255, 214, 180),
        water=(120, 60, 96),
        snow=(246, 200, 200),
        window=(255, 200, 110),
        eye=(255, 220, 100),
        accent=(232, 70, 80),
        gold=(246, 190, 80),
        wall=(150, 90, 90),
        floor=(70, 36, 44),
    ),
    "storm": Palette(
        sky_top=(26, 30, 38),
        sky_mid=(56, 62, 74),
        sky_horizon=(98, 104, 112),
        light=(230, 236, 255),
        glow=(180, 196, 255),
        far=(66, 72, 82),
        mid=(40, 44, 52),
        near=(14, 16, 20),
        face=(170, 178, 190),
        water=(34, 42, 52),
        snow=(170, 178, 190),
        window=(250, 196, 110),
        eye=(240, 220, 110),
        accent=(176, 60, 60),
        gold=(200, 170, 90),
        wall=(60, 62, 70),
        floor=(30, 30, 34),
    ),
    "fog": Palette(
        sky_top=(132, 142, 152),
        sky_mid=(168, 174, 180),
        sky_horizon=(200, 202, 204),
        light=(250, 250, 244),
        glow=(230, 230, 226),
        far=(168, 172, 178),
        mid=(120, 126, 134),
        near=(56, 60, 66),
        face=(226, 228, 230),
        water=(140, 148, 156),
        snow=(226, 230, 236),
        window=(250, 210, 140),
        eye=(250, 226, 130),
        accent=(190, 80, 80),
        gold=(220, 190, 110),
        wall=(150, 150, 150),
        floor=(80, 78, 76),
    ),
}


@dataclass(frozen=True)
class Grade:
    """A colour grade: tint towards a hue, then saturation, brightness and contrast around mid-grey."""

    tint: Color = (128, 128, 128)
    tint_amount: float = 0.0
    saturation: float = 1.0
    brightness: float = 1.0
    contrast: float = 1.0


MOOD_GRADES: dict[str, Grade] = {
    "calm": Grade(tint=(255, 214, 170), tint_amount=0.06),
    "dreamy": Grade(tint=(214, 150, 255), tint_amount=0.12, saturation=1.05, brightness=1.05, contrast=0.92),
    "tense": Grade(tint=(90, 170, 160), tint_amount=0.12, saturation=0.8, brightness=0.92, contrast=1.12),
    "dark": Grade(tint=(40, 60, 110), tint_amount=0.16, saturation=0.7, brightness=0.78, contrast=1.1),
    "epic": Grade(tint=(255, 150, 60), tint_amount=0.08, saturation=1.18, brightness=1.02, contrast=1.15),
    "playful": Grade(tint=(255, 230, 120), tint_amount=0.06, saturation=1.28, brightness=1.1, contrast=1.02),
    "melancholy": Grade(tint=(110, 130, 170), tint_amount=0.14, saturation=0.68, brightness=0.92, contrast=0.95),
}

GENRE_GRADES: dict[str, Grade] = {
    "bedtime": Grade(tint=(255, 190, 210), tint_amount=0.06, saturation=1.04, brightness=1.04, contrast=0.95),
    "horror": Grade(tint=(70, 130, 100), tint_amount=0.12, saturation=0.66, brightness=0.82, contrast=1.15),
    "mystery": Grade(tint=(60, 90, 140), tint_amount=0.1, saturation=0.8, brightness=0.9, contrast=1.08),
    "adventure": Grade(tint=(255, 170, 90), tint_amount=0.05, saturation=1.12, contrast=1.05),
    "fantasy": Grade(tint=(180, 130, 255), tint_amount=0.08, saturation=1.1),
    "scifi": Grade(tint=(80, 200, 230), tint_amount=0.1, saturation=1.05, contrast=1.08),
    "comedy": Grade(tint=(255, 230, 140), tint_amount=0.05, saturation=1.2, brightness=1.06),
}


def grade_color(c: Color, grade: Grade) -> Color:
    """Apply ``grade`` to one colour."""
    r, g, b = (v / 255.0 for v in mix(c, grade.tint, grade.tint_amount))
    h, lum, s = colorsys.rgb_to_hls(r, g, b)
    r, g, b = colorsys.hls_to_rgb(h, lum, min(1.0, s * grade.saturation))
    out = []
    for v in (r, g, b):
        v = (v * grade.brightness - 0.5) * grade.contrast + 0.5
        out.append(min(255, max(0, round(v * 255))))
    return (out[0], out[1], out[2])


def _clamp(v: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, v))


def combine(a: Grade, b: Grade) -> Grade:
    """Apply ``a`` then ``b``, approximated as one grade, kept within limits so no scene goes murky or garish."""
    total = a.tint_amount + b.tint_amount
    tint = mix(a.tint, b.tint, b.tint_amount / total) if total > 0 else a.tint
    return Grade(
        tint=tint,
        tint_amount=min(0.22, total),
        saturation=_clamp(a.saturation * b.saturation, 0.55, 1.3),
        brightness=_clamp(a.brightness * b.brightness, 0.82, 1.12),
        contrast=_clamp(a.contrast * b.contrast, 0.88, 1.15),
    )


def grade_for(mood: str, genre: str) -> Grade:
    """The grade of a scene in ``mood`` on a channel of ``genre`` (unknown names grade neutrally)."""
    return combine(MOOD_GRADES.get(mood.lower(), Grade()), GENRE_GRADES.get(genre.lower(), Grade()))


def blend(a: Palette, b: Palette, t: float) -> Palette:
    """Every colour of ``a`` mixed towards ``b`` by ``t``."""
    return replace(a, **{f.name: mix(getattr(a, f.name), getattr(b, f.name), t) for f in fields(a)})


def base_palette(time_of_day: TimeOfDay, dusk: bool = False) -> Palette:
    """The palette of ``time_of_day``, leaning to night when ``dusk``."""
    base = BASE_PALETTES[time_of_day]
    return blend(base, BASE_PALETTES["night"], 0.5) if dusk else base


def graded(pal: Palette, mood: str, genre: str) -> Palette:
    """Every colour of ``pal`` graded by mood and genre."""
    grade = grade_for(mood, genre)
    return replace(pal, **{f.name: grade_color(getattr(pal, f.name), grade) for f in fields(pal)})


def graded_palette(time_of_day: TimeOfDay, mood: str, genre: str, dusk: bool = False) -> Palette:
    """The base palette of ``time_of_day`` (leaning to night when ``dusk``) graded by mood and genre."""
    return graded(base_palette(time_of_day, dusk), mood, genre)


WARM_SHIFT = 0.3  # how far the warmest / coolest shot moves the sky, landscape and walls
LIT_FIELDS = ("sky_top", "sky_mid", "sky_horizon", "far", "mid", "wall")


def warmed(pal: Palette, warmth: float) -> Palette:
    """The light of the shot: ``warmth`` > 0 leans towards the glow, < 0 towards a cooler, dimmer sky."""
    if warmth == 0:
        return pal
    target = pal.glow if warmth > 0 else scale(pal.sky_top, 0.85)
    t = WARM_SHIFT * min(1.0, abs(warmth))
    return replace(pal, **{name: mix(getattr(pal, name), target, t) for name in LIT_FIELDS})


AMBER: Color = (255, 158, 64)  # lamplight and low sun
MOONLIGHT: Color = (64, 104, 214)
TEMPER_SHIFT = 0.15  # how far the warmest / coldest light moves the lit colours
TEMPERED_FIELDS = (*LIT_FIELDS, "near", "floor", "water", "snow", "face")


def tempered(pal: Palette, warmth: float, contrast: float = 1.0) -> Palette:
    """The scene's light as colour temperature (``warmth`` -1 cold blue .. 1 warm amber) and contrast."""
    target = AMBER if warmth > 0 else MOONLIGHT
    t = TEMPER_SHIFT * min(1.0, abs(warmth))

    def one(c: Color) -> Color:
        c = mix(c, target, t)
        return (
            min(255, max(0, round((c[0] - 128) * contrast + 128))),
            min(255, max(0, round((c[1] - 128) * contrast + 128))),
            min(255, max(0, round((c[2] - 128) * contrast + 128))),
        )

    return replace(pal, **{name: one(getattr(pal, name)) for name in TEMPERED_FIELDS})


def furnished(pal: Palette, wall: Color, floor: Color, amount: float = 0.55) -> Palette:
    """An interior's own wall and floor colours, under the same grade (``amount`` of the way)."""
    return replace(pal, wall=mix(pal.wall, wall, amount), floor=mix(pal.floor, floor, amount))


# The light of each shot, by time of day: consecutive shots of an episode get different keys, so its scenes are
# not all lit alike (moonlight blue, then violet, then a teal night; gold, rose and crimson dusks).
SHOT_LIGHTS: dict[TimeOfDay, tuple[Color, ...]] = {
    "night": ((60, 100, 220), (160, 70, 200), (30, 160, 150), (220, 140, 70), (70, 150, 80)),
    "dawn": ((255, 170, 150), (150, 190, 255), (255, 210, 120), (200, 150, 220), (120, 200, 190)),
    "day": ((255, 220, 140), (120, 190, 255), (150, 220, 140), (255, 180, 150), (190, 200, 255)),
    "sunset": ((255, 150, 60), (230, 90, 120), (170, 90, 200), (255, 200, 90), (200, 60, 60)),
    "storm": ((60, 90, 150), (90, 140, 110), (130, 90, 150), (50, 60, 90), (170, 140, 90)),
    "fog": ((150, 180, 230), (150, 210, 160), (240, 180, 130), (170, 150, 220), (230, 160, 190)),
}
INDOOR_LIGHTS: dict[str, tuple[Color, ...]] = {  # lamps and candles indoors; a cold room by daylight
    "warm": ((255, 150, 60), (235, 80, 90), (250, 210, 80), (215, 100, 170), (200, 180, 70)),
    "cool": ((120, 150, 210), (150, 170, 200), (110, 170, 170), (170, 150, 200), (200, 200, 210)),
}
SHOT_LIGHT_SHIFT = 0.6
INDOOR_LIGHT_SHIFT = 0.8  # a lamp colours a room more than a sky colours a landscape
SHOT_EXPOSURE = (1.0, 0.62, 1.35, 0.8, 1.2, 0.52, 1.45)  # low-key and high-key shots (7: coprime with the keys)
SHOT_LIT_FIELDS = (*LIT_FIELDS, "near", "floor", "water")
SKY_FIELDS = ("sky_top", "sky_mid", "sky_horizon")  # tinted, not brightened: the moon still stands out
SKY_TINT = 0.85


def shot_lit(pal: Palette, time_of_day: TimeOfDay, slot: int, indoor: bool = False, warm: bool = True) -> Palette:
    """The palette under the light key of shot ``slot``: indoors lamplight when ``warm``, else the sky's light."""
    keys = INDOOR_LIGHTS["warm" if warm else "cool"] if indoor else SHOT_LIGHTS[time_of_day]
    target = keys[slot % len(keys)]
    exposure = SHOT_EXPOSURE[slot % len(SHOT_EXPOSURE)]
    shift = INDOOR_LIGHT_SHIFT if indoor else SHOT_LIGHT_SHIFT
    lit = {name: mix(getattr(pal, name), target, shift) for name in SHOT_LIT_FIELDS}
    lit |= {name: tinted(getattr(pal, name), target, SKY_TINT) for name in SKY_FIELDS}
    return replace(pal, **{name: scale(c, exposure) for name, c in lit.items()})


def luma(c: Color) -> float:
    return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]


def tinted(c: Color, light: Color, t: float) -> Color:
    """``c`` coloured ``t`` of the way towards ``light``'s hue, keeping its brightness (a night sky stays dark)."""
    k = luma(c) / max(1.0, luma(light))
    return mix(c, (min(255, round(light[0] * k)), min(255, round(light[1] * k)), min(255, round(light[2] * k))), t)
