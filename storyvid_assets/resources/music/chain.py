"""The music sources' fallback chain: tried in the channel's order until one serves."""

from __future__ import annotations

from typing import Any

from storyvid_assets.models import MusicResult
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ChainRunner, ProviderBreakers, available, resolve_chain
from storyvid_assets.resources.music import MusicProvider
from storyvid_assets.resources.scope import current_scope


class FallbackMusicProvider(MusicProvider):
    """Music sources tried in order (``providers.music``)."""

    elevenlabs_music: MusicProvider | None = None
    local: MusicProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: ProviderBreakers | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("elevenlabs_music", "local"))

    def compose(self, mood: str, duration: float, seed: int) -> MusicResult:
        providers = self.providers()
        names = resolve_chain("music", current_scope(), None, self.default_chain, providers)
        return ChainRunner("music", providers, names, self.ledger, self.breaker).run(
            lambda p, tier: p.compose_metered(mood, duration, seed, tier), lambda p: p.compose(mood, duration, seed)
        )
