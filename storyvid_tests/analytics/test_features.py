from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest

from storyvid_assets.analytics.features import FEATURES, FRAME_COLUMNS, metrics_table, training_frame


def day(start: str, offset: int) -> str:
    return (date.fromisoformat(start) + timedelta(days=offset)).isoformat()


def daily(upload_id: int, episode: str, platform: str, series: list[tuple[int, float | None]], *,
          revenue: float | None = None, simulated: bool = False) -> list[dict[str, Any]]:
    """One row per day of life: (views, completion rate) for days 0, 1, 2, ..."""
    return [{
        "upload_id": upload_id, "channel": "tales", "date": episode, "platform": platform, "format": "9:16",
        "day": day(episode, offset), "views": views, "likes": views // 10, "comments": 1, "shares": 0,
        "watch_time_s": 30.0 * views, "avg_view_pct": np.nan if rate is None else 100 * rate,
        "completion_rate": np.nan if rate is None else rate, "revenue_usd": np.nan if revenue is None else revenue,
        "simulated": simulated,
    } for offset, (views, rate) in enumerate(series)]


def episodes(*dates: str, **features: Any) -> pd.DataFrame:
    return pd.DataFrame([{"channel": "tales", "date": d, "config_version": 1, "simulated": False, "genre": "fable",
                          "music_mood": "calm", "narrator_rate": 160, "weekday": date.fromisoformat(d).weekday(),
                          **features} for d in dates])


def test_completion_is_the_views_weighted_mean_over_the_first_days_of_mature_uploads() -> None:
    metrics = pd.DataFrame(
        daily(1, "2026-03-01", "youtube", [(100, 0.5), (300, 0.3), (0, None), (50, 0.9), (1000, 0.0)])
        + daily(2, "2026-03-02", "youtube", [(10, 0.5), (10, 0.5), (10, 0.5), (10, 0.5)])  # 3 days old: not mature
    )
    frame = training_frame(metrics, episodes("2026-03-01", "2026-03-02"), target="completion_rate", horizon_days=4,
                           as_of="2026-03-05")
    assert list(frame.columns) == FRAME_COLUMNS
    assert frame["upload_id"].tolist() == [1]
    # days 0..3 only (day 4 is outside the horizon); the day without views or completion does not count
    assert frame.loc[0, "target"] == pytest.approx((100 * 0.5 + 300 * 0.3 + 50 * 0.9) / 450)
    assert frame.loc[0, "views"] == 450
    assert (frame.loc[0, "music_mood"], frame.loc[0, "narrator_rate"], frame.loc[0, "platform"]) == (
        "calm", 160, "youtube")


def test_an_upload_that_never_reports_completion_is_dropped_for_completion_but_kept_for_views() -> None:
    metrics = pd.DataFrame(daily(1, "2026-03-01", "tiktok", [(90, None), (30, None), (0, None)])
                           + daily(2, "2026-03-01", "youtube", [(40, 0.4), (20, 0.4), (0, None)]))
    eps = episodes("2026-03-01")
    completion = training_frame(metrics, eps, target="completion_rate", horizon_days=3, as_of="2026-03-10")
    views = training_frame(metrics, eps, target="views_per_day", horizon_days=3, as_of="2026-03-10")
    assert completion["upload_id"].tolist() == [2]
    assert dict(zip(views["upload_id"], views["target"], strict=True)) == {1: 40.0, 2: 20.0}


def test_views_per_day_needs_every_day_of_the_window() -> None:
    rows = daily(1, "2026-03-01", "youtube", [(90, 0.5), (30, 0.5), (30, 0.5)])
    metrics = pd.DataFrame([r for r in rows if r["day"] != "2026-03-02"])  # the second day was never collected
    eps = episodes("2026-03-01")
    assert training_frame(metrics, eps, target="views_per_day", horizon_days=3, as_of="2026-03-10").empty
    assert len(training_frame(metrics, eps, target="completion_rate", horizon_days=3, as_of="2026-03-10")) == 1


def test_figures_after_as_of_are_ignored_and_maturity_is_counted_from_the_episode_date() -> None:
    metrics = pd.DataFrame(daily(1, "2026-03-01", "youtube", [(10, 0.2)] * 3 + [(1000, 0.9)] * 3))
    eps = episodes("2026-03-01")
    assert training_frame(metrics, eps, target="views_per_day", horizon_days=3, as_of="2026-03-03").empty
    frame = training_frame(metrics, eps, target="views_per_day", horizon_days=3, as_of="2026-03-04")
    assert frame["target"].tolist() == [10.0]


def test_simulated_rows_and_missing_episode_features_are_carried() -> None:
    metrics = pd.DataFrame(daily(1, "2026-03-01", "youtube", [(10, 0.2)] * 2, simulated=True)
                           + daily(2, "2026-03-02", "youtube", [(10, 0.2)] * 2))
    frame = training_frame(metrics, episodes("2026-03-01"), target="completion_rate", horizon_days=2,
                           as_of="2026-03-09")
    assert frame["simulated"].tolist() == [True, False]
    assert frame.loc[1, ["genre", "music_mood"]].isna().all()  # no episode row: features unknown, row kept


def test_empty_metrics_give_an_empty_frame_with_the_columns() -> None:
    empty = pd.DataFrame(columns=list(daily(1, "2026-03-01", "youtube", [(1, 0.1)])[0]))
    frame = training_frame(empty, episodes("2026-03-01"), target="completion_rate", horizon_days=7,
                           as_of="2026-03-09")
    assert frame.empty and list(frame.columns) == FRAME_COLUMNS


def test_feature_lists_cover_the_tunable_and_measured_features() -> None:
    assert {"music_mood", "genre", "thumbnail_variant", "platform", "format"} <= set(FEATURES.categorical)
    assert {"narrator_rate", "posting_hour", "duration_s"} <= set(FEATURES.numeric)
    assert not set(FEATURES.categorical) & set(FEATURES.numeric)


def test_metrics_table_sums_counts_and_weights_rates_by_views_per_day_and_platform() -> None:
    metrics = pd.DataFrame(
        daily(1, "2026-03-01", "youtube", [(100, 0.5), (50, None)], revenue=0.2)
        + daily(2, "2026-03-01", "youtube", [(300, 0.1), (0, None)], revenue=0.6)
        + daily(3, "2026-03-01", "tiktok", [(20, 0.4)])
    )
    table = metrics_table(metrics)
    assert table[["day", "platform"]].values.tolist() == [
        ["2026-03-01", "tiktok"], ["2026-03-01", "youtube"], ["2026-03-02", "youtube"]]
    youtube = table.iloc[1]
    assert (youtube["uploads"], youtube["views"], youtube["likes"]) == (2, 400, 40)
    assert youtube["completion_rate"] == pytest.approx((100 * 0.5 + 300 * 0.1) / 400)
    assert youtube["watch_time_h"] == pytest.approx(400 * 30 / 3600)
    assert youtube["revenue_usd"] == pytest.approx(0.8)
    assert np.isnan(table.iloc[0]["revenue_usd"])  # tiktok reported no revenue: unknown, not 0
    assert np.isnan(table.iloc[2]["completion_rate"])  # no view reported a completion that day
    assert table["simulated"].tolist() == [False, False, False]
