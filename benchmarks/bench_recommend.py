"""Recommendation benchmark (``make bench-recommend``): training and recommending for one channel with two years of
daily episodes on four platforms, against the 10 s budget.

Synthetic history built with numpy: 730 daily episodes whose settings vary (music mood, narration rate, posting
hour, thumbnail variant, genre, theme), each posted to YouTube, Instagram, TikTok and Facebook, with a metrics row
for every live upload and every day up to the last one (what ``daily_metrics`` stores: about a million rows).
Completion and views carry planted effects (calm music, an evening posting hour, the b thumbnail) and the noise
of the simulated audience's defaults.

Timed, median of ``--runs`` (default 5): ``training_frame`` + ``recommend`` with the default optimization settings
(completion rate, 7-day horizon, the default tunables, confidence 0.9). Measured in the same run, as the floor:
one plain scikit-learn ridge fit (one-hot features) on the same training frame. Writes
``benchmarks/results/recommend.json`` and prints the ratios against the floor and the budget.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from storyvid_assets.analytics.features import FEATURES, training_frame
from storyvid_assets.analytics.models import OptimizationSettings, TunableSettings
from storyvid_assets.analytics.recommend import recommend

RESULTS = Path(__file__).resolve().parent / "results" / "recommend.json"
BUDGET_S = 10.0
PLATFORMS = {"youtube": (400.0, 0.42), "instagram": (600.0, 0.30), "tiktok": (900.0, 0.28), "facebook": (250.0, 0.25)}
CURRENT = TunableSettings(narrator_voice="en-us", narrator_rate=160, music_mood="dreamy", genre="fable",
                          posting_hour=19, thumbnail_variant="a", provider_tier="standard")


def history(days: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """(daily metrics, episodes, last day) of one channel publishing every day for ``days`` days."""
    rng = np.random.default_rng(seed)
    start = date(2024, 1, 1)
    calendar = np.array([(start + timedelta(days=i)).isoformat() for i in range(days)], dtype=object)
    episodes = pd.DataFrame({
        "channel": "bench", "date": calendar, "config_version": 0, "simulated": True,
        "genre": rng.choice(["fable", "adventure", "bedtime"], days),
        "theme": rng.choice([f"theme {i}" for i in range(20)], days), "narrator_voice": "en-us",
        "narrator_rate": rng.choice([150, 160, 170], days),
        "music_mood": rng.choice(["calm", "dreamy", "playful"], days),
        "posting_hour": rng.choice([17, 18, 19, 20, 21], days),
        "weekday": [(start + timedelta(days=i)).weekday() for i in range(days)],
        "thumbnail_variant": rng.choice(["a", "b"], days), "provider_tier": "standard", "target_words": 400,
    })
    episodes["duration_s"] = np.round(400 / episodes["narrator_rate"] * 60 + 8 + rng.normal(0, 3, days), 1)
    names = list(PLATFORMS)
    ep_index = np.repeat(np.arange(days), len(names))
    plat = np.tile(np.arange(len(names)), days)
    base_views = np.array([PLATFORMS[n][0] for n in names])[plat]
    base_rate = np.array([PLATFORMS[n][1] for n in names])[plat]
    mood = episodes["music_mood"].to_numpy()[ep_index]
    hour = episodes["posting_hour"].to_numpy()[ep_index]
    thumb = episodes["thumbnail_variant"].to_numpy()[ep_index]
    rate = (base_rate * (1 + 0.08 * (mood == "calm") - 0.01 * np.abs(hour - 19))
            + rng.normal(0, 0.04, len(ep_index)))
    quality = rng.lognormal(-0.35**2 / 2, 0.35, len(ep_index)) * (1 + 0.05 * (thumb == "b"))
    lives = days - ep_index  # days each upload has been live, its first day included
    upload = np.repeat(np.arange(len(ep_index)), lives)
    life = np.arange(len(upload)) - np.repeat(np.cumsum(lives) - lives, lives)
    decay = 0.96 * 2.0 ** (-life / 2.0) + 0.04 * 2.0 ** (-life / 120.0)
    views = rng.poisson(base_views[upload] * quality[upload] * decay * rng.lognormal(-0.25**2 / 2, 0.25, len(upload)))
    daily_rate = np.clip(rate[upload] + rng.normal(0, 0.02, len(upload)), 0.02, 0.98)
    done = rng.binomial(views, daily_rate)
    completion = np.where(views > 0, done / np.maximum(views, 1), np.nan)
    metrics = pd.DataFrame({
        "upload_id": upload + 1, "channel": "bench", "date": calendar[ep_index[upload]],
        "platform": np.array(names, dtype=object)[plat[upload]], "format": "9:16",
        "day": calendar[ep_index[upload] + life], "views": views, "likes": rng.binomial(views, 0.04),
        "comments": rng.binomial(views, 0.002), "shares": rng.binomial(views, 0.005),
        "watch_time_s": views * 100.0 * daily_rate, "avg_view_pct": np.where(views > 0, 100 * daily_rate, np.nan),
        "completion_rate": completion, "revenue_usd": np.where(plat[upload] == 0, views / 1000 * 1.8, np.nan),
        "simulated": True,
    })
    return metrics, episodes, str(calendar[-1])


def plain_ridge(frame: pd.DataFrame) -> float:
    """The floor: one scikit-learn ridge fit on the same rows (one-hot categoricals, raw numerics)."""
    cats = [c for c in FEATURES.categorical if c in frame]
    nums = [c for c in FEATURES.numeric if c in frame]
    X = frame[cats + nums].astype({c: str for c in cats}).fillna({c: 0.0 for c in nums})
    model = Pipeline([("encode", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), cats)],
                                                   remainder="passthrough")), ("ridge", Ridge(alpha=1.0))])
    started = time.perf_counter()
    model.fit(X, frame["target"])
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    settings = OptimizationSettings()
    started = time.perf_counter()
    metrics, episodes, day = history(args.days, args.seed)
    print(f"history: {len(metrics):,} daily rows, {len(episodes)} episodes × {len(PLATFORMS)} platforms "
          f"(built in {time.perf_counter() - started:.1f} s)")

    frame_s: list[float] = []
    recommend_s: list[float] = []
    floor_s: list[float] = []
    last: Any = None
    for run in range(args.runs):
        started = time.perf_counter()
        frame = training_frame(metrics, episodes, target=settings.target, horizon_days=settings.horizon_days,
                               as_of=day)
        frame_s.append(time.perf_counter() - started)
        started = time.perf_counter()
        last = recommend(frame, channel="bench", day=day, current=CURRENT.model_dump(), choices=settings.choices,
                         settings=settings, seed=run)
        recommend_s.append(time.perf_counter() - started)
        floor_s.append(plain_ridge(frame))
        print(f"run {run + 1}: training_frame {frame_s[-1]:.2f} s + recommend {recommend_s[-1]:.2f} s "
              f"({last.chosen_model}, {len(last.uplifts)} candidates); plain ridge fit {floor_s[-1] * 1000:.0f} ms")

    total = [f + r for f, r in zip(frame_s, recommend_s, strict=True)]
    median_total = statistics.median(total)
    median_floor = statistics.median(floor_s)
    result = {
        "machine": {"cores": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "scikit_learn": sklearn.__version__, "pandas": pd.__version__},
        "history": {"days": args.days, "platforms": len(PLATFORMS), "metrics_rows": len(metrics),
                    "mature_uploads": len(frame), "mature_episodes": last.samples},
        "settings": settings.model_dump(mode="json", include={"target", "horizon_days", "min_sample", "confidence",
                                                               "tunables"}),
        "runs": args.runs,
        "training_frame_s": round(statistics.median(frame_s), 3),
        "recommend_s": round(statistics.median(recommend_s), 3),
        "total_s": round(median_total, 3),
        "plain_ridge_fit_s": round(median_floor, 4),
        "ratio_vs_plain_ridge": round(median_total / median_floor, 1),
        "ratio_vs_budget": round(median_total / BUDGET_S, 3),
        "budget_s": BUDGET_S,
        "chosen_model": last.chosen_model,
        "scores": [s.model_dump() for s in last.scores],
        "top_uplifts": [u.sentence(last.target) for u in last.uplifts[:3]],
        "samples": {"training_frame_s": frame_s, "recommend_s": recommend_s, "plain_ridge_fit_s": floor_s},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "samples"}, indent=1))
    verdict = "met" if median_total < BUDGET_S else "NOT met"
    print(f"total: {median_total:.2f} s (budget < {BUDGET_S:.0f} s) {verdict}; "
          f"{median_total / median_floor:.0f}× one plain ridge fit")


if __name__ == "__main__":
    main()
