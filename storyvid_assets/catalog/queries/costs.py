"""The cost ledger of provider calls and the daily budget state per channel and provider."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storyvid_assets.catalog.queries.rows import upsert
from storyvid_assets.catalog.tables.cloud_ai import BudgetStateRow, CostLedgerRow


def add_cost(session: Session, **fields: Any) -> CostLedgerRow:
    """Append one priced provider call to the ledger."""
    row = CostLedgerRow(**fields)
    session.add(row)
    return row


def spent_usd(session: Session, channel: str, provider: str, day: str) -> float:
    """What ``channel`` spent with ``provider`` on ``day`` (UTC), summed from the ledger."""
    total = session.scalar(
        select(func.coalesce(func.sum(CostLedgerRow.cost_usd), 0.0)).where(
            CostLedgerRow.channel == channel, CostLedgerRow.provider == provider, CostLedgerRow.day == day
        )
    )
    return float(total or 0.0)


def cost_rows(session: Session, **filters: str) -> list[CostLedgerRow]:
    """Ledger rows matching ``filters`` (column=value), oldest first."""
    return list(session.scalars(select(CostLedgerRow).filter_by(**filters).order_by(CostLedgerRow.id)))


def budget_state(session: Session, channel: str, provider: str, day: str) -> BudgetStateRow | None:
    return session.scalars(select(BudgetStateRow).filter_by(channel=channel, provider=provider, day=day)).one_or_none()


def set_budget_state(session: Session, channel: str, provider: str, day: str, **values: Any) -> BudgetStateRow:
    return upsert(session, BudgetStateRow, {"channel": channel, "provider": provider, "day": day}, values)


def spend_by_day(session: Session, since: str, channel: str | None = None
                 ) -> list[tuple[str, str, str, str, int, float]]:
    """(channel, day, provider, asset, calls, cost) summed from the ledger for UTC days from ``since`` on, of one
    channel when given; ordered by day, channel, provider and asset."""
    query = (
        select(CostLedgerRow.channel, CostLedgerRow.day, CostLedgerRow.provider, CostLedgerRow.asset,
               func.count(), func.coalesce(func.sum(CostLedgerRow.cost_usd), 0.0))
        .where(CostLedgerRow.day >= since)
        .group_by(CostLedgerRow.channel, CostLedgerRow.day, CostLedgerRow.provider, CostLedgerRow.asset)
        .order_by(CostLedgerRow.day, CostLedgerRow.channel, CostLedgerRow.provider, CostLedgerRow.asset)
    )
    if channel:
        query = query.where(CostLedgerRow.channel == channel)
    return [(str(c), str(d), str(p), str(a), int(n), float(total)) for c, d, p, a, n, total in session.execute(query)]
