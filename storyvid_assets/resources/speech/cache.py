"""Speech results cached in the media store by a hash of (provider, model, text, voice, settings).

A rerun of narration for an unchanged story (a new attempt after a failed render, say) costs nothing: the
audio and its timings come back from ``cache/speech/<provider>/<hash>.{wav,json}``.
"""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from storyvid_assets.models import SpeechResult, VoiceSettings
from storyvid_assets.resources.storage.media_store import MediaStore

CACHE_PREFIX = "cache/speech"


def speech_cache_key(provider: str, model: str, scenes: list[str], voice: VoiceSettings) -> str:
    """A stable hash of everything that changes the audio."""
    payload = json.dumps(
        {"provider": provider, "model": model, "scenes": scenes, "voice": voice.model_dump(mode="json")},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


class SpeechCache(dg.ConfigurableResource):
    """Finished narrations in the media store, keyed by :func:`speech_cache_key`."""

    media_store: MediaStore

    def _keys(self, provider: str, digest: str) -> tuple[str, str]:
        base = f"{CACHE_PREFIX}/{provider}/{digest}"
        return base + ".wav", base + ".json"

    def get(self, provider: str, digest: str) -> SpeechResult | None:
        wav_key, json_key = self._keys(provider, digest)
        if not (self.media_store.exists(json_key) and self.media_store.exists(wav_key)):
            return None
        fields = json.loads(self.media_store.read_bytes(json_key))
        return SpeechResult.model_validate({**fields, "wav": self.media_store.read_bytes(wav_key)})

    def put(self, provider: str, digest: str, result: SpeechResult) -> None:
        wav_key, json_key = self._keys(provider, digest)
        self.media_store.put_bytes(wav_key, result.wav, "audio/wav")
        # Written last: a reader that finds the JSON always finds the audio.
        body = result.model_dump_json(exclude={"wav"}).encode()
        self.media_store.put_bytes(json_key, body, "application/json")
