"""Colour grades move colours the way their names say; unknown presets are a clear error."""

from __future__ import annotations

from pathlib import Path

import ffmpeg
import numpy as np
import pytest
from PIL import Image

from storyvid_assets.render.compiler import apply
from storyvid_assets.render.ffmpeg import run_ffmpeg
from storyvid_assets.render.look import GRADES, Filter, grade_filter, grain_filter, still_filters, vignette_filter


def _graded(tmp_path: Path, grade: str, extra: list[Filter] | None = None) -> np.ndarray:
    source = tmp_path / "grey.png"
    if not source.exists():
        ramp = np.linspace(40, 215, 256, dtype=np.uint8)
        Image.fromarray(np.stack([np.tile(ramp, (128, 1))] * 3, axis=-1)).save(source)
    out = tmp_path / f"{grade}{len(extra or [])}.png"
    graded = apply(
        ffmpeg.input(str(source)).video, [*grade_filter(grade), *(extra or []), Filter("format", args=("rgb24",))]
    )
    run_ffmpeg(graded.output(str(out), **{"frames:v": 1}).get_args(overwrite_output=True))
    return np.asarray(Image.open(out).convert("RGB"), dtype=float)


def test_warm_grade_warms_and_cold_grade_cools_and_desaturates(tmp_path: Path) -> None:
    neutral, warm, cold = (_graded(tmp_path, g) for g in ("neutral", "warm_bedtime", "cold_horror"))
    warmth = lambda a: float((a[..., 0] - a[..., 2]).mean())  # noqa: E731
    assert warmth(warm) > warmth(neutral) + 5
    assert warmth(cold) < warmth(neutral) - 5


def test_vignette_darkens_corners_not_the_centre(tmp_path: Path) -> None:
    plain, vignetted = _graded(tmp_path, "neutral"), _graded(tmp_path, "neutral", vignette_filter(0.8))
    assert vignetted[:8, :8].mean() < plain[:8, :8].mean() - 10
    assert abs(vignetted[60:68, 124:132].mean() - plain[60:68, 124:132].mean()) < 4


@pytest.mark.parametrize("grade", sorted(GRADES))
def test_every_grade_is_a_filter_chain_ffmpeg_accepts(tmp_path: Path, grade: str) -> None:
    assert _graded(tmp_path, grade).shape == (128, 256, 3)


def test_presets_and_strengths() -> None:
    assert set(GRADES) == {"neutral", "warm_bedtime", "cold_horror", "vivid", "faded_film"}
    assert vignette_filter(0) == [] and grain_filter(0) == []
    with pytest.raises(ValueError, match="use one of"):
        grade_filter("sepia_dream")


def test_grain_is_one_texture_on_stills_and_animated_per_frame() -> None:
    """One grain formula: a fixed texture baked into the stills, or new noise per frame (``high``)."""
    (baked,) = still_filters("neutral", 0.0, 0.5, animated_grain=False)
    (animated,) = grain_filter(0.5)
    assert baked.options == {**animated.options, "c0f": "u"} and animated.options["c0f"] == "t"
    assert still_filters("neutral", 0.0, 0.5, animated_grain=True) == []
