"""The ``providers:`` section of a channel file: fallback chains per kind, model tier and daily budgets.

Every field has a default that keeps a channel on whatever the resource set offers (the local, offline
providers unless ``STORYVID_ENV=cloud``), so channel files without the section stay valid.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from storyvid_assets.models import ProviderTier

ProviderKind = Literal["story", "metadata", "speech", "images", "music"]
PROVIDER_KINDS: tuple[ProviderKind, ...] = ("story", "metadata", "speech", "images", "music")
TIER_ORDER: tuple[ProviderTier, ...] = ("premium", "standard", "budget")
NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789-_")


class DegradeThresholds(BaseModel):
    """Fractions of a daily budget at which a provider drops to the next cheaper tier."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    standard: float = Field(default=0.5, gt=0.0, le=1.0)
    budget: float = Field(default=0.8, gt=0.0, le=1.0)

    @model_validator(mode="after")
    def _ordered(self) -> DegradeThresholds:
        if self.budget < self.standard:
            raise ValueError("degrade_at.budget must be at least degrade_at.standard")
        return self


class ChannelProviders(BaseModel):
    """Which providers a channel uses, in fallback order, and how much it may spend with each per day."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    story: list[str] | None = None  # e.g. [openai, anthropic, local]; None: the resource set's default chain
    metadata: list[str] | None = None  # platform titles/descriptions; None: same as ``story``
    speech: list[str] | None = None
    images: list[str] | None = None
    music: list[str] | None = None
    tier: ProviderTier = "premium"  # the best model tier this channel may use
    budgets_usd: dict[str, float] = Field(default_factory=dict)  # daily (UTC) budget per provider, in USD
    degrade_at: DegradeThresholds = DegradeThresholds()
    alert_at: float = Field(default=0.8, gt=0.0, le=1.0)  # log a spend alert at this fraction of a budget
    on_budget_exhausted: Literal["pause", "next_provider"] = "pause"
    voices: dict[str, str] = Field(default_factory=dict)  # provider -> its voice id for this channel's narrator

    @field_validator("story", "metadata", "speech", "images", "music")
    @classmethod
    def _chain(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("names at least one provider (or leave the field out for the default chain)")
        for name in value:
            if not name or not set(name) <= NAME_CHARS:
                raise ValueError(f"{name!r} is not a provider name (lowercase letters, digits, '-', '_')")
        if len(set(value)) != len(value):
            raise ValueError("lists each provider once at most")
        return value

    @field_validator("budgets_usd")
    @classmethod
    def _positive_budgets(cls, value: dict[str, float]) -> dict[str, float]:
        for name, amount in value.items():
            if amount <= 0:
                raise ValueError(f"budget for {name!r} must be more than 0 USD (leave it out for no budget)")
        return value

    def chain_for(self, kind: ProviderKind) -> list[str] | None:
        """The channel's chain for ``kind``; metadata falls back to the story chain."""
        chain = getattr(self, kind)
        if chain is None and kind == "metadata":
            return self.story
        return chain

    def tiers_allowed(self) -> tuple[ProviderTier, ...]:
        """Tiers from the channel's best tier down to ``budget``."""
        return TIER_ORDER[TIER_ORDER.index(self.tier) :]


# Dagster concurrency pools, one per provider kind: a burst of partitions queues instead of hammering an API.
# Limits come from the instance (dagster.yaml ``concurrency: pools:`` or ``dagster instance concurrency set``).
POOLS: dict[ProviderKind, str] = {
    "story": "story_provider",
    "metadata": "story_provider",
    "speech": "speech_provider",
    "images": "image_provider",
    "music": "music_provider",
}
