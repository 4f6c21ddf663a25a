"""Speech providers: turn scene texts into narration audio with measured word timings."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg

from storyvid_assets.models import SpeechResult, VoiceSettings


class SpeechProvider(dg.ConfigurableResource):
    """Narrates a story. Timings are measured from the synthesized audio, never estimated."""

    @abstractmethod
    def synthesize(self, scenes: list[str], voice: VoiceSettings) -> SpeechResult:
        """Narrate ``scenes`` in order as one audio track (mono 16-bit WAV) with sentence/word timings."""

    @abstractmethod
    def voices(self) -> list[str]:
        """Voice ids this provider offers."""
