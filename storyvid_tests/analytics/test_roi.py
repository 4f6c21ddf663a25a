from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from storyvid_assets.analytics.roi import CHANNEL_COLUMNS, ROI_COLUMNS, channel_roi, roi_table


def metrics(*rows: tuple[str, str, int, str, float | None]) -> pd.DataFrame:
    """(channel, episode date, upload, day, revenue) rows."""
    return pd.DataFrame([{"upload_id": upload, "channel": channel, "date": date, "platform": "youtube",
                          "format": "16:9", "day": day, "views": 100, "revenue_usd": np.nan if r is None else r,
                          "simulated": False} for channel, date, upload, day, r in rows])


def costs(*rows: tuple[str, str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"channel": c, "date": d, "cost_usd": v} for c, d, v in rows])


METRICS = metrics(
    ("tales", "2026-03-01", 1, "2026-03-01", 0.50),
    ("tales", "2026-03-01", 1, "2026-03-02", 0.25),
    ("tales", "2026-03-01", 2, "2026-03-01", 0.25),  # a second upload of the same episode
    ("tales", "2026-03-02", 3, "2026-03-02", None),  # the platform pays nothing here
    ("mystery", "2026-03-01", 4, "2026-03-01", 3.0),
)
COSTS = costs(("tales", "2026-03-01", 0.30), ("tales", "2026-03-01", 0.20), ("tales", "2026-03-02", 0.40),
              ("tales", "2026-03-03", 0.10), ("mystery", "2026-03-01", 0.0))


def test_revenue_is_summed_over_uploads_and_days_and_set_against_the_cost_ledger() -> None:
    table = roi_table(METRICS, COSTS)
    assert list(table.columns) == ROI_COLUMNS
    rows = {(r.channel, r.date): r for r in table.itertuples()}
    assert list(rows) == [("mystery", "2026-03-01"), ("tales", "2026-03-01"), ("tales", "2026-03-02"),
                          ("tales", "2026-03-03")]
    first = rows["tales", "2026-03-01"]
    assert (first.revenue_usd, first.cost_usd) == pytest.approx((1.0, 0.5))
    assert first.roi == pytest.approx((1.0 - 0.5) / 0.5)


def test_unknown_revenue_and_zero_cost_give_no_roi() -> None:
    rows = {(r.channel, r.date): r for r in roi_table(METRICS, COSTS).itertuples()}
    unpaid = rows["tales", "2026-03-02"]
    assert math.isnan(unpaid.revenue_usd) and math.isnan(unpaid.roi) and unpaid.cost_usd == 0.4
    not_published = rows["tales", "2026-03-03"]  # cost, but no uploads yet
    assert math.isnan(not_published.revenue_usd) and not_published.cost_usd == pytest.approx(0.1)
    free = rows["mystery", "2026-03-01"]
    assert free.revenue_usd == 3.0 and free.cost_usd == 0.0 and math.isnan(free.roi)


def test_an_episode_without_ledger_entries_costs_nothing() -> None:
    table = roi_table(METRICS, costs())
    assert table["cost_usd"].tolist() == [0.0, 0.0, 0.0] and table["roi"].isna().all()


def test_channel_roi_sums_the_episodes() -> None:
    table = channel_roi(METRICS, COSTS)
    assert list(table.columns) == CHANNEL_COLUMNS
    tales = table.set_index("channel").loc["tales"]
    assert tales["episodes"] == 3
    assert (tales["revenue_usd"], tales["cost_usd"]) == pytest.approx((1.0, 1.0))
    assert tales["roi"] == pytest.approx(0.0)
    assert math.isnan(table.set_index("channel").loc["mystery", "roi"])


def test_nothing_in_gives_empty_tables() -> None:
    assert roi_table(metrics(), costs()).empty
    assert channel_roi(metrics(), costs()).empty
