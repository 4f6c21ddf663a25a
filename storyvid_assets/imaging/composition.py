"""Shot composition: camera framing, subject position, horizon, foreground and light for one scene.

The scenes of an episode are drawn with consecutive seeds (``episode seed + scene index``), so the shot is
chosen by ``seed % len(SHOTS)``: any two scenes of an episode with up to ``len(SHOTS)`` scenes get different
shots, and any two shots of the table differ in at least three of their five aspects. That keeps pictures of
the same characters in the same place clearly different from scene to scene. Small random offsets on top keep
the same shot from looking identical across episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Framing = Literal["medium", "wide", "close"]
Position = Literal["centre", "left", "right"]
HorizonLevel = Literal["mid", "low", "high"]
Foreground = Literal["none", "low", "high"]  # nothing, a clump in a bottom corner, an overhang in a top corner
Side = Literal["left", "right"]
WindowShape = Literal["standard", "tall", "wide"]


@dataclass(frozen=True)
class Shot:
    framing: Framing
    position: Position
    horizon: HorizonLevel
    foreground: Foreground
    light: Side  # the sun or moon outdoors, the window indoors


# Every pair of shots differs in at least three of the five aspects, and the table was searched to keep the most
# visible differences (light side, subject left against right, close against wide, a foreground or none) in every
# pair. Shot 0 is the plain medium shot of the centred subject.
SHOTS: tuple[Shot, ...] = (
    Shot("medium", "centre", "mid", "none", "right"),
    Shot("close", "left", "low", "none", "right"),
    Shot("wide", "right", "low", "low", "right"),
    Shot("close", "centre", "mid", "high", "left"),
    Shot("medium", "left", "low", "high", "left"),
    Shot("wide", "left", "high", "low", "left"),
    Shot("close", "right", "high", "none", "left"),
    Shot("medium", "right", "high", "high", "right"),
    Shot("wide", "centre", "low", "none", "left"),
    Shot("close", "centre", "high", "low", "right"),
    Shot("medium", "right", "mid", "low", "left"),
    Shot("wide", "left", "mid", "high", "right"),
)

SUBJECT_X: dict[Position, float] = {"centre": 0.5, "left": 0.31, "right": 0.69}
HORIZON_Y: dict[HorizonLevel, float] = {"mid": 0.6, "low": 0.46, "high": 0.74}
SUBJECT_SCALE: dict[Framing, float] = {"wide": 0.62, "medium": 1.0, "close": 1.6}
GROUND_Y: dict[Framing, float] = {"wide": 0.77, "medium": 0.83, "close": 0.9}  # the near ground subjects stand on
FLOOR_Y: dict[Framing, float] = {"wide": 0.7, "medium": 0.77, "close": 0.86}  # indoors
LANDSCAPE_ZOOM: dict[Framing, float] = {"wide": 0.8, "medium": 1.0, "close": 1.35}
COMPANION_SPREAD: dict[Framing, float] = {"wide": 0.24, "medium": 0.3, "close": 0.36}
WINDOW: dict[HorizonLevel, WindowShape] = {"mid": "standard", "low": "tall", "high": "wide"}  # indoors


@dataclass(frozen=True)
class Composition:
    """Where the camera is and what frames the picture; fractions are of the canvas width or height."""

    slot: int = 0
    framing: Framing = "medium"
    position: Position = "centre"
    subject_x: float = 0.5  # centre of the main subject
    horizon: float = 0.6  # outdoor horizon
    ground: float = 0.83  # outdoor near-ground line
    floor: float = 0.77  # indoor floor line
    foreground: Foreground = "none"
    foreground_side: Side = "left"
    light_side: Side = "right"  # the sun or moon outdoors, the window indoors
    light_height: float = 0.5  # 0 = high in the sky, 1 = low
    warmth: float = 0.0  # -1 cooler and dimmer .. 1 warmer light
    window: WindowShape = "standard"

    @property
    def subject_side(self) -> Side | None:
        if self.position == "centre":
            return None
        return "left" if self.position == "left" else "right"

    @property
    def subject_scale(self) -> float:
        return SUBJECT_SCALE[self.framing]

    @property
    def landscape_zoom(self) -> float:
        return LANDSCAPE_ZOOM[self.framing]

    @property
    def companion_spread(self) -> float:
        return COMPANION_SPREAD[self.framing]


def opposite(side: Side) -> Side:
    return "right" if side == "left" else "left"


def foreground_side_of(shot: Shot) -> Side:
    """A bottom clump stands away from the subject; an overhang hangs away from the light so it never hides it."""
    if shot.foreground == "high" or shot.position == "centre":
        return opposite(shot.light)
    return "right" if shot.position == "left" else "left"


def compose(seed: int, rng: np.random.Generator) -> Composition:
    """The composition for a scene drawn with style ``seed``; ``rng`` adds small offsets within the shot."""
    slot = seed % len(SHOTS)
    shot = SHOTS[slot]
    jitter = float(rng.uniform(-0.025, 0.025))
    return Composition(
        slot=slot,
        framing=shot.framing,
        position=shot.position,
        subject_x=SUBJECT_X[shot.position] + jitter,
        horizon=HORIZON_Y[shot.horizon] + float(rng.uniform(-0.02, 0.02)),
        ground=GROUND_Y[shot.framing] + float(rng.uniform(-0.015, 0.015)),
        floor=FLOOR_Y[shot.framing] + float(rng.uniform(-0.02, 0.02)),
        foreground=shot.foreground,
        foreground_side=foreground_side_of(shot),
        light_side=shot.light,
        light_height=float(np.clip(0.5 + 0.45 * np.sin(slot * 1.9) + rng.uniform(-0.08, 0.08), 0.0, 1.0)),
        warmth=float(np.clip(np.sin(slot * 2.4) + rng.uniform(-0.15, 0.15), -1.0, 1.0)),
        window=WINDOW[shot.horizon],
    )
