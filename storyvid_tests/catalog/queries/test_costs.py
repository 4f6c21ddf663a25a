"""The cost ledger sums per channel, provider and day; one budget state row per day."""

from __future__ import annotations

import pytest

from storyvid_assets.catalog.db import session_scope
from storyvid_assets.catalog.queries.costs import add_cost, budget_state, cost_rows, set_budget_state, spent_usd


def cost(session, channel: str, provider: str, day: str, usd: float) -> None:  # type: ignore[no-untyped-def]
    add_cost(
        session, run_id="r", channel=channel, date=day, asset="story", kind="story", provider=provider, model="m",
        tier="standard", outcome="served", units={"tokens": 1}, cost_usd=usd, detail="", day=day,
    )


def test_spent_sums_one_channel_provider_and_day(url: str) -> None:
    with session_scope(url) as session:
        assert spent_usd(session, "bedtime", "openai", "2026-11-26") == 0.0
        cost(session, "bedtime", "openai", "2026-11-26", 0.25)
        cost(session, "bedtime", "openai", "2026-11-26", 0.5)
        cost(session, "bedtime", "openai", "2026-11-25", 1.0)
        cost(session, "bedtime", "anthropic", "2026-11-26", 2.0)
        cost(session, "midnight", "openai", "2026-11-26", 4.0)
    with session_scope(url) as session:
        assert spent_usd(session, "bedtime", "openai", "2026-11-26") == pytest.approx(0.75)
        assert [r.cost_usd for r in cost_rows(session, provider="openai", channel="bedtime")] == [0.25, 0.5, 1.0]


def test_budget_state_is_one_row_per_day(url: str) -> None:
    with session_scope(url) as session:
        assert budget_state(session, "bedtime", "openai", "2026-11-26") is None
        for status in ("active", "paused"):
            set_budget_state(
                session, "bedtime", "openai", "2026-11-26", budget_usd=1.0, spent_usd=1.0, tier="paused", status=status
            )
        assert budget_state(session, "bedtime", "openai", "2026-11-26").status == "paused"  # type: ignore[union-attr]
