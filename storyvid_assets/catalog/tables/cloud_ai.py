"""Catalog tables of the cloud AI providers: the cost ledger and the daily budget state per provider."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storyvid_assets.catalog.base import Base, Timestamped, UTCDateTime


class CostLedgerRow(Timestamped, Base):
    """One provider call (or skip): who asked (run, partition, asset), who answered, what it used and cost."""

    __tablename__ = "cost_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    date: Mapped[str] = mapped_column(String(10), index=True)
    asset: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # story | metadata | speech | images | music
    provider: Mapped[str] = mapped_column(String(64), index=True)
    model: Mapped[str] = mapped_column(String(128))
    tier: Mapped[str | None] = mapped_column(String(16), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # served | invalid | failed | skipped | cache_hit
    units: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    detail: Mapped[str] = mapped_column(Text, default="")
    day: Mapped[str] = mapped_column(String(10), index=True)  # UTC day the money was spent


class BudgetStateRow(Timestamped, Base):
    """A channel's spend with one provider on one UTC day, the tier it runs at and whether it is paused."""

    __tablename__ = "budget_state"
    __table_args__ = (UniqueConstraint("channel", "provider", "day", name="uq_budget_state_channel_provider_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    provider: Mapped[str] = mapped_column(String(64))
    day: Mapped[str] = mapped_column(String(10))
    budget_usd: Mapped[float] = mapped_column(Float)
    spent_usd: Mapped[float] = mapped_column(Float, default=0.0)
    tier: Mapped[str] = mapped_column(String(16))  # premium | standard | budget | paused
    status: Mapped[str] = mapped_column(String(16))  # active | alerted | paused
    alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
