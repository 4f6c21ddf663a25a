"""Spend: the cost ledger by channel, provider, asset and day against each channel's daily budgets, the degrade
tier in force today (the ledger's own policy: premium → standard → budget → paused) and a chart per channel.

Budgets are daily (UTC) per provider: the channel file's ``providers.budgets_usd`` with the ones an admin set on
the channel page replacing them (the budgets the ledger enforces). Every user may look.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

from storyvid_assets.catalog.queries import controls, costs
from storyvid_assets.channels import ChannelConfig, load_channels
from storyvid_assets.console import charts
from storyvid_assets.console.core import Console, Refused
from storyvid_assets.errors import ConfigError
from storyvid_assets.resources.budget import CostLedger, utc_day
from storyvid_assets.resources.scope import ProviderScope

SECTION = "/spend"
DEFAULT_DAYS = 30
MAX_DAYS = 366
MAX_ID = 2**31 - 1


class BudgetLine(BaseModel):
    """One provider of one channel today: its budget, what the ledger says was spent, and the tier in force."""

    channel: str
    provider: str
    budget_usd: float | None
    spent_usd: float
    used_pct: float | None
    tier: str  # premium | standard | budget | paused
    status: str  # active | alerted | paused | no budget


class SpendLine(BaseModel):
    channel: str
    day: str
    provider: str
    asset: str
    calls: int
    cost_usd: float


class Total(BaseModel):
    key: str
    calls: int = 0
    cost_usd: float = 0.0
    budget_usd: float | None = None  # the window's budget (daily budget × days), where there is one


# --------------------------------------------------------------------------- filters (shared by the sections)


def parse_days(raw: str | None, default: int = DEFAULT_DAYS) -> int:
    """The ``days`` filter: a whole number of days from 1 to 366."""
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise Refused(400, f"days: {raw[:20]!r} is not a number of days; give a whole number from 1 to {MAX_DAYS}")
    return int(raw)


def parse_id(raw: str, what: str) -> int:
    """A row id from the URL, bounded so an absurd number is a 404, not a database error."""
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_ID:
        raise Refused(404, f"there is no {what} {raw[:30]!r}; use an id from the list")
    return int(raw)


def channel_files() -> dict[str, ChannelConfig]:
    """The channel files, or a clear error page when one of them is broken."""
    try:
        return load_channels()
    except ConfigError as exc:
        raise Refused(500, f"the channel files cannot be read: {exc}") from None


def parse_channel(raw: str | None, known: list[str], *, required: bool = False) -> str | None:
    """The ``channel`` filter: one of ``known`` (or none, meaning all, unless ``required``)."""
    if not raw:
        if required and known:
            return known[0]
        return None
    if raw not in known:
        raise Refused(400, f"channel: {raw[:64]!r} is not a channel; use one of {known}")
    return raw


def since_day(days: int, today: str | None = None) -> str:
    """The first UTC day of a window of ``days`` days ending today."""
    end = datetime.fromisoformat(today or utc_day()).date()
    return (end - timedelta(days=days - 1)).isoformat()


def window(days: int, today: str | None = None) -> list[str]:
    first = datetime.fromisoformat(since_day(days, today)).date()
    return [(first + timedelta(days=n)).isoformat() for n in range(days)]


# --------------------------------------------------------------------------- views


def channel_budgets(console: Console, channels: list[ChannelConfig]) -> dict[str, dict[str, float]]:
    """The daily budgets in force per channel and provider: the file's, with the console's overrides."""
    with console.db() as session:
        return {c.name: controls.effective_budgets(c.providers.budgets_usd, controls.budget_overrides(session, c.name))
                for c in channels}


def budget_lines(console: Console, channels: list[ChannelConfig], today: str) -> list[BudgetLine]:
    """Each budgeted (or, today, used) provider of ``channels`` with the tier the ledger would pick now."""
    ledger = CostLedger(catalog_url=console.catalog_url)
    budgets = channel_budgets(console, channels)
    with console.db() as session:
        used_today = {(c, p) for c, _, p, _, _, _ in costs.spend_by_day(session, today)}
        lines = []
        for channel in channels:
            own = budgets[channel.name]
            names = list(own) + sorted(p for c, p in used_today if c == channel.name and p not in own)
            for provider in names:
                budget = own.get(provider)
                spent = costs.spent_usd(session, channel.name, provider, today)
                lines.append((channel, provider, budget, spent))
    out = []
    for channel, provider, budget, spent in lines:
        # the ledger's own choice for the next call: the same thresholds and cap the providers obey
        tier = ledger.choose_tier(ProviderScope(channel=channel.name, providers=channel.providers), provider)
        if budget is None:
            status = "no budget"
        elif tier is None:
            status = "paused"
        else:
            status = "alerted" if spent >= channel.providers.alert_at * budget else "active"
        out.append(BudgetLine(channel=channel.name, provider=provider, budget_usd=budget, spent_usd=spent,
                              used_pct=100 * spent / budget if budget else None, tier=tier or "paused",
                              status=status))
    return out


def totals(lines: list[SpendLine], key: str, budgets: dict[str, float] | None = None, days: int = 1) -> list[Total]:
    grouped: dict[str, Total] = {}
    for line in lines:
        name = getattr(line, key) if key != "channel_provider" else f"{line.channel} · {line.provider}"
        total = grouped.setdefault(name, Total(key=name))
        total.calls += line.calls
        total.cost_usd += line.cost_usd
    for name, total in grouped.items():
        if budgets and name in budgets:
            total.budget_usd = budgets[name] * days
    return sorted(grouped.values(), key=lambda t: -t.cost_usd)


def parse_size(raw: str) -> str:
    """The ``size`` of a chart: ``wide`` (desktop) or ``narrow`` (phones)."""
    if raw not in charts.SIZES:
        raise Refused(400, f"size: {raw[:20]!r} is not a chart size; use one of {list(charts.SIZES)}")
    return raw


def spend_chart(console: Console, channel: ChannelConfig | None, name: str, days: int, size: str = "wide") -> bytes:
    """Daily spend of one channel stacked by provider, against its daily budget (the sum over providers)."""
    today = utc_day()
    labels = window(days, today)
    with console.db() as session:
        rows = costs.spend_by_day(session, labels[0], name)
    per_provider: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(labels))
    index = {day: i for i, day in enumerate(labels)}
    for _, day, provider, _, _, cost in rows:
        if day in index:
            per_provider[provider][index[day]] += cost
    budget = sum(channel_budgets(console, [channel])[channel.name].values()) if channel is not None else 0.0
    reference = {f"daily budget ${budget:,.2f}": [budget] * len(labels)} if budget else None
    title = f"{channel.display_name if channel else name}: daily spend (USD) by provider, last {days} days"
    return charts.stacked_bar_chart(title, labels, dict(sorted(per_provider.items())), y_label="USD",
                                    reference=reference, empty="nothing spent in these days", size=size)


def register(app: FastAPI, console: Console) -> None:
    @app.get("/spend")
    def spend(request: Request, channel: str | None = None, days: str | None = None) -> Response:
        who = console.user(request)
        files = channel_files()
        shown_days = parse_days(days)
        today = utc_day()
        first = since_day(shown_days, today)
        with console.db() as session:
            rows = [SpendLine(channel=c, day=d, provider=p, asset=a, calls=n, cost_usd=v)
                    for c, d, p, a, n, v in costs.spend_by_day(session, first)]
        known = sorted(set(files) | {r.channel for r in rows})
        chosen = parse_channel(channel, known)
        if chosen:
            rows = [r for r in rows if r.channel == chosen]
        shown = [files[name] for name in ([chosen] if chosen else sorted(files)) if name in files]
        in_force = channel_budgets(console, shown)
        daily_budgets = {name: sum(own.values()) for name, own in in_force.items() if own}
        pair_budgets = {f"{name} · {p}": b for name, own in in_force.items() for p, b in own.items()}
        return console.page(
            "spend.html", who=who, section=SECTION, channels=known, chosen=chosen, days=shown_days, first=first,
            today=today, budgets=budget_lines(console, shown, today),
            by_channel=totals(rows, "channel", daily_budgets, shown_days),
            by_provider=totals(rows, "channel_provider", pair_budgets, shown_days),
            by_asset=totals(rows, "asset"), by_day=sorted(rows, key=lambda r: (r.day, r.channel), reverse=True),
            total=sum(r.cost_usd for r in rows),
            chart_channels=[chosen] if chosen else known,
            display={c.name: c.display_name for c in files.values()},
        )

    @app.get("/charts/spend.svg")
    def spend_svg(request: Request, channel: str = "", days: str | None = None, size: str = "wide") -> Response:
        console.user(request)
        shape = parse_size(size)
        files = channel_files()
        shown_days = parse_days(days)
        with console.db() as session:
            seen = {c for c, *_ in costs.spend_by_day(session, since_day(shown_days))}
        name = parse_channel(channel, sorted(set(files) | seen), required=True)
        if name is None:
            raise Refused(404, "channel: there are no channels yet; add a channel file")
        return charts.svg_response(spend_chart(console, files.get(name), name, shown_days, shape))
