"""Image providers: one illustration per scene."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg
from pydantic import BaseModel

from storyvid_assets.models import ImageStyle


class GeneratedImage(BaseModel):
    png: bytes
    width: int
    height: int
    provider: str
    revised_prompt: str | None = None


class ImageProvider(dg.ConfigurableResource):
    """Illustrates one scene prompt at (at least) the requested size."""

    @abstractmethod
    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        """A PNG illustration of ``prompt``."""
