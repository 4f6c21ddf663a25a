"""Speech providers: turn scene texts into narration audio with measured word timings."""

from __future__ import annotations

from abc import abstractmethod

import dagster as dg
from pydantic import Field

from storyvid_assets.models import SpeechResult, VoiceSettings
from storyvid_assets.speech.espeak import list_variants, list_voices, narrate


class SpeechProvider(dg.ConfigurableResource):
    """Narrates a story. Timings are measured from the synthesized audio, never estimated."""

    @abstractmethod
    def synthesize(self, scenes: list[str], voice: VoiceSettings) -> SpeechResult:
        """Narrate ``scenes`` in order as one audio track (mono 16-bit WAV) with sentence/word timings."""

    @abstractmethod
    def voices(self) -> list[str]:
        """Voice ids this provider offers."""


class EspeakSpeech(SpeechProvider):
    """Local, offline narration with espeak-ng (library and voices from the ``espeakng-loader`` wheel).

    Each scene is one synthesis call; word starts come from espeak-ng's word and phoneme events, word ends
    from the next start trimmed of measured silence. The sample rate is espeak-ng's own (22050 Hz).
    """

    scene_pause_s: float = Field(default=0.6, ge=0.0, le=5.0, description="Silence between scenes, seconds.")
    lead_s: float = Field(default=0.3, ge=0.0, le=5.0, description="Silence before and after the narration.")

    def synthesize(self, scenes: list[str], voice: VoiceSettings) -> SpeechResult:
        return narrate(scenes, voice, scene_pause=self.scene_pause_s, lead=self.lead_s).result

    def voices(self) -> list[str]:
        """Language ids espeak-ng can speak (``en-us``, ``en-gb``, ...); append ``+<variant>`` to vary them."""
        return sorted({voice.language for voice in list_voices()})

    def variants(self) -> list[str]:
        """Variant names for ``<voice>+<variant>`` (``f3``, ``m2``, ``klatt``, ...)."""
        return list_variants()
