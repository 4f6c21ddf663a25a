"""The image generators' fallback chain: tried in the channel's order until one serves."""

from __future__ import annotations

from typing import Any

from storyvid_assets.models import GeneratedImage, ImageStyle
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.chains import ChainRunner, ProviderBreakers, available, resolve_chain
from storyvid_assets.resources.images import ImageProvider
from storyvid_assets.resources.scope import current_scope


class FallbackImageProvider(ImageProvider):
    """Image generators tried in order (``providers.images``)."""

    openai: ImageProvider | None = None
    sdxl: ImageProvider | None = None
    local: ImageProvider | None = None
    default_chain: list[str]
    ledger: CostLedger | None = None
    breaker: ProviderBreakers | None = None

    def providers(self) -> dict[str, Any]:
        return available(self, ("openai", "sdxl", "local"))

    def generate(self, prompt: str, style: ImageStyle, width: int, height: int) -> GeneratedImage:
        providers = self.providers()
        names = resolve_chain("images", current_scope(), None, self.default_chain, providers)
        return ChainRunner("images", providers, names, self.ledger, self.breaker).run(
            lambda p, tier: p.generate_metered(prompt, style, width, height, tier),
            lambda p: p.generate(prompt, style, width, height),
        )
