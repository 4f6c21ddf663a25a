"""Return on what an episode cost: platform revenue (summed over the episode's uploads and days) against the
cost ledger. Revenue is NaN where no upload of the episode reports any (unknown, not zero); ROI is
``(revenue - cost) / cost``, NaN when the cost is 0 or the revenue unknown."""

from __future__ import annotations

import pandas as pd

EPISODE_KEYS = ["channel", "date"]
ROI_COLUMNS = [*EPISODE_KEYS, "revenue_usd", "cost_usd", "roi"]
CHANNEL_COLUMNS = ["channel", "episodes", "revenue_usd", "cost_usd", "roi"]


def roi(revenue: pd.Series, cost: pd.Series) -> pd.Series:
    """``(revenue - cost) / cost``; NaN when the cost is not positive or the revenue is unknown."""
    return ((revenue - cost) / cost.where(cost > 0)).astype("float64")


def roi_table(metrics: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """One row per episode (channel, date) found in the metrics or the cost ledger, sorted by channel and date."""
    revenue = (metrics.astype({"revenue_usd": "float64"}).groupby(EPISODE_KEYS)["revenue_usd"].sum(min_count=1)
               if len(metrics) else pd.Series(dtype="float64", name="revenue_usd"))
    cost = (costs.astype({"cost_usd": "float64"}).groupby(EPISODE_KEYS)["cost_usd"].sum() if len(costs)
            else pd.Series(dtype="float64", name="cost_usd"))
    table = pd.concat([revenue, cost], axis=1, join="outer")
    if not len(table):
        return pd.DataFrame({name: pd.Series(dtype="float64" if name not in EPISODE_KEYS else "object")
                             for name in ROI_COLUMNS})
    table = table.rename_axis(EPISODE_KEYS).reset_index().sort_values(EPISODE_KEYS, ignore_index=True)
    table["cost_usd"] = table["cost_usd"].fillna(0.0)
    table["roi"] = roi(table["revenue_usd"], table["cost_usd"])
    return table[ROI_COLUMNS]


def channel_roi(metrics: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """One row per channel: its episodes, summed revenue (NaN when none is reported) and cost, and the ROI."""
    episodes = roi_table(metrics, costs)
    grouped = episodes.groupby("channel", sort=True)
    table = pd.DataFrame({
        "episodes": grouped["date"].count(),
        "revenue_usd": grouped["revenue_usd"].sum(min_count=1),
        "cost_usd": grouped["cost_usd"].sum(),
    }).reset_index()
    table["roi"] = roi(table["revenue_usd"], table["cost_usd"])
    return table[CHANNEL_COLUMNS]
