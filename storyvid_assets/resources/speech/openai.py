"""OpenAI text-to-speech through the official ``openai`` SDK (``POST /v1/audio/speech``).

Each scene comes back as raw 24 kHz 16-bit mono PCM (``response_format="pcm"``). The API returns no
timings, so word timings are measured by aligning the audio (see ``alignment``).
"""

from __future__ import annotations

from storyvid_assets.models import VoiceSettings
from storyvid_assets.reliability import secret_value
from storyvid_assets.resources.cloud import TierModels
from storyvid_assets.resources.speech.cloud import CloudSpeech, SceneAudio, pcm16_samples, speed_for
from storyvid_assets.resources.story.openai import openai_error

OPENAI_TTS_MODELS = TierModels(premium="tts-1-hd", standard="gpt-4o-mini-tts", budget="tts-1")
OPENAI_TTS_VOICES = ["alloy", "ash", "ballad", "coral", "echo", "fable", "nova", "onyx", "sage", "shimmer", "verse"]
SAMPLE_RATE = 24_000


class OpenAISpeech(CloudSpeech):
    """OpenAI TTS; timings measured by alignment."""

    api_key: str
    base_url: str | None = None
    provider_name: str = "openai"
    models: TierModels = OPENAI_TTS_MODELS
    default_voice: str = "nova"
    max_retries: int = 2
    timeout_s: float = 120.0

    def speak_scene(self, text: str, voice: VoiceSettings, voice_id: str, model: str) -> SceneAudio:
        import openai

        try:
            with openai.OpenAI(
                api_key=secret_value(self.api_key),
                base_url=self.base_url,
                max_retries=self.max_retries,
                timeout=self.timeout_s,
            ) as client:
                response = client.audio.speech.create(
                    model=model, voice=voice_id, input=text, response_format="pcm", speed=speed_for(voice, 0.25, 4.0)
                )
                audio = response.read()
        except Exception as exc:  # SDK status/connection errors, or the body broke off mid-read
            raise openai_error(self.provider_name, exc, [secret_value(self.api_key)]) from None
        return SceneAudio(pcm16_samples(audio, "OpenAI speech"), SAMPLE_RATE, None, {"characters": float(len(text))})

    def voices(self) -> list[str]:
        """OpenAI's built-in voices (the API has no listing endpoint)."""
        return list(OPENAI_TTS_VOICES)
