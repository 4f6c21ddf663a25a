"""Background music from ElevenLabs Music (``POST /v1/music/detailed``) through the official SDK.

The service composes an instrumental piece from a prompt built from the channel's mood and returns the
audio (44.1 kHz PCM) with the song's metadata and its id (``song-id`` header). The licence evidence names
the provider, the song id, the terms it is used under, the prompt and the time; the music asset stores it
in the catalog with the file. A piece shorter than the narration is looped with a crossfade; the level is
brought to a -1 dBFS peak so it never clips.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from datetime import UTC, datetime
from typing import Any

import numpy as np

from storyvid_assets.audio.wav import encode_wav, peak_dbfs
from storyvid_assets.models import LicenceEvidence, MusicResult, ProviderTier, ProviderUsage
from storyvid_assets.reliability import call_with_retries, secret_value
from storyvid_assets.resources.cloud import (
    InvalidOutput,
    Metered,
    MeteredProviderError,
    TierModels,
    cloud_retry_policy,
    usage,
)
from storyvid_assets.resources.music import MusicProvider
from storyvid_assets.resources.scope import current_scope
from storyvid_assets.resources.speech.elevenlabs import elevenlabs_error

SAMPLE_RATE = 44_100
OUTPUT_FORMAT = "pcm_44100"
PEAK_TARGET = 10 ** (-1.0 / 20)  # -1 dBFS
CROSSFADE_S = 2.0
MIN_LENGTH_S, MAX_LENGTH_S = 10.0, 300.0  # the service's music_length_ms range
SHORT_ANSWER = 0.9  # less than this share of the length asked for is a truncated answer
MUSIC_MODELS = TierModels(premium="music_v1", standard="music_v1", budget="music_v1")
ELEVENLABS_MUSIC_TERMS = (
    "ElevenLabs Music, generated under the account's paid plan: commercial use on social platforms "
    "allowed per the ElevenLabs Terms of Service (Music) in force on the creation date"
)
MOOD_PROMPTS = {
    "calm": "calm ambient instrumental, soft piano and warm pads, slow tempo",
    "dreamy": "dreamy lullaby instrumental, music box, celesta and soft strings, gentle and slow",
    "tense": "tense suspenseful instrumental underscore, low strings, pulsing synth, sparse percussion",
    "dark": "dark atmospheric instrumental, drones, deep piano notes, eerie textures",
    "epic": "epic cinematic instrumental, orchestral strings, brass swells, big drums",
    "playful": "playful light instrumental, pizzicato strings, marimba, bouncy rhythm",
    "melancholy": "melancholic instrumental, solo piano and cello, slow and tender",
}
_CLOSING_DELIMITER = re.compile(rb"\r?\n--[!-~]{1,200}--\r?\n?$")


def music_prompt(mood: str) -> str:
    return f"{MOOD_PROMPTS.get(mood, mood)}; background music under a spoken story, no vocals, no lyrics"


def loop_to(samples: np.ndarray, sample_rate: int, duration: float, crossfade_s: float = CROSSFADE_S) -> np.ndarray:
    """``samples`` repeated with a linear crossfade until they last at least ``duration`` seconds."""
    needed = round(duration * sample_rate)
    if len(samples) >= needed:
        return samples
    fade = min(round(crossfade_s * sample_rate), len(samples) // 2)
    out = samples.astype(np.float64)
    ramp = np.linspace(0.0, 1.0, fade) if fade else np.zeros(0)
    while len(out) < needed:
        piece = samples.astype(np.float64)
        if fade:
            out[-fade:] = out[-fade:] * (1 - ramp) + piece[:fade] * ramp
            out = np.concatenate([out, piece[fade:]])
        else:
            out = np.concatenate([out, piece])
    out = out[:needed]
    tail = min(fade, len(out))
    if tail:
        out[-tail:] *= np.linspace(1.0, 0.0, tail)  # end on silence, not mid-phrase
    return out


class CloudMusic(MusicProvider):
    """A billed music service with licence evidence."""

    provider_name: str
    models: TierModels
    tier: ProviderTier = "premium"
    output_retries: int = 1

    @abstractmethod
    def request_piece(self, prompt: str, length_s: float, seed: int, model: str) -> tuple[np.ndarray, int, str]:
        """(mono int16 samples, sample rate, song id) for ``prompt``; raises ``InvalidOutput`` for a bad answer."""

    @abstractmethod
    def terms(self) -> str:
        """The licence terms the music is used under."""

    def compose_metered(self, mood: str, duration: float, seed: int, tier: ProviderTier) -> Metered[MusicResult]:
        if duration <= 0:
            raise ValueError(f"duration must be more than 0 seconds, got {duration}")
        model = self.models.for_tier(tier)
        prompt = music_prompt(mood)
        length = min(MAX_LENGTH_S, max(MIN_LENGTH_S, duration))
        spent: list[ProviderUsage] = []
        problem = ""
        for _ in range(self.output_retries + 1):
            units = {"seconds": round(length, 3)}
            try:
                samples, rate, song_id = self.request_piece(prompt, length, seed, model)
                if len(samples) < SHORT_ANSWER * length * rate:
                    raise InvalidOutput(f"truncated: {len(samples) / rate:.1f} s of music for {length:.1f} s asked")
            except MeteredProviderError as exc:
                exc.usage = spent + exc.usage
                raise
            except InvalidOutput as exc:
                problem = str(exc)
                spent.append(usage("music", self.provider_name, model, tier, units, "invalid", problem))
                continue
            spent.append(usage("music", self.provider_name, model, tier, units))
            return Metered(self._result(samples, rate, duration, song_id, prompt, model), spent)
        raise MeteredProviderError(
            self.provider_name,
            f"no usable music from {model}: {problem}",
            retryable=True,
            usage=spent,
            invalid_output=True,
        )

    def _result(
        self, samples: np.ndarray, rate: int, duration: float, song_id: str, prompt: str, model: str
    ) -> MusicResult:
        audio = loop_to(samples, rate, duration) / 32768.0
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 0:
            audio = audio * (PEAK_TARGET / peak)
        licence = LicenceEvidence(
            provider=self.provider_name,
            licence_id=song_id,
            terms=self.terms(),
            prompt=prompt,
            created_at=datetime.now(UTC),
        )
        return MusicResult(
            wav=encode_wav(audio, rate),
            sample_rate=rate,
            duration=round(len(audio) / rate, 3),
            peak_dbfs=peak_dbfs(audio),
            licence=licence,
            provider=f"{self.provider_name}:{model}",
        )

    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        metered = self.compose_metered(mood, duration, seed, self.tier)
        for spent in metered.usage:
            current_scope().report(spent)
        return metered.result


class ElevenLabsMusic(CloudMusic):
    """ElevenLabs Music: instrumental pieces from a prompt, with the song id as licence id."""

    api_key: str
    base_url: str | None = None
    provider_name: str = "elevenlabs-music"
    models: TierModels = MUSIC_MODELS
    licence_terms: str = ELEVENLABS_MUSIC_TERMS
    max_retries: int = 2
    timeout_s: float = 300.0

    def terms(self) -> str:
        return self.licence_terms

    def _client(self) -> Any:
        from elevenlabs import ElevenLabs

        return ElevenLabs(api_key=secret_value(self.api_key), base_url=self.base_url, timeout=self.timeout_s)

    def request_piece(self, prompt: str, length_s: float, seed: int, model: str) -> tuple[np.ndarray, int, str]:
        def compose() -> Any:
            try:
                return self._client().music.compose_detailed(
                    prompt=prompt,
                    music_length_ms=round(length_s * 1000),
                    model_id=model,
                    force_instrumental=True,
                    store_for_inpainting=True,  # the song id (our licence id) is only returned for stored songs
                    output_format=OUTPUT_FORMAT,
                    request_options={"max_retries": self.max_retries},
                )
            except ValueError as exc:  # the SDK could not parse the multipart answer
                raise InvalidOutput(f"unreadable answer: {exc}") from None
            except Exception as exc:
                raise elevenlabs_error(self.provider_name, exc, [secret_value(self.api_key)]) from None

        # The SDK streams this endpoint and does not retry streamed calls, so 429/5xx are retried here.
        answer = call_with_retries(compose, cloud_retry_policy(self.max_retries))
        audio = _CLOSING_DELIMITER.sub(b"", answer.audio)
        if len(audio) < 2 or len(audio) % 2:
            raise InvalidOutput(f"{len(audio)} bytes is not 16-bit PCM audio")
        if not answer.song_id:
            raise InvalidOutput("the answer has no song-id header, so there is no licence evidence to record")
        return np.frombuffer(audio, dtype="<i2").copy(), SAMPLE_RATE, answer.song_id
