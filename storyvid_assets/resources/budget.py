"""Prices, the cost ledger and daily budgets with the degrade policy premium → standard → budget → pause.

Every provider call is priced from the usage its response reports (tokens, characters, images, seconds)
with the table in ``data/prices.yaml`` and written to the catalog's ``cost_ledger`` with the run, partition
and asset it was made for. A channel's daily budget per provider (``providers.budgets_usd``) decides the
tier of the next call from what the ledger says was spent today (UTC); a budget an admin set in the console
(``channel_controls``) replaces the file's for that provider; at ``alert_at`` of a budget a spend
alert is logged once a day; when a budget is used up the provider is paused for that channel until the
next UTC day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import dagster as dg
from pydantic import BaseModel, ConfigDict, Field, RootModel

from storyvid_assets.catalog.db import migrate, session_scope
from storyvid_assets.catalog.queries import controls, costs
from storyvid_assets.catalog.queries.episodes import set_episode_status
from storyvid_assets.catalog.tables.cloud_ai import CostLedgerRow
from storyvid_assets.errors import ConfigError, StoryVidError
from storyvid_assets.models import ProviderTier, ProviderUsage
from storyvid_assets.provider_config import TIER_ORDER
from storyvid_assets.resources.scope import ProviderScope
from storyvid_assets.settings import settings
from storyvid_assets.yamlfile import load_yaml_model

DEFAULT_PRICES_FILE = Path(__file__).resolve().parent / "data" / "prices.yaml"
PAUSED_STATUS = "paused_budget"
WILDCARD = "*"


class UnitPrice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    usd: float = Field(ge=0)
    per: float = Field(gt=0)


class Prices(RootModel[dict[str, dict[str, dict[str, UnitPrice]]]]):
    """A price table file: provider -> model -> unit -> price."""


class PriceTable(BaseModel):
    """USD per unit, by provider name and model (``*`` matches any model)."""

    model_config = ConfigDict(frozen=True)

    source: str
    prices: dict[str, dict[str, dict[str, UnitPrice]]]

    def unit_prices(self, provider: str, model: str) -> dict[str, UnitPrice]:
        models = self.prices.get(provider)
        if models is None:
            raise ConfigError(
                self.source,
                provider,
                f"has no prices for provider {provider!r}",
                f"add '{provider}:' with its models' unit prices (see the file's header)",
            )
        if model in models:
            return models[model]
        if WILDCARD in models:
            return models[WILDCARD]
        raise ConfigError(
            self.source,
            f"{provider}.{model}",
            f"has no prices for model {model!r}",
            f"add '{model}:' under '{provider}:' with the units it reports, or a '*' entry",
        )

    def cost(self, provider: str, model: str, units: dict[str, float]) -> float:
        """What ``units`` of ``provider``/``model`` cost, in USD (nothing used costs nothing, priced or not)."""
        if not any(units.values()):
            return 0.0
        prices = self.unit_prices(provider, model)
        total = 0.0
        for unit, amount in units.items():
            if not amount:
                continue
            if unit not in prices:
                raise ConfigError(
                    self.source,
                    f"{provider}.{model}.{unit}",
                    f"has no price for unit {unit!r}",
                    f"add '{unit}: {{usd: <price>, per: <units>}}' under '{provider}: {model}:'",
                )
            price = prices[unit]
            total += amount * price.usd / price.per
        return total


@cache
def _load_price_table(path: str, mtime_ns: int) -> PriceTable:
    prices = load_yaml_model(Path(path), Prices, "give each unit as {usd: <price>, per: <units>}")
    return PriceTable(source=path, prices=prices.root)


def load_price_table(path: str | Path | None = None) -> PriceTable:
    """The price table at ``path`` (default: the packaged ``data/prices.yaml``), re-read when it changes."""
    resolved = Path(path) if path else DEFAULT_PRICES_FILE
    if not resolved.is_file():
        raise ConfigError(str(resolved), "(file)", "does not exist", "point prices_file at a price table YAML file")
    return _load_price_table(str(resolved), resolved.stat().st_mtime_ns)


class BudgetExhausted(StoryVidError):
    """A channel's daily budget with a provider is used up; the partition is paused until the next UTC day."""

    def __init__(self, channel: str, date: str, provider: str, spent: float, budget: float, day: str) -> None:
        self.channel = channel
        self.date = date
        self.provider = provider
        super().__init__(
            f"partition {channel}|{date} paused: the daily {provider} budget of ${budget:.4f} for channel "
            f"{channel!r} is used (${spent:.4f} spent on {day} UTC). It resumes on the next UTC day; to go on "
            f"today raise the {provider} budget on the console's channel page (or providers.budgets_usd.{provider} "
            f"in the channel file) or set providers.on_budget_exhausted: next_provider"
        )


def utc_day(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).date().isoformat()


def tier_for_fraction(fraction: float, standard_at: float, budget_at: float) -> ProviderTier | None:
    """The tier a provider runs at when ``fraction`` of its budget is spent; ``None`` once it is all spent."""
    if fraction >= 1.0:
        return None
    if fraction >= budget_at:
        return "budget"
    if fraction >= standard_at:
        return "standard"
    return "premium"


def cap_tier(tier: ProviderTier, best_allowed: ProviderTier) -> ProviderTier:
    """``tier``, but never better than ``best_allowed``."""
    return TIER_ORDER[max(TIER_ORDER.index(tier), TIER_ORDER.index(best_allowed))]


_MIGRATED: set[str] = set()


class CostLedger(dg.ConfigurableResource):
    """Prices provider calls, writes them to the catalog's cost ledger and enforces daily budgets."""

    catalog_url: str
    prices_file: str = ""  # empty: the packaged data/prices.yaml

    def _url(self) -> str:
        if self.catalog_url not in _MIGRATED:
            migrate(self.catalog_url)
            _MIGRATED.add(self.catalog_url)
        return self.catalog_url

    def price_table(self) -> PriceTable:
        return load_price_table(self.prices_file or settings().prices_file)

    def priced(self, usage: ProviderUsage) -> ProviderUsage:
        """``usage`` with its cost from the price table."""
        cost = self.price_table().cost(usage.provider, usage.model, usage.units)
        return usage.model_copy(update={"cost_usd": cost})

    def spent(self, channel: str, provider: str, day: str | None = None) -> float:
        """What ``channel`` spent with ``provider`` on ``day`` (UTC, default today), from the ledger."""
        with session_scope(self._url()) as session:
            return costs.spent_usd(session, channel, provider, day or utc_day())

    def budget(self, scope: ProviderScope, provider: str) -> float | None:
        """The daily budget of ``scope``'s channel with ``provider``: the console's override, else the file's."""
        if scope.channel:
            with session_scope(self._url()) as session:
                override = controls.budget_overrides(session, scope.channel).get(provider)
            if override is not None:
                return override
        return scope.providers.budgets_usd.get(provider)

    def choose_tier(self, scope: ProviderScope, provider: str) -> ProviderTier | None:
        """The tier for the next call to ``provider`` in ``scope``; ``None`` when its budget is used up."""
        settings = scope.providers
        budget = self.budget(scope, provider)
        if budget is None:
            return settings.tier
        spent = self.spent(scope.channel, provider)
        tier = tier_for_fraction(spent / budget, settings.degrade_at.standard, settings.degrade_at.budget)
        return None if tier is None else cap_tier(tier, settings.tier)

    def record(self, scope: ProviderScope, usages: list[ProviderUsage]) -> list[ProviderUsage]:
        """Price ``usages``, write them to the ledger, update today's budget state and report them to ``scope``."""
        priced = [self.priced(u) for u in usages]
        day = utc_day()
        with session_scope(self._url()) as session:
            for u in priced:
                costs.add_cost(
                    session,
                    run_id=scope.run_id,
                    channel=scope.channel,
                    date=scope.date,
                    asset=scope.asset,
                    kind=u.kind,
                    provider=u.provider,
                    model=u.model,
                    tier=u.tier,
                    outcome=u.outcome,
                    units=dict(u.units),
                    cost_usd=u.cost_usd,
                    detail=u.detail[:2000],
                    day=day,
                )
        for provider in dict.fromkeys(u.provider for u in priced):
            self._update_budget_state(scope, provider, day)
        for u in priced:
            scope.report(u)
        return priced

    def _update_budget_state(self, scope: ProviderScope, provider: str, day: str) -> None:
        settings = scope.providers
        budget = self.budget(scope, provider)
        if budget is None:
            return
        spent = self.spent(scope.channel, provider, day)
        tier = tier_for_fraction(spent / budget, settings.degrade_at.standard, settings.degrade_at.budget)
        with session_scope(self._url()) as session:
            row = costs.budget_state(session, scope.channel, provider, day)
            alerted_at = row.alerted_at if row else None
            status = "paused" if tier is None else ("alerted" if alerted_at else "active")
            if spent >= settings.alert_at * budget and alerted_at is None:
                alerted_at = datetime.now(UTC)
                status = "paused" if tier is None else "alerted"
                dg.get_dagster_logger("storyvid.budget").warning(
                    f"spend alert: channel {scope.channel!r} has used {100 * spent / budget:.0f}% of its daily "
                    f"{provider} budget (${spent:.4f} of ${budget:.4f} on {day} UTC)"
                )
            costs.set_budget_state(
                session,
                scope.channel,
                provider,
                day,
                budget_usd=budget,
                spent_usd=spent,
                tier="paused" if tier is None else cap_tier(tier, settings.tier),
                status=status,
                alerted_at=alerted_at,
            )

    def pause(self, scope: ProviderScope, provider: str) -> BudgetExhausted:
        """Mark the partition paused for ``provider``'s budget; returns the error to raise."""
        budget = self.budget(scope, provider) or 0.0
        day = utc_day()
        spent = self.spent(scope.channel, provider, day)
        with session_scope(self._url()) as session:
            costs.set_budget_state(
                session, scope.channel, provider, day,
                budget_usd=budget, spent_usd=spent, tier="paused", status="paused",
            )
            if scope.channel and scope.date:
                set_episode_status(session, scope.channel, scope.date, PAUSED_STATUS)
        dg.get_dagster_logger("storyvid.budget").warning(
            f"budget exhausted: pausing {scope.channel}|{scope.date}: {provider} spent ${spent:.4f} of ${budget:.4f}"
        )
        return BudgetExhausted(scope.channel, scope.date, provider, spent, budget, day)

    def ledger_rows(self, **filters: str) -> list[CostLedgerRow]:
        """Ledger rows matching ``filters`` (column=value), oldest first."""
        with session_scope(self._url()) as session:
            return costs.cost_rows(session, **filters)
