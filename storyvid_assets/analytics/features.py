"""What the learning code sees: one row per mature upload with its episode's features and its target, and a
tidy daily table of the channel's figures.

An upload is *mature* on ``as_of`` when it has lived at least ``horizon_days`` days (day of life 0 is the episode's
date), so its first ``horizon_days`` days of life are complete. Its target over those days:

- ``completion_rate``: the views-weighted mean of the daily completion rates (days without a completion figure,
  or without views, do not count; an upload that never reports one is dropped);
- ``views_per_day``: total views over the window / ``horizon_days``; only uploads with a row for every day of
  the window count (a missing day is not a day with no views). The model learns it on a log1p scale.
"""

from __future__ import annotations

from datetime import date as date_cls
from typing import NamedTuple

import numpy as np
import pandas as pd

from storyvid_assets.analytics.models import Target


class FeatureLists(NamedTuple):
    categorical: tuple[str, ...]
    numeric: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return self.categorical + self.numeric


FEATURES = FeatureLists(
    categorical=("genre", "theme", "narrator_voice", "music_mood", "weekday", "thumbnail_variant", "provider_tier",
                 "platform", "format"),
    numeric=("narrator_rate", "duration_s", "posting_hour", "target_words"),
)
UPLOAD_COLUMNS = ["upload_id", "channel", "date", "platform", "format"]
EPISODE_FEATURES = [name for name in FEATURES.all if name not in ("platform", "format")]
FRAME_COLUMNS = [*UPLOAD_COLUMNS, "config_version", "simulated", *EPISODE_FEATURES, "views", "days_reported",
                 "target"]


def day_numbers(days: pd.Series) -> np.ndarray:
    """ISO dates as proleptic ordinals (day numbers); parsed once per distinct value, so a million rows are fast."""
    codes, uniques = pd.factorize(days.astype(str))
    ordinals = np.array([date_cls.fromisoformat(value).toordinal() for value in uniques], dtype=np.int64)
    return ordinals[codes] if len(uniques) else np.zeros(len(days), dtype=np.int64)


def _window(metrics: pd.DataFrame, horizon_days: int, as_of: str) -> pd.DataFrame:
    """The daily rows of mature uploads that fall in their first ``horizon_days`` days of life."""
    born = day_numbers(metrics["date"])
    day = day_numbers(metrics["day"])
    limit = date_cls.fromisoformat(as_of).toordinal()
    life = day - born
    keep = (limit - born >= horizon_days) & (life >= 0) & (life < horizon_days) & (day <= limit)
    return metrics.loc[keep]


def _per_upload(window: pd.DataFrame) -> pd.DataFrame:
    rated = window["completion_rate"].notna() & (window["views"] > 0)
    weights = window["views"].where(rated, 0).astype("float64")
    parts = pd.DataFrame({
        "views": window["views"].astype("float64"),
        "completed": (window["completion_rate"].fillna(0.0) * weights),
        "rated_views": weights,
        "simulated": window["simulated"].astype(bool),
        "day": window["day"],
    })
    grouped = parts.groupby(window["upload_id"], sort=True)
    out = pd.DataFrame({
        "views": grouped["views"].sum(),
        "completed": grouped["completed"].sum(),
        "rated_views": grouped["rated_views"].sum(),
        "metrics_simulated": grouped["simulated"].any(),
        "days_reported": grouped["day"].nunique(),
    })
    keys = window.drop_duplicates("upload_id").set_index("upload_id")[UPLOAD_COLUMNS[1:]]
    return keys.join(out).reset_index()


def training_frame(
    metrics: pd.DataFrame, episodes: pd.DataFrame, *, target: Target, horizon_days: int, as_of: str
) -> pd.DataFrame:
    """One row per upload mature on ``as_of`` with its episode's features, platform, format and ``target``
    (see the module docstring). Columns: :data:`FRAME_COLUMNS`; sorted by date and upload."""
    if not len(metrics):
        return pd.DataFrame({name: pd.Series(dtype="object") for name in FRAME_COLUMNS})
    uploads = _per_upload(_window(metrics, horizon_days, as_of))
    if target == "completion_rate":
        value = uploads["completed"] / uploads["rated_views"].where(uploads["rated_views"] > 0)
    else:
        value = (uploads["views"] / horizon_days).where(uploads["days_reported"] >= horizon_days)
    uploads = uploads.assign(target=value).dropna(subset=["target"])
    info = episodes.reindex(columns=["channel", "date", "config_version", "simulated", *EPISODE_FEATURES])
    info = info.drop_duplicates(["channel", "date"]).rename(columns={"simulated": "episode_simulated"})
    frame = uploads.merge(info, on=["channel", "date"], how="left")
    frame["simulated"] = frame["metrics_simulated"].astype(bool) | frame["episode_simulated"].isin([True])
    frame["days_reported"] = frame["days_reported"].astype("int64")
    frame["views"] = frame["views"].astype("int64")
    return frame.sort_values(["date", "upload_id"], kind="stable").reset_index(drop=True)[FRAME_COLUMNS]


def metrics_table(metrics: pd.DataFrame) -> pd.DataFrame:
    """The channel's figures per day and platform: uploads reporting, summed counts, watch hours, the
    views-weighted completion rate and average view percentage, revenue (NaN where no upload reports it) and
    whether any figure is simulated."""
    columns = ["day", "platform", "uploads", "views", "likes", "comments", "shares", "watch_time_h",
               "completion_rate", "avg_view_pct", "revenue_usd", "simulated"]
    if not len(metrics):
        return pd.DataFrame({name: pd.Series(dtype="object") for name in columns})
    views = metrics["views"].astype("float64")
    rated = {name: views.where(metrics[name].notna() & (views > 0), 0.0)
             for name in ("completion_rate", "avg_view_pct")}
    parts = pd.DataFrame({
        "upload_id": metrics["upload_id"],
        **{name: metrics[name] for name in ("views", "likes", "comments", "shares")},
        "watch_time_h": metrics["watch_time_s"].astype("float64") / 3600.0,
        **{f"{name}_w": metrics[name].fillna(0.0) * weight for name, weight in rated.items()},
        **{f"{name}_v": weight for name, weight in rated.items()},
        "revenue_usd": metrics["revenue_usd"].astype("float64"),
        "simulated": metrics["simulated"].astype(bool),
    })
    grouped = parts.groupby([metrics["day"], metrics["platform"]], sort=True)
    table = grouped.agg(
        uploads=("upload_id", "nunique"), views=("views", "sum"), likes=("likes", "sum"),
        comments=("comments", "sum"), shares=("shares", "sum"), watch_time_h=("watch_time_h", "sum"),
        simulated=("simulated", "any"),
    )
    sums = grouped[[f"{n}_{s}" for n in rated for s in ("w", "v")]].sum()
    for name in rated:
        table[name] = sums[f"{name}_w"] / sums[f"{name}_v"].where(sums[f"{name}_v"] > 0)
    table["revenue_usd"] = grouped["revenue_usd"].sum(min_count=1)
    return table.reset_index().rename_axis(None)[columns]
