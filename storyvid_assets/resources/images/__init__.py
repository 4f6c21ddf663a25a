"""Image providers: one illustration per scene."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg

from storyvid_assets.errors import ProviderError
from storyvid_assets.imaging import illustrate
from storyvid_assets.models import GeneratedImage, ImageStyle


class ImageProvider(dg.ConfigurableResource):
    """Illustrates one scene prompt at (at least) the requested size."""

    @abstractmethod
    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        """A PNG illustration of ``prompt``."""


class ProceduralImages(ImageProvider):
    """Local, offline illustrations painted from the prompt's words (sky, landscape, silhouettes of named things).

    Deterministic for ``(prompt, style.seed)``; the mood and genre grade the colours.
    """

    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        try:
            picture = illustrate(prompt, style.mood, style.genre, style.seed, width, height)
        except ValueError as exc:
            raise ProviderError("procedural", str(exc)) from exc
        return GeneratedImage(
            png=picture.png,
            width=picture.width,
            height=picture.height,
            provider="procedural",
            focal_point=picture.focal_point,
        )
