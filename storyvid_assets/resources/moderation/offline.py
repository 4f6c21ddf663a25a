"""The offline image classifier: NudeNet's exposed-body-part detector, when the ``image-moderation`` extra is in.

NudeNet 3.4.2 ships its ONNX weights (``nudenet/320n.onnx``) inside the wheel, so nothing is downloaded at run
time. The detector is loaded once per process, on first use. It only sees nudity: violence, gore and self-harm
in pictures need the moderation endpoint.
"""

from __future__ import annotations

import io
import threading
from typing import Any

import numpy as np
from PIL import Image

NUDENET = "nudenet"
# NudeNet resizes to 320 px itself; a smaller decoded copy only saves memory and time on 2048 px scenes.
DETECT_MAX_SIDE = 640
# Exposed-body-part classes -> (policy category, highest level). Exposed buttocks are partial nudity (a
# cartoon bath scene), so they stay mild on their own; the others can reach severe. Covered parts, faces,
# feet, bellies, armpits and male chests are not findings.
NUDENET_CATEGORIES: dict[str, tuple[str, str]] = {
    "FEMALE_GENITALIA_EXPOSED": ("sexual", "severe"),
    "MALE_GENITALIA_EXPOSED": ("sexual", "severe"),
    "ANUS_EXPOSED": ("sexual", "severe"),
    "FEMALE_BREAST_EXPOSED": ("sexual", "severe"),
    "BUTTOCKS_EXPOSED": ("sexual", "mild"),
}
NOTE = (
    "pictures checked offline by NudeNet for exposed nudity only; violence, gore and self-harm in pictures are "
    "not checked (set OPENAI_API_KEY and STORYVID_MODERATION=openai for those)"
)

_lock = threading.Lock()
_detector: Any = None


def detector() -> Any | None:
    """NudeNet's detector (loaded once per process), or ``None`` when the package cannot be imported."""
    global _detector
    try:
        from nudenet import NudeDetector
    except ImportError:
        return None
    with _lock:
        if _detector is None:
            _detector = NudeDetector()
        return _detector


def detection_scores(detections: list[dict[str, Any]]) -> dict[str, float]:
    """The highest score of each exposed-body-part class in NudeNet's ``detect`` output (other classes dropped)."""
    scores: dict[str, float] = {}
    for detection in detections:
        name = str(detection.get("class", ""))
        if name in NUDENET_CATEGORIES:
            scores[name] = max(scores.get(name, 0.0), float(detection.get("score", 0.0)))
    return scores


def rgba_array(encoded: bytes, max_side: int = DETECT_MAX_SIDE) -> np.ndarray:
    """Decode a PNG/JPEG/WebP into the RGBA array NudeNet's preprocessing expects (it converts RGBA -> BGR)."""
    with Image.open(io.BytesIO(encoded)) as image:
        picture = image.convert("RGBA")
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))


def detect(model: Any, pictures: list[bytes]) -> list[list[dict[str, Any]]]:
    """NudeNet's detections for each encoded picture, in order."""
    return [model.detect(rgba_array(encoded)) for encoded in pictures]
