"""Colour grades, vignette and film grain as ffmpeg filters.

Everything that can be is applied once to each prepared still, so it costs nothing per frame: the grade (pixel-wise,
exact), the vignette (measured at ~5 ms per 1080p frame when run per frame, a quarter of x264's own time; baked
into the still it moves a little with the camera, which is subtle at our 12-14% moves) and, below the ``high``
preset, the grain as a fixed texture. The ``high`` preset animates the grain per frame.

Filters are data (:class:`Filter`); the compiler applies them to its stream graph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Value = str | int | float


@dataclass(frozen=True)
class Filter:
    """One ffmpeg filter: named options and positional values, as ffmpeg reads them (the graph builder escapes).

    Positional values must be plain words (ffmpeg-python escapes them twice).
    """

    name: str
    options: dict[str, Value] = field(default_factory=dict)
    args: tuple[Value, ...] = ()


GRADES: dict[str, list[Filter]] = {
    "neutral": [],
    # warm, soft, slightly lifted shadows: bedtime
    "warm_bedtime": [
        Filter(
            "colorbalance",
            {"rs": 0.05, "gs": 0.01, "bs": -0.07, "rm": 0.06, "gm": 0.01, "bm": -0.06, "rh": 0.03, "bh": -0.04},
        ),
        Filter("eq", {"saturation": 1.06, "gamma": 1.04, "contrast": 0.96}),
    ],
    # cold, desaturated, crushed: horror
    "cold_horror": [
        Filter(
            "colorbalance", {"rs": -0.06, "gs": -0.01, "bs": 0.09, "rm": -0.05, "bm": 0.06, "rh": -0.02, "bh": 0.03}
        ),
        Filter("eq", {"saturation": 0.72, "contrast": 1.12, "gamma": 0.94}),
    ],
    "vivid": [Filter("eq", {"saturation": 1.28, "contrast": 1.06})],
    "faded_film": [
        Filter("curves", {"all": "0/0.07 0.5/0.5 1/0.93"}),
        Filter("eq", {"saturation": 0.85}),
        Filter("colorbalance", {"rs": 0.03, "bs": -0.02, "rh": 0.02, "bh": -0.03}),
    ],
}


def grade_filter(grade: str) -> list[Filter]:
    """Filters for a grade preset (none for neutral); raises with the valid names for an unknown one."""
    if grade not in GRADES:
        raise ValueError(f"unknown colour grade {grade!r}; use one of {sorted(GRADES)}")
    return list(GRADES[grade])


def vignette_filter(strength: float) -> list[Filter]:
    """Darkened corners, strength 0..1 (0 = none)."""
    if strength <= 0:
        return []
    return [Filter("vignette", {"angle": f"{0.25 + 0.5 * min(strength, 1.0):.3f}", "eval": "init"})]


def grain_filter(strength: float, animated: bool = True, seed: int = 7) -> list[Filter]:
    """Luma grain, strength 0..1 (0 = none): new noise every frame (``animated``) or one fixed texture."""
    if strength <= 0:
        return []
    level = max(1, round(14 * min(strength, 1.0)))
    return [Filter("noise", {"c0s": level, "c0f": "t" if animated else "u", "all_seed": seed})]


def still_filters(grade: str, vignette: float, grain: float, animated_grain: bool) -> list[Filter]:
    """Filters applied once to each scene's still: grade, vignette and (unless animated per frame) grain."""
    fixed_grain = [] if animated_grain else grain_filter(grain, animated=False)
    return [*grade_filter(grade), *vignette_filter(vignette), *fixed_grain]
