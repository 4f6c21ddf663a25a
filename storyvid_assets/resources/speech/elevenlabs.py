"""ElevenLabs narration through the official ``elevenlabs`` SDK, with word timings from its alignment.

Each scene goes to ``POST /v1/text-to-speech/{voice_id}/with-timestamps`` as 24 kHz PCM; the answer's
character alignment (start and end of every character of the text sent) gives each word its start (first
character) and end (last character). Quota exhaustion comes back as HTTP 401 ``quota_exceeded`` and is not
retried; 429 and 5xx are retried by the SDK (``max_retries``, honouring ``Retry-After``).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import numpy as np

from storyvid_assets.models import SentenceTiming, VoiceSettings, WordTiming
from storyvid_assets.reliability import redact, secret_value
from storyvid_assets.resources.cloud import InvalidOutput, TierModels, status_error
from storyvid_assets.resources.speech.cloud import CloudSpeech, SceneAudio, pcm16_samples, speed_for
from storyvid_assets.speech.timing import TimedScene, split_sentences, split_words

ELEVENLABS_MODELS = TierModels(
    premium="eleven_multilingual_v2", standard="eleven_turbo_v2_5", budget="eleven_flash_v2_5"
)
OUTPUT_FORMAT = "pcm_24000"
SAMPLE_RATE = 24_000
DEFAULT_VOICE = "21m00Tcm4TlvDq8EpbTVJ"  # "Rachel", one of ElevenLabs' premade voices


def elevenlabs_error(provider: str, exc: Exception, secrets: list[str | None]) -> Exception:
    """An SDK ``ApiError`` as a ``MeteredProviderError``; ``detail.status`` is the error code."""
    from elevenlabs.core.api_error import ApiError

    if isinstance(exc, ApiError):
        body = exc.body if isinstance(exc.body, dict) else {}
        detail = body.get("detail") if isinstance(body, dict) else None
        code, message = None, str(exc.body)[:300]
        if isinstance(detail, dict):
            code, message = detail.get("status") or detail.get("code"), str(detail.get("message", message))
        elif isinstance(detail, list) and detail:
            code, message = "validation_error", "; ".join(str(d.get("msg", d)) for d in detail if isinstance(d, dict))
        return status_error(
            provider, exc.status_code, str(code) if code else None, message, secrets, headers=exc.headers
        )
    return status_error(
        provider, None, None, f"no usable answer ({type(exc).__name__}: {redact(str(exc), secrets)[:200]})", secrets
    )


def timed_from_alignment(
    text: str,
    samples: np.ndarray,
    sample_rate: int,
    characters: list[str],
    starts: list[float],
    ends: list[float],
    scene_index: int,
) -> TimedScene:
    """Sentences and word timings of ``text`` from a character alignment of it."""
    if "".join(characters) != text or not len(characters) == len(starts) == len(ends):
        raise InvalidOutput(
            f"scene {scene_index}: the alignment does not spell the text that was sent "
            f"({len(characters)} characters for {len(text)})"
        )
    duration = len(samples) / sample_rate
    if ends and (max(ends) > duration + 0.25 or any(b < a for a, b in zip(starts, ends, strict=True))):
        raise InvalidOutput(
            f"scene {scene_index}: alignment times run past the audio ({max(ends):.2f} s of "
            f"{duration:.2f} s) or backwards (truncated audio?)"
        )
    words = split_words(text)
    timings = []
    for word in words:
        # the word's own letters: its span without surrounding punctuation
        first = text.index(word.text, word.start)
        last = first + len(word.text) - 1
        timings.append(
            WordTiming(
                text=word.text, start=round(starts[first], 3), end=round(max(ends[last], starts[first] + 0.001), 3)
            )
        )
    sentences = []
    for indices in split_sentences(text, words):
        span = text[words[indices[0]].start : words[indices[-1]].end]
        chosen = [timings[i] for i in indices]
        sentences.append(
            SentenceTiming(
                text=" ".join(span.split()),
                start=chosen[0].start,
                end=chosen[-1].end,
                scene_index=scene_index,
                words=chosen,
            )
        )
    return TimedScene(samples, sentences)


class ElevenLabsSpeech(CloudSpeech):
    """ElevenLabs text-to-speech; word timings from the with-timestamps character alignment."""

    api_key: str
    base_url: str | None = None  # default https://api.elevenlabs.io
    provider_name: str = "elevenlabs"
    models: TierModels = ELEVENLABS_MODELS
    default_voice: str = DEFAULT_VOICE
    stability: float = 0.5
    similarity_boost: float = 0.75
    max_retries: int = 2
    timeout_s: float = 240.0

    def _client(self) -> Any:
        from elevenlabs import ElevenLabs

        return ElevenLabs(api_key=secret_value(self.api_key), base_url=self.base_url, timeout=self.timeout_s)

    def speak_scene(self, text: str, voice: VoiceSettings, voice_id: str, model: str) -> SceneAudio:
        from elevenlabs import VoiceSettings as ElevenVoiceSettings

        try:
            answer = self._client().text_to_speech.convert_with_timestamps(
                voice_id,
                text=text,
                model_id=model,
                output_format=OUTPUT_FORMAT,
                voice_settings=ElevenVoiceSettings(
                    stability=self.stability, similarity_boost=self.similarity_boost, speed=speed_for(voice, 0.7, 1.2)
                ),
                request_options={"max_retries": self.max_retries},
            )
        except Exception as exc:  # the SDK raises ApiError, httpx errors or pydantic errors for a broken body
            raise elevenlabs_error(self.provider_name, exc, [secret_value(self.api_key)]) from None
        units = {"characters": float(len(text))}
        try:
            audio = base64.b64decode(answer.audio_base_64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise InvalidOutput("audio_base64 is not base64") from None
        samples = pcm16_samples(audio, "ElevenLabs audio")
        alignment = answer.alignment
        if alignment is None:
            raise InvalidOutput("the answer has no alignment")
        timed = timed_from_alignment(
            text,
            samples,
            SAMPLE_RATE,
            list(alignment.characters),
            list(alignment.character_start_times_seconds),
            list(alignment.character_end_times_seconds),
            0,
        )
        return SceneAudio(samples, SAMPLE_RATE, timed, units)

    def voices(self) -> list[str]:
        try:
            listing = self._client().voices.get_all(request_options={"max_retries": self.max_retries})
        except Exception as exc:
            raise elevenlabs_error(self.provider_name, exc, [secret_value(self.api_key)]) from None
        return [v.voice_id for v in listing.voices]
