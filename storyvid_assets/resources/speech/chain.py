"""The narrators' fallback chain: tried in the channel's order; finished narrations cached."""

from __future__ import annotations

from typing import Any

from storyvid_assets.models import ProviderTier, SpeechResult, VoiceSettings
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ChainRunner, ProviderBreakers, available, resolve_chain
from storyvid_assets.resources.scope import current_scope
from storyvid_assets.resources.speech import SpeechProvider
from storyvid_assets.resources.speech.cache import SpeechCache, speech_cache_key
from storyvid_assets.resources.speech.cloud import CloudSpeech


class FallbackSpeechProvider(SpeechProvider):
    """Narrators tried in order (``providers.speech``); finished narrations cached in the media store."""

    elevenlabs: SpeechProvider | None = None
    openai: SpeechProvider | None = None
    azure: SpeechProvider | None = None
    local: SpeechProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: ProviderBreakers | None = None
    cache: SpeechCache | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("elevenlabs", "openai", "azure", "local"))

    def synthesize(self, scenes: list[str], voice: VoiceSettings) -> SpeechResult:
        providers = self.providers()
        names = resolve_chain("speech", current_scope(), None, self.default_chain, providers)

        def cache_key(name: str, provider: CloudSpeech, tier: ProviderTier) -> str:
            voiced = voice.model_copy(update={"voice": provider.voice_for()})
            return speech_cache_key(name, provider.models.for_tier(tier), scenes, voiced)

        def lookup(name: str, provider: CloudSpeech, tier: ProviderTier) -> SpeechResult | None:
            return self.cache.get(name, cache_key(name, provider, tier)) if self.cache else None

        def store(name: str, provider: CloudSpeech, tier: ProviderTier, result: SpeechResult) -> None:
            if self.cache:
                self.cache.put(name, cache_key(name, provider, tier), result)

        return ChainRunner("speech", providers, names, self.ledger, self.breaker).run(
            lambda p, tier: p.synthesize_metered(scenes, voice, tier),
            lambda p: p.synthesize(scenes, voice),
            lookup,
            store,
        )

    def voices(self) -> list[str]:
        """``<provider>:<voice>`` for every provider of the default chain."""
        providers = self.providers()
        return [
            f"{name}:{voice}" for name in self.default_chain if name in providers for voice in providers[name].voices()
        ]
