"""Cost attribution: which run, partition and asset a provider call is made for.

An asset body wraps its provider calls in ``with provider_scope(context, episode.channel) as scope:``; chained resources
read the scope to pick the channel's chain, tier and budgets and to write ledger rows, and the asset adds
``scope.metadata()`` (cost, who served, fallbacks) to its output. Without a scope, calls still work and are
ledgered as unattributed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import dagster as dg

if TYPE_CHECKING:
    from storyvid_assets.channels import ChannelConfig

from storyvid_assets.models import ProviderUsage
from storyvid_assets.provider_config import ChannelProviders

UNATTRIBUTED = ""


@dataclass
class ProviderScope:
    """The run, partition and asset provider calls are made for, and the calls made so far."""

    run_id: str = UNATTRIBUTED
    channel: str = UNATTRIBUTED
    date: str = UNATTRIBUTED
    asset: str = UNATTRIBUTED
    providers: ChannelProviders = field(default_factory=ChannelProviders)
    source_file: str = "channel file"
    usages: list[ProviderUsage] = field(default_factory=list)

    def report(self, usage: ProviderUsage) -> None:
        self.usages.append(usage)

    @property
    def cost_usd(self) -> float:
        return float(sum(u.cost_usd for u in self.usages))

    def served_by(self) -> list[str]:
        """Providers that served a call in this scope, in first-served order."""
        return list(dict.fromkeys(u.provider for u in self.usages if u.outcome in ("served", "cache_hit")))

    def fallbacks(self) -> list[str]:
        """One line per provider call that failed or was skipped."""
        return [
            f"{u.provider} ({u.model}): {u.outcome} — {u.detail}"
            for u in self.usages
            if u.outcome in ("failed", "invalid", "skipped")
        ]

    def metadata(self) -> dict[str, Any]:
        """Asset metadata: total cost, who served, fallbacks taken and a table of every call."""
        meta: dict[str, Any] = {"cost_usd": dg.MetadataValue.float(round(self.cost_usd, 6))}
        if not self.usages:
            return meta
        meta["served_by"] = dg.MetadataValue.text(", ".join(self.served_by()) or "none")
        meta["fallbacks"] = dg.MetadataValue.int(len(self.fallbacks()))
        rows = "\n".join(
            f"| {u.provider} | {u.model} | {u.tier or '-'} | {u.outcome} | "
            f"{', '.join(f'{k}={v:g}' for k, v in sorted(u.units.items())) or '-'} | {u.cost_usd:.6f} | "
            f"{u.detail.replace('|', '/')[:120]} |"
            for u in self.usages
        )
        meta["provider_calls"] = dg.MetadataValue.md(
            "| provider | model | tier | outcome | usage | cost USD | detail |\n|---|---|---|---|---|---|---|\n" + rows
        )
        return meta


_SCOPE: ContextVar[ProviderScope | None] = ContextVar("storyvid_provider_scope", default=None)


def current_scope() -> ProviderScope:
    """The innermost active scope, or an unattributed one (reports to it are dropped)."""
    return _SCOPE.get() or ProviderScope()


@contextmanager
def attribute(scope: ProviderScope) -> Iterator[ProviderScope]:
    """Make ``scope`` current for the calls inside the block."""
    token = _SCOPE.set(scope)
    try:
        yield scope
    finally:
        _SCOPE.reset(token)


def channel_providers(channel: object) -> ChannelProviders:
    """A channel's ``providers`` section (defaults when the channel has none)."""
    providers = getattr(channel, "providers", None)
    return providers if isinstance(providers, ChannelProviders) else ChannelProviders()


def episode_scope(context: dg.AssetExecutionContext, channel: ChannelConfig) -> ProviderScope:
    """A scope for this run, partition and asset; make it current with :func:`attribute`.

    ``channel`` is the episode's channel with its pinned configuration applied (``Episode.channel``), so a
    provider tier chosen by a configuration version is the one the chains use.
    """
    from storyvid_assets.episode import split_partition_key

    name, date = split_partition_key(context.partition_key)
    return ProviderScope(
        run_id=context.run.run_id,
        channel=name,
        date=date,
        asset=context.asset_key.to_user_string(),
        providers=channel_providers(channel),
        source_file=channel.source_file or f"channels/{name}.yaml",
    )


@contextmanager
def provider_scope(context: dg.AssetExecutionContext, channel: ChannelConfig) -> Iterator[ProviderScope]:
    """Attribute the provider calls in the block to this run, partition and asset of ``channel``'s episode."""
    with attribute(episode_scope(context, channel)) as scope:
        yield scope
