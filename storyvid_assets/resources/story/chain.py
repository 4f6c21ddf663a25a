"""The story writers' fallback chain: writers tried in the channel's order until one serves."""

from __future__ import annotations

from typing import Any

from storyvid_assets.models import MetadataRequest, PlatformMetadata, Story, StoryRequest
from storyvid_assets.provider_config import ProviderKind
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ChainRunner, ProviderBreakers, available, resolve_chain
from storyvid_assets.resources.scope import current_scope
from storyvid_assets.resources.story import StoryWriter


class FallbackStoryWriter(StoryWriter):
    """Story writers tried in order (``providers.story`` / ``providers.metadata`` of the channel)."""

    openai: StoryWriter | None = None
    anthropic: StoryWriter | None = None
    mistral: StoryWriter | None = None
    ollama: StoryWriter | None = None  # any OpenAI-compatible server (Ollama, vLLM)
    local: StoryWriter | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: ProviderBreakers | None = None

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
