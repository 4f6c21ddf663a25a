"""Music providers: a background bed for the narration, with licence evidence."""

from __future__ import annotations

from abc import abstractmethod
from datetime import UTC, datetime

import dagster as dg
import numpy as np

from storyvid_assets.audio.music import compose_music
from storyvid_assets.audio.wav import encode_wav, peak_dbfs
from storyvid_assets.errors import ProviderError
from storyvid_assets.models import LicenceEvidence, MusicResult


class MusicProvider(dg.ConfigurableResource):
    """Composes or fetches a music bed of at least ``duration`` seconds in ``mood``."""

    @abstractmethod
    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        """Stereo or mono 16-bit WAV bytes, never clipping, with licence evidence."""


SYNTH_TERMS = "Generated locally by StoryVid's synthesizer; no third-party material; free to publish"


class SynthMusic(MusicProvider):
    """Local, offline music beds: a seeded chord progression per mood on pads, lead and bass (numpy)."""

    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        try:
            piece = compose_music(mood, duration, seed)
        except ValueError as exc:
            raise ProviderError("storyvid-synth", str(exc)) from exc
        pcm = np.round(piece.samples * 32767.0) / 32768.0  # what the WAV will hold
        return MusicResult(
            wav=encode_wav(piece.samples, piece.sample_rate),
            sample_rate=piece.sample_rate,
            duration=piece.samples.shape[0] / piece.sample_rate,
            peak_dbfs=round(peak_dbfs(pcm), 2),
            licence=LicenceEvidence(
                provider="storyvid-synth",
                licence_id=piece.licence_id,
                terms=SYNTH_TERMS,
                prompt=piece.description,
                created_at=datetime.now(UTC),
            ),
            provider="storyvid-synth",
        )
