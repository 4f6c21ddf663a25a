"""Fallback chains: composite resources that try providers in the channel's order until one serves.

``FallbackStoryWriter``, ``FallbackSpeechProvider``, ``FallbackImageProvider`` and ``FallbackMusicProvider``
implement the ordinary provider interfaces, so asset code does not change. For each call the chain is
``providers.<kind>`` of the channel being made (from the active ``provider_scope``), else the resource's
``default_chain``. Each provider in turn is

- skipped while its circuit breaker is open,
- run at the tier its daily budget allows (premium → standard → budget); when the budget is used up the
  partition is paused (``BudgetExhausted``) or, with ``on_budget_exhausted: next_provider``, skipped,
- and on a ``ProviderError`` (non-retryable, or retryable after the SDK's retries ran out, or invalid output
  after the writer's own retries) the next provider is used.

Every call, failure and skip is priced and written to the cost ledger with the run, partition and asset, and
reported to the scope so the asset's metadata shows the cost, who served and the fallbacks taken.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import dagster as dg

from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.models import (
    ImageStyle,
    MetadataRequest,
    MusicResult,
    PlatformMetadata,
    ProviderTier,
    ProviderUsage,
    SpeechResult,
    Story,
    StoryRequest,
    VoiceSettings,
)
from storyvid_assets.provider_config import ProviderKind
from storyvid_assets.resources.breaker import CircuitBreaker
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.cloud import Metered, MeteredProviderError, usage
from storyvid_assets.resources.images import GeneratedImage, ImageProvider
from storyvid_assets.resources.images.cloud import CloudImages
from storyvid_assets.resources.music import MusicProvider
from storyvid_assets.resources.music.elevenlabs import CloudMusic
from storyvid_assets.resources.scope import ProviderScope, current_scope
from storyvid_assets.resources.speech import SpeechProvider
from storyvid_assets.resources.speech.cache import SpeechCache, speech_cache_key
from storyvid_assets.resources.speech.cloud import CloudSpeech
from storyvid_assets.resources.story import StoryWriter
from storyvid_assets.resources.story.llm import CloudStoryWriter
from storyvid_assets.settings import ENV_ENV

T = TypeVar("T")
LOCAL_MODEL = "local"
CLOUD_TYPES = (CloudStoryWriter, CloudSpeech, CloudImages, CloudMusic)

Lookup = Callable[[str, Any, ProviderTier], T | None]
Store = Callable[[str, Any, ProviderTier, T], None]


def resolve_chain(
    kind: ProviderKind,
    scope: ProviderScope,
    explicit: list[str] | None,
    default_chain: list[str],
    available: Mapping[str, Any],
) -> list[str]:
    """The provider names to try for ``kind``: the request's, else the channel's, else the default chain."""
    names = explicit or scope.providers.chain_for(kind) or default_chain
    unknown = [name for name in names if name not in available]
    if unknown:
        env = os.environ.get(ENV_ENV, "local")
        raise ConfigError(
            scope.source_file,
            f"providers.{kind}",
            f"names {unknown}, which this resource set does not offer ({ENV_ENV}={env})",
            f"use some of {sorted(available)}, or set the provider's API key variable so it is offered",
        )
    if not names:
        raise ConfigError(scope.source_file, f"providers.{kind}", "is empty", "name at least one provider")
    return names


def _model_of(provider: Any, tier: ProviderTier | None) -> str:
    models = getattr(provider, "models", None)
    return models.for_tier(tier) if models is not None and tier is not None else LOCAL_MODEL


class ChainRunner:
    """One call through a fallback chain: breaker, budget tier, provider, ledger."""

    def __init__(
        self,
        kind: ProviderKind,
        providers: Mapping[str, Any],
        names: list[str],
        ledger: CostLedger | None,
        breaker: CircuitBreaker | None,
    ) -> None:
        self.kind = kind
        self.providers = providers
        self.names = names
        self.ledger = ledger
        self.breaker = breaker
        self.scope = current_scope()
        self.log = dg.get_dagster_logger("storyvid.providers")

    def _record(self, usages: list[ProviderUsage], name: str | None = None) -> None:
        if name is not None:  # ledger rows carry the chain's name for the provider (the price table's key)
            usages = [u.model_copy(update={"provider": name}) for u in usages]
        if self.ledger is not None:
            self.ledger.record(self.scope, usages)
        else:
            for spent in usages:
                self.scope.report(spent)

    def _skip(self, name: str, reason: str) -> None:
        self.log.warning(f"{self.kind}: skipping {name}: {reason}")
        self._record([usage(self.kind, name, "-", None, {}, "skipped", reason)])

    def _tier(self, name: str, provider: Any) -> ProviderTier | None:
        if not isinstance(provider, CLOUD_TYPES):
            return None
        if self.ledger is None:
            return self.scope.providers.tier
        return self.ledger.choose_tier(self.scope, name)

    def run(
        self,
        metered: Callable[[Any, ProviderTier], Metered[T]],
        plain: Callable[[Any], T],
        lookup: Lookup[T] | None = None,
        store: Store[T] | None = None,
    ) -> T:
        failures: list[ProviderError] = []
        for name in self.names:
            provider = self.providers[name]
            cloud = isinstance(provider, CLOUD_TYPES)
            breaker = self.breaker if cloud else None  # the local provider has no remote service to protect
            if breaker is not None and not breaker.allow(name):
                self._skip(name, f"circuit open after {breaker.failure_threshold} consecutive failures")
                continue
            tier = self._tier(name, provider)
            if cloud and tier is None:
                if self.scope.providers.on_budget_exhausted == "pause":
                    self._record([usage(self.kind, name, "-", None, {}, "skipped", "daily budget used up")])
                    raise (
                        self.ledger.pause(self.scope, name)
                        if self.ledger
                        else ProviderError(name, "daily budget used up")
                    )
                self._skip(name, "daily budget used up")
                continue
            if cloud and self.ledger is not None:  # an unpriced model is a ConfigError before any money is spent
                self.ledger.price_table().unit_prices(name, _model_of(provider, tier))
            if cloud and lookup is not None:
                cached = lookup(name, provider, tier)  # type: ignore[arg-type]
                if cached is not None:
                    self._record([usage(self.kind, name, _model_of(provider, tier), tier, {}, "cache_hit")])
                    return cached
            try:
                if cloud:
                    answer = metered(provider, tier)  # type: ignore[arg-type]
                    value, spent = answer.result, answer.usage
                else:
                    value = plain(provider)
                    spent = [usage(self.kind, name, LOCAL_MODEL, None, {})]
            except ProviderError as exc:
                failures.append(exc)
                billed = exc.usage if isinstance(exc, MeteredProviderError) else []
                reason = str(exc)
                self._record(
                    [*billed, usage(self.kind, name, _model_of(provider, tier), tier, {}, "failed", reason)], name
                )
                if breaker is not None:
                    breaker.record_failure(name)
                self.log.warning(
                    f"{self.kind}: {name} failed ({'retryable' if exc.retryable else 'final'}): "
                    f"{reason}; trying the next provider"
                )
                continue
            self._record(spent, name)
            if breaker is not None:
                breaker.record_success(name)
            if cloud and store is not None:
                store(name, provider, tier, value)  # type: ignore[arg-type]
            return value
        summary = "; ".join(str(f) for f in failures) or "every provider was skipped"
        raise ProviderError(
            f"{self.kind} chain {self.names}",
            f"no provider served: {summary}",
            retryable=any(f.retryable for f in failures) or not failures,
        )


def available(resource: dg.ConfigurableResource, slots: tuple[str, ...]) -> dict[str, Any]:
    """The providers a chain resource holds, by chain name (field ``elevenlabs_music`` is ``elevenlabs-music``)."""
    found = {slot.replace("_", "-"): getattr(resource, slot) for slot in slots}
    return {name: provider for name, provider in found.items() if provider is not None}


class FallbackStoryWriter(StoryWriter):
    """Story writers tried in order (``providers.story`` / ``providers.metadata`` of the channel)."""

    openai: StoryWriter | None = None
    anthropic: StoryWriter | None = None
    mistral: StoryWriter | None = None
    ollama: StoryWriter | None = None  # any OpenAI-compatible server (Ollama, vLLM)
    local: StoryWriter | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: CircuitBreaker | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("openai", "anthropic", "mistral", "ollama", "local"))

    def _runner(self, kind: ProviderKind, explicit: list[str] | None) -> ChainRunner:
        providers = self.providers()
        names = resolve_chain(kind, current_scope(), explicit, self.default_chain, providers)
        return ChainRunner(kind, providers, names, self.ledger, self.breaker)

    def write_story(self, request: StoryRequest) -> Story:
        return self._runner("story", request.provider_chain).run(
            lambda p, tier: p.write_story_metered(request, tier), lambda p: p.write_story(request)
        )

    def write_metadata(self, request: MetadataRequest) -> PlatformMetadata:
        return self._runner("metadata", request.provider_chain).run(
            lambda p, tier: p.write_metadata_metered(request, tier), lambda p: p.write_metadata(request)
        )


class FallbackSpeechProvider(SpeechProvider):
    """Narrators tried in order (``providers.speech``); finished narrations cached in the media store."""

    elevenlabs: SpeechProvider | None = None
    openai: SpeechProvider | None = None
    azure: SpeechProvider | None = None
    local: SpeechProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: CircuitBreaker | None = None
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


class FallbackImageProvider(ImageProvider):
    """Image generators tried in order (``providers.images``)."""

    openai: ImageProvider | None = None
    sdxl: ImageProvider | None = None
    local: ImageProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: CircuitBreaker | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("openai", "sdxl", "local"))

    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        providers = self.providers()
        names = resolve_chain("images", current_scope(), None, self.default_chain, providers)
        return ChainRunner("images", providers, names, self.ledger, self.breaker).run(
            lambda p, tier: p.generate_metered(prompt, style, width, height, tier),
            lambda p: p.generate(prompt, style, width, height),
        )


class FallbackMusicProvider(MusicProvider):
    """Music sources tried in order (``providers.music``)."""

    elevenlabs_music: MusicProvider | None = None
    local: MusicProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: CircuitBreaker | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("elevenlabs_music", "local"))

    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        providers = self.providers()
        names = resolve_chain("music", current_scope(), None, self.default_chain, providers)
        return ChainRunner("music", providers, names, self.ledger, self.breaker).run(
            lambda p, tier: p.compose_metered(mood, duration, seed, tier), lambda p: p.compose(mood, duration, seed)
        )
