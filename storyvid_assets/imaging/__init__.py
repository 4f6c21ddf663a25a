"""Local procedural illustration: scene prompts painted as layered silhouette pictures."""

from __future__ import annotations

from storyvid_assets.imaging.illustrate import Illustration, illustrate

__all__ = ["Illustration", "illustrate"]
