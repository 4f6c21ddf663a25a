from __future__ import annotations

from datetime import date, timedelta
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from storyvid_assets.analytics.features import training_frame
from storyvid_assets.analytics.models import ModelScore, OptimizationSettings, Recommendation, Uplift
from storyvid_assets.analytics.recommend import (
    MIN_SEEN,
    CrossValidation,
    Refits,
    RidgeDesign,
    RidgeRefit,
    candidates,
    choose_model,
    interval,
    markdown_table,
    model_inputs,
    plot_png,
    recommend,
    with_setting,
)

PLATFORMS = {"youtube": (400.0, 0.42), "tiktok": (900.0, 0.28)}  # expected day-0 views, completion rate
CURRENT = {"music_mood": "dreamy", "narrator_rate": 160, "posting_hour": 19, "thumbnail_variant": "a",
           "narrator_voice": None, "genre": None, "provider_tier": None, "target_words": None}
HORIZON = 7


def synthetic(seed: int, *, episodes: int = 60, platforms: tuple[str, ...] = ("youtube", "tiktok"),
              calm: float = 0.0, adventure: float = 0.0, thumbnail_b_views: float = 0.0,
              noise_only: bool = False) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Daily metrics, episodes and the as-of day of a channel whose episodes drew their settings at random.

    Completion of an upload = the platform's base rate × (1 + planted relative effects) + an upload-level
    N(0, 0.04), then each day's rate gets N(0, 0.02) and the day's completions are Binomial(views, rate).
    Views decay with a 2-day half-life around a lognormal upload quality and lognormal day noise.
    ``noise_only``: one base rate for every platform and no effect at all."""
    rng = np.random.default_rng(seed)
    start = date(2026, 1, 1)
    dates = [start + timedelta(days=i) for i in range(episodes)]
    eps = pd.DataFrame({
        "channel": "tales", "date": [d.isoformat() for d in dates], "config_version": 0, "simulated": False,
        "genre": rng.choice(["fable", "adventure"], episodes), "theme": rng.choice([f"theme {i}" for i in range(12)],
                                                                                   episodes),
        "narrator_voice": "en-us", "narrator_rate": rng.choice([150, 160, 170], episodes),
        "music_mood": rng.choice(["calm", "dreamy"], episodes), "posting_hour": rng.choice([18, 19, 20], episodes),
        "weekday": [d.weekday() for d in dates], "thumbnail_variant": rng.choice(["a", "b"], episodes),
        "provider_tier": "standard",
    })
    eps["duration_s"] = np.round(400 / eps["narrator_rate"] * 60 + 8 + rng.normal(0, 3, episodes), 1)
    uploads = eps.loc[np.repeat(np.arange(episodes), len(platforms))].reset_index(drop=True)
    uploads["platform"] = list(platforms) * episodes
    base_views = uploads["platform"].map(lambda p: PLATFORMS[p][0]).to_numpy()
    base = np.full(len(uploads), 0.35) if noise_only else uploads["platform"].map(lambda p: PLATFORMS[p][1]).to_numpy()
    effect = 1 + calm * (uploads["music_mood"] == "calm") + adventure * (uploads["genre"] == "adventure")
    rate = base * effect.to_numpy() + rng.normal(0, 0.04, len(uploads))
    views_effect = 1 + thumbnail_b_views * (uploads["thumbnail_variant"] == "b").to_numpy()
    quality = rng.lognormal(-0.35**2 / 2, 0.35, len(uploads)) * views_effect
    life = np.arange(HORIZON + 1)  # one day past the window, which must be ignored
    expected = (base_views * quality)[:, None] * 2.0 ** (-life / 2) * rng.lognormal(-0.25**2 / 2, 0.25,
                                                                                     (len(uploads), len(life)))
    views = rng.poisson(expected)
    daily_rate = np.clip(rate[:, None] + rng.normal(0, 0.02, views.shape), 0.02, 0.98)
    done = rng.binomial(views, daily_rate)
    with np.errstate(invalid="ignore", divide="ignore"):
        completion = np.where(views > 0, done / np.maximum(views, 1), np.nan)
    n = len(uploads)
    metrics = pd.DataFrame({
        "upload_id": np.repeat(np.arange(1, n + 1), len(life)), "channel": "tales",
        "date": np.repeat(uploads["date"].to_numpy(), len(life)),
        "platform": np.repeat(uploads["platform"].to_numpy(), len(life)), "format": "9:16",
        "day": [(date.fromisoformat(d) + timedelta(days=int(k))).isoformat()
                for d in uploads["date"] for k in life],
        "views": views.ravel(), "likes": 0, "comments": 0, "shares": 0, "watch_time_s": 0.0,
        "avg_view_pct": np.nan, "completion_rate": completion.ravel(), "revenue_usd": np.nan, "simulated": False,
    })
    return metrics, eps, (dates[-1] + timedelta(days=HORIZON)).isoformat()


def frame_of(seed: int, target: str = "completion_rate", **kwargs: Any) -> tuple[pd.DataFrame, str]:
    metrics, eps, as_of = synthetic(seed, **kwargs)
    return training_frame(metrics, eps, target=target, horizon_days=HORIZON, as_of=as_of), as_of  # type: ignore[arg-type]


def run(frame: pd.DataFrame, day: str, seed: int = 0, choices: dict[str, list[Any]] | None = None,
        **settings: Any) -> Recommendation:
    return recommend(frame, channel="tales", day=day, current=CURRENT, choices=choices or {},
                     settings=OptimizationSettings(**settings), seed=seed)


# --------------------------------------------------------------------------- behaviour


def test_a_planted_completion_effect_is_found_with_the_right_sign_and_size() -> None:
    frame, day = frame_of(0, calm=0.10)
    rec = run(frame, day)
    top = rec.uplifts[0]
    assert (top.setting, top.current, top.proposed) == ("music_mood", "dreamy", "calm")
    assert top.uplift > 0 and top.low <= 0.10 <= top.high, top
    assert rec.samples == 60 and top.samples == 60 and not rec.simulated and rec.reason == ""
    assert rec.chosen_model in {"ridge", "gradient_boosting"}
    assert {s.model for s in rec.scores} == {"ridge", "gradient_boosting"}
    assert all(s.baseline_mae > 0 for s in rec.scores)
    assert max(rec.importances, key=rec.importances.get) == "platform"  # the platforms' base rates differ most
    assert rec.importances["music_mood"] > 0 and sum(rec.importances.values()) == pytest.approx(1.0, abs=1e-3)
    assert "music mood calm instead of dreamy: +" in top.sentence(rec.target)
    assert [u.low for u in rec.uplifts] == sorted((u.low for u in rec.uplifts), reverse=True)


def test_without_a_planted_effect_at_most_1_of_20_seeds_has_an_interval_excluding_zero() -> None:
    """The planted test's channel without the planted effect, through the real default path (default bootstrap
    sizes, confidence 0.9, Bonferroni over the candidates). The platforms' base rates differ, so the model beats
    the mean and every seed compares the tunables: the intervals themselves are what is tested."""
    flagged, compared = [], 0
    for seed in range(20):
        frame, day = frame_of(seed)
        rec = run(frame, day, seed=seed)
        compared += len(rec.uplifts) == 6  # mood, two rates, two hours, thumbnail
        flagged += [(seed, u.sentence(rec.target)) for u in rec.uplifts if u.excludes_zero][:1]
    assert compared == 20
    assert len(flagged) <= 1, flagged


def test_below_the_minimum_sample_nothing_is_trained_and_the_reason_counts_episodes() -> None:
    frame, day = frame_of(1, episodes=24, calm=0.3)  # 48 uploads, but 24 episodes
    rec = run(frame, day, min_sample=30)
    assert rec.uplifts == [] and rec.scores == [] and rec.chosen_model is None
    assert rec.reason.startswith("24 of 30 episodes"), rec.reason
    assert rec.samples == 24


def test_a_noise_only_target_does_not_beat_the_mean_and_nothing_is_recommended() -> None:
    frame, day = frame_of(2, noise_only=True)
    rec = run(frame, day)
    assert rec.uplifts == [] and rec.chosen_model is None
    assert rec.reason.startswith("the model does not beat the mean"), rec.reason
    assert len(rec.scores) == 2 and not any(s.beats_baseline for s in rec.scores)


def test_views_per_day_uplift_is_relative_on_the_natural_scale() -> None:
    frame, day = frame_of(3, "views_per_day", episodes=80, thumbnail_b_views=0.3)
    rec = run(frame, day, target="views_per_day", tunables=["thumbnail_variant"])
    [top] = rec.uplifts
    assert (top.setting, top.proposed) == ("thumbnail_variant", "b")
    assert top.low <= 0.30 <= top.high and top.low > 0, top
    assert "views per day" in top.sentence(rec.target)


def test_choices_limit_the_candidates_and_unseen_values_are_never_proposed() -> None:
    frame, day = frame_of(4, calm=0.10)
    rec = run(frame, day, choices={"music_mood": ["dreamy", "calm", "tense"], "posting_hour": [18, 23]},
              tunables=["music_mood", "posting_hour"])
    assert {(u.setting, u.proposed) for u in rec.uplifts} == {("music_mood", "calm"), ("posting_hour", 18)}


# --------------------------------------------------------------------------- pieces


def test_candidates_need_enough_episodes_for_both_the_current_and_the_proposed_value() -> None:
    frame, _ = frame_of(5, episodes=40)
    frame.loc[frame["date"].isin(frame["date"].unique()[: MIN_SEEN - 1]), "music_mood"] = "tense"  # too rare
    inputs = model_inputs(frame, "completion_rate")
    found = candidates(inputs, CURRENT, {}, ["music_mood", "narrator_rate", "thumbnail_variant"])
    assert ("music_mood", "calm") in {(c.setting, c.proposed) for c in found}
    assert "tense" not in {c.proposed for c in found}
    assert {c.proposed for c in found if c.setting == "narrator_rate"} == {150, 170}
    assert all(isinstance(c.proposed, int) for c in found if c.setting == "narrator_rate")
    # a current value the data has (almost) never seen cannot be compared against
    assert not [c for c in candidates(inputs, {**CURRENT, "music_mood": "tense"}, {}, ["music_mood"])]
    # numeric: interpolation inside the observed range only
    chosen = candidates(inputs, CURRENT, {"narrator_rate": [140, 155, 175]}, ["narrator_rate"])
    assert [c.proposed for c in chosen] == [155]


def test_a_faster_narration_is_also_a_shorter_episode_in_the_counterfactual() -> None:
    rows = pd.DataFrame({"narrator_rate": [150.0, 200.0], "duration_s": [180.0, 120.0], "music_mood": ["a", "b"]})
    faster = with_setting(rows, "narrator_rate", 300, categorical=False)
    assert faster["narrator_rate"].tolist() == [300.0, 300.0]
    assert faster["duration_s"].tolist() == pytest.approx([90.0, 80.0])
    assert with_setting(rows, "music_mood", "calm", categorical=True)["duration_s"].tolist() == [180.0, 120.0]


def _cv(ridge_errors: list[float], boosting_errors: list[float], *, boosting_beats: bool = True) -> CrossValidation:
    scores = [ModelScore(model="ridge", cv_r2=0.3, cv_mae=float(np.mean(ridge_errors)), baseline_mae=1.0,
                         beats_baseline=True),
              ModelScore(model="gradient_boosting", cv_r2=0.3, cv_mae=float(np.mean(boosting_errors)),
                         baseline_mae=1.0, beats_baseline=boosting_beats)]
    return CrossValidation(scores, {"ridge": np.array(ridge_errors), "gradient_boosting": np.array(boosting_errors)})


def test_boosting_is_kept_only_when_clearly_better_than_ridge() -> None:
    episodes = np.array([f"2026-01-{i + 1:02d}" for i in range(8)])
    rng = np.random.default_rng(0)
    ridge = rng.uniform(0.5, 1.5, 8)
    assert choose_model(_cv(list(ridge), list(ridge - 0.3)), episodes) == "gradient_boosting"
    noisy = ridge + rng.normal(0, 0.3, 8)
    noisy -= noisy.mean() - ridge.mean() + 0.01  # 0.01 better on average, well within the noise
    assert choose_model(_cv(list(ridge), list(noisy)), episodes) == "ridge"
    assert choose_model(_cv(list(ridge), list(ridge - 0.3), boosting_beats=False), episodes) == "ridge"


def test_interval_is_the_percentile_one_stretched_to_the_jackknife_spread() -> None:
    draws = np.random.default_rng(0).normal(0.05, 0.01, (4000, 1))
    point = np.array([0.05])
    low, high = interval(point, draws, np.array([0.0]), tail=0.025)
    assert (low[0], high[0]) == pytest.approx((0.05 - 0.0196, 0.05 + 0.0196), abs=1e-3)
    wide_low, wide_high = interval(point, draws, np.array([0.02]), tail=0.025)  # jackknife sd twice as large
    assert (wide_low[0], wide_high[0]) == pytest.approx((0.05 - 0.0392, 0.05 + 0.0392), abs=2e-3)
    few_low, few_high = interval(point, draws[:20], np.array([0.0]), tail=0.005)  # too few draws: normal interval
    assert few_high[0] - few_low[0] == pytest.approx(2 * NormalDist().inv_cdf(0.995) * draws[:20].std(ddof=1))


def test_refits_resample_whole_episodes() -> None:
    X = np.arange(6.0).reshape(6, 1)
    seen: list[list[float]] = []

    class Recorder:
        def fit(self, X: np.ndarray, y: np.ndarray) -> Recorder:
            seen.append(X.ravel().tolist())
            return self

        def predict(self, Z: np.ndarray) -> np.ndarray:
            return np.ones(len(Z))

    refits = Refits(Recorder, X, np.ones(6), np.ones((2, 1)), np.array([0, 1]), np.array([[0, 1]]),
                    "completion_rate", [np.array([0, 1]), np.array([2, 3]), np.array([4, 5])])
    assert refits.uplifts(np.array([2, 0, 2])).tolist() == [0.0]
    assert seen == [[4.0, 5.0, 0.0, 1.0, 4.0, 5.0]]


def test_the_ridge_design_one_hot_encodes_standardises_and_lightens_the_tunables_penalty() -> None:
    codes = np.array([[0.0, 1.0, 10.0], [1.0, 0.0, np.nan], [0.0, 0.0, 30.0]])  # mood, thumbnail, hour
    design = RidgeDesign(categorical=(0, 1), numeric=(2,), tunable=(0,), scale=10.0).fit(codes)
    out = design.transform(np.vstack([codes, [[2.0, 1.0, 20.0]]]))  # mood code 2 was never seen in fitting
    assert out[:, :2].tolist() == [[10.0, 0.0], [0.0, 10.0], [10.0, 0.0], [0.0, 0.0]]  # tunable: ×10
    assert out[:, 2:4].tolist() == [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    assert out[:, 4] == pytest.approx([-np.sqrt(1.5), 0.0, np.sqrt(1.5), 0.0])  # the missing hour is the median


def test_the_bootstrap_ridge_refit_is_scikit_learns_ridge() -> None:
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 6)), rng.normal(size=50)
    ours = RidgeRefit(2.5).fit(X, y)
    theirs = Ridge(alpha=2.5).fit(X, y)
    assert ours.coef_ == pytest.approx(theirs.coef_) and ours.intercept_ == pytest.approx(theirs.intercept_)
    assert ours.predict(X[:5]) == pytest.approx(theirs.predict(X[:5]))


# --------------------------------------------------------------------------- reporting


def test_plot_and_table_describe_the_recommendation() -> None:
    frame, day = frame_of(0, calm=0.10)
    rec = Recommendation(
        channel="tales", day=day, target="completion_rate", samples=60, simulated=True, chosen_model="ridge",
        scores=[ModelScore(model="ridge", cv_r2=0.7, cv_mae=0.03, baseline_mae=0.07, beats_baseline=True)],
        importances={"platform": 0.8, "music_mood": 0.2},
        uplifts=[Uplift(setting="music_mood", current="dreamy", proposed="calm", uplift=0.09, low=0.04, high=0.14,
                        confidence=0.9, samples=60)],
    )
    png = plot_png(rec, frame)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    table = markdown_table(rec)
    assert "music mood: dreamy → calm | +9.0% | +4.0% … +14.0% (90%) | yes" in table
    assert "| ridge (chosen) | 0.700 | 0.03 | 0.07 | yes |" in table
    assert "60 mature episodes" in table and "SIMULATED" in table
    empty = Recommendation(channel="tales", day=day, target="completion_rate", samples=3, simulated=False,
                           reason="3 of 30 episodes needed have a mature completion rate")
    assert plot_png(empty, frame.iloc[:0]).startswith(b"\x89PNG")
    assert "Nothing recommended: 3 of 30 episodes" in markdown_table(empty)
