"""Fallback chains: composite resources that try providers in the channel's order until one serves.

The machinery every kind shares; each kind's chain lives beside its interface (``resources/story/chain.py``
``FallbackStoryWriter``, ``resources/speech/chain.py`` ``FallbackSpeechProvider``, ``resources/images/chain.py``
``FallbackImageProvider``, ``resources/music/chain.py`` ``FallbackMusicProvider``) and implements the ordinary
provider interface, so asset code does not change. For each call the chain is
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

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import dagster as dg

from storyvid_assets.errors import ConfigError, ProviderError
from storyvid_assets.models import (
    ProviderTier,
    ProviderUsage,
)
from storyvid_assets.provider_config import ProviderKind
from storyvid_assets.reliability import MEMORY_STORE, CircuitBreaker, RedisStore, secret_value
from storyvid_assets.resources.budget import CostLedger
from storyvid_assets.resources.cloud import Metered, MeteredProviderError, usage
from storyvid_assets.resources.images.cloud import CloudImages
from storyvid_assets.resources.music.elevenlabs import CloudMusic
from storyvid_assets.resources.scope import ProviderScope, current_scope
from storyvid_assets.resources.speech.cloud import CloudSpeech
from storyvid_assets.resources.story.llm import CloudStoryWriter
from storyvid_assets.settings import ENV_ENV, settings

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
        env = settings().env
        raise ConfigError(
            scope.source_file,
            f"providers.{kind}",
            f"names {unknown}, which this resource set does not offer ({ENV_ENV}={env})",
            f"use some of {sorted(available)}, or set the provider's API key variable so it is offered",
        )
    if not names:
        raise ConfigError(scope.source_file, f"providers.{kind}", "is empty", "name at least one provider")
    return names


class ProviderBreakers(dg.ConfigurableResource):
    """The chains' circuit breakers, one per provider name (see ``reliability.CircuitBreaker``).

    State is shared through Redis when ``redis_url`` is set, so every run process sees the same breakers;
    otherwise it lives in this process.
    """

    failure_threshold: int = 3
    reset_timeout_s: float = 60.0
    redis_url: str | None = None
    namespace: str = "storyvid:breaker"

    def circuit(self) -> CircuitBreaker:
        url = secret_value(self.redis_url)
        store = RedisStore(url) if url else MEMORY_STORE
        return CircuitBreaker(self.failure_threshold, self.reset_timeout_s, store, self.namespace)


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
        breakers: ProviderBreakers | None,
    ) -> None:
        self.kind = kind
        self.providers = providers
        self.names = names
        self.ledger = ledger
        self.breaker: CircuitBreaker | None = breakers.circuit() if breakers is not None else None
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
                if breaker is not None:  # no call made: a half-open trial slot goes back
                    breaker.release(name)
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
                    if breaker is not None:
                        breaker.release(name)
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
