"""Music providers: a background bed for the narration, with licence evidence."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg

from storyvid_assets.models import MusicResult


class MusicProvider(dg.ConfigurableResource):
    """Composes or fetches a music bed of at least ``duration`` seconds in ``mood``."""

    @abstractmethod
    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        """Stereo or mono 16-bit WAV bytes, never clipping, with licence evidence."""
